"""Host visits, spot-work requests and the spot-work day plan (issue 10). See docs/api.md."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kneadwell.accounts.models import AuditAction, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import local_day_bounds, zone
from kneadwell.patients.selectors import patient_scope
from kneadwell.spotwork.models import HostVisit, SpotWorkRequest
from kneadwell.spotwork.presenters import plan_out
from kneadwell.spotwork.selectors import host_visit_scope, spot_work_request_scope
from kneadwell.spotwork.services import (
    PlanApplyFailed,
    host_visit_create,
    host_visit_delete,
    host_visits_import,
    spot_work_plan,
    spot_work_request_create,
)
from kneadwell.therapists.selectors import therapist_scope

from .idempotency import idempotent
from .schemas import DETAIL_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut, InSchema, UtcInstant

router = Router(tags=["spot work"])


class Ref(Schema):
    id: UUID
    name: str


class HostVisitOut(Schema):
    id: UUID
    patient: Ref
    location: Ref
    provider_name: str
    provider_ref: str
    start: dt.datetime
    end: dt.datetime
    local_start: dt.datetime
    source: str


class HostVisitIn(InSchema):
    patient: UUID
    location: UUID
    start: UtcInstant
    end: UtcInstant
    provider_name: str = Field(min_length=1, max_length=120)
    provider_ref: str = Field("", max_length=120)


class HostVisitImportIn(InSchema):
    location: UUID
    format: Literal["csv", "ics"]
    content: str = Field(min_length=1, max_length=2_000_000, description="The file's text.")


class HostVisitPage(Schema):
    items: list[HostVisitOut]
    count: int


class DayFilter(Schema):
    model_config = ConfigDict(extra="forbid")
    location: UUID | None = None
    date: dt.date | None = Field(None, description="The location's local date (needs `location`).")


class SpotWorkRequestIn(InSchema):
    host_visit: UUID
    region: str = Field(min_length=1, max_length=40)
    preferred_therapist: UUID | None = None
    earliest_start: UtcInstant | None = None
    latest_end: UtcInstant | None = None


class SpotWorkRequestOut(Schema):
    id: UUID
    patient: Ref
    host_visit: UUID
    region: str
    preferred_therapist: Ref | None
    earliest_start: dt.datetime | None
    latest_end: dt.datetime | None
    status: str
    appointment: UUID | None


class SpotWorkRequestPage(Schema):
    items: list[SpotWorkRequestOut]
    count: int


class PlanIn(InSchema):
    location: UUID
    date: dt.date
    dry_run: bool = True


class PlacementOut(Schema):
    request: UUID
    patient: Ref
    therapist: Ref
    room: Ref
    start: dt.datetime
    end: dt.datetime
    local_start: dt.datetime
    side: str
    waiting_minutes: int
    appointment: UUID | None = None


class UnplacedOut(Schema):
    request: UUID
    patient: Ref
    reason: str
    message: str
    displaced: int | None


class LevelOut(Schema):
    name: str
    value: int
    bound: int
    optimal: bool


class PlanOut(Schema):
    location: Ref
    date: dt.date
    applied: bool
    status: Literal["optimal", "feasible"]
    relative_gap: float
    placements: list[PlacementOut]
    unplaced: list[UnplacedOut]
    levels: list[LevelOut]
    total_waiting_minutes: int
    therapists_used: int


class PlanConflictOut(ErrorOut):
    request: UUID | None = None


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _location(public_id: UUID) -> Location:
    location = Location.objects.filter(public_id=public_id).first()
    if location is None:
        raise DomainError("No such location.", field="location")
    return location


def _visit_out(v: HostVisit) -> dict[str, object]:
    return {
        "id": v.public_id,
        "patient": {"id": v.patient.public_id, "name": str(v.patient)},
        "location": {"id": v.location.public_id, "name": v.location.name},
        "provider_name": v.provider_name,
        "provider_ref": v.provider_ref,
        "start": v.start,
        "end": v.end,
        "local_start": v.start.astimezone(zone(v.location.time_zone)),
        "source": v.source,
    }


def _request_out(r: SpotWorkRequest) -> dict[str, object]:
    t = r.preferred_therapist
    return {
        "id": r.public_id,
        "patient": {"id": r.patient.public_id, "name": str(r.patient)},
        "host_visit": r.host_visit.public_id,
        "region": r.region,
        "preferred_therapist": {"id": t.public_id, "name": t.full_name} if t else None,
        "earliest_start": r.earliest_start,
        "latest_end": r.latest_end,
        "status": r.status,
        "appointment": r.appointment.public_id if r.appointment_id and r.appointment else None,
    }


def _read_audit(request: HttpRequest, object_type: str, patients: list[object]) -> None:
    audit_record(
        actor=_actor(request),
        action=AuditAction.READ,
        object_type=object_type,
        patient_ids=list(dict.fromkeys(patients)),
        channel="api",
        request=request,
    )


def _day_filter(qs, filters: DayFilter, field: str):  # type: ignore[no-untyped-def]
    if filters.date is not None and filters.location is None:
        raise DomainError("Give the location whose local date this is.", field="location")
    if filters.location is not None:
        location = _location(filters.location)
        qs = qs.filter(**{f"{field}location": location})
        if filters.date is not None:
            lo, hi = local_day_bounds(filters.date, location.time_zone)
            qs = qs.filter(**{f"{field}start__lt": hi, f"{field}end__gt": lo})
    return qs


@router.get("/host-visits", response={200: HostVisitPage, **READ_ERRORS}, summary="Host visits you may see")
def list_host_visits(request: HttpRequest, filters: Query[DayFilter]) -> dict[str, object]:
    items = list(_day_filter(host_visit_scope(request.user), filters, "")[:500])
    if items:
        _read_audit(request, "host_visit", [v.patient.public_id for v in items])
    return {"items": [_visit_out(v) for v in items], "count": len(items)}


@router.post(
    "/host-visits",
    response={201: HostVisitOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Record a host visit (front desk, clinic admin)",
)
@idempotent
def create_host_visit(request: HttpRequest, payload: HostVisitIn) -> Status:
    actor = _actor(request)
    patient = get_in_scope_or_404(patient_scope(actor), payload.patient)
    visit = host_visit_create(
        actor=actor,
        patient=patient,
        location=_location(payload.location),
        start=payload.start,
        end=payload.end,
        provider_name=payload.provider_name,
        provider_ref=payload.provider_ref,
        via="api",
        request=request,
    )
    return Status(201, _visit_out(visit))


@router.post(
    "/host-visits/import",
    response={201: HostVisitPage, **WRITE_ERRORS},
    summary="Import a file of host visits, CSV or iCalendar: all of it or none (errors by line)",
)
@idempotent
def import_host_visits(request: HttpRequest, payload: HostVisitImportIn) -> Status:
    visits = host_visits_import(
        actor=_actor(request),
        location=_location(payload.location),
        content=payload.content,
        kind=payload.format,
        via="api",
        request=request,
    )
    return Status(201, {"items": [_visit_out(v) for v in visits], "count": len(visits)})


@router.delete(
    "/host-visits/{id}",
    response={204: None, 409: ErrorOut, **DETAIL_ERRORS, 403: ErrorOut},
    summary="Delete a host visit (front desk, clinic admin)",
)
def delete_host_visit(request: HttpRequest, id: UUID) -> Status:
    visit = get_in_scope_or_404(host_visit_scope(request.user), id)
    host_visit_delete(actor=_actor(request), visit=visit, via="api", request=request)
    return Status(204, None)


@router.get(
    "/spot-work/requests",
    response={200: SpotWorkRequestPage, **READ_ERRORS},
    summary="Spot-work requests you may see",
)
def list_spot_work_requests(request: HttpRequest, filters: Query[DayFilter]) -> dict[str, object]:
    items = list(_day_filter(spot_work_request_scope(request.user), filters, "host_visit__")[:500])
    if items:
        _read_audit(request, "spot_work_request", [r.patient.public_id for r in items])
    return {"items": [_request_out(r) for r in items], "count": len(items)}


@router.post(
    "/spot-work/requests",
    response={201: SpotWorkRequestOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Ask for spot work beside a host visit (front desk, clinic admin)",
)
@idempotent
def create_spot_work_request(request: HttpRequest, payload: SpotWorkRequestIn) -> Status:
    actor = _actor(request)
    visit = get_in_scope_or_404(host_visit_scope(actor), payload.host_visit)
    therapist = (
        get_in_scope_or_404(therapist_scope(actor).prefetch_related(None), payload.preferred_therapist)
        if payload.preferred_therapist
        else None
    )
    row = spot_work_request_create(
        actor=actor,
        host_visit=visit,
        region=payload.region,
        preferred_therapist=therapist,
        earliest_start=payload.earliest_start,
        latest_end=payload.latest_end,
        via="api",
        request=request,
    )
    return Status(201, _request_out(row))


@router.post(
    "/spot-work/plan",
    response={200: PlanOut, 409: PlanConflictOut, **WRITE_ERRORS},
    summary="Plan a location's spot-work day: preview (dry_run) or book it all in one transaction",
)
def plan_spot_work_day(request: HttpRequest, payload: PlanIn) -> dict[str, object] | Status:
    try:
        outcome = spot_work_plan(
            actor=_actor(request),
            location=_location(payload.location),
            day=payload.date,
            dry_run=payload.dry_run,
            via="api",
            request=request,
        )
    except PlanApplyFailed as exc:
        return Status(
            409,
            {
                "detail": exc.message,
                "errors": [{"field": "requests", "message": exc.reason}],
                "request": exc.request_id,
            },
        )
    _read_audit(request, "spot_work_plan", [row.patient.public_id for row in outcome.data.requests.values()])
    return plan_out(outcome)
