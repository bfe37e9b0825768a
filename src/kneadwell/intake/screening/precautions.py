"""Precautions: the visit goes ahead, adapted (pressure caps, no deep work, scope). REFERENCE §1.3.

"Deep work" is every technique the catalogue ties to deep pressure (Walton level ≥ 4: ``deep_tissue``
today), read from the techniques' pressure hints so a new deep technique is covered automatically.
Pressure caps use the verbal scale light < medium < firm < deep (REFERENCE §6.3); where REFERENCE's
wording does not name a level, the level chosen is a module constant marked as a clinic default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .registry import Family, RuleContext, rule
from .types import Area, Decision, Finding, Pressure, ScreeningInput

# Bleeding disorder / anticoagulants: "avoid forceful / deep-tissue massage; lighter pressure only" [R37].
# "Lighter pressure only" is read as the lightest verbal level (clinic default).
BLEEDING_PRESSURE_CAP = Pressure.LIGHT
# Clinic default: deep transverse friction is forceful work by description, so it is avoided too.
BLEEDING_FORCEFUL_TECHNIQUES = frozenset({"cross_fiber_friction"})

# Cancer in active treatment: "no deep or intense pressure ... oncology pressure levels (Walton scale)"
# [R37, R42, R62]. Medium stays below deep (Walton 4) and keeps Swedish relaxation pressure (Walton 3):
# clinic default.
CANCER_PRESSURE_CAP = Pressure.MEDIUM
# Lymph-node removal: light pressure on that limb's quadrant (Walton 2011 [R62], lymphoedema risk).
LYMPH_NODE_PRESSURE_CAP = Pressure.LIGHT

# Pregnancy after the first trimester: the side-lying position and light pressure on the legs (issue 7).
# The first trimester runs to the end of week 13, so from 14 completed weeks (clinic reading). With the
# weeks not recorded, both apply: the cautious reading.
FIRST_TRIMESTER_WEEKS = 13
PREGNANCY_LEG_PRESSURE_CAP = Pressure.LIGHT

# "Recent" steroid injection: REFERENCE gives no wait period (unverified); the clinic default counts an
# injection in the last 12 weeks. Configurable here.
RECENT_STEROID_WEEKS = 12

# Osteoporosis: the catalogue flag covers *severe* osteoporosis ("no pressure on the area; clearance"),
# but the intake answer records neither severity nor site, so the issue's "pressure cap and no deep
# work" applies to the whole visit at the lightest level (clinic default, fail-safe).
OSTEOPOROSIS_PRESSURE_CAP = Pressure.LIGHT


@rule(
    "precaution.bleeding_anticoagulant",
    family=Family.PRECAUTION,
    flags=("bleeding_anticoagulant",),
    description="Anticoagulants or a bleeding disorder: light pressure only, no deep or forceful work.",
)
def bleeding_anticoagulant(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    answers = [
        name
        for name, given in (
            ("anticoagulants", inp.answers.anticoagulants),
            ("bleeding disorder", inp.answers.bleeding_disorder),
        )
        if given
    ]
    if not answers:
        return
    flag = ctx.flag("bleeding_anticoagulant")
    forbidden = ctx.deep_techniques() | (BLEEDING_FORCEFUL_TECHNIQUES & set(ctx.catalogue.techniques))
    yield ctx.finding(
        "bleeding_anticoagulant",
        pressure_cap=BLEEDING_PRESSURE_CAP,
        forbidden_techniques=forbidden,
        message_staff=(
            f"Intake answer: {' and '.join(answers)}. Pressure capped at {BLEEDING_PRESSURE_CAP}; no "
            f"{ctx.technique_names(forbidden)}. {flag.text}"
        ),
        message_patient="Because of your medicine or bleeding risk, we will keep the pressure light.",
    )


@rule(
    "precaution.osteoporosis",
    family=Family.PRECAUTION,
    flags=("fracture_bone_weakness",),
    description="Osteoporosis: light pressure only and no deep work (severity and site not recorded).",
)
def osteoporosis(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if not inp.answers.osteoporosis:
        return
    flag = ctx.flag("fracture_bone_weakness")
    deep = ctx.deep_techniques()
    yield ctx.finding(
        "fracture_bone_weakness",
        severity=Decision.PROCEED_WITH_PRECAUTIONS,
        pressure_cap=OSTEOPOROSIS_PRESSURE_CAP,
        forbidden_techniques=deep,
        message_staff=(
            f"Intake answer: osteoporosis. Pressure capped at {OSTEOPOROSIS_PRESSURE_CAP}; no "
            f"{ctx.technique_names(deep)} (clinic default). If it is severe, ask the referrer for clearance "
            f"and record the weak area as a fracture area. {flag.text}"
        ),
        message_patient="To protect your bones, we will keep the pressure light.",
    )


@rule(
    "precaution.cancer",
    family=Family.PRECAUTION,
    flags=("cancer_tumour",),
    description=(
        "Cancer (Walton 2011): in active treatment, no deep work and pressure capped at medium; no pressure "
        "over bones the cancer involves; light pressure on the quadrant of a limb whose lymph nodes were "
        "removed; a cancer long past with none of these carries no cap."
    ),
)
def cancer(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    answers = inp.answers
    if not answers.cancer:
        return
    flag = ctx.flag("cancer_tumour")
    deep = ctx.deep_techniques()
    adapted = False
    # None: the form that recorded the answer did not ask (older intakes): treated as active.
    if answers.cancer_active_treatment is not False:
        adapted = True
        asked = "in treatment now" if answers.cancer_active_treatment else "treatment not recorded"
        yield ctx.finding(
            "cancer_tumour",
            pressure_cap=CANCER_PRESSURE_CAP,
            forbidden_techniques=deep,
            message_staff=(
                f"Intake answer: cancer, {asked}. Pressure capped at {CANCER_PRESSURE_CAP}; no "
                f"{ctx.technique_names(deep)} (clinic default). {flag.text}"
            ),
            message_patient="We will adapt the pressure to keep your massage gentle and comfortable.",
        )
    for area in answers.cancer_bone_regions:
        adapted = True
        yield ctx.finding(
            "cancer_tumour",
            area=area,
            area_off_limits=True,
            message_staff=f"{ctx.area_name(area)} off limits: the cancer involves the bone there. {flag.text}",
            message_patient=f"We will not press on {ctx.area_name(area, patient=True)}.",
        )
    quadrants = tuple(
        dict.fromkeys(
            a for removed in answers.lymph_node_regions for a in ctx.limb_areas(removed, with_quadrant=True)
        )
    )
    for area in quadrants:
        adapted = True
        yield ctx.finding(
            "cancer_tumour",
            area=area,
            pressure_cap=LYMPH_NODE_PRESSURE_CAP,
            forbidden_techniques=deep,
            message_staff=(
                f"{ctx.area_name(area)}: light pressure only, on the side where lymph nodes were removed "
                f"(lymphoedema risk). {flag.text}"
            ),
            message_patient=f"We will keep the pressure light on {ctx.area_name(area, patient=True)}.",
        )
    if not adapted:
        yield ctx.finding(
            "cancer_tumour",
            severity=Decision.PROCEED,
            message_staff=(
                "Intake answer: cancer in the past, not in treatment, no bone involvement or lymph nodes removed: "
                "no pressure cap (Walton 2011). Ask again if anything changes."
            ),
            message_patient="Thank you for telling us. Let us know if anything about your health changes.",
        )


def _legs(ctx: RuleContext) -> tuple[Area, ...]:
    return tuple(Area(key, "bilateral") for key, r in ctx.catalogue.regions.items() if r.limb == "leg")


@rule(
    "precaution.pregnancy",
    family=Family.PRECAUTION,
    flags=("pregnancy",),
    description=(
        "Pregnancy: talk with the health-care provider first; after the first trimester, the side-lying "
        "position and light pressure on the legs."
    ),
)
def pregnancy(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    # Any pregnancy; a high-risk one also needs a clearance (clearance.high_risk_pregnancy).
    answers = inp.answers
    if answers.pregnancy == "no":
        return
    flag = ctx.flag("pregnancy")
    risk = answers.pregnancy.replace("_", " ")
    weeks = answers.pregnancy_weeks
    later = weeks is None or weeks > FIRST_TRIMESTER_WEEKS
    when = f"{weeks} weeks" if weeks is not None else "weeks not recorded"
    positioning = " Position side-lying; light pressure on the legs." if later else ""
    yield ctx.finding(
        "pregnancy",
        message_staff=f"Intake answer: pregnancy ({risk}, {when}).{positioning} {flag.text}",
        message_patient=(
            "If you have not yet done so, please mention your massage to your doctor or midwife. "
            + (
                "You will lie on your side, and we will keep the pressure light on your legs."
                if later
                else "Your therapist will adapt the positions and pressure."
            )
        ),
        instructions=("side_lying",) if later else (),
    )
    if not later:
        return
    for area in _legs(ctx):
        yield ctx.finding(
            "pregnancy",
            area=area,
            pressure_cap=PREGNANCY_LEG_PRESSURE_CAP,
            message_staff=f"{ctx.area_name(area)}: light pressure only (pregnancy, {when}).",
            message_patient=f"We will keep the pressure light on {ctx.area_name(area, patient=True)}.",
        )


@rule(
    "precaution.intraoral_scope",
    family=Family.PRECAUTION,
    flags=("intraoral_scope",),
    description="TMJ disorder: intraoral work only within the therapist's state scope (matching checks it).",
)
def intraoral_scope(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if listed := ctx.diagnosed_with_flag("intraoral_scope"):
        flag = ctx.flag("intraoral_scope")
        yield ctx.finding(
            "intraoral_scope",
            message_staff=(
                f"Diagnosed {ctx.condition_names(listed)}: {ctx.technique_names(['intraoral_tmj'])} only by a "
                f"therapist whose licence jurisdiction allows it (therapist matching checks). {flag.text}"
            ),
            message_patient=(
                "Work inside the mouth is done only by therapists allowed to do it in this state, and "
                "only with your consent."
            ),
        )


@rule(
    "precaution.irritated_nerve_trunk",
    family=Family.PRECAUTION,
    flags=("irritated_nerve_trunk",),
    description="Radiating pain: no deep pressure over the irritated nerve's areas.",
)
def irritated_nerve_trunk(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    flag = ctx.flag("irritated_nerve_trunk")
    deep = ctx.deep_techniques()
    seen: set[Area | None] = set()
    for d in inp.diagnoses:
        if d.condition not in ctx.diagnosed_with_flag("irritated_nerve_trunk"):
            continue
        # The nerve's course is where the diagnosis or intake puts the pain; unknown → everywhere.
        sites: tuple[Area | None, ...] = d.areas or inp.areas or (None,)
        for site in sites:
            if site in seen:
                continue
            seen.add(site)
            yield ctx.finding(
                "irritated_nerve_trunk",
                area=site,
                forbidden_techniques=deep,
                message_staff=f"{ctx.area_name(site)}: no {ctx.technique_names(deep)}. {flag.text}",
                message_patient="We will keep the pressure gentle where the nerve is irritated.",
            )


@rule(
    "precaution.consult_and_adapt",
    family=Family.PRECAUTION,
    flags=("consult_and_adapt",),
    description="Nerve damage, fragile skin, a heart condition or a history of abuse: the therapist adapts, consulting the provider.",
)
def consult_and_adapt(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    answers = inp.answers
    said = [
        text
        for text, given in (
            ("nerve damage, fragile skin or a heart condition", answers.nerve_skin_heart),
            ("touch may be difficult (for example a history of abuse)", answers.touch_history),
        )
        if given
    ]
    if not said:
        return
    flag = ctx.flag("consult_and_adapt")
    yield ctx.finding(
        "consult_and_adapt",
        message_staff=f"Intake answer: {' and '.join(said)}. Adapt the session; consult the provider if unsure. {flag.text}",
        message_patient=(
            "Thank you for telling us. Your therapist will talk with you first and adapt the session, and you "
            "can ask to pause or stop at any time."
        ),
    )


@rule(
    "precaution.recent_steroid_injection",
    family=Family.PRECAUTION,
    flags=("recent_steroid_injection",),
    description=(
        f"A steroid injection at the sore spot in the last {RECENT_STEROID_WEEKS} weeks (clinic default): no "
        "deep or friction work there."
    ),
)
def recent_steroid_injection(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    when = inp.answers.steroid_injection_date
    if when is None or when < inp.on - dt.timedelta(weeks=RECENT_STEROID_WEEKS):
        return
    flag = ctx.flag("recent_steroid_injection")
    forbidden = ctx.deep_techniques() | (BLEEDING_FORCEFUL_TECHNIQUES & set(ctx.catalogue.techniques))
    listed = ctx.diagnosed_with_flag("recent_steroid_injection")
    sites: tuple[Area | None, ...] = tuple(
        dict.fromkeys(a for key in listed for _, a in ctx.condition_sites(key))
    ) or ((*inp.areas,) or (None,))
    for site in sites:
        yield ctx.finding(
            "recent_steroid_injection",
            area=site,
            forbidden_techniques=forbidden,
            message_staff=(
                f"{ctx.area_name(site)}: steroid injection on {when.isoformat()}: no "
                f"{ctx.technique_names(forbidden)} there. {flag.text}"
            ),
            message_patient="Because of your recent injection, we will be gentle at that spot.",
        )
