"""Local contraindications: an area is off limits, the rest of the visit goes ahead. REFERENCE §1.3, §7A.

A local finding carries the area and ``area_off_limits=True`` (or the techniques it forbids there); it
makes the visit at least ``proceed_with_precautions`` (a fracture, or a suspected one: ``needs_clearance``
for that area, as the catalogue flags say), never blocks the whole visit.

Acute injuries (conditions with an inflammation gate: strains, sprains and whiplash) wait out the
inflammation (issue 7, item 5; REFERENCE §7A: documented signs plus a clinician's override, not a timer
alone):

- in the catalogue's inflammatory stage (the first 72 hours after the onset) the injured area is off
  limits, unless a clinician has recorded that no inflammation signs are present (name and reason kept);
- after that, heat or redness keep it off limits, and swelling alone allows only light lymphatic
  drainage there, proximal to the injury.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .registry import FLAG_SCOPE, Family, RuleContext, rule
from .types import (
    Area,
    Decision,
    Diagnosis,
    Finding,
    InflamedArea,
    InflammationCheck,
    Pressure,
    ScreeningInput,
)

# The inflammation signs the intake records (issue 3: swelling, heat, redness).
INFLAMMATION_SIGNS = frozenset({"swelling", "heat", "redness"})
# Heat or redness keep an injury off limits after the first 72 hours; swelling alone does not.
HOT_SIGNS = frozenset({"heat", "redness"})

# The catalogue stage of an inflammation-gated condition that holds the injured area (0–3 days).
INFLAMMATORY_STAGE = "inflammatory"

# Swelling alone after the first 72 hours: light lymphatic drainage proximal to the injury, nothing
# else at the injured area (issue 7; lymphatic drainage is light work by its catalogue entry).
SWELLING_TECHNIQUE = "lymphatic_drainage"
SWELLING_PRESSURE_CAP = Pressure.LIGHT

# Clearance scope that lets the clinic work near (not on) a fracture (referrals.ClearanceScope).
FRACTURE_SCOPES = ("fracture_site",)


def _signs(item: InflamedArea) -> str:
    return ", ".join(sorted(item.signs))


def _overlaps(a: Area, b: Area) -> bool:
    return a.covers(b) or b.covers(a)


def _gated_sites(inp: ScreeningInput, ctx: RuleContext) -> tuple[tuple[Diagnosis, Area], ...]:
    """(diagnosis, site) for diagnosed conditions whose catalogue entry has an inflammation gate.

    The injured site is the diagnosis' areas; else, for a site taken from the intake (strains and
    sprains), the areas of concern; else the condition's own regions (whiplash: the neck).
    """
    out: list[tuple[Diagnosis, Area]] = []
    for key in sorted(ctx.conditions):
        if ctx.catalogue.conditions[key].inflammation_gate:
            out += ctx.condition_sites(key)
    return tuple(out)


def _gated(area: Area, sites: tuple[tuple[Diagnosis, Area], ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(d.condition for d, site in sites if _overlaps(site, area)))


def _in_inflammatory_stage(inp: ScreeningInput, ctx: RuleContext, d: Diagnosis) -> bool:
    if d.onset is None:
        return False  # the stage cannot be told; the signs gate below still applies
    stage = ctx.catalogue.conditions[d.condition].stage_on(d.onset, inp.on)
    return stage is not None and stage.key == INFLAMMATORY_STAGE


def _clinician_check(inp: ScreeningInput, area: Area, onset: dt.date) -> InflammationCheck | None:
    """A clinician's recorded examination of `area` on or before the screening date, since the injury."""
    for check in inp.inflammation_checks:
        if _overlaps(check.area, area) and onset <= check.on <= inp.on:
            return check
    return None


@rule(
    "local.acute_injury_first_72_hours",
    family=Family.LOCAL,
    flags=("acute_inflammatory_phase",),
    description=(
        "A strain, sprain or whiplash in its first 72 hours: the injured area is off limits unless a "
        "clinician has recorded that no inflammation signs are present."
    ),
)
def acute_injury_first_72_hours(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    flag = ctx.flag("acute_inflammatory_phase")
    for d, site in _gated_sites(inp, ctx):
        if not _in_inflammatory_stage(inp, ctx, d):
            continue
        name = ctx.condition_names([d.condition])
        assert d.onset is not None
        check = _clinician_check(inp, site, d.onset)
        if check is not None:
            yield ctx.finding(
                "acute_inflammatory_phase",
                severity=Decision.PROCEED,
                area=site,
                message_staff=(
                    f"{name} at {ctx.area_name(site)} since {d.onset.isoformat()}: {check.clinician} recorded "
                    f"no inflammation signs on {check.on.isoformat()} ({check.reason}), so the area may be worked."
                ),
                message_patient=(
                    f"Your injury was checked and shows no swelling, warmth or redness, so we may work on "
                    f"{ctx.area_name(site, patient=True)}."
                ),
            )
            continue
        yield ctx.finding(
            "acute_inflammatory_phase",
            area=site,
            area_off_limits=True,
            message_staff=(
                f"{ctx.area_name(site)} off limits: {name} since {d.onset.isoformat()}, within the first 72 "
                f"hours. A clinician's recorded examination finding no inflammation signs lifts it. {flag.text}"
            ),
            message_patient=(
                f"Your injury is very recent, so we will leave {ctx.area_name(site, patient=True)} alone "
                "for now while it settles. We can still work on other areas."
            ),
        )


@rule(
    "local.strain_sprain_inflammation_gate",
    family=Family.LOCAL,
    flags=("acute_inflammatory_phase",),
    description=(
        "After the first 72 hours, an injured area with heat or redness stays off limits; with swelling "
        "alone only light lymphatic drainage proximal to the injury is used there."
    ),
)
def strain_sprain_inflammation_gate(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    sites = _gated_sites(inp, ctx)
    flag = ctx.flag("acute_inflammatory_phase")
    for item in inp.answers.inflamed_regions:
        if not item.signs or not (conditions := _gated(item.area, sites)):
            continue
        names = ctx.condition_names(conditions)
        if item.signs & HOT_SIGNS:
            yield ctx.finding(
                "acute_inflammatory_phase",
                area=item.area,
                area_off_limits=True,
                message_staff=(
                    f"{ctx.area_name(item.area)} off limits: {names} with {_signs(item)} recorded. {flag.text}"
                ),
                message_patient=(
                    f"We will leave {ctx.area_name(item.area, patient=True)} alone this visit while it is "
                    "warm or red, so it can settle. We can still work on other areas."
                ),
            )
            continue
        allowed = {SWELLING_TECHNIQUE} & set(ctx.catalogue.techniques)
        yield ctx.finding(
            "acute_inflammatory_phase",
            area=item.area,
            forbidden_techniques=set(ctx.catalogue.techniques) - allowed,
            pressure_cap=SWELLING_PRESSURE_CAP,
            message_staff=(
                f"{ctx.area_name(item.area)}: {names} with swelling only. Light lymphatic drainage proximal to "
                f"the injury, nothing else there. {flag.text}"
            ),
            message_patient=(
                f"While {ctx.area_name(item.area, patient=True)} is still a little swollen, we will only use "
                "light strokes above it to help the swelling go down."
            ),
            instructions=("lymphatic_proximal",),
        )


@rule(
    "local.acute_inflammation",
    family=Family.LOCAL,
    flags=("acute_inflammation",),
    description="Any area with swelling, heat or redness recorded is off limits (acute inflammation).",
)
def acute_inflammation(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    # Where an acute-injury gate already covers the area, that condition-specific finding says it.
    sites = _gated_sites(inp, ctx)
    flag = ctx.flag("acute_inflammation")
    for item in inp.answers.inflamed_regions:
        if not item.signs or _gated(item.area, sites):
            continue
        yield ctx.finding(
            "acute_inflammation",
            area=item.area,
            area_off_limits=True,
            message_staff=f"{ctx.area_name(item.area)} off limits: {_signs(item)} recorded. {flag.text}",
            message_patient=(
                f"We will leave {ctx.area_name(item.area, patient=True)} alone this visit while it is "
                "swollen, warm or red. We can still work on other areas."
            ),
        )


@rule(
    "local.open_wound",
    family=Family.LOCAL,
    flags=("open_wound_skin",),
    description="No massage over an open or healing wound, burn or skin infection.",
)
def open_wound(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    flag = ctx.flag("open_wound_skin")
    for area in inp.answers.open_wound_regions:
        yield ctx.finding(
            "open_wound_skin",
            area=area,
            area_off_limits=True,
            message_staff=f"{ctx.area_name(area)} off limits: open or healing wound recorded. {flag.text}",
            message_patient=(
                f"We will not massage over {ctx.area_name(area, patient=True)} while the skin heals. "
                "We can still work on other areas."
            ),
        )


@rule(
    "local.fracture",
    family=Family.LOCAL,
    flags=("fracture_bone_weakness",),
    description="A fracture area is off limits; the visit needs clearance unless one covers the area.",
)
def fracture(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    flag = ctx.flag("fracture_bone_weakness")
    for area in inp.answers.fracture_regions:
        grant = ctx.clearance(FRACTURE_SCOPES, area)
        if grant is None:
            yield ctx.finding(
                "fracture_bone_weakness",
                area=area,
                area_off_limits=True,
                clearance_scope="fracture_site",
                message_staff=(
                    f"{ctx.area_name(area)} off limits: fracture recorded; the referrer's clearance is needed "
                    f"before any work near it. {flag.text}"
                ),
                message_patient=(
                    f"Please talk to your doctor before we treat near {ctx.area_name(area, patient=True)}. "
                    "We will not press on it."
                ),
            )
        else:
            # Cleared to work near the fracture; the flag still says no pressure on the area itself.
            yield ctx.finding(
                "fracture_bone_weakness",
                severity=Decision.PROCEED_WITH_PRECAUTIONS,
                area=area,
                area_off_limits=True,
                message_staff=(
                    f"{ctx.area_name(area)} off limits: fracture recorded; clearance on file from "
                    f"{grant.granted.isoformat()} for work nearby. {flag.text}"
                ),
                message_patient=f"We will not press on {ctx.area_name(area, patient=True)}.",
            )


def _injury_sites(inp: ScreeningInput, region: str) -> tuple[Area, ...]:
    """The injured `region` areas among the diagnoses' and the intake's areas (both sides if none)."""
    found = [a for a in (*(a for d in inp.diagnoses for a in d.areas), *inp.areas) if a.region == region]
    return tuple(dict.fromkeys(found)) or (Area(region, "bilateral"),)


# The Ottawa rules' answers and the region each one is about (REFERENCE §10 [R59, R60]).
OTTAWA_RULES = (
    ("ottawa_ankle", "ankle_foot", "Ottawa ankle rules"),
    ("ottawa_knee", "knee", "Ottawa knee rule"),
)


@rule(
    "local.ottawa_fracture_rules",
    family=Family.LOCAL,
    flags=("rule_out_fracture",),
    description=(
        "After an ankle or knee injury, an Ottawa rule positive: the area waits for imaging (a clearance "
        "for the possible fracture) before local work."
    ),
)
def ottawa_fracture_rules(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    flag = ctx.flag("rule_out_fracture")
    for answer, region, name in OTTAWA_RULES:
        if not getattr(inp.answers, answer):
            continue
        for site in _injury_sites(inp, region):
            grant = ctx.flag_clearance("rule_out_fracture")
            if grant is not None:
                yield ctx.cleared("rule_out_fracture", grant, area=site, what=name)
                continue
            yield ctx.finding(
                "rule_out_fracture",
                area=site,
                area_off_limits=True,
                clearance_scope=FLAG_SCOPE,
                message_staff=(
                    f"{ctx.area_name(site)} off limits: {name} positive at intake; a fracture must be ruled "
                    f"out (imaging) before local work. {flag.text}"
                ),
                message_patient=(
                    f"Your doctor should check {ctx.area_name(site, patient=True)} for a broken bone before "
                    "we work on it. We can still work on other areas."
                ),
            )
