"""Properties of the selector, the engine and the booking service together, on random calendars:

- every slot availability offers can be booked through `appointment_book`;
- once booked, nothing that overlaps it (same therapist or room over the held time, same patient over
  the session) is ever offered again.

Each example runs in a savepoint rolled back at its end, on whichever database the suite runs.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneadwell.accounts.models import Role, User
from kneadwell.clinic.models import Room, Service
from kneadwell.lib.zones import local_to_utc
from kneadwell.scheduling.services import appointment_book
from kneadwell.scheduling.slots import availability
from kneadwell.therapists.models import TimeOff

from . import builders as b

NY = "America/New_York"
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
DAYS = (dt.date(2026, 11, 24), dt.date(2026, 11, 25))
# Existing visits start on a 90-minute grid: a 60-minute session and its 15-minute turnover fit.
GRID = [dt.time(9), dt.time(10, 30), dt.time(12), dt.time(13, 30), dt.time(15)]

pytestmark = pytest.mark.django_db

calendars = st.fixed_dictionaries(
    {
        "service": st.sampled_from(["relaxation-60", "therapeutic-30", "therapeutic-90"]),
        "hours": st.lists(
            st.tuples(st.integers(7, 11), st.integers(14, 19)), min_size=2, max_size=3
        ),  # each therapist's (start hour, end hour)
        "busy": st.lists(
            st.sets(st.tuples(st.sampled_from(DAYS), st.sampled_from(GRID)), max_size=6),
            min_size=3,
            max_size=3,
        ),
        "patient_busy": st.sets(st.tuples(st.sampled_from(DAYS), st.sampled_from(GRID)), max_size=2),
        "time_off": st.none() | st.tuples(st.sampled_from(DAYS), st.integers(8, 16), st.integers(1, 4)),
        "shared_room": st.booleans(),
        "pick": st.integers(0, 10_000),
        "step": st.sampled_from([5, 15, 30]),
    }
)


def at(day: dt.date, time: dt.time) -> dt.datetime:
    return local_to_utc(day, time, NY)


def _build(spec):  # type: ignore[no-untyped-def]
    where, elsewhere = b.location(), b.location()
    therapists = [
        b.therapist(where, weekdays=range(7), start=dt.time(s), end=dt.time(e)) for s, e in spec["hours"]
    ]
    rooms = [b.room(where) for _ in therapists]
    if spec["shared_room"]:
        # One room in use for everyone: the room, not the therapist, often decides.
        Room.objects.filter(pk__in=[r.pk for r in rooms[1:]]).update(active=False)
        rooms = rooms[:1] * len(rooms)
    for i, therapist in enumerate(therapists):
        for day, time in spec["busy"][i]:
            room = rooms[i]
            if spec["shared_room"] and i:
                continue  # keep the one room free of overlapping setup rows
            b.insert(patient=b.patient(), therapist=therapist, room=room, start=at(day, time))
    patient = b.patient()
    other = b.therapist(elsewhere, weekdays=range(7), start=dt.time(7), end=dt.time(20))
    other_room = b.room(elsewhere)
    for day, time in spec["patient_busy"]:
        b.insert(patient=patient, therapist=other, room=other_room, start=at(day, time))
    if spec["time_off"] is not None:
        day, hour, length = spec["time_off"]
        start = at(day, dt.time(hour))
        TimeOff.objects.create(therapist=therapists[0], start=start, end=start + dt.timedelta(hours=length))
    return where, patient


def _offered(where, patient, service, step):  # type: ignore[no-untyped-def]
    return availability(
        service=service,
        location=where,
        patient=patient,
        start=at(DAYS[0], dt.time(0)),
        end=at(DAYS[1], dt.time(23)),
        step_minutes=step,
        order="time",
    ).slots


@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@given(spec=calendars)
def test_an_offered_slot_is_bookable_and_what_is_booked_is_never_offered_again(spec):
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        desk = User.objects.create_user(username="desk", password="x" * 12, role=Role.FRONT_DESK)
        where, patient = _build(spec)
        service = Service.objects.get(code=spec["service"])
        service.location_kinds = ["massage_clinic"]
        service.save()
        offered = _offered(where, patient, service, spec["step"])
        if offered:
            slot = offered[spec["pick"] % len(offered)]
            therapist = next(t for t in where.therapists.all() if t.pk == slot.therapist.pk)
            booked = appointment_book(
                actor=desk,
                patient=patient,
                service=service,
                location=where,
                therapist=therapist,
                room=Room.objects.get(pk=slot.room.pk),
                start=slot.start,
            ).appointment

            assert (booked.start, booked.end, booked.blocked_until) == (
                slot.start,
                slot.end,
                slot.blocked_until,
            )
            for s in _offered(where, patient, service, spec["step"]):
                held = s.start < booked.blocked_until and booked.start < s.blocked_until
                assert not (s.therapist.pk == booked.therapist_id and held)
                assert not (s.room.pk == booked.room_id and held)
                assert not (s.start < booked.end and booked.start < s.end)  # the same patient
        transaction.set_rollback(True)
