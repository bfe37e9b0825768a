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
    def __lt__(self, other: object) -> bool:
        return self.rank < Decision(str(other)).rank

    def __le__(self, other: object) -> bool:
        return self.rank <= Decision(str(other)).rank

    def __gt__(self, other: object) -> bool:
        return self.rank > Decision(str(other)).rank

    def __ge__(self, other: object) -> bool:
        return self.rank >= Decision(str(other)).rank


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
    """The health-history screening answers. Every flag in the catalogue is fired by one of them (or by
    the diagnosis); `intake/questions.py` words each question for staff and for patients."""

    fever: bool = False
    suspected_dvt: bool = False  # a known (or doctor-suspected) clot: "has a doctor told you …"
    clot_regions: tuple[Area, ...] = ()  # where that clot is or was
    clot_signs: bool = False  # new one-sided calf or leg swelling, pain or warmth (Wells)
    anticoagulants: bool = False
    bleeding_disorder: bool = False
    recent_surgery: tuple[RecentSurgery, ...] = ()
    open_wound_regions: tuple[Area, ...] = ()
    fracture_regions: tuple[Area, ...] = ()
    osteoporosis: bool = False
    cancer: bool = False
    cancer_active_treatment: bool | None = None  # None: not asked (an older intake)
    cancer_bone_regions: tuple[Area, ...] = ()
    lymph_node_regions: tuple[Area, ...] = ()  # a region of the limb whose lymph nodes were removed
    pregnancy: str = "no"  # "no" | "low_risk" | "high_risk"
    pregnancy_weeks: int | None = None  # completed weeks of gestation, 0–42
    pregnancy_warning_signs: bool = False
    inflamed_regions: tuple[InflamedArea, ...] = ()
    unexplained_pain: bool = False
    nerve_skin_heart: bool = False
    touch_history: bool = False
    thunderclap_headache: bool = False  # peak within a minute
    headache_peak_within_hour: bool = False
    headache_pattern_change: bool = False  # new, worst-ever or changed
    headache_positional: bool = False
    headache_valsalva: bool = False
    papilledema: bool = False
    headache_cognitive_change: bool = False
    neuro_deficit: bool = False
    headache_onset_after_50: bool = False
    systemic_symptoms: bool = False
    cervical_arterial_signs: bool = False
    whiplash_high_risk: bool = False  # the older combined question; still counts when answered
    neck_injury_unassessed: bool = False
    neck_midline_tenderness: bool = False
    neck_dangerous_mechanism: bool = False
    limb_paresthesia: bool = False
    neck_rotation_limited: bool = False
    cauda_equina_signs: bool = False
    progressive_weakness: bool = False
    ottawa_ankle: bool = False
    ottawa_knee: bool = False
    steroid_injection_date: dt.date | None = None
    tendon_rupture_signs: bool = False
    jaw_trauma: bool = False
    jaw_locked: bool = False
    shoulder_not_examined: bool = False


@dataclass(frozen=True, slots=True)
class ClearanceGrant:
    """A provider's clearance on file, e.g. scope "scar_work" at the right knee, or scope "flag" for
    one catalogue flag (a documented medical evaluation of, say, a headache that began after 50)."""

    scope: str
    area: Area | None
    granted: dt.date
    expires: dt.date | None = None
    flag: str = ""  # the catalogue flag a "flag" clearance is for
    provider: str = ""  # who gave it, for the finding's words
    note: str = ""  # the precautions the clearance states

    def in_force(self, on: dt.date) -> bool:
        return self.granted <= on and (self.expires is None or on <= self.expires)


@dataclass(frozen=True, slots=True)
class InflammationCheck:
    """A clinician's recorded examination: no signs of inflammation at `area` on `on` (name and reason kept).

    It lifts the first-72-hours hold on an acute injury at that area from that date (issue 7, REFERENCE
    §7A: gate on documented signs plus clinician override, not a timer alone).
    """

    area: Area
    on: dt.date
    clinician: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScreeningInput:
    on: dt.date  # the date screened for (the session's local date)
    birth_date: dt.date | None
    diagnoses: tuple[Diagnosis, ...]
    areas: tuple[Area, ...]  # areas of concern, most important first
    answers: HealthAnswers = field(default_factory=HealthAnswers)
    clearances: tuple[ClearanceGrant, ...] = ()
    inflammation_checks: tuple[InflammationCheck, ...] = ()

    @property
    def age(self) -> int | None:
        """Whole years on the screening date, from the birth date (None when it is not known)."""
        if self.birth_date is None:
            return None
        born = self.birth_date
        return self.on.year - born.year - ((self.on.month, self.on.day) < (born.month, born.day))


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
    pressure_cap: Pressure | None = None  # at `area`, or for the whole visit when area is None
    verified: bool = True
    # The clearance that would lift it (a referrals.ClearanceScope key: "flag" = a clearance naming
    # this finding's flag); "" when no clearance can (a fever is waited out).
    clearance_scope: str = ""
    # Visit instructions the finding asks the plan to carry (tailoring keys, e.g. "side_lying").
    instructions: tuple[str, ...] = ()

    @property
    def holds_visit(self) -> bool:
        """This finding stops the whole visit: a referral out, a deferral, or a clearance the visit waits for."""
        if self.severity in (Decision.DEFER, Decision.REFER_OUT):
            return True
        return self.severity == Decision.NEEDS_CLEARANCE and self.area is None


@dataclass(frozen=True, slots=True)
class Chronicity:
    condition: str
    label: str  # acute | subacute | chronic
    rule_text: str
    sources: tuple[str, ...]
    stage: str = ""  # the condition's stage key on the screening date ("freezing"), when it has stages
    stage_label: str = ""


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    decision: Decision
    findings: tuple[Finding, ...]
    restricted_areas: tuple[Area, ...]  # areas off limits for this visit
    chronicity: tuple[Chronicity, ...]
    pressure_cap: Pressure | None  # the lowest cap for the whole visit (findings without an area)

    @property
    def blocked(self) -> bool:
        """No session at all: the visit is deferred, the patient referred out, or the whole visit waits
        for a clearance (a high-risk pregnancy, a known clot). Local holds restrict areas only."""
        return any(f.holds_visit for f in self.findings)

    @property
    def holds(self) -> tuple[Finding, ...]:
        """The findings that hold the whole visit (see `Finding.holds_visit`)."""
        return tuple(f for f in self.findings if f.holds_visit)

    def pressure_cap_at(self, area: Area) -> Pressure | None:
        """The lowest cap that applies at `area`: the visit's, or a finding's at that area."""
        caps = [
            f.pressure_cap
            for f in self.findings
            if f.pressure_cap is not None and (f.area is None or f.area.covers(area) or area.covers(f.area))
        ]
        return min(caps, key=lambda p: p.rank) if caps else None

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
                {
                    "condition": c.condition,
                    "label": c.label,
                    "rule": c.rule_text,
                    "sources": list(c.sources),
                    "stage": c.stage,
                }
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
                    "holds_visit": f.holds_visit,
                    "clearance_scope": f.clearance_scope,
                }
                for f in self.findings
            ],
            "restricted_regions": [{"region": a.region, "side": a.side} for a in self.restricted_areas],
            "pressure_cap": self.pressure_cap.value if self.pressure_cap else None,
        }
