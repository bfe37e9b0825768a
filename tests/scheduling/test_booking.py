"""Invariants 1 and 2: no double booking, no clinical session without a valid licence."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from kneadwell.clinic.models import Room, Service
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.services import appointment_create

# Tuesday 2026-12-01, 10:00 in New York (EST, UTC-5); the cast's hospital therapists work 08:00–18:00 local.
TEN_AM = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
ELEVEN_AM = TEN_AM + dt.timedelta(hours=1)


def _patient(n: int) -> Patient:
    return Patient.objects.create(given_name=f"P{n}", family_name="Test", birth_date=dt.date(1990, 1, 1))


def _room(cast, name: str) -> Room:
    return Room.objects.create(location=cast.hospital, name=name)


def _book(cast, *, start, therapist=None, room=None, patient=None, service="therapeutic-60", **kw):
    return appointment_create(
        patient=patient or _patient(99),
        therapist=therapist or cast.tess,
        room=room or _room(cast, f"R-{start:%H%M}-{Room.objects.count()}"),
        service=Service.objects.get(code=service),
        start=start,
        channel="phone",
        **kw,
    )


@pytest.fixture
def free_day(cast):
    """The cast's own appointments on 2026-12-01 moved out of the way."""
    Appointment.objects.all().update(status=AppointmentStatus.CANCELLED)
    return cast


def test_it_books_and_blocks_the_turnover_buffer(free_day):
    appt = _book(free_day, start=TEN_AM)
    assert appt.end == TEN_AM + dt.timedelta(minutes=60)
    assert appt.blocked_until == appt.end + dt.timedelta(minutes=15)
    with pytest.raises(Conflict) as exc:
        _book(free_day, start=ELEVEN_AM)  # inside Tess's 15-minute turnover
    assert exc.value.field == "therapist"


def test_back_to_back_after_the_buffer_is_allowed(free_day):
    first = _book(free_day, start=TEN_AM)
    second = _book(free_day, start=first.blocked_until)
    assert second.start == first.blocked_until


def test_the_same_room_cannot_be_double_booked(free_day):
    room = _room(free_day, "Shared")
    _book(free_day, start=TEN_AM, room=room)
    with pytest.raises(Conflict) as exc:
        _book(free_day, start=TEN_AM + dt.timedelta(minutes=30), therapist=free_day.theo, room=room)
    assert exc.value.field == "room"


def test_a_patient_cannot_be_in_two_sessions_at_once(free_day):
    patient = _patient(1)
    _book(free_day, start=TEN_AM, patient=patient)
    with pytest.raises(Conflict) as exc:
        _book(free_day, start=TEN_AM + dt.timedelta(minutes=59), therapist=free_day.theo, patient=patient)
    assert exc.value.field == "patient"


def test_a_cancelled_appointment_frees_its_slot(free_day):
    appt = _book(free_day, start=TEN_AM)
    Appointment.objects.filter(pk=appt.pk).update(status=AppointmentStatus.CANCELLED)
    assert _book(free_day, start=TEN_AM).pk != appt.pk


def test_outside_working_hours_is_refused(free_day):
    with pytest.raises(DomainError) as exc:
        _book(free_day, start=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC))  # 18:30 local
    assert exc.value.field == "start"


def test_a_naive_start_is_refused(free_day):
    with pytest.raises(DomainError) as exc:
        _book(free_day, start=dt.datetime(2026, 12, 1, 10, 0))
    assert exc.value.field == "start"


def test_spot_work_is_refused_at_a_hospital(free_day):
    with pytest.raises(DomainError) as exc:
        _book(free_day, start=TEN_AM, service="spot-work-15")
    assert exc.value.field == "service"


def test_the_same_idempotency_key_never_books_twice(free_day):
    first = _book(free_day, start=TEN_AM, booked_by=free_day.desk, idempotency_key="call-42")
    again = _book(free_day, start=TEN_AM, booked_by=free_day.desk, idempotency_key="call-42")
    assert again.pk == first.pk
    assert Appointment.objects.filter(idempotency_key="call-42").count() == 1


class TestLicence:
    def test_an_expired_licence_blocks_a_clinical_session(self, free_day):
        free_day.tess.licences.update(expires=dt.date(2026, 11, 30))
        with pytest.raises(DomainError) as exc:
            _book(free_day, start=TEN_AM)
        assert exc.value.code == "licence_invalid"
        assert exc.value.field == "therapist"

    def test_a_licence_for_another_jurisdiction_does_not_count(self, free_day):
        free_day.tess.licences.update(jurisdiction="US-IL")
        with pytest.raises(DomainError):
            _book(free_day, start=TEN_AM)

    def test_the_licence_is_judged_on_the_local_date(self, free_day):
        # 2026-12-01 23:30 local in New York is 2026-12-02 04:30 UTC: a licence that
        # expires on the 1st still covers a session starting on the 1st, local time.
        free_day.tess.working_hours.update(end_time=dt.time(23, 59))
        free_day.tess.licences.update(expires=dt.date(2026, 12, 1))
        appt = _book(
            free_day, start=dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC), service="therapeutic-30"
        )
        assert appt.pk

    def test_relaxation_is_not_a_clinical_session(self, free_day):
        free_day.tess.licences.update(expires=dt.date(2020, 1, 1))
        assert _book(free_day, start=TEN_AM, service="relaxation-60").pk


class TestDaylightSaving:
    def test_working_hours_follow_the_wall_clock_after_spring_forward(self, free_day):
        # Monday 2026-03-09, first weekday on EDT: 08:00 local is 12:00 UTC (it was 13:00 UTC a week earlier).
        appt = _book(free_day, start=dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC))
        assert appt.start.astimezone(dt.timezone(dt.timedelta(hours=-4))).time() == dt.time(8)
        with pytest.raises(DomainError):
            _book(free_day, start=dt.datetime(2026, 3, 9, 11, 0, tzinfo=dt.UTC))  # 07:00 local

    def test_working_hours_follow_the_wall_clock_after_fall_back(self, free_day):
        # Monday 2026-11-02, first weekday on EST: 17:00 local is 22:00 UTC.
        appt = _book(free_day, start=dt.datetime(2026, 11, 2, 22, 0, tzinfo=dt.UTC))
        assert appt.end == dt.datetime(2026, 11, 2, 23, 0, tzinfo=dt.UTC)  # 18:00 local, the end of the day
        with pytest.raises(DomainError):
            _book(free_day, start=dt.datetime(2026, 11, 2, 22, 30, tzinfo=dt.UTC))  # would end 18:30 local


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_bookings_of_one_slot_store_exactly_one():
    """Eight requests race for Tess at 10:00, each with its own connection: one wins, seven get a Conflict."""
    from tests.cast import build_cast

    cast = build_cast()
    Appointment.objects.all().update(status=AppointmentStatus.CANCELLED)
    service = Service.objects.get(code="therapeutic-60")
    rooms = [_room(cast, f"Race {i}") for i in range(8)]
    patients = [_patient(i) for i in range(8)]
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            appointment_create(
                patient=patients[i],
                therapist=cast.tess,
                room=rooms[i],
                service=service,
                start=TEN_AM,
                channel="online",
            )
            result = "booked"
        except Conflict:
            result = "conflict"
        except Exception as exc:  # anything else (a 500 for that caller) fails the test
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["booked"] + ["conflict"] * 7
    assert Appointment.objects.filter(therapist=cast.tess, status=AppointmentStatus.BOOKED).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only"
)
def test_the_database_itself_refuses_an_overlapping_insert(free_day):
    """Even a write that skips the booking service cannot double-book on PostgreSQL."""
    service = Service.objects.get(code="therapeutic-60")
    existing = free_day.pat_appointment
    Appointment.objects.filter(pk=existing.pk).update(status=AppointmentStatus.BOOKED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            patient=free_day.paula,
            therapist=existing.therapist,
            room=free_day.chiro_room,
            location=free_day.hospital,
            service=service,
            start=existing.start + dt.timedelta(minutes=30),
            end=existing.end + dt.timedelta(minutes=30),
            blocked_until=existing.blocked_until + dt.timedelta(minutes=30),
            channel="api",
        )


# --- Screening gates hold at booking (DESIGN §5.3, issue 7) -----------------------------------------
