"""Clearances: work that waits for a provider's approval on file. REFERENCE §1.3, §7A.

A clearance counts when it is in force on the screening date (granted, not expired) and its scope and
area cover the work. Scope keys are ``referrals.models.ClearanceScope``. With a clearance in force a
rule reports an informational ``proceed`` finding, so staff can see which clearance allowed the work.
"""

from __future__ import annotations

from collections.abc import Iterator

from .registry import Family, RuleContext, rule
from .types import Area, ClearanceGrant, Decision, Finding, Pressure, ScreeningInput

SCAR_SCOPES = ("scar_work",)
# A scar-work clearance at the site means the surgeon cleared hands-on work there, so it also lifts
# the recent-surgery hold at that site.
SURGICAL_SITE_SCOPES = ("surgical_site", "scar_work")
PREGNANCY_SCOPES = ("pregnancy",)
CLOT_SCOPES = ("clot",)

# Clinic default (REFERENCE gives no level): once a provider clears massage despite a clot, pressure
# stays at the lightest verbal level; REFERENCE §6.3 describes only Walton level 0 (a stationary hold)
# as suited to clot risk, and the verbal scale's lightest step is "light".
CLEARED_CLOT_PRESSURE_CAP = Pressure.LIGHT


def _granted(grant: ClearanceGrant) -> str:
    until = f", expires {grant.expires.isoformat()}" if grant.expires else ""
    return f"clearance ({grant.scope}) granted {grant.granted.isoformat()}{until}"


def _every_technique(ctx: RuleContext) -> frozenset[str]:
    # A visit-level hold ("avoid unless cleared", "no massage") forbids every technique everywhere,
    # so a plan drafted before the clearance arrives contains no hands-on work.
    return frozenset(ctx.catalogue.techniques)


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
                    message_staff=f"Scar work at {ctx.area_name(site)} allowed: {_granted(grant)}.",
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
                message_staff=(
                    f"No scar work at {ctx.area_name(site)} until a scar_work clearance covering it is on "
                    f"file. {flag.text}"
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
                message_staff=f"Surgery at {ctx.area_name(site)} on {when}: work allowed, {_granted(grant)}.",
                message_patient=(
                    f"Your doctor's approval is on file, so we can work near {ctx.area_name(site, patient=True)}."
                ),
            )
            continue
        yield ctx.finding(
            "recent_surgery",
            area=site,
            area_off_limits=True,
            message_staff=(
                f"Surgery at {ctx.area_name(site)} on {when}: site off limits until a surgical_site "
                f"clearance covering it is on file. {flag.text}"
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
    description="High-risk pregnancy needs a pregnancy clearance in force.",
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
            message_staff=f"High-risk pregnancy: massage allowed, {_granted(grant)}.",
            message_patient="Your doctor's approval for massage during your pregnancy is on file.",
        )
        return
    yield ctx.finding(
        "pregnancy_high_risk",
        forbidden_techniques=_every_technique(ctx),
        message_staff=f"High-risk pregnancy: needs a pregnancy clearance on file. {flag.text}",
        message_patient=(
            "Please talk to your doctor or midwife before your massage. Once their approval reaches "
            "us, we can go ahead."
        ),
    )


@rule(
    "clearance.suspected_dvt",
    family=Family.CLEARANCE,
    flags=("dvt_clot",),
    description="Known or suspected blood clot: no massage until a clot clearance is in force.",
)
def suspected_dvt(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if not inp.answers.suspected_dvt:
        return
    flag = ctx.flag("dvt_clot")
    grant = ctx.clearance(CLOT_SCOPES, None)
    if grant is not None:
        yield ctx.finding(
            "dvt_clot",
            severity=Decision.PROCEED_WITH_PRECAUTIONS,
            pressure_cap=CLEARED_CLOT_PRESSURE_CAP,
            forbidden_techniques=ctx.deep_techniques(),
            message_staff=(
                f"Blood clot: {_granted(grant)}. Light pressure only, no deep work (clinic default). "
                f"{flag.text}"
            ),
            message_patient="Your doctor's approval is on file. We will keep the pressure light.",
        )
        return
    yield ctx.finding(
        "dvt_clot",
        forbidden_techniques=_every_technique(ctx),
        message_staff=f"Known or suspected blood clot: no massage until a clot clearance is on file. {flag.text}",
        message_patient=(
            "Please talk to your doctor before your massage. Once their approval reaches us, we can go ahead."
        ),
    )
