"""Typed answers for clinical data: areas, diagnoses, health answers and the engines' results.

Two kinds of data reach these schemas:

- JSON stored by the services (an intake's or referral's areas, diagnoses and
  answers), always the `model_dump(mode="json")` of the input schemas in
  `kneadwell.knowledge.schemas` and `kneadwell.intake.schemas`. The output
  schemas below repeat those shapes field for field; tests/api checks they
  have not drifted apart.
- The engines' dataclasses (screening, matching, tailoring), mapped here into
  schemas by `screening_out`, `matches_out` and `session_plan_out`: the API
  layer maps, the engines stay free of any web concern. The answers are the
  same, field for field, as the engines' `to_dict()` (tests/api checks that too).

Every field is typed, so the OpenAPI document describes each answer in full and
the FHIR layer can map from these schemas. A vocabulary that is closed by
design (decisions, pressures, sides, chronicity stages, segment roles) is an
enum; codes that grow with the catalogue or the rules (finding codes, rule ids,
match reasons, visit instructions) are strings, described with their current
values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from kneadwell.intake.schemas import Sign
from kneadwell.intake.screening.types import Decision, Finding, ScreeningResult
from kneadwell.knowledge.vocabulary import Pressure as EnginePressure
from kneadwell.knowledge.vocabulary import Side
from kneadwell.patients.models import Lighting, Music, Pressure
from kneadwell.planning.matching import Excluded, Match, MatchResult, Reason
from kneadwell.planning.tailoring import SessionPlan

# The stages of knowledge.types.CHRONICITY_LABELS and the roles of planning.tailoring.rules.ROLES.
ChronicityLabel = Literal["acute", "subacute", "chronic"]
SegmentRole = Literal["focus", "related", "general"]


class StoredJson(Schema):
    """A shape read back from stored JSON: every field is always in the answer.

    The defaults only fill a key a row stored before the field existed lacks
    (an omitted health answer means "no", as on input); the published schema
    still marks every field as required, because every answer carries it.
    """

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


# --- Areas and diagnoses -------------------------------------------------------------------------


class AreaOut(StoredJson):
    region: str = Field(description="Region key from the catalogue, e.g. `shoulder`.")
    side: Side | None = Field(None, description="left, right or bilateral; null for a midline region.")


class DiagnosisOut(StoredJson):
    condition: str = Field(description="Condition key from the catalogue, e.g. `whiplash`.")
    icd10: str | None = Field(None, description="Billable ICD-10-CM code, e.g. `M54.50`.")
    side: Side | None = None
    onset: dt.date | None = Field(None, description="When the problem started.")
    areas: list[AreaOut] = Field([], description="Where the problem is, when known.")


# --- Health answers (the intake's screening questions) ------------------------------------------


class RecentSurgeryOut(StoredJson):
    date: dt.date
    region: str = Field(description="Region key from the catalogue.")
    side: Side | None = None


class InflamedAreaOut(AreaOut):
    signs: list[Sign] = Field(description="What was seen: swelling, heat, redness.")


class HealthAnswersOut(StoredJson):
    """The screening answers as recorded (REFERENCE §1.3, §10); the ids are those of the intake's `answers`."""

    fever: bool = False
    suspected_dvt: bool = False
    clot_regions: list[AreaOut] = []
    clot_signs: bool = False
    anticoagulants: bool = False
    bleeding_disorder: bool = False
    recent_surgery: list[RecentSurgeryOut] = []
    open_wound_regions: list[AreaOut] = []
    fracture_regions: list[AreaOut] = []
    osteoporosis: bool = False
    cancer: bool = False
    cancer_active_treatment: bool | None = Field(
        None, description="null: not asked (treated as in treatment)."
    )
    cancer_bone_regions: list[AreaOut] = []
    lymph_node_regions: list[AreaOut] = []
    pregnancy: Literal["no", "low_risk", "high_risk"] = "no"
    pregnancy_weeks: int | None = Field(None, description="Completed weeks of gestation, 0–42.")
    pregnancy_warning_signs: bool = False
    inflamed_regions: list[InflamedAreaOut] = []
    unexplained_pain: bool = False
    nerve_skin_heart: bool = False
    touch_history: bool = False
    thunderclap_headache: bool = False
    headache_peak_within_hour: bool = False
    headache_pattern_change: bool = False
    headache_positional: bool = False
    headache_valsalva: bool = False
    papilledema: bool = False
    headache_cognitive_change: bool = False
    neuro_deficit: bool = False
    headache_onset_after_50: bool = False
    systemic_symptoms: bool = False
    cervical_arterial_signs: bool = False
    whiplash_high_risk: bool = False
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


# --- Screening -----------------------------------------------------------------------------------


class ChronicityOut(Schema):
    condition: str = Field(description="Condition key from the catalogue.")
    label: ChronicityLabel
    rule: str = Field(description="The thresholds applied, with their source ids.")
    sources: list[str] = Field(description="Catalogue source ids.")
    stage: str = Field(
        "", description="The condition's stage key on the date (e.g. `freezing`), when it has stages."
    )


class FindingOut(Schema):
    code: str = Field(description="Stable id of the finding, usually the catalogue flag id.")
    rule: str = Field(description="The screening rule that produced it, e.g. `local.acute_inflammation`.")
    severity: Decision
    region: str | None = Field(description="The region it concerns; null for the whole visit.")
    side: Side | None
    message_staff: str = Field(description="For the clinic; empty when a patient asks.")
    message_patient: str = Field(description="In plain words, for the patient.")
    sources: list[str] = Field(description="Catalogue source ids.")
    verified: bool = Field(description="False when the rule rests on a catalogue item marked unverified.")
    area_off_limits: bool = Field(description="The region is not to be worked this visit.")
    forbidden_techniques: list[str] = Field(
        description="Technique keys not to be used at the region (everywhere when region is null)."
    )
    pressure_cap: Pressure | None = Field(
        description="The deepest pressure allowed, if capped (at the region, or the whole visit when null)."
    )
    holds_visit: bool = Field(
        description="The whole visit is held: refer out, defer, or a clearance the whole visit waits for."
    )
    clearance_scope: str = Field(
        description="The clearance scope that would lift it (`flag`: a clearance naming this finding's "
        "flag); empty when no clearance can."
    )


class ScreeningOut(Schema):
    decision: Decision = Field(description="The most restrictive decision of all findings.")
    blocked: bool = Field(
        description="No session at all: the visit is deferred, referred out, or waits for a clearance."
    )
    chronicity: list[ChronicityOut]
    findings: list[FindingOut]
    restricted_regions: list[AreaOut] = Field(description="Areas off limits for this visit.")
    pressure_cap: Pressure | None = Field(description="The lowest pressure cap of all findings.")


def _side(finding: Finding) -> Side | None:
    return finding.area.side if finding.area else None  # type: ignore[return-value]  # engine sides are the schema's Side literals


def _pressure(value: EnginePressure | None) -> Pressure | None:
    # The engines' Pressure and the patients' Pressure hold the same values
    # (tests/knowledge/test_vocabulary.py); the API publishes the one enum.
    return None if value is None else Pressure(value.value)


def screening_out(result: ScreeningResult, *, for_patient: bool) -> ScreeningOut:
    """The screening result as answered; a patient sees the plain-words message, never the staff one."""
    return ScreeningOut(
        decision=result.decision,
        blocked=result.blocked,
        chronicity=[
            ChronicityOut(
                condition=c.condition,
                label=c.label,  # type: ignore[arg-type]  # engine values are the schema's Literal members
                rule=c.rule_text,
                sources=list(c.sources),
                stage=c.stage,
            )
            for c in result.chronicity
        ],
        findings=[
            FindingOut(
                code=f.code,
                rule=f.rule,
                severity=f.severity,
                region=f.area.region if f.area else None,
                side=_side(f),
                message_staff="" if for_patient else f.message_staff,
                message_patient=f.message_patient,
                sources=list(f.sources),
                verified=f.verified,
                area_off_limits=f.area_off_limits,
                forbidden_techniques=sorted(f.forbidden_techniques),
                pressure_cap=_pressure(f.pressure_cap),
                holds_visit=f.holds_visit,
                clearance_scope=f.clearance_scope,
            )
            for f in result.findings
        ],
        restricted_regions=[AreaOut(region=a.region, side=a.side) for a in result.restricted_areas],  # type: ignore[arg-type]  # engine values are the schema's Literal members
        pressure_cap=_pressure(result.pressure_cap),
    )


# --- Matching ------------------------------------------------------------------------------------


class TherapistRef(Schema):
    id: UUID
    name: str


class MatchReasonOut(Schema):
    code: str = Field(
        description=(
            "What the reason is about. Filters: inactive, licence_missing, licence_expired, "
            "licence_not_yet_valid, not_at_location, untrained_for_condition, "
            "missing_required_technique, intraoral_scope, intraoral_untrained, gender. Score parts: "
            "expertise, technique_depth, continuity. Notes: licence_unverified, handoff. "
            "New codes may be added."
        )
    )
    text: str
    weight: float | None = Field(
        description="Points this part adds to the score; null for a filter or a note."
    )
    sources: list[str] = Field(description="Catalogue source ids behind the rule.")
    verified: bool = Field(description="False when the rule rests on a catalogue item marked unverified.")


class MatchOut(Schema):
    therapist: TherapistRef
    score: float = Field(ge=0, le=100)
    reasons: list[MatchReasonOut]


class ExcludedOut(Schema):
    therapist: TherapistRef
    reasons: list[MatchReasonOut] = Field(description="Every filter the therapist fails.")


class MatchesOut(Schema):
    matches: list[MatchOut] = Field(description="Best first.")
    excluded: list[ExcludedOut] = Field(description="By name.")
    current_is_poor_match: bool
    suggestions: list[MatchOut] = Field(description="Better-suited colleagues for a hand-off, best first.")


def _reasons(reasons: tuple[Reason, ...]) -> list[MatchReasonOut]:
    return [
        MatchReasonOut(
            code=r.code, text=r.text, weight=r.weight, sources=list(r.sources), verified=r.verified
        )
        for r in reasons
    ]


def _match(m: Match) -> MatchOut:
    return MatchOut(
        therapist=TherapistRef(id=UUID(m.therapist_id), name=m.name),
        score=m.score,
        reasons=_reasons(m.reasons),
    )


def _excluded(e: Excluded) -> ExcludedOut:
    return ExcludedOut(
        therapist=TherapistRef(id=UUID(e.therapist_id), name=e.name), reasons=_reasons(e.reasons)
    )


def matches_out(result: MatchResult) -> MatchesOut:
    """Every therapist once, matched or excluded, with the reasons."""
    return MatchesOut(
        matches=[_match(m) for m in result.matches],
        excluded=[_excluded(e) for e in result.excluded],
        current_is_poor_match=result.current_is_poor_match,
        suggestions=[_match(m) for m in result.suggestions],
    )


# --- Session plan --------------------------------------------------------------------------------


class SegmentOut(Schema):
    region: str = Field(description="Region key from the catalogue.")
    side: Side | None
    minutes: int = Field(ge=0)
    techniques: list[str] = Field(description="Technique keys, warm-up → specific → stretching → finishing.")
    role: SegmentRole
    pressure_max: Pressure | None = Field(description="A ceiling below the session's range here, if any.")
    notes: list[str] = Field(description="Plain sentences for the therapist at this area.")


class PressureRangeOut(Schema):
    min: Pressure
    max: Pressure


class AmbienceOut(TypedDict, total=False):
    """The room for this visit: both keys, or none (`{}`) when the plan is blocked."""

    lighting: Lighting
    music: Music


class PrecautionOut(Schema):
    """A screening finding shown with the plan (precautions and clearances)."""

    code: str
    severity: Decision
    message_staff: str
    sources: list[str] = Field(description="Catalogue source ids.")
    region: str | None = Field(description="The region it concerns; null for the whole visit.")
    side: Side | None
    verified: bool


class RationaleOut(Schema):
    rule: str = Field(description="Rule id, e.g. `tailoring.pressure.cap` (see docs/clinical-rules.md).")
    source: str | None = Field(
        description="A catalogue source id, `clinic_setting`, `catalogue` or `screening`; null if none."
    )
    text: str
    verified: bool = Field(description="False when the decision rests on catalogue items marked unverified.")


class SessionPlanOut(Schema):
    blocked: bool = Field(
        description="No plan: screening holds the visit (defer, refer out, a clearance awaited), or nothing "
        "can be worked."
    )
    reasons: list[str] = Field(description="Why the plan is blocked or limited, in words.")
    unblock: list[str] = Field(description="What would let a held visit go ahead, in words.")
    segments: list[SegmentOut] = Field(description="The minutes add up to the service's hands-on minutes.")
    pressure: PressureRangeOut | None = Field(description="Null when blocked.")
    instructions: list[str] = Field(
        description=(
            "Visit instruction codes: loose_clothing, bring_referral, arrive_early, spot_work_timing, "
            "side_lying, lymphatic_proximal. New codes may be added."
        )
    )
    ambience: AmbienceOut
    precautions: list[PrecautionOut]
    rationale: list[RationaleOut] = Field(description="One entry per decision taken.")
    screening_decision: Decision


def _precaution(f: Finding) -> PrecautionOut:
    return PrecautionOut(
        code=f.code,
        severity=f.severity,
        message_staff=f.message_staff,
        sources=list(f.sources),
        region=f.area.region if f.area else None,
        side=_side(f),
        verified=f.verified,
    )


def _ambience(ambience: Mapping[str, str]) -> AmbienceOut:
    out = AmbienceOut()
    if "lighting" in ambience:
        out["lighting"] = Lighting(ambience["lighting"])
    if "music" in ambience:
        out["music"] = Music(ambience["music"])
    return out


def session_plan_out(plan: SessionPlan, screening_decision: Decision) -> SessionPlanOut:
    """The plan as answered, with the decision of the screening it was planned from."""
    return SessionPlanOut(
        blocked=plan.blocked,
        reasons=list(plan.reasons),
        unblock=list(plan.unblock),
        segments=[
            SegmentOut(
                region=s.region,
                side=s.side,  # type: ignore[arg-type]  # engine values are the schema's Literal members
                minutes=s.minutes,
                techniques=list(s.techniques),
                role=s.role,  # type: ignore[arg-type]  # engine values are the schema's Literal members
                pressure_max=_pressure(s.pressure_max),
                notes=list(s.notes),
            )
            for s in plan.segments
        ],
        pressure=None
        if plan.pressure is None
        else PressureRangeOut(min=Pressure(plan.pressure[0].value), max=Pressure(plan.pressure[1].value)),
        instructions=list(plan.instructions),
        ambience=_ambience(plan.ambience),
        precautions=[_precaution(f) for f in plan.precautions],
        rationale=[
            RationaleOut(rule=r.rule, source=r.source, text=r.text, verified=r.verified)
            for r in plan.rationale
        ],
        screening_decision=screening_decision,
    )
