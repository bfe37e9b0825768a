"""A plan of care's cadence as a series: every occurrence checked, all or nothing or what fits, in one
transaction; conflicts with alternatives in their own local week; cancel and move from an occurrence on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from kneadwell.clinic.models import Service
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import local_to_utc
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.referrals.models import Clearance, ClearanceScope, ClearanceStatus
from kneadwell.scheduling.availability import local_week
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Series
from kneadwell.scheduling.series import WeeklyTime, planned_starts, series_book, series_cancel, series_move
from kneadwell.scheduling.services import appointment_book
from tests.cast import Cast

NY = "America/New_York"
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
TUESDAY_17 = WeeklyTime(1, dt.time(17))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), NY)


def tuesdays(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=7 * i) for i in range(n)]


@pytest.fixture
def clinic(cast: Cast) -> Iterator[Cast]:
    with time_machine.travel(NOW, tick=False):
        yield cast


@pytest.fixture
def plan(clinic: Cast) -> CarePlan:
    return CarePlan.objects.create(
        patient=clinic.pat,
        therapist=clinic.tess,
        conditions=[],
        frequency_per_week=1,
        weeks=6,
        starts_on=dt.date(2026, 11, 24),
        reassess_on=dt.date(2027, 1, 5),
        status=CarePlanStatus.ACTIVE,
    )


def run(cast: Cast, plan: CarePlan, **kw):  # type: ignore[no-untyped-def]
    args = {
        "actor": cast.desk,
        "care_plan": plan,
        "service": Service.objects.get(code="therapeutic-60"),
        "location": cast.hospital,
        "therapist": cast.tess,
        "pattern": [TUESDAY_17],
    }
    args.update(kw)
    return series_book(**args)


def _take(cast: Cast, start: dt.datetime) -> None:
    appointment_book(
        actor=cast.desk,
        patient=cast.paula,
        service=Service.objects.get(code="therapeutic-60"),
        location=cast.hospital,
        therapist=cast.tess,
        start=start,
    )


def test_planned_starts_keep_the_wall_clock_across_dst():
    # US clocks go forward on Sunday 14 March 2027: Tuesday 17:00 is 22:00 UTC before, 21:00 UTC after.
    starts = [s for s, _ in planned_starts([TUESDAY_17], dt.date(2027, 3, 1), 3, NY)]
    assert [s.hour for s in starts] == [22, 22, 21]
    assert [
        s.astimezone(dt.timezone(dt.timedelta(hours=-4 if s.hour == 21 else -5))).hour for s in starts
    ] == [
        17,
        17,
        17,
    ]


def test_a_dry_run_checks_every_occurrence_and_books_nothing(clinic, plan):
    result = run(clinic, plan, dry_run=True)

    assert [o.start for o in result.occurrences] == [at(d, 17) for d in tuesdays(dt.date(2026, 11, 24), 6)]
    assert {o.status for o in result.occurrences} == {"free"}
    assert all(o.room is not None for o in result.occurrences)
    assert not Series.objects.exists()
    assert not Appointment.objects.filter(series__isnull=False).exists()


def test_every_occurrence_is_checked_the_last_one_too(clinic, plan):
    last = at(dt.date(2026, 12, 29), 17)
    _take(clinic, last)

    result = run(clinic, plan, dry_run=True)

    conflict = result.occurrences[-1]
    assert [o.index for o in result.conflicts] == [5]
    assert conflict.reason == "Tess Turner is booked then."
    week = local_week(last, NY)
    assert conflict.alternatives
    assert all(week[0] <= a.start < week[1] for a in conflict.alternatives)
    assert all(a.therapist.pk == clinic.tess.pk for a in conflict.alternatives)


def test_all_or_nothing_books_nothing_when_one_occurrence_conflicts(clinic, plan):
    _take(clinic, at(dt.date(2026, 12, 8), 17))
    before = Appointment.objects.count()

    result = run(clinic, plan)

    assert result.series is None
    assert [o.index for o in result.conflicts] == [2]
    assert Appointment.objects.count() == before
    assert not Series.objects.exists()


def test_book_what_fits_books_the_free_occurrences_in_one_series(clinic, plan):
    _take(clinic, at(dt.date(2026, 12, 8), 17))

    result = run(clinic, plan, mode="book_what_fits")

    assert result.series is not None
    booked = list(result.series.appointments.order_by("start"))
    assert [a.series_index for a in booked] == [0, 1, 3, 4, 5]
    assert all(a.status == AppointmentStatus.BOOKED and a.patient == clinic.pat for a in booked)
    assert [o.index for o in result.conflicts] == [2]


def test_all_free_books_them_all(clinic, plan):
    result = run(clinic, plan)

    assert result.series is not None
    assert result.series.appointments.count() == 6


def test_alternatives_never_take_another_occurrences_time(clinic, plan):
    plan.frequency_per_week = 2
    plan.save()
    # Tuesdays and Wednesdays 17:00; the Tuesday of the second week is taken.
    _take(clinic, at(dt.date(2026, 12, 1), 17))

    result = run(clinic, plan, pattern=[TUESDAY_17, WeeklyTime(2, dt.time(17))], dry_run=True)

    (conflict,) = result.conflicts
    kept = {o.start for o in result.occurrences if o.status == "free"}
    assert conflict.alternatives
    assert not any(abs(a.start - k) < dt.timedelta(hours=1) for a in conflict.alternatives for k in kept)


def test_screening_is_checked_for_each_occurrences_own_date(clinic, plan):
    intake_record(
        actor=clinic.desk,
        patient=clinic.pat,
        channel="phone",
        chief_complaint="Calf",
        areas=[AreaIn(region="neck")],
        answers=HealthAnswersIn(suspected_dvt=True),
    )
    Clearance.objects.create(
        patient=clinic.pat,
        provider=clinic.rita,
        scope=ClearanceScope.CLOT,
        status=ClearanceStatus.GRANTED,
        granted_on=dt.date(2026, 11, 1),
        expires_on=dt.date(2026, 12, 10),
    )

    result = run(clinic, plan, dry_run=True)

    assert [o.index for o in result.conflicts] == [3, 4, 5]  # after the clearance expires
    assert "needs clearance" in result.conflicts[0].reason


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("draft plan", Conflict),
        ("two times for a weekly plan", DomainError),
        ("past the horizon", DomainError),
    ],
)
def test_requests_the_series_cannot_serve(clinic, plan, change, error):
    kw: dict[str, object] = {}
    if change == "draft plan":
        plan.status = CarePlanStatus.DRAFT
        plan.save()
    elif change == "two times for a weekly plan":
        kw["pattern"] = [TUESDAY_17, WeeklyTime(3, dt.time(9))]
    else:
        kw["weeks"] = 52
    with pytest.raises(error):
        run(clinic, plan, **kw)
    assert not Series.objects.exists()


def test_a_patient_does_not_book_a_series(clinic, plan):
    with pytest.raises(PermissionDenied):
        run(clinic, plan, actor=clinic.pat_user)


def test_cancel_from_an_occurrence_onward(clinic, plan):
    series = run(clinic, plan).series
    third = series.appointments.get(series_index=2)

    cancelled = series_cancel(series=series, actor=clinic.desk, from_appointment=third, by_patient=False)

    assert [a.series_index for a in cancelled] == [2, 3, 4, 5]
    statuses = dict(series.appointments.values_list("series_index", "status"))
    assert statuses == {
        0: "booked",
        1: "booked",
        2: "cancelled",
        3: "cancelled",
        4: "cancelled",
        5: "cancelled",
    }


def test_move_from_an_occurrence_onward_keeps_the_wall_clock(clinic, plan):
    series = run(clinic, plan).series
    second = series.appointments.get(series_index=1)

    result = series_move(
        series=series, actor=clinic.desk, from_appointment=second, start=at(dt.date(2026, 12, 3), 16)
    )

    assert not result.conflicts
    starts = dict(series.appointments.values_list("series_index", "start"))
    assert starts[0] == at(dt.date(2026, 11, 24), 17)
    assert [starts[i] for i in range(1, 6)] == [
        at(dt.date(2026, 12, 3) + dt.timedelta(days=7 * k), 16) for k in range(5)
    ]


def test_a_move_that_conflicts_anywhere_moves_nothing(clinic, plan):
    series = run(clinic, plan).series
    second = series.appointments.get(series_index=1)
    _take(clinic, at(dt.date(2026, 12, 17), 16))
    before = dict(series.appointments.values_list("series_index", "start"))

    result = series_move(
        series=series, actor=clinic.desk, from_appointment=second, start=at(dt.date(2026, 12, 3), 16)
    )

    assert [o.index for o in result.conflicts] == [3]
    assert result.conflicts[0].alternatives
    assert dict(series.appointments.values_list("series_index", "start")) == before
