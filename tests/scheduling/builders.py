"""Small builders for scheduling tests: a clinic of N therapists at one location, appointments inserted
directly (to set up a calendar, not to test the booking service)."""

from __future__ import annotations

import datetime as dt
import itertools

from kneadwell.clinic.models import Location, LocationKind, Room, Service
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel
from kneadwell.therapists.models import Licence, Therapist, WorkingHours

_numbers = itertools.count(1)


def location(
    name: str = "Harbour Clinic",
    tz: str = "America/New_York",
    jurisdiction: str = "US-NY",
    kind: str = LocationKind.MASSAGE_CLINIC,
) -> Location:
    return Location.objects.create(
        name=f"{name} {next(_numbers)}", kind=kind, time_zone=tz, jurisdiction=jurisdiction
    )


def room(where: Location, name: str = "", features: list[str] | None = None) -> Room:
    return Room.objects.create(
        location=where, name=name or f"Room {next(_numbers)}", features=features or ["massage_table"]
    )


def therapist(
    where: Location,
    *,
    weekdays: range | list[int] = range(5),
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(17),
    licence_until: dt.date = dt.date(2030, 12, 31),
    name: str = "",
) -> Therapist:
    n = next(_numbers)
    t = Therapist.objects.create(given_name=name or f"T{n}", family_name="Test")
    t.locations.add(where)
    Licence.objects.create(
        therapist=t,
        jurisdiction=where.jurisdiction,
        number=f"L-{n}",
        title="LMT",
        issued=dt.date(2020, 1, 1),
        expires=licence_until,
        verified=True,
    )
    for weekday in weekdays:
        WorkingHours.objects.create(
            therapist=t,
            location=where,
            weekday=weekday,
            start_time=start,
            end_time=end,
            effective_from=dt.date(2020, 1, 1),
        )
    return t


def patient(name: str = "") -> Patient:
    return Patient.objects.create(
        given_name=name or f"P{next(_numbers)}", family_name="Test", birth_date=dt.date(1985, 6, 1)
    )


def insert(
    *,
    patient: Patient,
    therapist: Therapist,
    room: Room,
    start: dt.datetime,
    service: str = "relaxation-60",
    status: str = AppointmentStatus.BOOKED,
    end: dt.datetime | None = None,
) -> Appointment:
    """An appointment row as it stands, without the booking service's checks."""
    svc = Service.objects.get(code=service)
    end = end or start + svc.duration
    return Appointment.objects.create(
        patient=patient,
        therapist=therapist,
        room=room,
        location=room.location,
        service=svc,
        start=start,
        end=end,
        blocked_until=end + svc.buffer,
        status=status,
        channel=Channel.PHONE,
    )
