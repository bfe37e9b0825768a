"""Appointments: each user sees those in their scope. Every read is in the audit trail."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from kneadwell.accounts.models import AuditAction, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.lib.zones import zone
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel
from kneadwell.scheduling.selectors import appointment_scope

from .schemas import DETAIL_ERRORS, READ_ERRORS, OptionalFields, PageParams, UtcInstant, paginate

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
    count: int


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

    def apply(self, qs: QuerySet[Appointment]) -> QuerySet[Appointment]:
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
    request: HttpRequest, filters: Query[AppointmentFilters], page: Query[PageParams]
) -> dict[str, object]:
    qs = filters.apply(appointment_scope(request.user)).order_by("start", "id")
    items, count = paginate(qs, page)
    if items:
        _audit(request, items)
    return {"items": items, "count": count}


@router.get("/appointments/{id}", response={200: AppointmentOut, **DETAIL_ERRORS}, summary="One appointment")
def get_appointment(request: HttpRequest, id: UUID) -> Appointment:
    appointment = get_in_scope_or_404(appointment_scope(request.user), id, request=request)
    _audit(request, [appointment], appointment.public_id)
    return appointment
