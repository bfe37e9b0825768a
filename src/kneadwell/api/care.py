"""The care pathway for one patient: intakes, screening, matching, session plans, plans of care.

Every endpoint reads the patient through `patient_scope` first (404 outside
it) and records the read or write in the audit trail. Screening gates hold
here as everywhere: the session plan comes from the same screening.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

import pydantic
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kneadwell.accounts.models import CARE_ROLES, AuditAction, Role, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.api.auth import api_user
from kneadwell.charting.selectors import plan_inputs
from kneadwell.clinic.models import Location, Service
from kneadwell.clinic.selectors import clinic_today, location_today
from kneadwell.intake.models import Intake, IntakeChannel
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.screening.types import ScreeningResult
from kneadwell.intake.selectors import intake_scope, screening_for, screening_input
from kneadwell.intake.services import inflammation_check_record, intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.errors import DomainError
from kneadwell.patients.models import Lighting, Music, Patient, Pressure, TherapistGenderPreference
from kneadwell.patients.selectors import patient_scope
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.planning.selectors import patient_matches, screened_session_plan
from kneadwell.planning.services import GoalIn, care_plan_approve, care_plan_draft, care_plan_update
from kneadwell.scheduling.selectors import visit_history
from kneadwell.therapists.models import Therapist

from .clinical import (
    AreaOut,
    DiagnosisOut,
    HealthAnswersOut,
    MatchesOut,
    ScreeningOut,
    SessionPlanOut,
    TherapistRef,
    matches_out,
    screening_out,
    session_plan_out,
)
from .idempotency import idempotent
from .schemas import (
    DETAIL_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InSchema,
    PageParams,
    StorableText,
    paginate,
)

router = Router(tags=["care pathway"])


def _patient(request: HttpRequest, id: UUID) -> Patient:
    return get_in_scope_or_404(patient_scope(request.user), id, request=request)


def _audit(
    request: HttpRequest, action: AuditAction, object_type: str, patient: Patient, obj: object = None
) -> None:
    audit_record(
        actor=request.user if isinstance(request.user, User) else None,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", "") if obj is not None else patient.public_id,
        patient_ids=[patient.public_id],
        channel="api",
        request=request,
    )


def _require_clinical(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) not in CARE_ROLES:
        raise PermissionDenied(
            "You do not have permission to see this: it is for the clinic's staff and therapists."
        )


def _day(value: dt.date | None, location: Location | None = None) -> dt.date:
    """The given date, else today where the session happens (the clinic's zone when no location is known)."""
    return value if value is not None else location_today(location)


def _service(code: str) -> Service:
    service = Service.objects.filter(code=code, active=True).first()
    if service is None:
        raise DomainError(f"No active service with code {code!r}.", field="service")
    return service


# --- Intakes -------------------------------------------------------------------------------------


class PreferencesIn(InSchema):
    pressure: Pressure | None = None
    lighting: Lighting | None = None
    music: Music | None = None
    therapist_gender: TherapistGenderPreference | None = None
    therapist_gender_required: bool | None = None


class IntakeIn(InSchema):
    channel: IntakeChannel = IntakeChannel.API
    chief_complaint: str = Field(min_length=1, max_length=2000, description="What should be worked on.")
    referral_reason: str = Field("", max_length=2000, description="Why the doctor recommended massage.")
    areas: list[AreaIn] = Field(default=[], max_length=17)
    diagnoses: list[DiagnosisIn] = Field(default=[], max_length=10)
    onset: dt.date | None = Field(None, description="Since when.")
    prior_treatments: str = Field("", max_length=2000)
    goals: str = Field("", max_length=2000)
    answers: HealthAnswersIn = HealthAnswersIn()
    preferences: PreferencesIn | None = None
    referral: UUID | None = None


class IntakeOut(Schema):
    id: UUID
    channel: IntakeChannel
    recorded_at: dt.datetime
    chief_complaint: str
    referral_reason: str
    areas: list[AreaOut]
    diagnoses: list[DiagnosisOut]
    onset: dt.date | None
    prior_treatments: str
    goals: str
    answers: HealthAnswersOut


class IntakePage(Schema):
    items: list[IntakeOut]
    count: int


def _intake_out(i: Intake) -> IntakeOut:
    # areas, diagnoses and answers are the JSON the intake service stored (validated on the way in).
    return IntakeOut(
        id=i.public_id,
        channel=IntakeChannel(i.channel),
        recorded_at=i.created_at,
        chief_complaint=i.chief_complaint,
        referral_reason=i.referral_reason,
        areas=i.areas,
        diagnoses=i.diagnoses,
        onset=i.onset,
        prior_treatments=i.prior_treatments,
        goals=i.goals,
        answers=i.answers,
    )


@router.post(
    "/patients/{id}/intakes",
    response={201: IntakeOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Record an intake (the first call, or the patient's own form)",
)
@idempotent
def create_intake(request: HttpRequest, id: UUID, payload: IntakeIn) -> Status:
    patient = _patient(request, id)
    referral = None
    if payload.referral is not None:
        referral = patient.referrals.filter(public_id=payload.referral).first()
        if referral is None:
            raise DomainError("No such referral for this patient.", field="referral")
    preferences = payload.preferences.model_dump(exclude_none=True) if payload.preferences else None
    intake = intake_record(
        actor=api_user(request),
        patient=patient,
        channel=payload.channel,
        chief_complaint=payload.chief_complaint,
        referral_reason=payload.referral_reason,
        areas=payload.areas,
        diagnoses=payload.diagnoses,
        onset=payload.onset,
        prior_treatments=payload.prior_treatments,
        goals=payload.goals,
        answers=payload.answers,
        preferences=preferences,
        referral=referral,
    )
    _audit(request, AuditAction.CREATE, "intake", patient, intake)
    return Status(201, _intake_out(intake))


@router.get(
    "/patients/{id}/intakes",
    response={200: IntakePage, **DETAIL_ERRORS},
    summary="A patient's intakes, newest first",
)
def list_intakes(request: HttpRequest, id: UUID, page: Query[PageParams]) -> IntakePage:
    patient = _patient(request, id)
    items, count = paginate(
        intake_scope(request.user).filter(patient=patient).order_by("-created_at", "-id"), page
    )
    _audit(request, AuditAction.READ, "intake_list", patient)
    return IntakePage(items=[_intake_out(i) for i in items], count=count)


# --- Screening -------------------------------------------------------------------------------------


class DateQuery(Schema):
    date: dt.date | None = Field(None, description="The session's local date; default today.")


def _screen(patient: Patient, on: dt.date) -> ScreeningResult:
    try:
        return screening_for(patient, on)
    except ValueError as exc:  # e.g. an onset after the date asked about
        raise DomainError(str(exc), field="date") from exc


@router.get(
    "/patients/{id}/screening",
    response={200: ScreeningOut, **DETAIL_ERRORS},
    summary="The screening decision, with every finding, its rule and source",
)
def get_screening(request: HttpRequest, id: UUID, query: Query[DateQuery]) -> ScreeningOut:
    patient = _patient(request, id)
    result = _screen(patient, _day(query.date))
    _audit(request, AuditAction.READ, "screening", patient)
    return screening_out(result, for_patient=getattr(request.user, "role", None) == Role.PATIENT)


# --- Matching --------------------------------------------------------------------------------------


class MatchQuery(StorableText):
    service: str = Field(max_length=40, description="Service code, e.g. therapeutic-60.")
    location: UUID
    date: dt.date | None = None
    intraoral: bool = Field(False, description="The plan needs intraoral (TMJ) work.")


@router.get(
    "/patients/{id}/matches",
    response={200: MatchesOut, 403: ErrorOut, **DETAIL_ERRORS},
    summary="Therapists for this patient, best first, and the excluded with why (staff, therapists)",
)
def get_matches(request: HttpRequest, id: UUID, query: Query[MatchQuery]) -> MatchesOut:
    _require_clinical(request)
    patient = _patient(request, id)
    location = Location.objects.filter(public_id=query.location, active=True).first()
    if location is None:
        raise DomainError("No such location.", field="location")
    service = _service(query.service)
    on = _day(query.date, location)
    try:
        result = patient_matches(
            patient=patient,
            service=service,
            location=location,
            inp=screening_input(patient=patient, on=on),
            history=visit_history(patient),
            needs_intraoral=query.intraoral,
        )
    except ValueError as exc:
        raise DomainError(str(exc)) from exc
    _audit(request, AuditAction.READ, "matches", patient)
    return matches_out(result)


# --- Session plan ----------------------------------------------------------------------------------


class PlanQuery(StorableText):
    service: str = Field(max_length=40, description="Service code, e.g. therapeutic-60.")
    therapist: UUID
    date: dt.date | None = None


@router.get(
    "/patients/{id}/session-plan",
    response={200: SessionPlanOut, 403: ErrorOut, **DETAIL_ERRORS},
    summary="The tailored session plan, rule by rule (staff, therapists)",
)
def get_session_plan(request: HttpRequest, id: UUID, query: Query[PlanQuery]) -> SessionPlanOut:
    _require_clinical(request)
    patient = _patient(request, id)
    therapist = Therapist.objects.filter(public_id=query.therapist, active=True).first()
    if therapist is None:
        raise DomainError("No such therapist.", field="therapist")
    service = _service(query.service)
    location = therapist.locations.order_by("name").first()
    on = _day(query.date, location)
    try:
        plan, screening = screened_session_plan(
            patient=patient,
            service=service,
            therapist=therapist,
            on=on,
            history=visit_history(patient),
            **plan_inputs(patient),  # the last signed note and consents (issue 11)
        )
    except ValueError as exc:
        raise DomainError(str(exc), field="date") from exc
    _audit(request, AuditAction.READ, "session_plan", patient)
    return session_plan_out(plan, screening.decision)


# --- Plans of care ---------------------------------------------------------------------------------


class GoalSchema(InSchema):
    measure: str = Field(max_length=30)
    target_change: float = Field(ge=-100, le=100)
    baseline: float | None = Field(None, ge=-1000, le=1000)
    description: str = Field("", max_length=300)


class CarePlanIn(InSchema):
    therapist: UUID | None = None
    starts_on: dt.date | None = None
    conditions: list[str] | None = Field(
        None, max_length=10, description="Default: from the referral and intake."
    )
    frequency_per_week: int | None = Field(None, ge=1, le=7)
    weeks: int | None = Field(None, ge=1, le=52)
    goals: list[GoalSchema] | None = Field(None, max_length=10, description="Default: MCID-based goals.")
    notes: str = Field("", max_length=4000)


class GoalOut(Schema):
    measure: str = Field(description="Measure key from the catalogue, e.g. `nprs`.")
    baseline: float | None
    target_change: float = Field(
        description="Change from baseline in the measure's units (negative = lower)."
    )
    description: str
    basis: str = Field(description="Why this target: the MCID and its source, or a clinic default.")


class CarePlanOut(Schema):
    id: UUID
    status: CarePlanStatus
    therapist: TherapistRef | None
    conditions: list[str] = Field(description="Condition keys from the catalogue.")
    areas: list[AreaOut]
    frequency_per_week: int
    weeks: int
    planned_sessions: int
    frequency_basis: str = Field(description="Where the frequency came from (source or clinic default).")
    starts_on: dt.date
    reassess_on: dt.date
    goals: list[GoalOut]
    notes: str
    approved_at: dt.datetime | None


class CarePlanStateOut(Schema):
    status: CarePlanStatus
    approved_at: dt.datetime | None


class CarePlanConflictOut(ErrorOut):
    """409: the plan of care is no longer a draft (e.g. a racing approval won)."""

    current: CarePlanStateOut = Field(description="The plan's status as stored now.")


class CarePlanPage(Schema):
    items: list[CarePlanOut]
    count: int


def _plan_out(p: CarePlan) -> CarePlanOut:
    return CarePlanOut(
        id=p.public_id,
        status=CarePlanStatus(p.status),
        therapist=TherapistRef(id=p.therapist.public_id, name=p.therapist.full_name) if p.therapist else None,
        conditions=p.conditions,
        areas=p.areas,
        frequency_per_week=p.frequency_per_week,
        weeks=p.weeks,
        planned_sessions=p.planned_sessions,
        frequency_basis=p.frequency_basis,
        starts_on=p.starts_on,
        reassess_on=p.reassess_on,
        goals=[
            GoalOut(
                measure=g.measure,
                baseline=g.baseline,
                target_change=g.target_change,
                description=g.description,
                basis=g.basis,
            )
            for g in p.goals.all()
        ],
        notes=p.notes,
        approved_at=p.approved_at,
    )


@router.post(
    "/patients/{id}/care-plans",
    response={201: CarePlanOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Draft a plan of care from the referral and intake (staff, therapists)",
)
@idempotent
def create_care_plan(request: HttpRequest, id: UUID, payload: CarePlanIn) -> Status:
    patient = _patient(request, id)
    therapist = None
    if payload.therapist is not None:
        therapist = Therapist.objects.filter(public_id=payload.therapist, active=True).first()
        if therapist is None:
            raise DomainError("No such therapist.", field="therapist")
    goals = None
    if payload.goals is not None:
        goals = [GoalIn(**g.model_dump()) for g in payload.goals]
    plan = care_plan_draft(
        actor=api_user(request),
        patient=patient,
        therapist=therapist,
        starts_on=payload.starts_on,
        conditions=payload.conditions,
        frequency_per_week=payload.frequency_per_week,
        weeks=payload.weeks,
        goals=goals,
        notes=payload.notes,
    )
    _audit(request, AuditAction.CREATE, "care_plan", patient, plan)
    return Status(201, _plan_out(plan))


@router.get(
    "/patients/{id}/care-plans",
    response={200: CarePlanPage, **DETAIL_ERRORS},
    summary="A patient's plans of care",
)
def list_care_plans(request: HttpRequest, id: UUID, page: Query[PageParams]) -> CarePlanPage:
    patient = _patient(request, id)
    qs = (
        patient.care_plans.select_related("therapist")
        .prefetch_related("goals")
        .order_by("-created_at", "-id")
    )
    items, count = paginate(qs, page)
    _audit(request, AuditAction.READ, "care_plan_list", patient)
    return CarePlanPage(items=[_plan_out(p) for p in items], count=count)


class CarePlanPatch(InSchema):
    conditions: list[str] | None = Field(None, min_length=1, max_length=10)
    frequency_per_week: int | None = Field(None, ge=1, le=7)
    weeks: int | None = Field(None, ge=1, le=52)
    goals: list[GoalSchema] | None = Field(None, max_length=10)
    notes: str | None = Field(None, max_length=4000)


@router.patch(
    "/care-plans/{id}",
    response={200: CarePlanOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Edit a draft plan of care (staff, therapists)",
)
def update_care_plan(request: HttpRequest, id: UUID, payload: CarePlanPatch) -> CarePlanOut:
    plan = get_in_scope_or_404(
        CarePlan.objects.filter(patient__in=patient_scope(request.user)), id, request=request
    )
    goals = [GoalIn(**g.model_dump()) for g in payload.goals] if payload.goals is not None else None
    care_plan_update(
        actor=api_user(request),
        plan=plan,
        frequency_per_week=payload.frequency_per_week,
        weeks=payload.weeks,
        conditions=payload.conditions,
        goals=goals,
        notes=payload.notes,
    )
    _audit(request, AuditAction.UPDATE, "care_plan", plan.patient, plan)
    return _plan_out(plan)


@router.post(
    "/care-plans/{id}/approve",
    response={200: CarePlanOut, 404: ErrorOut, 409: CarePlanConflictOut, **WRITE_ERRORS},
    summary="Approve a draft plan of care (the treating therapist)",
    description=(
        "A compare-and-set from draft to active: of approvals racing for one draft, one is stored "
        "and the others (and any later one) get 409 with the plan's status (`current`)."
    ),
)
def approve_care_plan(request: HttpRequest, id: UUID) -> CarePlanOut:
    plan = get_in_scope_or_404(
        CarePlan.objects.filter(patient__in=patient_scope(request.user)), id, request=request
    )
    care_plan_approve(actor=api_user(request), plan=plan)
    _audit(request, AuditAction.UPDATE, "care_plan", plan.patient, plan)
    return _plan_out(plan)


# --- A clinician's examination of a fresh injury ---------------------------------------------------


class InflammationCheckIn(InSchema):
    region: str = Field(max_length=40, description="Region key of the injured area, e.g. `ankle_foot`.")
    side: Literal["left", "right", "bilateral"] | None = None
    checked_on: dt.date | None = Field(None, description="Date of the examination; default today.")
    clinician_name: str = Field(max_length=150, description="Who examined the area (required).")
    reason: str = Field(max_length=2000, description="What the examination found (required).")


class InflammationCheckOut(Schema):
    id: UUID
    region: str
    side: str
    checked_on: dt.date
    clinician_name: str
    reason: str


@router.post(
    "/patients/{id}/inflammation-checks",
    response={201: InflammationCheckOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Record that a clinician found no inflammation signs at a fresh injury (staff, therapists)",
)
@idempotent
def create_inflammation_check(request: HttpRequest, id: UUID, payload: InflammationCheckIn) -> Status:
    _require_clinical(request)
    patient = _patient(request, id)
    try:
        area = AreaIn(region=payload.region, side=payload.side)
    except pydantic.ValidationError as exc:
        # AreaIn checks the region against the catalogue after ninja's own validation: a 422 here.
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise DomainError(message, field="region") from None
    check = inflammation_check_record(
        actor=api_user(request),
        patient=patient,
        area=area,
        checked_on=payload.checked_on or clinic_today(),
        clinician_name=payload.clinician_name,
        reason=payload.reason,
    )
    _audit(request, AuditAction.CREATE, "inflammation_check", patient, check)
    return Status(
        201,
        {
            "id": check.public_id,
            "region": check.region,
            "side": check.side,
            "checked_on": check.checked_on,
            "clinician_name": check.clinician_name,
            "reason": check.reason,
        },
    )
