"""Issue 10, item 4: racing acceptances of a waitlist offer give one booking and clear 409s.

Each racer runs on its own database connection, as concurrent requests do. Run this file on SQLite
(BEGIN IMMEDIATE serialises the writers) and with DATABASE_URL set to a PostgreSQL database (the
offer's row lock and the exclusion constraints, which count held rows, do the work there).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine

from kneadwell.accounts.models import User
from kneadwell.clinic.models import Service
from kneadwell.lib.errors import Conflict
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.services import appointment_book
from kneadwell.waitlist.models import OfferStatus, WaitlistOffer
from kneadwell.waitlist.services import FreedTime, offer_accept, offer_freed_time, request_create
from tests.cast import Cast, build_cast

from .race import race

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)  # Tuesday 07:00 in New York
THU_10 = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)  # Thursday 10:00 in New York
RACERS = 12


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offered(clock) -> tuple[Cast, WaitlistOffer]:  # type: ignore[no-untyped-def]
    cast = build_cast()
    request_create(
        actor=cast.desk,
        patient=cast.pat,
        service=Service.objects.get(code="therapeutic-60"),
        location=cast.hospital,
        first_day=dt.date(2026, 12, 3),
        last_day=dt.date(2026, 12, 3),
        weekdays=[3],
        earliest_time=dt.time(9),
        latest_time=dt.time(13),
    )
    offer = offer_freed_time(
        FreedTime(
            therapist=cast.tess,
            room=cast.hospital_room,
            location=cast.hospital,
            start=THU_10,
            free_until=THU_10 + dt.timedelta(hours=2),
        )
    )
    assert offer is not None
    return cast, offer


def _outcome(result: object) -> str:
    if isinstance(result, Conflict):
        return result.code
    if isinstance(result, BaseException):
        return f"error: {result!r}"
    return "booked"


def test_racing_acceptances_give_one_booking_and_409s(offered):
    cast, offer = offered
    actors = [cast.pat_user.pk, cast.desk.pk]

    def accept(i: int) -> object:
        # Half the racers are the patient (two tabs), half the front desk, each with its own copies.
        return offer_accept(
            actor=User.objects.get(pk=actors[i % 2]), offer=WaitlistOffer.objects.get(pk=offer.pk)
        )

    outcomes = Counter(_outcome(r) for r in race(accept, RACERS))

    assert outcomes == {"booked": 1, "offer_taken": RACERS - 1}
    booked = Appointment.objects.get(patient=cast.pat, start=THU_10)
    assert booked.status == AppointmentStatus.BOOKED
    assert WaitlistOffer.objects.get(pk=offer.pk).status == OfferStatus.ACCEPTED


def _accepting_while_the_desk_books(cast, offer):  # type: ignore[no-untyped-def]
    """Racer 0 is the patient accepting the offer; every other racer, the desk booking Paula into the
    held time."""
    service = Service.objects.get(code="therapeutic-60")

    def act(i: int) -> object:
        if i == 0:
            return offer_accept(
                actor=User.objects.get(pk=cast.pat_user.pk), offer=WaitlistOffer.objects.get(pk=offer.pk)
            )
        return appointment_book(
            actor=User.objects.get(pk=cast.desk.pk),
            patient=cast.paula,
            service=service,
            location=cast.hospital,
            therapist=cast.tess,
            start=THU_10,
        )

    return act


def test_a_held_slot_refuses_racing_bookings_while_the_patient_accepts(offered):
    cast, offer = offered

    outcomes = Counter(_outcome(r) for r in race(_accepting_while_the_desk_books(cast, offer), RACERS))

    assert outcomes == {"booked": 1, "slot_taken": RACERS - 1}
    (only,) = Appointment.objects.filter(start=THU_10, status=AppointmentStatus.BOOKED)
    assert only.patient_id == cast.pat.pk


def test_after_expiry_one_racing_booking_wins_and_the_late_acceptance_is_refused(offered, clock):
    cast, offer = offered
    clock.shift(dt.timedelta(hours=2))  # the hold expired; no sweep has run

    outcomes = Counter(_outcome(r) for r in race(_accepting_while_the_desk_books(cast, offer), RACERS))

    assert outcomes["offer_expired"] == 1
    assert outcomes["booked"] == 1
    assert outcomes["slot_taken"] == RACERS - 2
    (only,) = Appointment.objects.filter(
        start=THU_10, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.HELD)
    )
    assert only.patient_id == cast.paula.pk
