"""The tailoring engine: one session plan per patient, per visit, explained rule by rule.

DESIGN §3 S10, S13–S18 and §6 "Tailoring". From the service family and length, the diagnoses and
areas of concern, the screening result, the therapist's trainings, the patient's preferences and
the last session's pressure feedback, `plan_session()` builds a plan: segments (region, side,
minutes, techniques, role), a pressure range, visit instructions, ambience, precautions and a
rationale entry for every decision.

Pure Python: no Django, no database, deterministic. Clinical content comes only from the
catalogue (`kneadwell.knowledge`) and the screening result; how minutes are shared out is a clinic
setting (`planning/settings.py`), labelled as such in the rationale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from kneadwell.intake.screening.types import Decision, Finding, ScreeningResult
from kneadwell.knowledge.catalogue import catalogue as load_catalogue
from kneadwell.knowledge.types import LATERALITIES, Catalogue, Condition
from kneadwell.knowledge.vocabulary import (
    FEEDBACK_VALUES,
    LIGHTING_VALUES,
    MUSIC_VALUES,
    SERVICE_FAMILIES,
    Area,
    Diagnosis,
    Pressure,
)
from kneadwell.planning.consents import POLICY_NOTE, ConsentGate
from kneadwell.planning.learning import Finding as LearnedFinding
from kneadwell.planning.learning import PainfulTechnique
from kneadwell.planning.settings import CLINIC_SETTING, DEFAULT_SETTINGS, TailoringSettings

ROLES = ("focus", "related", "general")

# The source document (A1): tailoring, stretches → loose clothing, spot work, ambience, feedback.
ARTICLE = "A1"

# Techniques whose catalogue description ties them to the problem site itself (the scar, the
# inside of the jaw, the tendon insertion): planned only on focus segments where the condition
# that lists them applies, never on related or general work.
SITE_SPECIFIC = frozenset({"scar_mobilization", "intraoral_tmj", "cross_fiber_friction"})
# Intraoral work reaches the masseter and pterygoids, which the catalogue files under `jaw`.
INTRAORAL_REGION = "jaw"
SWEDISH = "swedish"


# --- Rule registry -------------------------------------------------------------------------------

# Every rationale entry a plan can carry, for docs/clinical-rules.md. `source` is where the rule
# comes from: a catalogue source id, "clinic_setting", "catalogue" (the condition's own cited basis,
# named in each plan), or "screening" (the finding's sources). Screening findings passed through
# to a blocked plan carry the rule id `screening.<rule>` of the screening registry.
RULES: dict[str, tuple[str, str]] = {
    "tailoring.family.therapeutic": (
        ARTICLE,
        "Therapeutic: most time on the areas of concern, other muscle groups with the rest (S10, S14).",
    ),
    "tailoring.family.spot_work": (
        ARTICLE,
        "Spot work: the single primary area of concern, all the time (S15).",
    ),
    "tailoring.family.whole_body": (
        ARTICLE,
        "A therapeutic visit whose only condition is relaxation, with no area of concern, covers the whole body "
        "without a focus.",
    ),
    "tailoring.family.relaxation": (
        CLINIC_SETTING,
        "Relaxation: the clinic's whole-body template, Swedish work.",
    ),
    "tailoring.blocked.screening": (
        "screening",
        "Screening defers or refers out: no plan, with the blocking findings as reasons.",
    ),
    "tailoring.blocked.no_workable_region": (
        "screening",
        "Every candidate region is restricted or avoided: no plan.",
    ),
    "tailoring.restricted_area": (
        "screening",
        "A region screening restricts (or the patient avoids) is never planned.",
    ),
    "tailoring.restricted_side": (
        "screening",
        "A bilateral area with one restricted side keeps the other side.",
    ),
    "tailoring.focus.from_conditions": (
        "catalogue",
        "No area recorded: focus on the diagnosed conditions' listed regions.",
    ),
    "tailoring.focus.all_restricted": (
        "screening",
        "All areas of concern restricted: related and general work only, said in the reasons.",
    ),
    "tailoring.spot_work.primary": (ARTICLE, "Spot work covers the first workable area of concern only."),
    "tailoring.allocation.focus_share": (
        CLINIC_SETTING,
        "Focus regions get the majority of the minutes (default 67 %, to the nearest minute).",
    ),
    "tailoring.allocation.priority": (
        CLINIC_SETTING,
        "Focus minutes are split by the order of the areas of concern.",
    ),
    "tailoring.allocation.merged": (
        CLINIC_SETTING,
        "A non-focus share below the minimum segment goes to the focus regions.",
    ),
    "tailoring.allocation.focus_only": (
        CLINIC_SETTING,
        "No related or general region can be worked: all minutes to the focus.",
    ),
    "tailoring.allocation.general": (
        CLINIC_SETTING,
        "No workable related muscle group: the rest goes to general Swedish work.",
    ),
    "tailoring.allocation.dropped": (
        CLINIC_SETTING,
        "Regions that do not fit at the minimum segment length are left out, lowest priority first.",
    ),
    "tailoring.techniques.focus": (
        "catalogue",
        "Focus techniques: listed by the condition, trained, not forbidden by screening at the area.",
    ),
    "tailoring.techniques.related": (
        "catalogue",
        "Related techniques: Swedish plus the condition's techniques, trained and allowed; no site-specific work.",
    ),
    "tailoring.techniques.general": (
        CLINIC_SETTING,
        "General and relaxation work: Swedish, if trained and allowed.",
    ),
    "tailoring.techniques.untrained": (
        ARTICLE,
        "No trained technique for an area: the front desk should match another therapist (S12).",
    ),
    "tailoring.techniques.order": (
        CLINIC_SETTING,
        "Techniques ordered warm-up → specific → stretching → finishing (clinic convention).",
    ),
    "tailoring.pressure.preference": (
        CLINIC_SETTING,
        "Pressure range: the preferred level and one level below it.",
    ),
    "tailoring.pressure.feedback": (
        ARTICLE,
        "Last session's 'too deep' lowers the range one level; 'too light' raises it (S17).",
    ),
    "tailoring.pressure.cap": ("screening", "The range never exceeds screening's pressure cap."),
    "tailoring.instructions.loose_clothing": (
        ARTICLE,
        "Stretching planned → wear loose-fitting clothing or active-wear (S16).",
    ),
    "tailoring.instructions.first_visit": (
        CLINIC_SETTING,
        "First visit → bring the referral and arrive early.",
    ),
    "tailoring.instructions.spot_work_timing": (
        ARTICLE,
        "Spot work → timing instructions next to the host visit (S15).",
    ),
    "tailoring.ambience": (
        ARTICLE,
        "Lighting and music from the patient's preference, else the clinic default (S13).",
    ),
    "tailoring.precaution": (
        "screening",
        "Precautions and clearances from screening are shown with the plan.",
    ),
    # Issue 11: consents and what the last signed note says (planning/consents.py, planning/learning.py).
    "tailoring.consent.technique": (
        CLINIC_SETTING,
        "A technique that needs a consent the patient has not given is not planned (clinic consent policy).",
    ),
    "tailoring.consent.region": (
        CLINIC_SETTING,
        "A sensitive area is not planned without the patient's consent to work there (clinic consent policy).",
    ),
    "tailoring.learn.focus": (
        ARTICLE,
        "A finding in the last signed note (trigger point, tone, adhesion, tenderness, pain) makes its region a focus.",
    ),
    "tailoring.learn.painful": (
        ARTICLE,
        "A technique that raised pain at a region last session is not used first there this time.",
    ),
}


# --- Contract ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PressureFeedback:
    """What the patient said about pressure at an area last session (S17)."""

    area: Area
    feedback: str  # too_light | ok | too_deep


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
    settings: TailoringSettings = DEFAULT_SETTINGS
    # Issue 11 (see the section at the end of this module): consents and the last signed note.
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


# --- Minutes -----------------------------------------------------------------------------------


def apportion(total: int, weights: Sequence[int], minimum: int) -> list[int]:
    """Whole minutes in proportion to `weights`, summing exactly to `total`, none below `minimum`.

    Entries whose share would fall below the minimum are held at the minimum and the rest is shared
    again among the others; rounding uses the largest remainder, ties to the earlier entry, so the
    answer is deterministic. Needs ``len(weights) * minimum <= total``.
    """
    n = len(weights)
    if n == 0 or min(weights) <= 0:
        raise ValueError("apportion needs one or more positive weights")
    if n * minimum > total:
        raise ValueError(f"{n} segments of at least {minimum} minutes do not fit in {total}")
    held: set[int] = set()
    while True:
        free = [i for i in range(n) if i not in held]
        remaining = total - minimum * len(held)
        weight_sum = sum(weights[i] for i in free)
        quotas = {i: Fraction(remaining * weights[i], weight_sum) for i in free}
        below = {i for i in free if quotas[i] < minimum}
        if not below:
            break
        # Safe: the free entries' mean quota is >= minimum, so not all of them fall below it.
        held |= below
    out = [minimum] * n
    for i in free:
        out[i] = math.floor(quotas[i])
    leftover = remaining - sum(out[i] for i in free)
    by_remainder = sorted(free, key=lambda i: (-(quotas[i] - math.floor(quotas[i])), i))
    for i in by_remainder[:leftover]:
        out[i] += 1
    return out


# --- Engine ------------------------------------------------------------------------------------


def plan_session(req: PlanRequest, *, catalogue: Catalogue | None = None) -> SessionPlan:
    """The session plan for one visit. Raises ValueError naming the field for unknown keys."""
    cat = catalogue or load_catalogue()
    _validate(req, cat)
    return _Planner(req, cat).plan()


def _validate(req: PlanRequest, cat: Catalogue) -> None:
    def check_area(a: Area, fld: str) -> None:
        if a.region not in cat.regions:
            raise ValueError(f"{fld}: unknown region {a.region!r}")
        if a.side is not None and a.side not in LATERALITIES:
            raise ValueError(f"{fld}: unknown side {a.side!r} for {a.region!r}")

    if req.service_family not in SERVICE_FAMILIES:
        raise ValueError(f"service_family: {req.service_family!r} is not one of {SERVICE_FAMILIES}")
    if req.hands_on_minutes < 1:
        raise ValueError("hands_on_minutes: must be at least 1")
    for d in req.diagnoses:
        if d.condition not in cat.conditions:
            raise ValueError(f"diagnoses: unknown condition {d.condition!r}")
        for a in d.areas:
            check_area(a, "diagnoses.areas")
    for a in req.areas:
        check_area(a, "areas")
    for a in req.avoid_areas:
        check_area(a, "avoid_areas")
    for fb in req.last_feedback:
        check_area(fb.area, "last_feedback")
        if fb.feedback not in FEEDBACK_VALUES:
            raise ValueError(f"last_feedback: {fb.feedback!r} is not one of {FEEDBACK_VALUES}")
    for f in req.learned_focus:
        check_area(f.area, "learned_focus")
    for t in req.painful_techniques:
        check_area(t.area, "painful_techniques")
    if unknown := sorted(req.therapist_trainings - cat.techniques.keys()):
        raise ValueError(f"therapist_trainings: unknown technique(s) {unknown}")
    if req.lighting not in LIGHTING_VALUES:
        raise ValueError(f"lighting: {req.lighting!r} is not one of {LIGHTING_VALUES}")
    if req.music not in MUSIC_VALUES:
        raise ValueError(f"music: {req.music!r} is not one of {MUSIC_VALUES}")
    s = req.settings
    for region in (*s.general_regions, *(r for r, _ in s.relaxation_template)):
        if region not in cat.regions:
            raise ValueError(f"settings: unknown region {region!r}")


def _area_text(area: Area) -> str:
    return f"{area.side} {area.region}" if area.side else area.region


def _overlaps(a: Area, b: Area) -> bool:
    return a.covers(b) or b.covers(a)


@dataclass(slots=True)
class _Candidate:
    area: Area
    role: str
    weight: int
    techniques: tuple[str, ...]


@dataclass(slots=True)
class _Planner:
    req: PlanRequest
    cat: Catalogue
    rationale: list[Rationale] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    pressure: tuple[Pressure, Pressure] = (Pressure.LIGHT, Pressure.LIGHT)

    @property
    def s(self) -> TailoringSettings:
        return self.req.settings

    def note(self, rule: str, source: str | None, text: str, *, verified: bool = True) -> None:
        self.rationale.append(Rationale(rule, source, text, verified))

    # -- top level ---------------------------------------------------------------------------

    def plan(self) -> SessionPlan:
        req = self.req
        if req.screening.blocked:
            return self._blocked_by_screening()
        self._family_note()
        self.pressure = self._pressure()
        if req.service_family == "relaxation" or self._whole_body_visit():
            segments = self._relaxation()
        elif req.service_family == "spot_work":
            segments = self._spot_work()
        else:
            segments = self._therapeutic()
        if not segments:
            self.reasons.append(
                "No region can be worked at this visit: every candidate region is off limits or to be avoided."
            )
            self.note(
                "tailoring.blocked.no_workable_region",
                None,
                "Nothing left to plan after removing restricted and avoided regions: no session plan.",
            )
            return self._finish(blocked=True, segments=())
        segments = _not_first_again(self, segments)
        self._order_note(segments)
        return self._finish(blocked=False, segments=tuple(segments))

    def _whole_body_visit(self) -> bool:
        """A clinical service booked for relaxation alone: no area of concern, so the whole body, no focus."""
        req = self.req
        whole = bool(req.diagnoses) and not req.areas
        whole = whole and all(
            self.cat.conditions[d.condition].regions_scope == "whole_body" for d in req.diagnoses
        )
        if whole:
            self.note(
                "tailoring.family.whole_body",
                ARTICLE,
                "The only condition is worked on the whole body (relaxation) and no area of concern was "
                "named: the whole-body template, with no focus region.",
            )
        return whole

    def _finish(self, *, blocked: bool, segments: tuple[Segment, ...]) -> SessionPlan:
        precautions = self._precautions()
        if blocked:
            return SessionPlan(
                blocked=True,
                reasons=tuple(self.reasons),
                segments=(),
                pressure=None,
                instructions=(),
                ambience={},
                precautions=precautions,
                rationale=tuple(self.rationale),
            )
        instructions = self._instructions(segments)
        ambience = self._ambience()
        return SessionPlan(
            blocked=False,
            reasons=tuple(self.reasons),
            segments=segments,
            pressure=self.pressure,
            instructions=instructions,
            ambience=ambience,
            precautions=precautions,
            rationale=tuple(self.rationale),
        )

    def _blocked_by_screening(self) -> SessionPlan:
        screening = self.req.screening
        blocking = [f for f in screening.findings if f.severity in (Decision.DEFER, Decision.REFER_OUT)]
        for f in blocking:
            self.reasons.append(f.message_staff)
            self.note(
                f"screening.{f.rule}",
                f.sources[0] if f.sources else None,
                f"{f.code}: {f.severity.value} — {f.message_staff}",
                verified=f.verified,
            )
        if not blocking:
            self.reasons.append(f"Screening decision: {screening.decision.value}.")
        self.note(
            "tailoring.blocked.screening",
            None,
            f"Screening decided {screening.decision.value}: no session is planned (DESIGN §5.3).",
        )
        return self._finish(blocked=True, segments=())

    def _family_note(self) -> None:
        family = self.req.service_family
        if family == "therapeutic":
            self.note(
                "tailoring.family.therapeutic",
                ARTICLE,
                "Therapeutic session: no typical routine; the time goes mostly to the areas of concern, "
                "other muscle groups with the rest (S10, S14).",
            )
        elif family == "spot_work":
            self.note(
                "tailoring.family.spot_work",
                ARTICLE,
                "Spot work: the single primary area of concern for the whole (short) session, "
                "complementing the other practitioners (S15).",
            )
        else:
            self.note(
                "tailoring.family.relaxation",
                CLINIC_SETTING,
                "Relaxation session: the clinic's whole-body template, general Swedish work (clinic setting).",
            )

    # -- where the work may go ---------------------------------------------------------------

    def _why_off(self, area: Area) -> tuple[str, str | None, bool] | None:
        """Why an area cannot be worked at all (text, source, verified), or None when it can."""
        if (gate := _region_gate(self.req, area)) is not None:
            return (f"no {gate.consent} consent on file ({POLICY_NOTE})", CLINIC_SETTING, True)
        for f in self.req.screening.findings:
            if f.area_off_limits and f.area is not None and _overlaps(f.area, area):
                return (f"{f.code} ({f.message_staff})", f.sources[0] if f.sources else None, f.verified)
        if self.req.screening.off_limits(area):
            return ("restricted by screening", None, True)
        if any(_overlaps(v, area) for v in self.req.avoid_areas):
            return ("the patient asked for this area to be avoided", None, True)
        return None

    def _workable(self, area: Area, role: str) -> Area | None:
        """The part of `area` that may be worked: a bilateral area loses its restricted side."""
        why = self._why_off(area)
        if why is None:
            return area
        region = self.cat.regions[area.region]
        if region.paired and area.side in (None, "bilateral"):
            sides = [s for s in ("left", "right") if self._why_off(Area(area.region, s)) is None]
            if sides:
                kept = Area(area.region, sides[0])
                self.note(
                    "tailoring.restricted_side",
                    why[1],
                    f"{_area_text(area)} ({role}): only the {sides[0]} side is planned — {why[0]}.",
                    verified=why[2],
                )
                return kept
        self.note(
            "tailoring.restricted_area",
            why[1],
            f"{_area_text(area)} ({role}) is not planned — {why[0]}.",
            verified=why[2],
        )
        return None

    # -- which conditions and techniques apply where -----------------------------------------

    def _applies(self, d: Diagnosis, area: Area) -> bool:
        """True when diagnosis `d` concerns `area` (its recorded areas, or its condition's regions)."""
        condition = self.cat.conditions[d.condition]
        if d.areas:
            return any(_overlaps(a, area) for a in d.areas)
        sided = d.side is not None and self.cat.regions[area.region].paired
        if sided and not _overlaps(Area(area.region, d.side), area):
            return False
        if condition.regions_scope == "whole_body":
            return True
        if condition.regions_scope == "from_intake":
            # The site comes from the referral or intake: the areas of concern.
            return any(_overlaps(a, area) for a in self.req.areas)
        return area.region in condition.regions

    def _filter(
        self, listed: Iterable[str], area: Area, role: str, *, allow_site_specific: bool
    ) -> tuple[list[str], list[str]]:
        """Keep the techniques that may be used at `area`; say why each other one is left out."""
        forbidden = self.req.screening.forbidden_at(area)
        kept: list[str] = []
        dropped: list[str] = []
        for key in dict.fromkeys(listed):
            technique = self.cat.techniques[key]
            if key not in self.req.therapist_trainings:
                dropped.append(f"{key} (therapist not trained)")
            elif key in forbidden:
                codes = sorted(
                    f.code
                    for f in self.req.screening.findings
                    if key in f.forbidden_techniques and (f.area is None or _overlaps(f.area, area))
                )
                dropped.append(f"{key} (forbidden by screening: {', '.join(codes) or 'screening'})")
            elif (gate := _technique_gate(self.req, key)) is not None:
                dropped.append(f"{key} (needs the patient's {gate.consent} consent: {POLICY_NOTE})")
            elif key in SITE_SPECIFIC and not allow_site_specific:
                dropped.append(f"{key} (only at the problem site itself, not on {role} work)")
            elif key == "intraoral_tmj" and area.region != INTRAORAL_REGION:
                dropped.append(f"{key} (intraoral work is at the jaw only)")
            elif (
                technique.pressure is not None
                and technique.pressure.walton_min >= self.s.deep_walton_level
                and self.pressure[1] is not Pressure.DEEP
            ):
                dropped.append(f"{key} (needs deep pressure; the planned range stops at {self.pressure[1]})")
            else:
                kept.append(key)
        return self._ordered(kept), dropped

    def _ordered(self, keys: Iterable[str]) -> list[str]:
        order = self.cat.phase_order

        def rank(key: str) -> tuple[int, str]:
            return (min(order.index(p) for p in self.cat.techniques[key].phases), key)

        return sorted(keys, key=rank)

    def _focus_candidate(self, area: Area, index: int) -> _Candidate:
        conditions = [self.cat.conditions[d.condition] for d in self.req.diagnoses if self._applies(d, area)]
        conditions = list({c.key: c for c in conditions}.values())
        if conditions:
            listed = [t for c in conditions for t in c.techniques]
            basis = ", ".join(c.key for c in conditions)
            source, verified = _techniques_source(conditions)
        else:
            # No diagnosis covers this area: general Swedish only, no condition-specific work.
            listed, basis, source, verified = (
                [SWEDISH],
                "no diagnosis for this area (general work)",
                None,
                True,
            )
        kept, dropped = self._filter(listed, area, "focus", allow_site_specific=bool(conditions))
        text = f"{_area_text(area)} (focus): {', '.join(kept) or 'no technique'} — from {basis}"
        if dropped:
            text += f"; left out: {'; '.join(dropped)}"
        self.note("tailoring.techniques.focus", source, text + _unverified(verified), verified=verified)
        if not kept:
            self.reasons.append(
                f"The therapist is trained in no suitable technique for {_area_text(area)}: "
                "match another therapist for this area."
            )
            self.note(
                "tailoring.techniques.untrained",
                ARTICLE,
                f"No technique the conditions list for {_area_text(area)} is both trained and allowed: "
                "the front desk should match another therapist (S12).",
            )
        return _Candidate(area, "focus", self.s.focus_weight(index), tuple(kept))

    def _support_candidate(self, area: Area, role: str, conditions: Sequence[Condition]) -> _Candidate | None:
        listed = [SWEDISH, *(t for c in conditions for t in c.techniques)]
        kept, dropped = self._filter(listed, area, role, allow_site_specific=False)
        basis = ", ".join(c.key for c in conditions) if conditions else "general work"
        source, verified = _techniques_source(conditions) if conditions else (CLINIC_SETTING, True)
        if not kept:
            self.note(
                f"tailoring.techniques.{role}",
                source,
                f"{_area_text(area)} ({role}) is not planned: no trained and allowed technique"
                + (f" (left out: {'; '.join(dropped)})" if dropped else "")
                + ".",
                verified=verified,
            )
            return None
        text = f"{_area_text(area)} ({role}): {', '.join(kept)} — Swedish plus techniques from {basis}"
        if dropped:
            text += f"; left out: {'; '.join(dropped)}"
        self.note(f"tailoring.techniques.{role}", source, text + _unverified(verified), verified=verified)
        return _Candidate(area, role, 1, tuple(kept))

    # -- service families --------------------------------------------------------------------

    def _focus_areas(self) -> tuple[list[Area], bool]:
        """Areas of concern then diagnosis areas, merged by region; minus what may not be worked.

        Returns the workable focus areas and whether there were candidate areas at all.
        """
        raw: list[Area] = [*self.req.areas, *(a for d in self.req.diagnoses for a in d.areas)]
        if not raw:
            # No area recorded: the diagnosed conditions' listed regions, on the diagnosis's side.
            for d in self.req.diagnoses:
                for region in self.cat.conditions[d.condition].regions:
                    paired = self.cat.regions[region].paired
                    raw.append(Area(region, (d.side or "bilateral") if paired else None))
            if raw:
                self.note(
                    "tailoring.focus.from_conditions",
                    None,
                    "No area of concern recorded: focus on the regions the diagnosed conditions list ("
                    + ", ".join(_area_text(a) for a in raw)
                    + ").",
                )
        raw += _learned_focus(self, raw)
        merged: dict[str, Area] = {}
        for a in raw:
            first = merged.get(a.region)
            if first is None:
                merged[a.region] = a
            elif not first.covers(a):
                merged[a.region] = Area(a.region, "bilateral")
        workable = [w for a in merged.values() if (w := self._workable(a, "focus")) is not None]
        return workable, bool(merged)

    def _therapeutic(self) -> list[Segment]:
        focus_areas, had_areas = self._focus_areas()
        if had_areas and not focus_areas:
            self.reasons.append(
                "Every area of concern is off limits for this visit: only related and general work is planned."
            )
            self.note(
                "tailoring.focus.all_restricted",
                None,
                "All areas of concern are restricted at this visit; the session is not blocked, so related "
                "and general work are planned instead.",
            )
        elif not had_areas:
            self.reasons.append("No area of concern or diagnosis region is recorded: general work only.")
        focus = [self._focus_candidate(a, i) for i, a in enumerate(focus_areas)]
        others = self._related(focus_areas) or self._general(focus_areas)
        return self._allocate(focus, others)

    def _related(self, focus_areas: Sequence[Area]) -> list[_Candidate]:
        """Related muscle groups of the diagnosed conditions (catalogue), minus focus and restricted."""
        by_region: dict[str, tuple[Area, list[Condition]]] = {}
        for d in self.req.diagnoses:
            condition = self.cat.conditions[d.condition]
            for region in condition.related_regions:
                if any(f.region == region for f in focus_areas):
                    continue
                if region in by_region:
                    by_region[region][1].append(condition)
                    continue
                paired = self.cat.regions[region].paired
                by_region[region] = (Area(region, (d.side or "bilateral") if paired else None), [condition])
        out: list[_Candidate] = []
        for area, conditions in by_region.values():
            workable = self._workable(area, "related")
            if workable is None:
                continue
            candidate = self._support_candidate(workable, "related", conditions)
            if candidate is not None:
                out.append(candidate)
        return out

    def _general(self, focus_areas: Sequence[Area]) -> list[_Candidate]:
        out: list[_Candidate] = []
        for region in self.s.general_regions:
            if any(f.region == region for f in focus_areas):
                continue
            paired = self.cat.regions[region].paired
            workable = self._workable(Area(region, "bilateral" if paired else None), "general")
            if workable is None:
                continue
            candidate = self._support_candidate(workable, "general", ())
            if candidate is not None:
                out.append(candidate)
        if out:
            self.note(
                "tailoring.allocation.general",
                CLINIC_SETTING,
                "The conditions list no related muscle group that can be worked: the non-focus time goes "
                f"to general Swedish work on {', '.join(_area_text(c.area) for c in out)} (clinic setting).",
            )
        return out

    def _allocate(self, focus: list[_Candidate], others: list[_Candidate]) -> list[Segment]:
        total, minimum = self.req.hands_on_minutes, self.s.min_segment_minutes
        if not focus and not others:
            return []
        if not others:
            self.note(
                "tailoring.allocation.focus_only",
                CLINIC_SETTING,
                "No related or general region can be worked: all the time goes to the focus regions "
                "(clinic setting).",
            )
            return self._fit(focus, total)
        if not focus:
            return self._fit(others, total)
        focus_minutes = _nearest_minute(total * self.s.focus_share)
        rest = total - focus_minutes
        if rest < minimum:
            self.note(
                "tailoring.allocation.merged",
                CLINIC_SETTING,
                f"The non-focus share ({rest} min) is below the {minimum}-minute minimum segment: "
                "it goes to the focus regions (clinic setting).",
            )
            return self._fit(focus, total)
        self.note(
            "tailoring.allocation.focus_share",
            CLINIC_SETTING,
            f"Focus regions get the majority: {focus_minutes} of {total} min "
            f"({float(self.s.focus_share):.0%} to the nearest minute, clinic setting); the other {rest} min go to "
            f"{others[0].role} work (S14).",
        )
        return self._fit(focus, focus_minutes) + self._fit(others, rest)

    def _fit(self, candidates: list[_Candidate], minutes: int) -> list[Segment]:
        """As many candidates (in priority order) as fit at the minimum length, sharing `minutes`."""
        minimum = self.s.min_segment_minutes
        room = max(1, minutes // minimum)
        kept, dropped = candidates[:room], candidates[room:]
        if dropped:
            self.note(
                "tailoring.allocation.dropped",
                CLINIC_SETTING,
                f"{minutes} min leave room for {room} segment(s) of at least {minimum} min: "
                + ", ".join(f"{_area_text(c.area)} ({c.role})" for c in dropped)
                + " not planned this visit (lowest priority first, clinic setting).",
            )
        share = apportion(minutes, [c.weight for c in kept], min(minimum, minutes))
        if kept[0].role == "focus" and len(kept) > 1:
            self.note(
                "tailoring.allocation.priority",
                CLINIC_SETTING,
                "Focus time is split by priority (weights "
                + ", ".join(str(c.weight) for c in kept)
                + " for the areas of concern in the order given, clinic setting).",
            )
        return [
            Segment(c.area.region, c.area.side, m, c.techniques, c.role)
            for c, m in zip(kept, share, strict=True)
        ]

    def _spot_work(self) -> list[Segment]:
        focus_areas, had_areas = self._focus_areas()
        if not focus_areas:
            if not had_areas:
                self.reasons.append("Spot work needs an area of concern: none is recorded.")
            return []
        primary = focus_areas[0]
        if len(focus_areas) > 1:
            self.note(
                "tailoring.spot_work.primary",
                ARTICLE,
                f"Spot work covers one area: {_area_text(primary)}, the first workable area of concern; "
                + ", ".join(_area_text(a) for a in focus_areas[1:])
                + " not planned.",
            )
        candidate = self._focus_candidate(primary, 0)
        return [
            Segment(primary.region, primary.side, self.req.hands_on_minutes, candidate.techniques, "focus")
        ]

    def _relaxation(self) -> list[Segment]:
        candidates: list[_Candidate] = []
        for region, weight in self.s.relaxation_template:
            paired = self.cat.regions[region].paired
            workable = self._workable(Area(region, "bilateral" if paired else None), "general")
            if workable is None:
                continue
            kept, _ = self._filter([SWEDISH], workable, "general", allow_site_specific=False)
            candidates.append(_Candidate(workable, "general", weight, tuple(kept)))
        if candidates and not any(c.techniques for c in candidates):
            self.reasons.append(
                "The therapist is not trained in (or screening forbids) Swedish massage for this relaxation "
                "session: match another therapist."
            )
            self.note(
                "tailoring.techniques.untrained",
                ARTICLE,
                "Relaxation plans use Swedish massage; it is not available here: the front desk should match "
                "another therapist (S12).",
            )
        elif candidates:
            relax = self.cat.conditions.get("relaxation")
            source = relax.techniques_basis.sources[0] if relax and relax.techniques_basis.sources else None
            self.note(
                "tailoring.techniques.general",
                source,
                "Relaxation work: Swedish massage (the catalogue's relaxation technique).",
            )
        if not candidates:
            return []
        return self._fit(candidates, self.req.hands_on_minutes)

    # -- pressure, instructions, ambience, precautions ---------------------------------------

    def _pressure(self) -> tuple[Pressure, Pressure]:
        levels = list(Pressure)
        top = len(levels) - 1
        req, s = self.req, self.s
        preferred = req.pressure_preference or s.default_pressure
        hi = preferred.rank
        lo = max(0, hi - s.pressure_band_below)
        origin = "the patient's preference" if req.pressure_preference else "the clinic default"
        self.note(
            "tailoring.pressure.preference",
            CLINIC_SETTING,
            f"Pressure {levels[lo]}–{levels[hi]}: {preferred} from {origin}, and "
            f"{s.pressure_band_below} level(s) below it (clinic setting).",
        )
        too_deep = [f.area for f in req.last_feedback if f.feedback == "too_deep"]
        too_light = [f.area for f in req.last_feedback if f.feedback == "too_light"]
        if too_deep:
            lo, hi = max(0, lo - 1), max(0, hi - 1)
            text = (
                "Last session the pressure felt too deep at "
                + ", ".join(_area_text(a) for a in too_deep)
                + f": the range is lowered one level to {levels[lo]}–{levels[hi]}; the plan keeps one "
                "range for the session, so it is lowered everywhere (S17)."
            )
            if too_light:
                text += (
                    " 'Too light' at "
                    + ", ".join(_area_text(a) for a in too_light)
                    + " is not applied while another area felt too deep."
                )
            self.note("tailoring.pressure.feedback", ARTICLE, text)
        elif too_light:
            lo, hi = min(top, lo + 1), min(top, hi + 1)
            self.note(
                "tailoring.pressure.feedback",
                ARTICLE,
                "Last session the pressure felt too light at "
                + ", ".join(_area_text(a) for a in too_light)
                + f": the range is raised one level to {levels[lo]}–{levels[hi]}, within any cap (S17).",
            )
        cap = req.screening.pressure_cap
        if cap is not None:
            capping = [f for f in req.screening.findings if f.pressure_cap == cap]
            source = next((f.sources[0] for f in capping if f.sources), None)
            codes = ", ".join(f.code for f in capping) or "screening"
            if hi > cap.rank:
                hi = cap.rank
                lo = min(lo, hi)
                text = f"Pressure capped at {cap} by {codes}: range {levels[lo]}–{levels[hi]}."
            else:
                text = f"Pressure cap {cap} from {codes}: the range {levels[lo]}–{levels[hi]} is within it."
            self.note("tailoring.pressure.cap", source, text, verified=all(f.verified for f in capping))
        return levels[lo], levels[hi]

    def _order_note(self, segments: Sequence[Segment]) -> None:
        basis = self.cat.phase_order_basis or "clinic convention"
        self.note(
            "tailoring.techniques.order",
            CLINIC_SETTING,
            "Techniques in each segment follow the phase order "
            + " → ".join(self.cat.phase_order)
            + f" — {basis}",
        )

    def _instructions(self, segments: Sequence[Segment]) -> tuple[str, ...]:
        out: list[str] = []
        stretching = sorted(
            {t for s in segments for t in s.techniques if self.cat.techniques[t].is_stretching}
        )
        if stretching:
            out.append("loose_clothing")
            self.note(
                "tailoring.instructions.loose_clothing",
                ARTICLE,
                f"Stretching is planned ({', '.join(stretching)}): wear loose-fitting clothing or "
                "active-wear (S16).",
            )
        if self.req.first_visit:
            out += ["bring_referral", "arrive_early"]
            self.note(
                "tailoring.instructions.first_visit",
                CLINIC_SETTING,
                "First visit: bring the referral and arrive early for the intake (clinic setting).",
            )
        if self.req.service_family == "spot_work":
            out.append("spot_work_timing")
            self.note(
                "tailoring.instructions.spot_work_timing",
                ARTICLE,
                "Spot work is a short session next to the host visit: timing instructions (S15).",
            )
        return tuple(out)

    def _ambience(self) -> dict[str, str]:
        req, s = self.req, self.s
        lighting = req.lighting or s.default_lighting
        music = req.music or s.default_music
        origin = []
        origin.append(
            "lighting from the patient's preference" if req.lighting else "lighting: clinic default"
        )
        origin.append("music from the patient's preference" if req.music else "music: clinic default")
        self.note(
            "tailoring.ambience",
            ARTICLE,
            f"Ambience: {lighting} lighting, music {music} ({'; '.join(origin)}) (S13).",
        )
        return {"lighting": lighting, "music": music}

    def _precautions(self) -> tuple[Finding, ...]:
        kept = tuple(
            f
            for f in self.req.screening.findings
            if f.severity in (Decision.PROCEED_WITH_PRECAUTIONS, Decision.NEEDS_CLEARANCE)
        )
        for f in kept:
            where = f" at {_area_text(f.area)}" if f.area else ""
            self.note(
                "tailoring.precaution",
                f.sources[0] if f.sources else None,
                f"{f.code}{where} ({f.severity.value}): {f.message_staff}",
                verified=f.verified,
            )
        return kept


def _nearest_minute(value: Fraction) -> int:
    """A share of minutes to the nearest whole minute, halves up (67 % of 50 min is 34 min)."""
    return math.floor(value + Fraction(1, 2))


def _techniques_source(conditions: Sequence[Condition]) -> tuple[str | None, bool]:
    """The first cited source for the conditions' technique lists, and whether all are verified."""
    source: str | None = None
    for c in conditions:
        ids = c.techniques_basis.sources or c.sources
        if ids:
            source = ids[0]
            break
    return source, all(c.techniques_basis.verified for c in conditions)


def _unverified(verified: bool) -> str:
    return "." if verified else " (the catalogue marks this technique list unverified)."


# --- Issue 11: consents and the last signed note ------------------------------------------------
# Kept apart from the engine above: each hook is one line in the planner (`_filter`, `_why_off`,
# `_focus_areas`, `plan`) calling a function here.


def _technique_gate(req: PlanRequest, technique: str) -> ConsentGate | None:
    return next((g for g in req.consent_gates if g.technique == technique), None)


def _region_gate(req: PlanRequest, area: Area) -> ConsentGate | None:
    return next((g for g in req.consent_gates if g.region == area.region), None)


def _learned_focus(planner: _Planner, raw: Sequence[Area]) -> list[Area]:
    """Regions with a finding in the last signed note that are not already focus areas."""
    out: list[Area] = []
    for finding in planner.req.learned_focus:
        area = finding.area
        if any(_overlaps(a, area) for a in (*raw, *out)):
            continue
        out.append(area)
        planner.note(
            "tailoring.learn.focus",
            ARTICLE,
            f"Last session's note found {finding.kind.replace('_', ' ')} at {_area_text(area)}: "
            "it is a focus this time.",
        )
    return out


def _not_first_again(planner: _Planner, segments: list[Segment]) -> list[Segment]:
    """Move a technique that raised pain at a region last time after the segment's other techniques."""
    out: list[Segment] = []
    for seg in segments:
        painful = [
            t.technique
            for t in planner.req.painful_techniques
            if _overlaps(t.area, seg.area) and t.technique in seg.techniques
        ]
        techniques = seg.techniques
        if painful and len(techniques) > 1:
            techniques = tuple(t for t in techniques if t not in painful) + tuple(
                t for t in techniques if t in painful
            )
            planner.note(
                "tailoring.learn.painful",
                ARTICLE,
                f"{', '.join(dict.fromkeys(painful))} raised pain at {_area_text(seg.area)} last session: "
                f"not used first this time ({', '.join(techniques)}).",
            )
        elif painful:
            planner.note(
                "tailoring.learn.painful",
                ARTICLE,
                f"{', '.join(painful)} raised pain at {_area_text(seg.area)} last session and is the only "
                "technique planned there: start gently and ask.",
            )
        out.append(replace(seg, techniques=techniques) if techniques != seg.techniques else seg)
    return out
