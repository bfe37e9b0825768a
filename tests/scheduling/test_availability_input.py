"""The selector behind availability: a fixed number of queries, the window only, epoch-second spans."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kneadwell.clinic.models import Service
from kneadwell.lib.zones import local_to_utc
from kneadwell.scheduling.availability import find_slots
from kneadwell.scheduling.availability_input import availability_input, local_days_span
from kneadwell.scheduling.models import AppointmentStatus
from kneadwell.scheduling.policy import BookingPolicy
from kneadwell.scheduling.slots import availability
from kneadwell.therapists.models import TimeOff

from . import builders as b

NY = "America/New_York"
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
MONDAY = dt.date(2026, 11, 23)
POLICY = BookingPolicy(min_notice=dt.timedelta(0))

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), NY)


def _clinic(n_therapists: int, days_of_history: int):  # type: ignore[no-untyped-def]
    """A location with n therapists (a room each) and two visits a weekday each, in the past and future."""
    where = b.location()
    therapists = [b.therapist(where) for _ in range(n_therapists)]
    rooms = [b.room(where) for _ in therapists]
    # One patient per therapist: a therapist's visits never overlap, so neither do the patient's.
    regular = {t.pk: b.patient() for t in therapists}
    day = MONDAY - dt.timedelta(days=days_of_history)
    while day < MONDAY + dt.timedelta(days=35):
        if day.weekday() < 5:
            for t, r in zip(therapists, rooms, strict=True):
                for hour in (10, 14):
                    b.insert(
                        patient=regular[t.pk],
                        therapist=t,
                        room=r,
                        start=at(day, hour),
                    )
        day += dt.timedelta(days=1)
    return where, therapists, rooms


def _queries(callable_) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured.captured_queries)


@pytest.mark.parametrize("service_code", ["relaxation-60", "therapeutic-60"])
def test_the_selector_reads_a_fixed_number_of_queries_whatever_the_days_and_therapists(service_code):
    service = Service.objects.get(code=service_code)
    small, *_ = _clinic(2, days_of_history=7)
    large, *_ = _clinic(9, days_of_history=60)
    patient = b.patient()

    def read(where, days):  # type: ignore[no-untyped-def]
        return lambda: availability_input(
            service=service,
            location=where,
            window_start=NOW,
            window_end=NOW + dt.timedelta(days=days),
            now=NOW,
            policy=POLICY,
            patient=patient,
        )

    counts = {_queries(read(small, 1)), _queries(read(large, 28)), _queries(read(large, 3))}

    assert len(counts) == 1
    assert counts.pop() <= (8 if service.is_clinical else 7)


@pytest.mark.parametrize("service_code", ["relaxation-60", "therapeutic-60"])
def test_availability_end_to_end_reads_a_fixed_number_of_queries(service_code):
    service = Service.objects.get(code=service_code)
    small, *_ = _clinic(2, days_of_history=7)
    large, *_ = _clinic(9, days_of_history=60)
    patient = b.patient()

    with time_machine.travel(NOW, tick=False):
        one_day = _queries(
            lambda: availability(
                service=service,
                location=small,
                patient=patient,
                end=NOW + dt.timedelta(days=1),
                policy=POLICY,
            )
        )
        four_weeks = _queries(
            lambda: availability(
                service=service,
                location=large,
                patient=patient,
                end=NOW + dt.timedelta(days=28),
                policy=POLICY,
            )
        )

    assert one_day == four_weeks


def test_a_clinical_search_reads_the_therapists_and_their_licences_once():
    """The gate's matching reads the location's therapists and credentials; the selector reuses them."""
    service = Service.objects.get(code="therapeutic-60")
    where, *_ = _clinic(3, days_of_history=7)
    patient = b.patient()

    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
        found = availability(
            service=service, location=where, patient=patient, end=NOW + dt.timedelta(days=2), policy=POLICY
        )

    statements = [q["sql"] for q in captured.captured_queries]
    assert found.slots
    assert sum(s.startswith('SELECT "therapists_therapist"') for s in statements) == 1
    assert sum('FROM "therapists_licence"' in s for s in statements) == 1
    # A new patient: one query finds they have no intake, referral, clearance, check, plan or visit.
    assert not any(
        s.startswith(
            (
                'SELECT "intake_intake"',
                'SELECT "scheduling_appointment"."therapist_id" AS "therapist_id", "therapists_therapist"',
            )
        )
        for s in statements
    )
    assert len(statements) <= 10


def test_busy_spans_are_whole_epoch_seconds_rounded_outwards():
    where = b.location()
    t, r, p = b.therapist(where), b.room(where), b.patient()
    start = at(MONDAY, 11) + dt.timedelta(microseconds=500_000)
    end = at(MONDAY, 12) + dt.timedelta(microseconds=250_000)
    appointment = b.insert(patient=p, therapist=t, room=r, start=start, end=end)

    data = availability_input(
        service=Service.objects.get(code="relaxation-60"),
        location=where,
        window_start=NOW,
        window_end=NOW + dt.timedelta(days=1),
        now=NOW,
        policy=POLICY,
        patient=p,
    )

    floor_start = int(at(MONDAY, 11).timestamp())
    ceil_blocked = int((appointment.blocked_until - dt.timedelta(microseconds=250_000)).timestamp()) + 1
    assert data.therapists[0].busy == [(floor_start, ceil_blocked)]
    assert data.rooms[0].busy == [(floor_start, ceil_blocked)]
    assert data.patient_busy == [
        (floor_start, int(at(MONDAY, 12).timestamp()) + 1)
    ]  # [start, end): no buffer


def test_only_the_windows_local_days_are_read_never_the_history():
    where, _therapists, _rooms = _clinic(1, days_of_history=30)
    window = (at(MONDAY + dt.timedelta(days=1), 12), at(MONDAY + dt.timedelta(days=1), 13))

    data = availability_input(
        service=Service.objects.get(code="relaxation-60"),
        location=where,
        window_start=window[0],
        window_end=window[1],
        now=NOW,
        policy=POLICY,
    )

    tuesday = local_days_span(*window, NY)
    starts = [s for s, _ in data.therapists[0].busy]
    assert starts == [int(at(MONDAY + dt.timedelta(days=1), h).timestamp()) for h in (10, 14)]
    assert all(tuesday[0].timestamp() <= s < tuesday[1].timestamp() for s in starts)


def test_a_therapist_busy_at_another_location_is_busy_here():
    here, there = b.location(), b.location()
    t = b.therapist(here)
    t.locations.add(there)
    b.insert(patient=b.patient(), therapist=t, room=b.room(there), start=at(MONDAY, 13))
    b.room(here)

    with time_machine.travel(NOW, tick=False):
        found = availability(
            service=Service.objects.get(code="relaxation-60"),
            location=here,
            patient=b.patient(),
            end=at(MONDAY, 17),
            policy=POLICY,
            order="time",
        )

    starts = {s.start for s in found.slots}
    # Relaxation: 60 minutes and 15 of turnover, so 11:45 is the last start before the 13:00 visit
    # elsewhere, and 14:15 (that visit's turnover ends) the first after it.
    assert at(MONDAY, 11, 45) in starts
    assert not starts & {at(MONDAY, 11, 50), at(MONDAY, 13), at(MONDAY, 14, 10)}
    assert at(MONDAY, 14, 15) in starts


def test_the_patient_is_busy_anywhere_but_only_for_the_session_itself():
    here, there = b.location(), b.location()
    b.therapist(here)
    b.room(here)
    p = b.patient()
    b.insert(patient=p, therapist=b.therapist(there), room=b.room(there), start=at(MONDAY, 13))

    with time_machine.travel(NOW, tick=False):
        found = availability(
            service=Service.objects.get(code="relaxation-60"),
            location=here,
            patient=p,
            end=at(MONDAY, 17),
            policy=POLICY,
            order="time",
        )

    starts = {s.start for s in found.slots}
    assert at(MONDAY, 12) in starts
    assert at(MONDAY, 12, 5) not in starts
    assert at(MONDAY, 14) in starts  # the other visit's turnover is not the patient's


def test_cancelled_and_no_show_appointments_hold_nothing():
    where = b.location()
    t, r = b.therapist(where), b.room(where)
    for status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        b.insert(patient=b.patient(), therapist=t, room=r, start=at(MONDAY, 13), status=status)

    data = availability_input(
        service=Service.objects.get(code="relaxation-60"),
        location=where,
        window_start=NOW,
        window_end=NOW + dt.timedelta(days=1),
        now=NOW,
        policy=POLICY,
    )

    assert list(data.therapists[0].busy) == []
    assert list(data.rooms[0].busy) == []


def test_time_off_and_an_expiring_licence_are_never_offered():
    where = b.location()
    away = b.therapist(where, licence_until=MONDAY + dt.timedelta(days=1))  # licence covers Mon and Tue
    b.room(where)
    TimeOff.objects.create(therapist=away, start=at(MONDAY, 9), end=at(MONDAY, 15))
    query = {
        "location": where,
        "window_start": NOW,
        "window_end": NOW + dt.timedelta(days=4),
        "now": NOW,
        "policy": POLICY,
    }

    def days_offered(code: str) -> set[dt.date]:
        data = availability_input(service=Service.objects.get(code=code), **query)
        slots = find_slots(data.query, data.therapists, data.rooms, data.patient_busy)
        assert all(s.start >= at(MONDAY, 15) for s in slots)  # never in time off
        return {s.start.astimezone(NOW.tzinfo).date() for s in slots}

    assert days_offered("therapeutic-60") == {MONDAY, MONDAY + dt.timedelta(days=1)}
    # Relaxation is not a clinical session: the booking service does not ask for the licence.
    assert len(days_offered("relaxation-60")) == 4
