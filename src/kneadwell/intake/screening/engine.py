"""`screen()`: run every registered rule over an intake and combine the findings into one result.

Pure and deterministic: the same input and catalogue always give the same result (no clock, no
database). Interfaces validate their input first; the checks here are a safety net that names the
offending key, so a typo can never silently skip a rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from kneadwell.knowledge import catalogue as cat
from kneadwell.knowledge import chronicity as chron
from kneadwell.knowledge import types as ktypes

from .local import INFLAMMATION_SIGNS
from .registry import RuleContext, rules
from .types import (
    Area,
    Chronicity,
    Decision,
    Finding,
    Pressure,
    ScreeningInput,
    ScreeningResult,
)

PREGNANCY_ANSWERS = ("no", "low_risk", "high_risk")
# Weeks of gestation the intake accepts (a pregnancy lasts up to about 42 weeks).
PREGNANCY_WEEKS = range(0, 43)


def _check_area(area: Area, field: str, catalogue: ktypes.Catalogue) -> None:
    region = catalogue.regions.get(area.region)
    if region is None:
        raise ValueError(f"{field}: unknown region {area.region!r}")
    if area.side is not None and area.side not in region.sides:
        allowed = ", ".join(region.sides) or "no side (midline region)"
        raise ValueError(f"{field}: side {area.side!r} is not valid for region {area.region!r} ({allowed})")


def validate(inp: ScreeningInput, catalogue: ktypes.Catalogue) -> None:
    """Raise ValueError naming the first unknown key or impossible value in the input."""
    answers = inp.answers
    for d in inp.diagnoses:
        if d.condition not in catalogue.conditions:
            raise ValueError(f"diagnoses: unknown condition {d.condition!r}")
        if d.onset is not None and d.onset > inp.on:
            raise ValueError(
                f"diagnoses: onset {d.onset.isoformat()} of {d.condition!r} is after {inp.on.isoformat()}"
            )
        for area in d.areas:
            _check_area(area, f"diagnoses[{d.condition}].areas", catalogue)
    checks: list[tuple[str, Iterable[Area]]] = [
        ("areas", inp.areas),
        ("open_wound_regions", answers.open_wound_regions),
        ("fracture_regions", answers.fracture_regions),
        ("recent_surgery", (s.area for s in answers.recent_surgery)),
        ("inflamed_regions", (i.area for i in answers.inflamed_regions)),
        ("clot_regions", answers.clot_regions),
        ("cancer_bone_regions", answers.cancer_bone_regions),
        ("lymph_node_regions", answers.lymph_node_regions),
        ("clearances", (c.area for c in inp.clearances if c.area is not None)),
        ("inflammation_checks", (c.area for c in inp.inflammation_checks)),
    ]
    for field, areas in checks:
        for area in areas:
            _check_area(area, field, catalogue)
    for item in answers.inflamed_regions:
        if unknown := sorted(set(item.signs) - INFLAMMATION_SIGNS):
            raise ValueError(f"inflamed_regions: unknown sign(s) {unknown}")
    for surgery in answers.recent_surgery:
        if surgery.date > inp.on:
            raise ValueError(f"recent_surgery: date {surgery.date.isoformat()} is after {inp.on.isoformat()}")
    if answers.pregnancy not in PREGNANCY_ANSWERS:
        raise ValueError(f"pregnancy: {answers.pregnancy!r} is not one of {PREGNANCY_ANSWERS}")
    if answers.pregnancy_weeks is not None and answers.pregnancy_weeks not in PREGNANCY_WEEKS:
        raise ValueError(f"pregnancy_weeks: {answers.pregnancy_weeks} is not between 0 and 42")
    if answers.steroid_injection_date is not None and answers.steroid_injection_date > inp.on:
        raise ValueError(
            f"steroid_injection_date: {answers.steroid_injection_date.isoformat()} is after {inp.on.isoformat()}"
        )
    for grant in inp.clearances:
        if grant.flag and grant.flag not in catalogue.flags:
            raise ValueError(f"clearances: unknown flag {grant.flag!r}")


def chronicity(inp: ScreeningInput, catalogue: ktypes.Catalogue) -> tuple[Chronicity, ...]:
    """Acute / subacute / chronic, and the stage where the condition has stages, for each diagnosis with
    an onset and a chronicity rule (REFERENCE §2)."""
    out: list[Chronicity] = []
    for d in inp.diagnoses:
        condition = catalogue.conditions[d.condition]
        rule = condition.chronicity
        if d.onset is None or rule is None:
            continue  # no onset recorded, or no rule (e.g. relaxation is not a clinical condition)
        result = chron.chronicity(d.condition, d.onset, inp.on, rule=rule)
        stage = condition.stage_on(d.onset, inp.on)
        out.append(
            Chronicity(
                d.condition,
                result.label,
                result.rule_text,
                result.source_ids,
                stage=stage.key if stage else "",
                stage_label=stage.label if stage else "",
            )
        )
    return tuple(out)


def decide(findings: Iterable[Finding]) -> Decision:
    """The most restrictive severity: refer_out > defer > needs_clearance > precautions > proceed."""
    return max((f.severity for f in findings), default=Decision.PROCEED)


def lowest_cap(findings: Iterable[Finding]) -> Pressure | None:
    """The lowest cap for the whole visit; a finding with an area caps that area only (`pressure_cap_at`)."""
    caps = [f.pressure_cap for f in findings if f.pressure_cap is not None and f.area is None]
    return min(caps, key=lambda p: p.rank) if caps else None


def restricted(findings: Iterable[Finding]) -> tuple[Area, ...]:
    return tuple(dict.fromkeys(f.area for f in findings if f.area_off_limits and f.area is not None))


def screen(inp: ScreeningInput, *, catalogue: ktypes.Catalogue | None = None) -> ScreeningResult:
    """Screen an intake: every rule's findings, the visit's decision, restricted areas and chronicity.

    Raises ValueError for an unknown condition, region, side, sign or pregnancy answer, and for an
    onset or surgery date after the screening date (the API answers 422).
    """
    catalogue = catalogue or cat.catalogue()
    validate(inp, catalogue)
    ctx = RuleContext(inp, catalogue)
    findings = tuple(f for r in rules() for f in r.run(inp, ctx))
    return ScreeningResult(
        decision=decide(findings),
        findings=findings,
        restricted_areas=restricted(findings),
        chronicity=chronicity(inp, catalogue),
        pressure_cap=lowest_cap(findings),
    )
