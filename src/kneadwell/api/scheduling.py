"""Appointments: each user sees those in their scope. Every read is in the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.params import HeaderEx, P
from pydantic import ConfigDict

from kneadwell.accounts.models import AuditAction, Role, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Room, Service
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import zone
from kneadwell.patients.selectors import patient_scope
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel
from kneadwell.scheduling.policy import BookingPolicy
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.scheduling.services import (
    BOOKING_ROLES,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
    check_idempotency_key,
)
from kneadwell.scheduling.slots import OfferedSlot, availability, nearest_free_slots
from kneadwell.therapists.models import Therapist
from kneadwell.therapists.selectors import therapist_scope

from .schemas import (
    DETAIL_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    FieldError,
    InSchema,
    KeysetParams,
    OptionalFields,
    StorableText,
    UtcInstant,
    keyset_page,
)

router = Router(tags=["appointments"])


class PersonRef(Schema):
    id: UUID
    name: str


class LocationRef(Schema):
    id: UUID
    name: str
    time_zone: str


class RoomRef(Schema):
    id: UUID
    name: str


class ServiceRef(Schema):
    code: str
    name: str


class AppointmentOut(Schema):
    id: UUID = Field(alias="public_id")
    patient: PersonRef
    therapist: PersonRef
    location: LocationRef
    room: RoomRef
    service: ServiceRef
    start: dt.datetime = Field(description="UTC instant.")
    end: dt.datetime = Field(description="UTC instant.")
    local_start: dt.datetime = Field(description="The start in the location's time zone, with its offset.")
    status: AppointmentStatus
    channel: Channel

    # The related rows come from the scope's select_related: no query per appointment.
    @staticmethod
    def resolve_patient(appointment: Appointment) -> dict[str, object]:
        return {"id": appointment.patient.public_id, "name": appointment.patient.full_name}

    @staticmethod
    def resolve_therapist(appointment: Appointment) -> dict[str, object]:
        return {"id": appointment.therapist.public_id, "name": appointment.therapist.full_name}

    @staticmethod
    def resolve_location(appointment: Appointment) -> dict[str, object]:
        location = appointment.location
        return {"id": location.public_id, "name": location.name, "time_zone": location.time_zone}

    @staticmethod
    def resolve_room(appointment: Appointment) -> dict[str, object]:
        return {"id": appointment.room.public_id, "name": appointment.room.name}

    @staticmethod
    def resolve_service(appointment: Appointment) -> dict[str, object]:
        return {"code": appointment.service.code, "name": appointment.service.name}

    @staticmethod
    def resolve_start(appointment: Appointment) -> dt.datetime:
        return appointment.start.astimezone(dt.UTC)

    @staticmethod
    def resolve_end(appointment: Appointment) -> dt.datetime:
        return appointment.end.astimezone(dt.UTC)

    @staticmethod
    def resolve_local_start(appointment: Appointment) -> dt.datetime:
        return appointment.start.astimezone(zone(appointment.location.time_zone))


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    count: int | None = Field(description="The total number of matches, when asked for with `count=true`.")


class AppointmentFilters(OptionalFields):
    model_config = ConfigDict(populate_by_name=True)

    # Optional, but the schema offers no null: a query string cannot carry one.
    from_: UtcInstant | None = Field(
        None, alias="from", description="Only appointments starting at or after this instant (with offset)."
    )
    to: UtcInstant | None = Field(
        None, description="Only appointments starting before this instant (with offset)."
    )
    location: UUID | None = Field(None, description="Location id.")
    therapist: UUID | None = Field(None, description="Therapist id.")
    patient: UUID | None = Field(None, description="Patient id.")
    status: AppointmentStatus | None = Field(None)
    start: UtcInstant | None = Field(
        None, description="Only appointments still running at or after this instant (with offset)."
    )
    end: UtcInstant | None = Field(
        None, description="Only appointments starting before this instant (with offset)."
    )

    def apply(self, qs: QuerySet[Appointment]) -> QuerySet[Appointment]:
        # start/end select the appointments overlapping [start, end): a day's or a week's calendar.
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise DomainError("The end must be after the start.", field="end")
        if self.start is not None:
            qs = qs.filter(end__gt=self.start)
        if self.end is not None:
            qs = qs.filter(start__lt=self.end)
        if self.from_ is not None:
            qs = qs.filter(start__gte=self.from_)
        if self.to is not None:
            qs = qs.filter(start__lt=self.to)
        if self.location is not None:
            qs = qs.filter(location__public_id=self.location)
        if self.therapist is not None:
            qs = qs.filter(therapist__public_id=self.therapist)
        if self.patient is not None:
            qs = qs.filter(patient__public_id=self.patient)
        if self.status is not None:
            qs = qs.filter(status=self.status)
        return qs


def _audit(request: HttpRequest, appointments: list[Appointment], object_id: object = "") -> None:
    # One event per patient concerned, however many of their appointments were shown.
    patient_ids = list(dict.fromkeys(appointment.patient.public_id for appointment in appointments))
    audit_record(
        actor=request.user if isinstance(request.user, User) else None,
        action=AuditAction.READ,
        object_type="appointment",
        object_id=object_id,
        patient_ids=patient_ids,
        channel="api",
        request=request,
    )


@router.get(
    "/appointments",
    response={200: AppointmentPage, **READ_ERRORS},
    summary="List the appointments you may see",
)
def list_appointments(
    request: HttpRequest, filters: Query[AppointmentFilters], page: Query[KeysetParams]
) -> dict[str, object]:
    # Keyset pages in (start, id) order: the last page costs what the first does, at any history.
    items, next_cursor, count = keyset_page(
        filters.apply(appointment_scope(request.user)), page, order=("start", "id")
    )
    if items:
        _audit(request, items)
    return {"items": items, "next_cursor": next_cursor, "count": count}


@router.get("/appointments/{id}", response={200: AppointmentOut, **DETAIL_ERRORS}, summary="One appointment")
def get_appointment(request: HttpRequest, id: UUID) -> Appointment:
    appointment = get_in_scope_or_404(appointment_scope(request.user), id, request=request)
    _audit(request, [appointment], appointment.public_id)
    return appointment


# --- Availability and booking (issue 8) -----------------------------------------------------------
# Availability and every write go through scheduling's services (slots.availability,
# services.appointment_book and the status changes), so the pages and this API hold the same rules.
# Each service raises DomainError (422), Conflict (409) or PermissionDenied (403); the error handlers
# turn them into the envelope, except a taken slot, answered here with its nearest alternatives.


class SlotOut(Schema):
    start: dt.datetime = Field(description="UTC instant.")
    end: dt.datetime = Field(description="UTC instant.")
    local_start: dt.datetime = Field(description="The start in the location's time zone, with its offset.")
    therapist: PersonRef
    room: RoomRef
    location: LocationRef
    service: ServiceRef
    score: int = Field(
        description="0-100: match, continuity with the last therapist, compactness of the day."
    )
    reasons: list[str] = Field(description="One line per merit the score counts.")


class AvailabilityOut(Schema):
    items: list[SlotOut]
    has_more: bool = Field(description="More slots than `limit` were found.")
    start: dt.datetime = Field(description="The searched window's first instant (UTC).")
    end: dt.datetime = Field(description="The searched window's end (UTC, exclusive).")
    step: int = Field(description="Start alignment used, in minutes after local midnight.")


class AvailabilityQuery(StorableText, OptionalFields):
    model_config = ConfigDict(populate_by_name=True)

    service: str = Field(max_length=40, description="Service code, e.g. therapeutic-60.")
    location: UUID = Field(description="Location id.")
    patient: UUID = Field(description="Patient id (the pathway's gate and the patient's own visits count).")
    therapist: UUID | None = Field(None, description="Only this therapist.")
    start: UtcInstant | None = Field(None, description="First start to consider (with offset); default now.")
    end: UtcInstant | None = Field(
        None, description="Starts before this instant (with offset); default 7 days on, within the horizon."
    )
    step: int | None = Field(
        None, ge=1, le=1440, description="Start alignment in minutes: a multiple of the clinic's (default)."
    )
    limit: int = Field(50, ge=1, le=500, description="Slots to return (1–500).")
    order: Literal["rank", "time"] = Field("rank", description="Best first (default) or earliest first.")


class ConflictOut(Schema):
    """A taken slot: the error envelope plus the nearest free slots for the same patient and service."""

    detail: str
    errors: list[FieldError] = []
    alternatives: list[SlotOut] = []


class CancellationOut(Schema):
    at: dt.datetime | None
    reason: str
    by_patient: bool
    late: bool = Field(description="A patient's cancellation inside the clinic's late-cancellation window.")
    policy_override: str = Field(description="Why staff overrode the late-cancellation policy, if they did.")


class AppointmentDetailOut(AppointmentOut):
    series: UUID | None = Field(None, description="The series (plan of care) this visit belongs to.")
    checked_in_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    cancellation: CancellationOut | None = None

    @staticmethod
    def resolve_series(appointment: Appointment) -> UUID | None:
        return appointment.series.public_id if appointment.series_id and appointment.series else None

    @staticmethod
    def resolve_cancellation(appointment: Appointment) -> dict[str, object] | None:
        if appointment.status != AppointmentStatus.CANCELLED:
            return None
        return {
            "at": appointment.cancelled_at,
            "reason": appointment.cancellation_reason,
            "by_patient": appointment.cancelled_by_patient,
            "late": appointment.late_cancellation,
            "policy_override": appointment.policy_override,
        }


class AppointmentIn(InSchema):
    patient: UUID
    service: str = Field(max_length=40, description="Service code, e.g. therapeutic-60.")
    location: UUID
    therapist: UUID
    room: UUID | None = Field(None, description="Default: the clinic picks a free room.")
    start: UtcInstant = Field(description="With its offset; on the clinic's alignment (default 5 minutes).")
    channel: Channel = Channel.API


class CancelIn(InSchema):
    reason: str = Field("", max_length=500)
    by_patient: bool | None = Field(
        None, description="The patient asked (staff say; default yes). A patient's own is always theirs."
    )
    override_reason: str = Field(
        "", max_length=500, description="Staff only: why the late-cancellation policy does not apply."
    )


class RescheduleIn(InSchema):
    start: UtcInstant
    therapist: UUID | None = Field(None, description="Default: the same therapist.")
    room: UUID | None = Field(None, description="Default: the same room if free, else a free one.")
    reason: str = Field("", max_length=500)
    override_reason: str = Field("", max_length=500, description="Staff only, as for a cancellation.")


BOOKING_ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 404: ErrorOut, 409: ConflictOut}
STATUS_ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 404: ErrorOut, 409: ErrorOut}
READ_OR_FORBIDDEN: dict[int, type[Schema]] = {**DETAIL_ERRORS, 403: ErrorOut}


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _service(code: str) -> Service:
    service = Service.objects.filter(code=code).first()
    if service is None:
        raise DomainError(f"No service with code {code!r}.", field="service")
    return service


def _location(public_id: UUID) -> Location:
    location = Location.objects.filter(public_id=public_id).first()
    if location is None:
        raise DomainError("No such location.", field="location")
    return location


def _room(public_id: UUID | None) -> Room | None:
    if public_id is None:
        return None
    room = Room.objects.select_related("location").filter(public_id=public_id).first()
    if room is None:
        raise DomainError("No such room.", field="room")
    return room


def _therapist(request: HttpRequest, public_id: UUID) -> Therapist:
    # Out of scope (or unknown) is 404, as for every id.
    return get_in_scope_or_404(therapist_scope(request.user).prefetch_related(None), public_id)


def _slot_out(slot: OfferedSlot) -> dict[str, object]:
    location = slot.location
    return {
        "start": slot.start,
        "end": slot.end,
        "local_start": slot.local_start,
        "therapist": {"id": slot.therapist.public_id, "name": slot.therapist.name},
        "room": {"id": slot.room.public_id, "name": slot.room.name},
        "location": {"id": location.public_id, "name": location.name, "time_zone": location.time_zone},
        "service": {"code": slot.service.code, "name": slot.service.name},
        "score": slot.score,
        "reasons": list(slot.reasons),
    }


@router.get(
    "/availability",
    response={200: AvailabilityOut, **READ_OR_FORBIDDEN},
    summary="Free slots for a patient and service, ranked, each with its reasons",
)
def get_availability(request: HttpRequest, query: Query[AvailabilityQuery]) -> dict[str, object]:
    actor = _actor(request)
    if actor.role not in BOOKING_ROLES:
        raise PermissionDenied("You do not have permission to search availability.")
    patient = get_in_scope_or_404(patient_scope(actor), query.patient)
    therapist = _therapist(request, query.therapist) if query.therapist is not None else None
    policy = BookingPolicy.current()
    found = availability(
        service=_service(query.service),
        location=_location(query.location),
        patient=patient,
        start=query.start,
        end=query.end,
        therapist=therapist,
        step_minutes=query.step,
        limit=query.limit,
        order=query.order,
        for_patient=actor.role == Role.PATIENT,
        policy=policy,
    )
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="availability",
        patient_ids=[patient.public_id],
        channel="api",
        request=request,
    )
    return {
        "items": [_slot_out(slot) for slot in found.slots],
        "has_more": found.has_more,
        "start": found.window_start,
        "end": found.window_end,
        "step": query.step or policy.step_minutes,
    }


def _conflict(exc: Conflict, alternatives: list[OfferedSlot]) -> Status:
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
    return Status(
        409, {"detail": exc.message, "errors": errors, "alternatives": [_slot_out(s) for s in alternatives]}
    )


@router.post(
    "/appointments",
    response={201: AppointmentDetailOut, **BOOKING_ERRORS},
    summary="Book an appointment (send an Idempotency-Key header to retry safely)",
)
def create_appointment(
    request: HttpRequest,
    payload: AppointmentIn,
    idempotency_key: HeaderEx[
        str | None,
        P(
            alias="Idempotency-Key",
            description="1–100 letters, digits and . _ : - (a UUID fits). The same key and body again "
            "returns the same appointment; the same key with another body is 422.",
        ),
    ] = None,
) -> Status:
    actor = _actor(request)
    if actor.role not in BOOKING_ROLES:
        raise PermissionDenied("You do not have permission to book appointments.")
    key = idempotency_key or ""
    try:
        check_idempotency_key(key)
    except DomainError as exc:
        raise DomainError(exc.message, field="Idempotency-Key", code=exc.code) from exc
    patient = get_in_scope_or_404(patient_scope(actor), payload.patient)
    therapist = _therapist(request, payload.therapist)
    service = _service(payload.service)
    location = _location(payload.location)
    try:
        booked = appointment_book(
            actor=actor,
            patient=patient,
            service=service,
            location=location,
            therapist=therapist,
            room=_room(payload.room),
            start=payload.start,
            channel=payload.channel,
            idempotency_key=key,
            via="api",
            request=request,
        )
    except Conflict as exc:
        return _conflict(
            exc, nearest_free_slots(patient=patient, service=service, location=location, wanted=payload.start)
        )
    except DomainError as exc:
        if exc.field == "idempotency_key":
            raise DomainError(exc.message, field="Idempotency-Key", code=exc.code) from exc
        raise
    return Status(201, booked.appointment)


def _appointment(request: HttpRequest, id: UUID) -> Appointment:
    return get_in_scope_or_404(appointment_scope(request.user).select_related("series"), id)


@router.post(
    "/appointments/{id}/cancel",
    response={200: AppointmentDetailOut, **STATUS_ERRORS},
    summary="Cancel (a patient's late cancellation is refused or flagged as the clinic decides)",
)
def cancel_appointment(request: HttpRequest, id: UUID, payload: CancelIn) -> Appointment:
    return appointment_cancel(
        appointment=_appointment(request, id),
        actor=_actor(request),
        reason=payload.reason,
        by_patient=payload.by_patient,
        override_reason=payload.override_reason,
        via="api",
        request=request,
    )


@router.post(
    "/appointments/{id}/reschedule",
    response={200: AppointmentDetailOut, **BOOKING_ERRORS},
    summary="Move to another time atomically: the new time is booked and the old released, or nothing changes",
)
def reschedule_appointment(request: HttpRequest, id: UUID, payload: RescheduleIn) -> Appointment | Status:
    appointment = _appointment(request, id)
    therapist = _therapist(request, payload.therapist) if payload.therapist is not None else None
    try:
        return appointment_reschedule(
            appointment=appointment,
            actor=_actor(request),
            start=payload.start,
            therapist=therapist,
            room=_room(payload.room),
            reason=payload.reason,
            override_reason=payload.override_reason,
            via="api",
            request=request,
        )
    except Conflict as exc:
        taken = exc.code == "slot_taken"
        return _conflict(
            exc,
            nearest_free_slots(
                patient=appointment.patient,
                service=appointment.service,
                location=appointment.location,
                wanted=payload.start,
                therapist=therapist or appointment.therapist,
                ignore_appointment_ids=(appointment.pk,),
            )
            if taken
            else [],
        )


@router.post(
    "/appointments/{id}/check-in",
    response={200: AppointmentDetailOut, **STATUS_ERRORS},
    summary="The patient has arrived (staff, the appointment's therapist)",
)
def check_in_appointment(request: HttpRequest, id: UUID) -> Appointment:
    return appointment_check_in(
        appointment=_appointment(request, id), actor=_actor(request), via="api", request=request
    )


@router.post(
    "/appointments/{id}/no-show",
    response={200: AppointmentDetailOut, **STATUS_ERRORS},
    summary="The patient did not come (staff, the appointment's therapist)",
)
def no_show_appointment(request: HttpRequest, id: UUID) -> Appointment:
    return appointment_no_show(
        appointment=_appointment(request, id), actor=_actor(request), via="api", request=request
    )


@router.post(
    "/appointments/{id}/complete",
    response={200: AppointmentDetailOut, **STATUS_ERRORS},
    summary="The session took place (staff, the appointment's therapist)",
)
def complete_appointment(request: HttpRequest, id: UUID) -> Appointment:
    return appointment_complete(
        appointment=_appointment(request, id), actor=_actor(request), via="api", request=request
    )
