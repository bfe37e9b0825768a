"""Small builders for tailoring tests: screening results are constructed directly from types.py."""

from __future__ import annotations

from kneadwell.intake.screening.types import Decision, Finding, ScreeningResult
from kneadwell.knowledge.vocabulary import Area, Diagnosis, Pressure
from kneadwell.planning.tailoring import PlanRequest

CLEAR = ScreeningResult(
    decision=Decision.PROCEED, findings=(), restricted_areas=(), chronicity=(), pressure_cap=None
)


def finding(
    code: str = "test_finding",
    *,
    severity: Decision = Decision.PROCEED_WITH_PRECAUTIONS,
    area: Area | None = None,
    off_limits: bool = False,
    forbidden: frozenset[str] = frozenset(),
    cap: Pressure | None = None,
    sources: tuple[str, ...] = ("R37",),
) -> Finding:
    return Finding(
        code=code,
        rule=f"test.{code}",
        severity=severity,
        message_staff=f"staff: {code}",
        message_patient=f"patient: {code}",
        sources=sources,
        area=area,
        area_off_limits=off_limits,
        forbidden_techniques=forbidden,
        pressure_cap=cap,
    )


def screening(*findings: Finding, decision: Decision | None = None) -> ScreeningResult:
    """A result consistent with its findings: most restrictive decision, lowest cap."""
    caps = [f.pressure_cap for f in findings if f.pressure_cap is not None]
    return ScreeningResult(
        decision=decision or max((f.severity for f in findings), default=Decision.PROCEED),
        findings=findings,
        restricted_areas=tuple(f.area for f in findings if f.area_off_limits and f.area is not None),
        chronicity=(),
        pressure_cap=min(caps, key=lambda p: p.rank) if caps else None,
    )


def request(**overrides: object) -> PlanRequest:
    defaults: dict[str, object] = {
        "service_family": "therapeutic",
        "hands_on_minutes": 60,
        "diagnoses": (),
        "areas": (),
        "screening": CLEAR,
        "therapist_trainings": frozenset({"swedish"}),
        "pressure_preference": Pressure.MEDIUM,
    }
    defaults.update(overrides)
    return PlanRequest(**defaults)  # type: ignore[arg-type]


def dx(condition: str, *areas: Area, side: str | None = None) -> Diagnosis:
    return Diagnosis(condition=condition, side=side, areas=areas)
