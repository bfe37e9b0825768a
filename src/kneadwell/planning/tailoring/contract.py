"""What the tailoring engine takes and gives: the plan request, and the session plan with its segments
and rationale. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kneadwell.intake.screening.types import Finding, ScreeningResult
from kneadwell.knowledge.vocabulary import (
    Area,
    Diagnosis,
    Pressure,
)
from kneadwell.planning.consents import ConsentGate
from kneadwell.planning.learning import Finding as LearnedFinding
from kneadwell.planning.learning import PainfulTechnique
from kneadwell.planning.settings import DEFAULT_SETTINGS, TailoringSettings


@dataclass(frozen=True, slots=True)
class PressureFeedback:
    """What the patient said about pressure at an area last session (S17)."""

    area: Area
    feedback: str  # too_light | ok | too_deep


@dataclass(frozen=True, slots=True)
class Colleague:
    """Another therapist who could take the patient: their name and trained technique keys (S12)."""

    name: str
    trainings: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRequest:
    service_family: str  # relaxation | therapeutic | spot_work
    hands_on_minutes: int
    diagnoses: tuple[Diagnosis, ...] = ()
    areas: tuple[Area, ...] = ()  # areas of concern, most important first
    screening: ScreeningResult
    therapist_trainings: frozenset[str] = frozenset()  # technique keys
    pressure_preference: Pressure | None = None
    lighting: str = ""  # "" | soft | bright
    music: str = ""  # "" | calm | none
    last_feedback: tuple[PressureFeedback, ...] = ()
    first_visit: bool = False
    avoid_areas: tuple[Area, ...] = ()  # areas the patient asked us not to work on
    colleagues: tuple[Colleague, ...] = ()  # other therapists, named when this one is not trained
    settings: TailoringSettings = DEFAULT_SETTINGS
    # Consents and the last signed note (the hooks are in engine.py's last section).
    consent_gates: tuple[ConsentGate, ...] = ()  # work left out for a missing consent
    learned_focus: tuple[LearnedFinding, ...] = ()  # last note's findings: regions to focus on
    painful_techniques: tuple[PainfulTechnique, ...] = ()  # raised pain last time: not first again


@dataclass(frozen=True, slots=True)
class Segment:
    region: str
    side: str | None
    minutes: int
    techniques: tuple[str, ...]  # in phase order: warm-up → specific → stretching → finishing
    role: str  # focus | related | general
    # A ceiling below the session's range at this area (a local cap, the stage, light-only techniques).
    pressure_max: Pressure | None = None
    notes: tuple[str, ...] = ()  # plain sentences for the therapist at this area

    @property
    def area(self) -> Area:
        return Area(self.region, self.side)

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "side": self.side,
            "minutes": self.minutes,
            "techniques": list(self.techniques),
            "role": self.role,
            "pressure_max": self.pressure_max.value if self.pressure_max else None,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Rationale:
    """Why one decision was taken: the rule, its source (catalogue id, "clinic_setting" or None)."""

    rule: str
    source: str | None
    text: str
    verified: bool = True  # False when the decision rests on catalogue items marked unverified

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "source": self.source, "text": self.text, "verified": self.verified}


@dataclass(frozen=True, slots=True)
class SessionPlan:
    blocked: bool
    reasons: tuple[str, ...]
    segments: tuple[Segment, ...]
    pressure: tuple[Pressure, Pressure] | None  # (min, max); None when blocked
    instructions: tuple[str, ...]
    ambience: dict[str, str]
    precautions: tuple[Finding, ...]
    rationale: tuple[Rationale, ...]
    unblock: tuple[str, ...] = ()  # what would let a blocked visit go ahead (screening holds)

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.segments)

    @property
    def techniques(self) -> frozenset[str]:
        return frozenset(t for s in self.segments for t in s.techniques)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, in the shape the API and CLI show."""
        return {
            "blocked": self.blocked,
            "reasons": list(self.reasons),
            "unblock": list(self.unblock),
            "segments": [s.to_dict() for s in self.segments],
            "pressure": None
            if self.pressure is None
            else {"min": self.pressure[0].value, "max": self.pressure[1].value},
            "instructions": list(self.instructions),
            "ambience": dict(self.ambience),
            "precautions": [_finding_dict(f) for f in self.precautions],
            "rationale": [r.to_dict() for r in self.rationale],
        }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message_staff": finding.message_staff,
        "sources": list(finding.sources),
        "region": finding.area.region if finding.area else None,
        "side": finding.area.side if finding.area else None,
        "verified": finding.verified,
    }
