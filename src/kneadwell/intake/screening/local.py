"""Local contraindications: an area is off limits, the rest of the visit goes ahead. REFERENCE §1.3.

A local finding carries the area and ``area_off_limits=True``; it makes the visit at least
``proceed_with_precautions`` (fracture: ``needs_clearance``, as the catalogue flag says), never blocks it.
"""

from __future__ import annotations

from collections.abc import Iterator

from .registry import Family, RuleContext, rule
from .types import Area, Decision, Finding, InflamedArea, ScreeningInput

# The inflammation signs the intake records (issue 3: swelling, heat, redness).
INFLAMMATION_SIGNS = frozenset({"swelling", "heat", "redness"})

# Clearance scope that lets the clinic work near (not on) a fracture (referrals.ClearanceScope).
FRACTURE_SCOPES = ("fracture_site",)


def _signs(item: InflamedArea) -> str:
    return ", ".join(sorted(item.signs))


def _gated_sites(inp: ScreeningInput, ctx: RuleContext) -> tuple[tuple[str, Area], ...]:
    """(condition key, site) for diagnosed conditions whose catalogue entry has an inflammation gate.

    The injured site comes from the diagnosis, else from the intake's areas of concern (the
    catalogue's ``regions_scope = "from_intake"``).
    """
    out: list[tuple[str, Area]] = []
    for d in inp.diagnoses:
        if ctx.catalogue.conditions[d.condition].inflammation_gate:
            out += [(d.condition, site) for site in (d.areas or inp.areas)]
    return tuple(out)


def _gated(area: Area, sites: tuple[tuple[str, Area], ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key for key, site in sites if site.covers(area) or area.covers(site)))


@rule(
    "local.strain_sprain_inflammation_gate",
    family=Family.LOCAL,
    flags=("acute_inflammatory_phase",),
    description="A strained or sprained area is off limits while swelling, heat or redness are recorded for it.",
)
def strain_sprain_inflammation_gate(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    sites = _gated_sites(inp, ctx)
    flag = ctx.flag("acute_inflammatory_phase")
    for item in inp.answers.inflamed_regions:
        if not item.signs or not (conditions := _gated(item.area, sites)):
            continue
        yield ctx.finding(
            "acute_inflammatory_phase",
            area=item.area,
            area_off_limits=True,
            message_staff=(
                f"{ctx.area_name(item.area)} off limits: {ctx.condition_names(conditions)} with "
                f"{_signs(item)} recorded. {flag.text}"
            ),
            message_patient=(
                f"We will leave {ctx.area_name(item.area, patient=True)} alone this visit while it is "
                "swollen, warm or red, so it can settle. We can still work on other areas."
            ),
        )


@rule(
    "local.acute_inflammation",
    family=Family.LOCAL,
    flags=("acute_inflammation",),
    description="Any area with swelling, heat or redness recorded is off limits (acute inflammation).",
)
def acute_inflammation(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    # Where a strain/sprain gate already covers the area, that condition-specific finding says it.
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
                message_staff=(
                    f"{ctx.area_name(area)} off limits: fracture recorded; clearance needed "
                    f"(scope fracture_site). {flag.text}"
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
