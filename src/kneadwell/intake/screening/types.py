"""Inputs and outputs of the screening engine. Pure Python: no Django imports.

The intake (or referral) is turned into a `ScreeningInput`; `screen()` returns a
`ScreeningResult`. The tailoring engine and every interface (UI, REST, FHIR, CLI)
consume the result, so a gate holds wherever it is asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kneadwell.knowledge.vocabulary import Area, Diagnosis, Pressure

__all__ = ["Area", "Diagnosis", "Pressure"]  # the shared vocabulary, used by the rules as t.Area …


class Decision(StrEnum):
    """Ordered from least to most restrictive; `max()` of decisions is the most restrictive."""

    PROCEED = "proceed"
    PROCEED_WITH_PRECAUTIONS = "proceed_with_precautions"
    NEEDS_CLEARANCE = "needs_clearance"
    DEFER = "defer"
    REFER_OUT = "refer_out"

    @property
    def rank(self) -> int:
        return list(Decision).index(self)

    # Compare by restrictiveness, not alphabetically as str would.
    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        return self.rank < Decision(other).rank  # type: ignore[arg-type]

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        return self.rank <= Decision(other).rank  # type: ignore[arg-type]

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        return self.rank > Decision(other).rank  # type: ignore[arg-type]

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        return self.rank >= Decision(other).rank  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class InflamedArea:
    area: Area
    signs: frozenset[str]  # subset of {"swelling", "heat", "redness"}


@dataclass(frozen=True, slots=True)
class RecentSurgery:
    date: dt.date
    area: Area


@dataclass(frozen=True, slots=True)
class HealthAnswers:
    """The health-history screening answers (ids fixed by the care-pathway issue)."""

    fever: bool = False
    suspected_dvt: bool = False
    anticoagulants: bool = False
    bleeding_disorder: bool = False
    recent_surgery: tuple[RecentSurgery, ...] = ()
    open_wound_regions: tuple[Area, ...] = ()
    fracture_regions: tuple[Area, ...] = ()
    osteoporosis: bool = False
    cancer: bool = False
    pregnancy: str = "no"  # "no" | "low_risk" | "high_risk"
    inflamed_regions: tuple[InflamedArea, ...] = ()
    thunderclap_headache: bool = False
    neuro_deficit: bool = False
    headache_onset_after_50: bool = False
    systemic_symptoms: bool = False
    cervical_arterial_signs: bool = False
    whiplash_high_risk: bool = False
    cauda_equina_signs: bool = False
    progressive_weakness: bool = False


@dataclass(frozen=True, slots=True)
class ClearanceGrant:
    """A provider's clearance on file, e.g. scope "scar_work" at the right knee."""

    scope: str
    area: Area | None
    granted: dt.date
    expires: dt.date | None = None

    def in_force(self, on: dt.date) -> bool:
        return self.granted <= on and (self.expires is None or on <= self.expires)


@dataclass(frozen=True, slots=True)
class ScreeningInput:
    on: dt.date  # the date screened for (the session's local date)
    birth_date: dt.date | None
    diagnoses: tuple[Diagnosis, ...]
    areas: tuple[Area, ...]  # areas of concern, most important first
    answers: HealthAnswers = field(default_factory=HealthAnswers)
    clearances: tuple[ClearanceGrant, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict, with everything a person needs to see why."""

    code: str  # stable id, usually the catalogue flag id
    rule: str  # the rule that produced it (registry id)
    severity: Decision
    message_staff: str
    message_patient: str
    sources: tuple[str, ...]  # catalogue source ids
    area: Area | None = None  # None: the whole visit
    # Effects for planning. A local finding (area set) restricts that area only.
    area_off_limits: bool = False
    forbidden_techniques: frozenset[str] = frozenset()  # at `area`, or everywhere when area is None
    pressure_cap: Pressure | None = None
    verified: bool = True


@dataclass(frozen=True, slots=True)
class Chronicity:
    condition: str
    label: str  # acute | subacute | chronic
    rule_text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    decision: Decision
    findings: tuple[Finding, ...]
    restricted_areas: tuple[Area, ...]  # areas off limits for this visit
    chronicity: tuple[Chronicity, ...]
    pressure_cap: Pressure | None  # the lowest cap of all findings

    @property
    def blocked(self) -> bool:
        """No session at all: the visit is deferred or the patient referred out."""
        return self.decision in (Decision.DEFER, Decision.REFER_OUT)

    def forbidden_at(self, area: Area) -> frozenset[str]:
        """Techniques that must not be used at `area`."""
        out: set[str] = set()
        for f in self.findings:
            if f.area is None or f.area.covers(area) or area.covers(f.area):
                out |= f.forbidden_techniques
        return frozenset(out)

    def off_limits(self, area: Area) -> bool:
        return any(r.covers(area) or area.covers(r) for r in self.restricted_areas)

    def to_dict(self, *, for_patient: bool = False) -> dict[str, Any]:
        """Plain JSON-able data. A patient sees the plain-words message, never the staff one."""
        return {
            "decision": self.decision.value,
            "blocked": self.blocked,
            "chronicity": [
                {"condition": c.condition, "label": c.label, "rule": c.rule_text, "sources": list(c.sources)}
                for c in self.chronicity
            ],
            "findings": [
                {
                    "code": f.code,
                    "rule": f.rule,
                    "severity": f.severity.value,
                    "region": f.area.region if f.area else None,
                    "side": f.area.side if f.area else None,
                    "message_staff": "" if for_patient else f.message_staff,
                    "message_patient": f.message_patient,
                    "sources": list(f.sources),
                    "verified": f.verified,
                    "area_off_limits": f.area_off_limits,
                    "forbidden_techniques": sorted(f.forbidden_techniques),
                    "pressure_cap": f.pressure_cap.value if f.pressure_cap else None,
                }
                for f in self.findings
            ],
            "restricted_regions": [{"region": a.region, "side": a.side} for a in self.restricted_areas],
            "pressure_cap": self.pressure_cap.value if self.pressure_cap else None,
        }
