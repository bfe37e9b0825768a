"""Plan-of-care series: book a plan's cadence in one go, then cancel or move it from an occurrence on.

The endpoints call `scheduling.series` (`series_book`, `series_cancel`, `series_move`), which check
every occurrence; a conflict comes back with its nearest free alternatives in the same local week.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kneadwell.accounts.models import AuditAction, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import zone
from kneadwell.patients.selectors import patient_scope
from kneadwell.planning.models import CarePlan
from kneadwell.scheduling.models import Appointment, Series, SeriesMode
from kneadwell.scheduling.selectors import series_scope
from kneadwell.scheduling.series import (
    Occurrence,
    SeriesResult,
    WeeklyTime,
    series_book,
    series_cancel,
    series_move,
)

from .idempotency import idempotent
from .scheduling import (
    AppointmentDetailOut,
    LocationRef,
    PersonRef,
    RoomRef,
    ServiceRef,
    SlotOut,
    _location,
    _service,
    _slot_out,
    _therapist,
)
from .schemas import DETAIL_ERRORS, WRITE_ERRORS, ErrorOut, FieldError, InSchema, UtcInstant, WallClockTime

router = Router(tags=["series"])


class WeeklyTimeIn(InSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday, local.")
    time: WallClockTime = Field(description="Local wall-clock time, e.g. 17:00.")


class WeeklyTimeOut(Schema):
    weekday: int
    time: str


class SeriesIn(InSchema):
    service: str = Field(max_length=40, description="Service code, e.g. therapeutic-60.")
    location: UUID
    therapist: UUID | None = Field(None, description="Default: the plan of care's therapist.")
    times: list[WeeklyTimeIn] = Field(
        min_length=1, max_length=7, description="One weekly time per visit a week the plan asks for."
    )
    starts_on: dt.date | None = Field(None, description="Default: the plan's start, or today if later.")
    weeks: int | None = Field(None, ge=1, le=52, description="Default: the plan's number of weeks.")
    every_weeks: int = Field(
        1, ge=1, le=8, description="The cadence: every week (1), every other week (2), …"
    )
    mode: SeriesMode = Field(SeriesMode.ALL_OR_NOTHING, description="all_or_nothing or book_what_fits.")
    dry_run: bool = Field(False, description="Check every occurrence and book nothing.")


class OccurrenceOut(Schema):
    index: int
    start: dt.datetime
    end: dt.datetime
    local_start: dt.datetime
    status: Literal["free", "conflict", "booked"]
    reason: str
    room: RoomRef | None
    appointment: UUID | None
    alternatives: list[SlotOut] = Field(description="Nearest free times in the same local week.")


class SeriesOut(Schema):
    id: UUID
    care_plan: UUID | None
    patient: PersonRef
    therapist: PersonRef
    location: LocationRef
    service: ServiceRef
    pattern: list[WeeklyTimeOut]
    starts_on: dt.date
    weeks: int
    every_weeks: int
    mode: SeriesMode
    appointments: list[AppointmentDetailOut]


class SeriesResultOut(Schema):
    dry_run: bool
    mode: SeriesMode
    series: SeriesOut | None
    occurrences: list[OccurrenceOut]


class SeriesConflictOut(Schema):
    """Nothing was booked or moved: the envelope plus every occurrence, each conflict with alternatives."""

    detail: str
    errors: list[FieldError] = []
    occurrences: list[OccurrenceOut] = []


class SeriesCancelIn(InSchema):
    from_: UUID | None = Field(
        None, alias="from", description="First appointment to cancel; default all upcoming."
    )
    reason: str = Field("", max_length=500)
    by_patient: bool | None = Field(None, description="The patient asked (default yes).")
    override_reason: str = Field("", max_length=500)


class SeriesMoveIn(InSchema):
    from_: UUID = Field(alias="from", description="The first appointment to move.")
    start: UtcInstant = Field(description="Its new start; later ones of the same weekly time follow.")
    dry_run: bool = False


SERIES_ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 404: ErrorOut, 409: SeriesConflictOut}


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _person(obj: Any) -> dict[str, object]:
    return {"id": obj.public_id, "name": obj.full_name}


def _series_out(series: Series) -> dict[str, object]:
    location = series.location
    appointments = list(
        series.appointments.select_related(
            "patient", "therapist", "room", "location", "service", "series"
        ).order_by("start")
    )
    return {
        "id": series.public_id,
        "care_plan": series.care_plan.public_id if series.care_plan else None,
        "patient": _person(series.patient),
        "therapist": _person(series.therapist),
        "location": {"id": location.public_id, "name": location.name, "time_zone": location.time_zone},
        "service": {"code": series.service.code, "name": series.service.name},
        "pattern": [WeeklyTime.from_json(p).as_json() for p in series.pattern],
        "starts_on": series.starts_on,
        "weeks": series.weeks,
        "every_weeks": series.every_weeks,
        "mode": series.mode,
        "appointments": appointments,
    }


def _occurrence_out(occ: Occurrence, time_zone: str) -> dict[str, object]:
    return {
        "index": occ.index,
        "start": occ.start,
        "end": occ.end,
        "local_start": occ.start.astimezone(zone(time_zone)),
        "status": occ.status,
        "reason": occ.reason,
        "room": {"id": occ.room.public_id, "name": occ.room.name} if occ.room else None,
        "appointment": occ.appointment.public_id if occ.appointment and occ.status == "booked" else None,
        "alternatives": [_slot_out(s) for s in occ.alternatives],
    }


def _answer(result: SeriesResult, time_zone: str, *, created: bool, nothing: str) -> Status:
    occurrences = [_occurrence_out(o, time_zone) for o in result.occurrences]
    if not result.dry_run and result.series is None and result.occurrences:
        # Nothing written: all or nothing met a conflict, or nothing fitted.
        return Status(409, {"detail": nothing, "errors": [], "occurrences": occurrences})
    body = {
        "dry_run": result.dry_run,
        "mode": result.mode,
        "series": _series_out(result.series) if result.series is not None else None,
        "occurrences": occurrences,
    }
    return Status(201 if created and not result.dry_run else 200, body)


@router.post(
    "/care-plans/{id}/series",
    response={200: SeriesResultOut, 201: SeriesResultOut, **SERIES_ERRORS},
    summary="Book a plan of care's visits as a series (dry_run checks every occurrence and books nothing)",
)
@idempotent
def create_series(request: HttpRequest, id: UUID, payload: SeriesIn) -> Status:
    actor = _actor(request)
    plan = get_in_scope_or_404(
        CarePlan.objects.filter(patient__in=patient_scope(actor)).select_related("patient", "therapist"), id
    )
    if payload.therapist is not None:
        therapist = _therapist(request, payload.therapist)
    elif plan.therapist is not None:
        therapist = plan.therapist
    else:
        raise DomainError("The plan of care names no therapist: choose one.", field="therapist")
    location = _location(payload.location)
    result = series_book(
        actor=actor,
        care_plan=plan,
        service=_service(payload.service),
        location=location,
        therapist=therapist,
        pattern=[WeeklyTime(t.weekday, t.time) for t in payload.times],
        starts_on=payload.starts_on,
        weeks=payload.weeks,
        mode=payload.mode,
        dry_run=payload.dry_run,
        every_weeks=payload.every_weeks,
        via="api",
        request=request,
    )
    return _answer(
        result,
        location.time_zone,
        created=True,
        nothing="Nothing was booked: see each occurrence's conflict and its alternatives.",
    )


def _series(request: HttpRequest, id: UUID) -> Series:
    return get_in_scope_or_404(
        series_scope(request.user).select_related("patient", "therapist", "location", "service", "care_plan"),
        id,
    )


def _from(series: Series, public_id: UUID | None) -> Appointment | None:
    if public_id is None:
        return None
    found = (
        series.appointments.select_related("location", "service", "therapist", "patient")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise DomainError("That appointment is not part of this series.", field="from")
    return found


@router.get(
    "/series/{id}", response={200: SeriesOut, **DETAIL_ERRORS}, summary="A series and its appointments"
)
def get_series(request: HttpRequest, id: UUID) -> dict[str, object]:
    series = _series(request, id)
    audit_record(
        actor=_actor(request),
        action=AuditAction.READ,
        object_type="series",
        object_id=series.public_id,
        patient_ids=[series.patient.public_id],
        channel="api",
        request=request,
    )
    return _series_out(series)


@router.post(
    "/series/{id}/cancel",
    response={200: SeriesOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Cancel a series' upcoming visits from an occurrence onward (the clinic's staff)",
)
def cancel_series(request: HttpRequest, id: UUID, payload: SeriesCancelIn) -> dict[str, object]:
    series = _series(request, id)
    series_cancel(
        series=series,
        actor=_actor(request),
        from_appointment=_from(series, payload.from_),
        reason=payload.reason,
        by_patient=payload.by_patient,
        override_reason=payload.override_reason,
        via="api",
        request=request,
    )
    return _series_out(series)


@router.post(
    "/series/{id}/move",
    response={200: SeriesResultOut, **SERIES_ERRORS},
    summary="Move a series from an occurrence onward to a new weekly time, all or nothing",
)
def move_series(request: HttpRequest, id: UUID, payload: SeriesMoveIn) -> Status:
    series = _series(request, id)
    from_appointment = _from(series, payload.from_)
    assert from_appointment is not None
    result = series_move(
        series=series,
        actor=_actor(request),
        from_appointment=from_appointment,
        start=payload.start,
        dry_run=payload.dry_run,
        via="api",
        request=request,
    )
    return _answer(
        result,
        series.location.time_zone,
        created=False,
        nothing="Nothing was moved: see each occurrence's conflict and its alternatives.",
    )
