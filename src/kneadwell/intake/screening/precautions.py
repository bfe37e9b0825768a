"""Precautions: the visit goes ahead, adapted (pressure caps, no deep work, scope). REFERENCE §1.3.

"Deep work" is every technique the catalogue ties to deep pressure (Walton level ≥ 4: ``deep_tissue``
today), read from the techniques' pressure hints so a new deep technique is covered automatically.
Pressure caps use the verbal scale light < medium < firm < deep (REFERENCE §6.3); where REFERENCE's
wording does not name a level, the level chosen is a module constant marked as a clinic default.
"""

from __future__ import annotations

from collections.abc import Iterator

from .registry import Family, RuleContext, rule
from .types import Area, Decision, Finding, Pressure, ScreeningInput

# Bleeding disorder / anticoagulants: "avoid forceful / deep-tissue massage; lighter pressure only" [R37].
# "Lighter pressure only" is read as the lightest verbal level (clinic default).
BLEEDING_PRESSURE_CAP = Pressure.LIGHT
# Clinic default: deep transverse friction is forceful work by description, so it is avoided too.
BLEEDING_FORCEFUL_TECHNIQUES = frozenset({"cross_fiber_friction"})

# Cancer: "no deep or intense pressure ... oncology pressure levels (Walton scale)" [R37, R42]. Medium
# stays below deep (Walton 4) and keeps Swedish relaxation pressure (Walton 3): clinic default.
CANCER_PRESSURE_CAP = Pressure.MEDIUM

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
    description="Cancer: no deep or intense pressure; pressure capped at medium.",
)
def cancer(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if not inp.answers.cancer:
        return
    flag = ctx.flag("cancer_tumour")
    deep = ctx.deep_techniques()
    yield ctx.finding(
        "cancer_tumour",
        pressure_cap=CANCER_PRESSURE_CAP,
        forbidden_techniques=deep,
        message_staff=(
            f"Intake answer: cancer. Pressure capped at {CANCER_PRESSURE_CAP}; no {ctx.technique_names(deep)} "
            f"(clinic default). {flag.text}"
        ),
        message_patient="We will adapt the pressure to keep your massage gentle and comfortable.",
    )


@rule(
    "precaution.pregnancy",
    family=Family.PRECAUTION,
    flags=("pregnancy",),
    description="Pregnancy: talk with the health-care provider first; therapist adapts the session.",
)
def pregnancy(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    # Any pregnancy; a high-risk one also needs a clearance (clearance.high_risk_pregnancy).
    if inp.answers.pregnancy == "no":
        return
    flag = ctx.flag("pregnancy")
    risk = inp.answers.pregnancy.replace("_", " ")
    yield ctx.finding(
        "pregnancy",
        message_staff=f"Intake answer: pregnancy ({risk}). {flag.text}",
        message_patient=(
            "If you have not yet done so, please mention your massage to your doctor or midwife. "
            "Your therapist will adapt the positions and pressure."
        ),
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
                f"Diagnosed {ctx.condition_names(listed)}: intraoral_tmj only by a therapist whose licence "
                f"jurisdiction allows it (therapist matching checks). {flag.text}"
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
