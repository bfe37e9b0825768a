"""Measurements, questionnaires, progress and progress reports (issue 11). See docs/api.md, "Outcomes".

A patient reads their own measures, progress and reports; staff and their therapists read and
record; a referrer reads the progress reports of the referrals they sent, never the raw record.
`GET /referrals/{id}/progress-report` answers JSON, or a PDF with `Accept: application/pdf`;
every answer to a referrer's system is recorded as a delivery.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from kneadwell.accounts.models import CARE_ROLES, AuditAction, Role, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.api.auth import api_user
from kneadwell.lib.errors import DomainError
from kneadwell.outcomes import reports, services
from kneadwell.outcomes.instruments import instrument
from kneadwell.outcomes.models import Channel, DeliveryEvent, Measurement, ProgressReport, ReportKind
from kneadwell.outcomes.selectors import (
    measurement_scope,
    offered_instruments,
    patient_progress,
    questionnaires_due,
    response_scope,
)
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.referrals.models import Referral
from kneadwell.referrals.selectors import referral_scope
from kneadwell.scheduling.models import Appointment
from kneadwell.scheduling.selectors import appointment_scope

from .idempotency import idempotent
from .schemas import DETAIL_ERRORS, WRITE_ERRORS, ErrorOut, InSchema, PageParams, paginate

router = Router(tags=["outcomes"])

PDF = "application/pdf"
PDF_CONTENT = {
    200: {
        "description": "JSON by default; a PDF with `Accept: application/pdf`.",
        "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def wants_pdf(request: HttpRequest) -> bool:
    return PDF in request.headers.get("Accept", "")


def _patient(request: HttpRequest, id: UUID) -> Patient:
    return get_in_scope_or_404(patient_scope(request.user), id, request=request)


def _no_referrer(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) == Role.REFERRER:
        raise PermissionDenied("You do not have permission to see this: referrers receive progress reports.")


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


def _appointment(request: HttpRequest, patient: Patient, id: UUID | None) -> Appointment | None:
    if id is None:
        return None
    appointment = appointment_scope(request.user).filter(public_id=id, patient=patient).first()
    if appointment is None:
        raise DomainError("No such appointment for this patient.", field="appointment")
    return appointment


# --- Measurements ----------------------------------------------------------------------------------


class RomIn(InSchema):
    kind: Literal["rom"]
    motion: str = Field(max_length=40, description="Catalogue ROM motion key, e.g. neck_rotation.")
    side: Literal["left", "right"] | None = None
    value: float = Field(description="Degrees (mm for mouth opening).")
    method: Literal["goniometer", "inclinometer", "ruler", "visual"] = "goniometer"
    active: bool = True
    appointment: UUID | None = None


class RatingIn(InSchema):
    kind: Literal["rating"]
    measure: Literal["stress_nrs", "sleep_nrs", "mood_nrs"]
    value: int = Field(description="0–10.")
    appointment: UUID | None = None


class MeasurementOut(Schema):
    id: UUID
    measure: str
    value: float
    unit: str
    motion: str | None
    side: str | None
    method: str | None
    active: bool | None
    reference: str | None
    reference_value: float | None
    appointment_id: UUID | None
    questionnaire_response_id: UUID | None
    taken_at: dt.datetime
    channel: str
    voided: bool
    void_reason: str


class MeasurementPage(Schema):
    items: list[MeasurementOut]
    count: int


class VoidIn(InSchema):
    reason: str = Field(min_length=1, max_length=300)


def measurement_out(m: Measurement) -> MeasurementOut:
    return MeasurementOut(
        id=m.public_id,
        measure=m.measure,
        value=m.value,
        unit=m.unit,
        motion=m.motion or None,
        side=m.side or None,
        method=m.method or None,
        active=m.active,
        reference=m.reference_label or None,
        reference_value=m.reference_value,
        appointment_id=m.appointment.public_id if m.appointment else None,
        questionnaire_response_id=m.response.public_id if m.response else None,
        taken_at=m.taken_at,
        channel=m.channel,
        voided=m.voided_at is not None,
        void_reason=m.void_reason,
    )


@router.post(
    "/patients/{id}/measurements",
    response={201: MeasurementOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Record a ROM measurement or a 0–10 wellbeing rating",
)
@idempotent
def record_measurement(request: HttpRequest, id: UUID, payload: RomIn | RatingIn) -> Status:
    patient = _patient(request, id)
    appointment = _appointment(request, patient, payload.appointment)
    actor = api_user(request)
    if isinstance(payload, RomIn):
        m = services.rom_record(
            actor=actor,
            patient=patient,
            motion=payload.motion,
            value=payload.value,
            side=payload.side,
            method=payload.method,
            active=payload.active,
            appointment=appointment,
            channel=Channel.API,
        )
    else:
        m = services.rating_record(
            actor=actor,
            patient=patient,
            measure=payload.measure,
            value=payload.value,
            appointment=appointment,
            channel=Channel.API,
        )
    _audit(request, AuditAction.CREATE, "measurement", patient, m)
    return Status(201, measurement_out(m))


@router.get(
    "/patients/{id}/measurements",
    response={200: MeasurementPage, 403: ErrorOut, **DETAIL_ERRORS},
    summary="A patient's measurements (ROM, ratings, questionnaire scores), oldest first",
)
def list_measurements(request: HttpRequest, id: UUID, page: Query[PageParams]) -> MeasurementPage:
    _no_referrer(request)
    patient = _patient(request, id)
    qs = measurement_scope(request.user).filter(patient=patient).select_related("appointment", "response")
    items, count = paginate(qs.order_by("taken_at", "id"), page)
    _audit(request, AuditAction.READ, "measurement_list", patient)
    return MeasurementPage(items=[measurement_out(m) for m in items], count=count)


@router.post(
    "/measurements/{id}/void",
    response={200: MeasurementOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Void a measurement entered in error (it stays in the record)",
)
def void_measurement(request: HttpRequest, id: UUID, payload: VoidIn) -> MeasurementOut:
    m = get_in_scope_or_404(
        measurement_scope(request.user).select_related("patient", "appointment"), id, request=request
    )
    services.measurement_void(actor=api_user(request), measurement=m, reason=payload.reason)
    _audit(request, AuditAction.UPDATE, "measurement", m.patient, m)
    return measurement_out(m)


# --- Questionnaires --------------------------------------------------------------------------------


class OptionOut(Schema):
    points: int
    text: str


class ItemOut(Schema):
    key: str
    text: str
    options: list[OptionOut]


class InstrumentOut(Schema):
    key: str
    name: str
    title: str
    version: str
    language: str
    licence: str
    attribution: str
    instructions: str
    scale: str
    direction: Literal["higher_is_worse", "higher_is_better"]
    patient_named_items: bool
    items: list[ItemOut]


@router.get(
    "/instruments",
    response={200: list[InstrumentOut], 401: ErrorOut},
    summary="Questionnaires this clinic may offer (with their text)",
)
def list_instruments(request: HttpRequest) -> list[InstrumentOut]:
    out = []
    for key, text in offered_instruments().items():
        inst = instrument(key)
        out.append(
            InstrumentOut(
                key=key,
                name=inst.name,
                title=text.title,
                version=text.version,
                language=text.language,
                licence=text.licence,
                attribution=text.attribution,
                instructions=text.instructions,
                scale=inst.scale,
                direction=inst.direction,  # type: ignore[arg-type]  # a stored value constrained to the schema's Literal members
                patient_named_items=inst.patient_named,
                items=[
                    ItemOut(
                        key=i.key,
                        text=i.text,
                        options=[OptionOut(points=o.points, text=o.text) for o in i.options],
                    )
                    for i in text.items
                ],
            )
        )
    return out


class DueOut(Schema):
    instrument: str
    name: str
    reason: Literal["baseline", "every_n_visits", "discharge"]
    visits_done: int


@router.get(
    "/patients/{id}/questionnaires/due",
    response={200: list[DueOut], 403: ErrorOut, **DETAIL_ERRORS},
    summary="Questionnaires due now (baseline, every N visits, discharge)",
)
def list_due(request: HttpRequest, id: UUID) -> list[DueOut]:
    _no_referrer(request)
    patient = _patient(request, id)
    _audit(request, AuditAction.READ, "questionnaires_due", patient)
    return [
        DueOut(
            instrument=d.instrument,
            name=instrument(d.instrument).name,
            reason=d.reason.value,
            visits_done=d.visits_done,
        )
        for d in questionnaires_due(patient)
    ]


class ResponseIn(InSchema):
    instrument: str = Field(max_length=30, description="Instrument key, e.g. ndi, psfs.")
    answers: dict[str, int | None] = Field(
        description="Item key (PSFS: the activity's name) → points of the chosen answer; null = unanswered."
    )
    appointment: UUID | None = None
    channel: Literal["portal", "tablet", "api"] = "api"


class ResponseOut(Schema):
    id: UUID
    instrument: str
    text_version: str
    pack: str
    answers: dict[str, int | None]
    score: float | None
    unit: str
    band: str | None
    missing: list[str]
    notes: list[str]
    subscales: dict[str, float | None]
    completed_at: dt.datetime
    channel: str


class ResponsePage(Schema):
    items: list[ResponseOut]
    count: int


def response_out(r: Any) -> ResponseOut:
    detail = r.detail or {}
    return ResponseOut(
        id=r.public_id,
        instrument=r.instrument,
        text_version=r.text_version,
        pack=r.pack,
        answers=r.answers,
        score=r.score,
        unit=instrument(r.instrument).unit,
        band=detail.get("band"),
        missing=detail.get("missing", []),
        notes=detail.get("notes", []),
        subscales=detail.get("subscales", {}),
        completed_at=r.completed_at,
        channel=r.channel,
    )


@router.post(
    "/patients/{id}/questionnaire-responses",
    response={201: ResponseOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Submit a filled questionnaire: scored with its missing-item rules",
)
@idempotent
def submit_response(request: HttpRequest, id: UUID, payload: ResponseIn) -> Status:
    patient = _patient(request, id)
    appointment = _appointment(request, patient, payload.appointment)
    due = {d.instrument: d.reason.value for d in questionnaires_due(patient)}
    response = services.response_record(
        actor=api_user(request),
        patient=patient,
        instrument_key=payload.instrument,
        answers=payload.answers,
        appointment=appointment,
        channel=payload.channel,
        due_reason=due.get(payload.instrument, ""),
    )
    _audit(request, AuditAction.CREATE, "questionnaire_response", patient, response)
    return Status(201, response_out(response))


@router.get(
    "/patients/{id}/questionnaire-responses",
    response={200: ResponsePage, 403: ErrorOut, **DETAIL_ERRORS},
    summary="A patient's questionnaire responses, newest first",
)
def list_responses(request: HttpRequest, id: UUID, page: Query[PageParams]) -> ResponsePage:
    _no_referrer(request)
    patient = _patient(request, id)
    items, count = paginate(
        response_scope(request.user).filter(patient=patient).order_by("-completed_at", "-id"), page
    )
    _audit(request, AuditAction.READ, "questionnaire_response_list", patient)
    return ResponsePage(items=[response_out(r) for r in items], count=count)


# --- Progress --------------------------------------------------------------------------------------


class PointOut(Schema):
    visit: int
    date: dt.date
    value: float


class MeasureProgressOut(Schema):
    key: str
    name: str
    scale: str
    direction: Literal["higher_is_worse", "higher_is_better"]
    points: list[PointOut]
    baseline: float | None
    latest: float | None
    difference: float | None = Field(description="latest − baseline, as on the scale.")
    improvement: float | None = Field(description="Towards better as a positive number.")
    mcid: str | None = Field(description="The within-person MCID used, with its population and source.")
    mcid_sources: list[str]
    mcid_reached: bool | None
    responder: bool | None
    trend: Literal["too_early", "improving", "not_improving"] | None
    trend_reason: str
    note: str
    reference: str | None
    chart_svg: str


class ProgressOut(Schema):
    patient_id: UUID
    visits: int
    not_improving_after_visits: int
    not_improving: list[str]
    measures: list[MeasureProgressOut]


@router.get(
    "/patients/{id}/progress",
    response={200: ProgressOut, 403: ErrorOut, **DETAIL_ERRORS},
    summary="Per measure: baseline, latest, change, MCID reached (with source), responder, trend, chart",
)
def get_progress(request: HttpRequest, id: UUID) -> ProgressOut:
    _no_referrer(request)
    patient = _patient(request, id)
    progress = patient_progress(patient)
    _audit(request, AuditAction.READ, "progress", patient)
    return ProgressOut(
        patient_id=patient.public_id,
        visits=len(progress.visits),
        not_improving_after_visits=progress.after_visits,
        not_improving=[m.name for m in progress.not_improving],
        measures=[
            MeasureProgressOut(
                key=m.key,
                name=m.name,
                scale=m.scale,
                direction="higher_is_better" if m.higher_is_better else "higher_is_worse",
                points=[PointOut(visit=v, date=d, value=val) for v, d, val in m.points],
                baseline=m.baseline,
                latest=m.latest,
                difference=m.change.difference if m.change else None,
                improvement=m.improvement,
                mcid=m.change.mcid.label if m.change and m.change.mcid else None,
                mcid_sources=list(m.change.mcid.threshold.sources) if m.change and m.change.mcid else [],
                mcid_reached=m.change.mcid_reached if m.change else None,
                responder=m.change.responder if m.change else None,
                trend=m.check.trend.value if m.check else None,
                trend_reason=m.check.reason if m.check else "",
                note=m.note,
                reference=m.reference or None,
                chart_svg=m.chart_svg,
            )
            for m in progress.measures
        ],
    )


# --- Progress reports ------------------------------------------------------------------------------


class ReportMeasureOut(Schema):
    key: str
    name: str
    scale: str
    direction: str
    visits_measured: int
    baseline: float | None
    latest: float | None
    difference: float | None
    improvement: float | None
    mcid: str | None
    mcid_sources: list[str]
    mcid_reached: bool | None
    responder: bool | None
    not_improving: bool
    trend: str
    note: str
    reference: str
    chart_svg: str


class NamedMinutes(Schema):
    key: str | None = None
    region: str | None = None
    side: str | None = None
    name: str
    minutes: int


class ReportPrecautionOut(Schema):
    code: str
    message: str
    visits: int


class SafetyOut(Schema):
    date: dt.date
    statement: str


class DiagnosisRef(Schema):
    condition: str | None
    icd10: str | None


class ReferralRef(Schema):
    id: UUID
    received_on: dt.date
    question: str
    provider: str
    npi: str | None
    diagnoses: list[DiagnosisRef]
    requested_sessions: int | None
    precautions: str


class PatientRef(Schema):
    name: str
    birth_date: dt.date


class DeliveryOut(Schema):
    event: Literal["sent", "opened", "downloaded", "fetched"]
    at: dt.datetime
    by: str | None


class ReportOut(Schema):
    id: UUID
    kind: Literal["interim", "on_demand", "not_improving", "discharge"]
    kind_label: str
    created_at: dt.datetime
    patient: PatientRef
    referral: ReferralRef
    visits: int
    first_visit: dt.date | None
    last_visit: dt.date | None
    techniques: list[NamedMinutes]
    regions: list[NamedMinutes]
    measures: list[ReportMeasureOut]
    not_improving_after_visits: int
    precautions: list[ReportPrecautionOut]
    safety_statements: list[SafetyOut]
    assessment: str
    plan: str
    home_care: str
    therapist: str | None
    therapist_licence: str | None
    deliveries: list[DeliveryOut]


class ReportIn(InSchema):
    kind: Literal["on_demand", "not_improving", "discharge"] = "on_demand"


def report_out(report: ProgressReport) -> ReportOut:
    c = report.content
    return ReportOut(
        id=report.public_id,
        created_at=report.created_at,
        deliveries=[
            DeliveryOut(event=d.event, at=d.at, by=(d.by.get_full_name() or d.by.username) if d.by else None)  # type: ignore[arg-type]  # a stored value constrained to the schema's Literal members
            for d in report.deliveries.select_related("by")
        ],
        **c,
    )


def _referral(request: HttpRequest, id: UUID) -> Referral:
    return get_in_scope_or_404(referral_scope(request.user), id, request=request)


def _report_response(
    request: HttpRequest, report: ProgressReport, event: DeliveryEvent
) -> HttpResponse | ReportOut:
    user = request.user if isinstance(request.user, User) else None
    if user is not None and user.role == Role.REFERRER:
        reports.deliver(report, event=event, by=user)
    _audit(request, AuditAction.READ, "progress_report", report.patient, report)
    if wants_pdf(request):
        response = HttpResponse(reports.report_pdf(report), content_type=PDF)
        response["Content-Disposition"] = f'inline; filename="progress-report-{report.public_id}.pdf"'
        return response
    return report_out(report)


@router.get(
    "/referrals/{id}/progress-report",
    response={200: ReportOut, **DETAIL_ERRORS},
    openapi_extra={"responses": PDF_CONTENT},
    summary="The referral's progress report as it reads now (JSON, or PDF with Accept: application/pdf)",
)
def get_progress_report(request: HttpRequest, id: UUID) -> HttpResponse | ReportOut:
    referral = _referral(request, id)
    # Stored (and de-duplicated) so what was answered stays on record; not "sent" to the portal by a read.
    report = reports.report_create(actor=None, referral=referral, kind=ReportKind.ON_DEMAND, send=False)
    event = DeliveryEvent.DOWNLOADED if wants_pdf(request) else DeliveryEvent.FETCHED
    return _report_response(request, report, event)


@router.get(
    "/referrals/{id}/progress-reports",
    response={200: list[ReportOut], **DETAIL_ERRORS},
    summary="Reports sent for the referral, newest first",
)
def list_progress_reports(request: HttpRequest, id: UUID) -> list[ReportOut]:
    referral = _referral(request, id)
    rows = list(
        ProgressReport.objects.filter(referral=referral, deliveries__event=DeliveryEvent.SENT).distinct()
    )
    _audit(request, AuditAction.READ, "progress_report_list", referral.patient, referral)
    return [report_out(r) for r in rows]


@router.post(
    "/referrals/{id}/progress-reports",
    response={201: ReportOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Send a progress report (or the discharge summary) to the referrer now (clinic staff, therapists)",
)
@idempotent
def send_progress_report(request: HttpRequest, id: UUID, payload: ReportIn) -> Status:
    referral = _referral(request, id)
    if getattr(request.user, "role", None) not in CARE_ROLES:
        raise PermissionDenied("You do not have permission to send reports: the clinic sends them.")
    report = reports.report_create(actor=api_user(request), referral=referral, kind=payload.kind)
    if not report.deliveries.filter(event=DeliveryEvent.SENT).exists():
        reports.deliver(report, event=DeliveryEvent.SENT, by=api_user(request))
    _audit(request, AuditAction.CREATE, "progress_report", referral.patient, report)
    return Status(201, report_out(report))
