"""Writes for appointments."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, OperationalError, transaction

from kneadwell.accounts.models import User
from kneadwell.clinic.models import Location, Room, Service
from kneadwell.clinic.selectors import local_day_of
from kneadwell.intake.services import require_clear
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import zone
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Therapist

from .models import ACTIVE_STATUSES, Appointment, Channel


def _overlapping(qs, start: dt.datetime, blocked_until: dt.datetime):  # type: ignore[no-untyped-def]
    # Half-open intervals [start, blocked_until): back-to-back is allowed.
    return qs.filter(status__in=ACTIVE_STATUSES, start__lt=blocked_until, blocked_until__gt=start)


def _check_within_working_hours(
    *, therapist: Therapist, location: Location, start: dt.datetime, end: dt.datetime
) -> None:
    tz = zone(location.time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.date() != local_end.date() and local_end.time() != dt.time.min:
        raise DomainError("A session must start and end on the same local day.", field="start")
    day = local_start.date()
    for block in therapist.working_hours.filter(location=location, weekday=day.weekday()):
        if not block.applies_on(day):
            continue
        block_start = dt.datetime.combine(day, block.start_time, tzinfo=tz)
        block_end = dt.datetime.combine(day, block.end_time, tzinfo=tz)
        if block_start <= start and end <= block_end:
            return
    raise DomainError(f"{therapist.full_name} does not work at {location.name} at that time.", field="start")


def appointment_create(
    *,
    patient: Patient,
    therapist: Therapist,
    room: Room,
    service: Service,
    start: dt.datetime,
    channel: Channel | str,
    booked_by: User | None = None,
    idempotency_key: str = "",
    check_working_hours: bool = True,
) -> Appointment:
    """Book one appointment, re-validating everything inside the transaction.

    Raises DomainError (422) for a request that can never succeed (code "screening_hold" while
    screening holds the visit) and Conflict (409) when the therapist, room or patient is already busy.
    """
    if start.tzinfo is None:
        raise DomainError("The start time must include a time zone offset.", field="start")
    start = start.astimezone(dt.UTC)
    location = room.location
    end = start + service.duration
    blocked_until = end + service.buffer

    if not service.active:
        raise DomainError("This service is not offered.", field="service")
    if not service.offered_at(location):
        raise DomainError(f"{service.name} is not offered at {location.name}.", field="service")
    if not therapist.locations.filter(pk=location.pk).exists():
        raise DomainError(f"{therapist.full_name} does not work at {location.name}.", field="therapist")
    if service.is_clinical:
        local_day = local_day_of(start, location)
        if therapist.valid_licence(location.jurisdiction, local_day) is None:
            raise DomainError(
                f"{therapist.full_name} has no valid licence for {location.jurisdiction} on {local_day}.",
                field="therapist",
                code="licence_invalid",
            )
    if check_working_hours:
        _check_within_working_hours(therapist=therapist, location=location, start=start, end=end)
    # Screening gates hold everywhere (DESIGN §5.3, issue 7): nothing is booked while screening holds
    # the visit on its local date (a referral out, a deferral, or a clearance the whole visit waits
    # for), whatever the service: REFERENCE's global screening is about massage of any kind. The
    # message names what holds it and what would unblock it.
    require_clear(patient=patient, on=local_day_of(start, location), what="The booking", field="patient")

    if idempotency_key and booked_by is not None:
        existing = Appointment.objects.filter(booked_by=booked_by, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing

    try:
        with transaction.atomic():
            # Serialise bookings for this therapist (a no-op on SQLite, where
            # BEGIN IMMEDIATE already serialises writers).
            Therapist.objects.select_for_update().filter(pk=therapist.pk).first()
            clashes = {
                "therapist": _overlapping(
                    Appointment.objects.filter(therapist=therapist), start, blocked_until
                ),
                "room": _overlapping(Appointment.objects.filter(room=room), start, blocked_until),
                "patient": _overlapping(Appointment.objects.filter(patient=patient), start, end),
            }
            for field, qs in clashes.items():
                if qs.exists():
                    raise Conflict(
                        f"The {field} is already booked at that time.", field=field, code="slot_taken"
                    )
            appointment = Appointment(
                patient=patient,
                therapist=therapist,
                room=room,
                location=location,
                service=service,
                start=start,
                end=end,
                blocked_until=blocked_until,
                channel=channel,
                booked_by=booked_by,
                idempotency_key=idempotency_key,
            )
            # The related rows were loaded above; re-fetching each to validate it
            # would cost a query per foreign key inside the lock.
            appointment.full_clean(
                exclude=["patient", "therapist", "room", "location", "service", "booked_by"],
                validate_unique=False,
                validate_constraints=False,
            )
            appointment.save()
    except (IntegrityError, OperationalError) as exc:
        # PostgreSQL's exclusion constraint (23P01), or a deadlock between two
        # racing writers (40P01): either way the slot went to someone else.
        # Any other operational error (database gone) is not a conflict.
        if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) != "40P01":
            raise
        if idempotency_key and booked_by is not None:
            existing = Appointment.objects.filter(
                booked_by=booked_by, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return existing
        raise Conflict("That time was just taken.", field="start", code="slot_taken") from exc
    return appointment
