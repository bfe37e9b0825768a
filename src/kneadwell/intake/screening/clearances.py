"""Clearances: work that waits for a provider's approval on file. REFERENCE §1.3, §7A, §10.

A clearance counts when it is in force on the screening date (granted, not expired) and its scope and
area cover the work. Scope keys are ``referrals.models.ClearanceScope``; scope "flag" names one
catalogue flag (the referrer's documented evaluation of it). With a clearance in force a rule reports
an informational ``proceed`` (or an adapted ``proceed_with_precautions``) finding, so staff can see
which clearance allowed the work.

A finding without an area that needs clearance holds the whole visit (`Finding.holds_visit`): no
session plan, no plan-of-care approval and no booking until the clearance is on file.
"""

from __future__ import annotations

from collections.abc import Iterator

from .registry import FLAG_SCOPE, Family, RuleContext, rule
from .types import Area, ClearanceGrant, Decision, Finding, Pressure, ScreeningInput

SCAR_SCOPES = ("scar_work",)
# A scar-work clearance at the site means the surgeon cleared hands-on work there, so it also lifts
# the recent-surgery hold at that site.
SURGICAL_SITE_SCOPES = ("surgical_site", "scar_work")
PREGNANCY_SCOPES = ("pregnancy",)
CLOT_SCOPES = ("clot",)

# Light pressure "while anticoagulated" after a treated clot (issue 7, REFERENCE §10 [R58]), and, when
# the clot's limb is not recorded, everywhere (clinic default: the limb to spare cannot be told).
CLEARED_CLOT_PRESSURE_CAP = Pressure.LIGHT

# Whiplash nerve-root injury (Quebec Task Force grade III [R32, R55]): ICD-10-CM S14.2- codes.
NERVE_ROOT_CODE = "S14.2"


def _granted(grant: ClearanceGrant) -> str:
    who = f" by {grant.provider}" if grant.provider else ""
    until = f", until {grant.expires.isoformat()}" if grant.expires else ""
    note = f" It says: {grant.note.strip()}" if grant.note.strip() else ""
    return f"clearance given{who} on {grant.granted.isoformat()}{until}.{note}"


def _scar_sites(inp: ScreeningInput, diagnosis_areas: tuple[Area, ...]) -> tuple[Area | None, ...]:
    """Where scar work could be planned: the diagnosis' areas; else every operated or concern area.

    The catalogue takes the scar site from the referral or intake (``regions_scope = "from_intake"``);
    when the diagnosis does not name it, each candidate area needs its own clearance. ``None``: the site
    is unknown, so only a clearance without an area covers it.
    """
    if diagnosis_areas:
        return diagnosis_areas
    sites = tuple(dict.fromkeys([*(s.area for s in inp.answers.recent_surgery), *inp.areas]))
    return sites or (None,)


@rule(
    "clearance.scar_work",
    family=Family.CLEARANCE,
    flags=("scar_closure_clearance",),
    description="Scar work is forbidden at the scar until a scar-work clearance in force covers it.",
)
def scar_work(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    flag = ctx.flag("scar_closure_clearance")
    seen: set[Area | None] = set()
    for d in inp.diagnoses:
        if d.condition not in ctx.diagnosed_with_flag("scar_closure_clearance"):
            continue
        # Scar work = the techniques the condition lists; its catalogue basis allows them only
        # after closure and clearance.
        scar_techniques = ctx.catalogue.conditions[d.condition].techniques
        for site in _scar_sites(inp, d.areas):
            if site in seen:
                continue
            seen.add(site)
            grant = ctx.clearance(SCAR_SCOPES, site)
            if grant is not None:
                yield ctx.finding(
                    "scar_closure_clearance",
                    severity=Decision.PROCEED,
                    area=site,
                    message_staff=f"Scar work at {ctx.area_name(site)} allowed: {_granted(grant)}",
                    message_patient=(
                        f"Your doctor's approval is on file, so we can work on the scar at "
                        f"{ctx.area_name(site, patient=True)}."
                    ),
                )
                continue
            yield ctx.finding(
                "scar_closure_clearance",
                area=site,
                forbidden_techniques=scar_techniques,
                clearance_scope="scar_work",
                message_staff=(
                    f"No scar work at {ctx.area_name(site)} until the surgeon's or physician's clearance for "
                    f"scar work there is on file. {flag.text}"
                ),
                message_patient=(
                    "Please talk to your doctor before we treat the scar. Once your doctor's approval "
                    "reaches us, we can work on it."
                ),
            )


@rule(
    "clearance.recent_surgery",
    family=Family.CLEARANCE,
    flags=("recent_surgery",),
    description="No work on a recent surgical site until a clearance in force covers it.",
)
def recent_surgery(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    flag = ctx.flag("recent_surgery")
    for surgery in inp.answers.recent_surgery:
        if surgery.date > inp.on:
            raise ValueError(f"recent_surgery: date {surgery.date.isoformat()} is after {inp.on.isoformat()}")
        site, when = surgery.area, surgery.date.isoformat()
        grant = ctx.clearance(SURGICAL_SITE_SCOPES, site)
        if grant is not None:
            yield ctx.finding(
                "recent_surgery",
                severity=Decision.PROCEED,
                area=site,
                message_staff=f"Surgery at {ctx.area_name(site)} on {when}: work allowed, {_granted(grant)}",
                message_patient=(
                    f"Your doctor's approval is on file, so we can work near {ctx.area_name(site, patient=True)}."
                ),
            )
            continue
        yield ctx.finding(
            "recent_surgery",
            area=site,
            area_off_limits=True,
            clearance_scope="surgical_site",
            message_staff=(
                f"Surgery at {ctx.area_name(site)} on {when}: the site is off limits until the surgeon's "
                f"clearance for work there is on file. {flag.text}"
            ),
            message_patient=(
                f"Please talk to your doctor before we treat {ctx.area_name(site, patient=True)}. "
                "We will leave it alone until then."
            ),
        )


@rule(
    "clearance.high_risk_pregnancy",
    family=Family.CLEARANCE,
    flags=("pregnancy_high_risk",),
    description="High-risk pregnancy: the whole visit waits for a pregnancy clearance in force.",
)
def high_risk_pregnancy(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.pregnancy != "high_risk":
        return
    flag = ctx.flag("pregnancy_high_risk")
    grant = ctx.clearance(PREGNANCY_SCOPES, None)
    if grant is not None:
        yield ctx.finding(
            "pregnancy_high_risk",
            severity=Decision.PROCEED,
            message_staff=f"High-risk pregnancy: massage allowed, {_granted(grant)}",
            message_patient="Your doctor's approval for massage during your pregnancy is on file.",
        )
        return
    yield ctx.finding(
        "pregnancy_high_risk",
        clearance_scope="pregnancy",
        message_staff=f"High-risk pregnancy: needs the obstetric provider's clearance on file. {flag.text}",
        message_patient=(
            "Please talk to your doctor or midwife before your massage. Once their approval reaches "
            "us, we can go ahead."
        ),
    )


@rule(
    "clearance.known_clot",
    family=Family.CLEARANCE,
    flags=("dvt_clot",),
    description=(
        "Known blood clot: no massage until a clot clearance is in force; after it, the affected limb stays "
        "off limits, with light pressure elsewhere while anticoagulated."
    ),
)
def known_clot(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    answers = inp.answers
    if not answers.suspected_dvt:
        return
    flag = ctx.flag("dvt_clot")
    grant = ctx.clearance(CLOT_SCOPES, None)
    if grant is None:
        yield ctx.finding(
            "dvt_clot",
            clearance_scope="clot",
            message_staff=f"Known blood clot: no massage until a physician's clearance is on file. {flag.text}",
            message_patient=(
                "Please talk to your doctor before your massage. Once their approval reaches us, we can go ahead."
            ),
        )
        return
    limbs = tuple(dict.fromkeys(a for clot in answers.clot_regions for a in ctx.limb_areas(clot)))
    for area in limbs:
        yield ctx.finding(
            "dvt_clot",
            severity=Decision.PROCEED_WITH_PRECAUTIONS,
            area=area,
            area_off_limits=True,
            message_staff=(
                f"{ctx.area_name(area)} off limits for good: the limb of a treated clot ({_granted(grant)})"
            ),
            message_patient=f"We will always leave {ctx.area_name(area, patient=True)} alone, where the clot was.",
        )
    if limbs and not answers.anticoagulants:
        return
    why = (
        "while on blood thinners" if answers.anticoagulants else "the clot's limb is not recorded: record it"
    )
    yield ctx.finding(
        "dvt_clot",
        severity=Decision.PROCEED_WITH_PRECAUTIONS,
        pressure_cap=CLEARED_CLOT_PRESSURE_CAP,
        forbidden_techniques=ctx.deep_techniques(),
        message_staff=(
            f"Treated blood clot, {_granted(grant)} Light pressure only, no deep work elsewhere ({why}). {flag.text}"
        ),
        message_patient="Your doctor's approval is on file. We will keep the pressure light.",
    )


@rule(
    "clearance.unexplained_pain",
    family=Family.CLEARANCE,
    flags=("unexplained_pain",),
    description="Pain with no known cause: the visit waits for a physician's clearance (the flag's clearance).",
)
def unexplained_pain(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if not inp.answers.unexplained_pain:
        return
    grant = ctx.flag_clearance("unexplained_pain")
    if grant is not None:
        yield ctx.cleared("unexplained_pain", grant, what="pain without a known cause")
        return
    flag = ctx.flag("unexplained_pain")
    yield ctx.finding(
        "unexplained_pain",
        clearance_scope=FLAG_SCOPE,
        message_staff=(
            "Intake answer: pain with no known cause that no doctor has looked at. The visit waits for a "
            f"physician's clearance. {flag.text}"
        ),
        message_patient=(
            "Pain without a known cause is best looked at by your doctor first. Once their approval reaches "
            "us, we can go ahead."
        ),
    )


@rule(
    "clearance.whiplash_nerve_root",
    family=Family.CLEARANCE,
    flags=("wad_nerve_root",),
    description=(
        "Cervical nerve-root injury (S14.2-, Quebec Task Force grade III): the neck is off limits until the "
        "physician's clearance is on file."
    ),
)
def whiplash_nerve_root(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    coded = [d for d in inp.diagnoses if d.icd10 and d.icd10.startswith(NERVE_ROOT_CODE)]
    if not coded:
        return
    flag = ctx.flag("wad_nerve_root")
    codes = ", ".join(sorted({d.icd10 for d in coded if d.icd10}))
    for region in flag.regions:
        area = Area(region)
        grant = ctx.flag_clearance("wad_nerve_root")
        if grant is not None:
            yield ctx.cleared("wad_nerve_root", grant, area=area, what=codes)
            continue
        yield ctx.finding(
            "wad_nerve_root",
            area=area,
            area_off_limits=True,
            clearance_scope=FLAG_SCOPE,
            message_staff=(
                f"{ctx.area_name(area)} off limits: diagnosis {codes} (nerve-root injury). {flag.text}"
            ),
            message_patient=(
                f"Because a nerve in your neck was injured, we wait for your doctor's approval before working "
                f"on {ctx.area_name(area, patient=True)}. We can still work on other areas."
            ),
        )


@rule(
    "clearance.shoulder_rule_out",
    family=Family.CLEARANCE,
    flags=("shoulder_rule_out_before_stretching",),
    description=(
        "Frozen shoulder not yet examined by a doctor: no stretching of the shoulder until a fracture, "
        "dislocation or cuff tear is ruled out (the flag's clearance)."
    ),
)
def shoulder_rule_out(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if not inp.answers.shoulder_not_examined:
        return
    flag = ctx.flag("shoulder_rule_out_before_stretching")
    stretching = frozenset(k for k, t in ctx.catalogue.techniques.items() if t.is_stretching)
    listed = ctx.diagnosed_with_flag("shoulder_rule_out_before_stretching")
    sites = tuple(dict.fromkeys(a for key in listed for _, a in ctx.condition_sites(key))) or tuple(
        Area(r, "bilateral") for r in flag.regions
    )
    grant = ctx.flag_clearance("shoulder_rule_out_before_stretching")
    for site in sites:
        if grant is not None:
            yield ctx.cleared("shoulder_rule_out_before_stretching", grant, area=site)
            continue
        yield ctx.finding(
            "shoulder_rule_out_before_stretching",
            area=site,
            forbidden_techniques=stretching,
            clearance_scope=FLAG_SCOPE,
            message_staff=(
                f"No stretching at {ctx.area_name(site)} until a doctor has ruled out a fracture, dislocation "
                f"or rotator-cuff tear (clearance on file). {flag.text}"
            ),
            message_patient=(
                "We will not stretch your shoulder until your doctor has checked it. Other work can go ahead."
            ),
        )
