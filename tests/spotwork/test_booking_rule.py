"""The spot-work rule on every booking path: API, reschedule, series (appointment_create), availability;
and the session plan a spot work gets is the tailoring engine's short, one-region plan."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.clinic.models import ClinicSettings, Service
from kneadwell.intake.schemas import AreaIn
from kneadwell.intake.services import intake_record
from kneadwell.lib.errors import DomainError
from kneadwell.scheduling.models import Appointment, Channel
from kneadwell.scheduling.overview import appointment_plan
from kneadwell.scheduling.services import appointment_create, appointment_reschedule
from kneadwell.scheduling.slots import availability
from tests.api.conftest import fields_of

from .conftest import DAY, at


def _book(api, spot, start: dt.datetime, patient=None):  # type: ignore[no-untyped-def]
    return api.post(
        "/appointments",
        {
            "patient": str((patient or spot.cast.pat).public_id),
            "service": "spot-work-15",
            "location": str(spot.cast.chiro.public_id),
            "therapist": str(spot.cora.public_id),
            "start": start.isoformat(),
        },
    )


def test_spot_work_without_a_host_visit_is_422_naming_the_patient(spot, api_as):
    response = _book(api_as(spot.cast.desk), spot, at(9, 30))
    assert response.status_code == 422, response.content
    assert fields_of(response) == ["patient"]
    assert "host visit" in response.json()["detail"]
    assert not Appointment.objects.filter(service__code="spot-work-15").exists()


@pytest.mark.parametrize(
    ("hour", "minute", "status", "field"),
    [
        (9, 15, 201, None),  # ends 30 minutes before the host visit at 10:00
        (9, 50, 422, "start"),  # overlaps it
        (9, 0, 422, "start"),  # ends 45 minutes before: outside the window
        (10, 30, 201, None),  # right after it
        (11, 5, 422, "start"),  # 35 minutes after: outside
    ],
)
def test_spot_work_is_booked_only_inside_the_window(spot, api_as, hour, minute, status, field):
    spot.host_visit(spot.cast.pat, at(10))
    response = _book(api_as(spot.cast.desk), spot, at(hour, minute))
    assert response.status_code == status, response.content
    if field:
        assert fields_of(response) == [field]
        assert (
            "09:15–09:45 or 10:30–11:00" in response.json()["detail"]
            or "overlap" in response.json()["detail"]
        )
        assert not Appointment.objects.filter(service__code="spot-work-15").exists()


def test_the_window_is_a_clinic_setting(spot, api_as):
    spot.host_visit(spot.cast.pat, at(10))
    settings_row = ClinicSettings.current()
    settings_row.spot_work_wait_before_minutes = 60
    settings_row.save()
    assert _book(api_as(spot.cast.desk), spot, at(8, 45)).status_code == 201


def test_a_host_visit_of_another_day_or_location_does_not_count(spot, api_as):
    spot.host_visit(spot.cast.pat, at(10, day=DAY + dt.timedelta(days=1)))
    response = _book(api_as(spot.cast.desk), spot, at(9, 30))
    assert response.status_code == 422
    assert fields_of(response) == ["patient"]


def test_moving_spot_work_out_of_the_window_is_refused(spot):
    spot.host_visit(spot.cast.pat, at(10))
    service = Service.objects.get(code="spot-work-15")
    booked = appointment_create(
        patient=spot.cast.pat,
        therapist=spot.cora,
        room=spot.chair,
        service=service,
        start=at(10, 30),
        channel=Channel.PHONE,
    )
    with pytest.raises(DomainError) as refused:
        appointment_reschedule(appointment=booked, actor=spot.cast.desk, start=at(13))
    assert refused.value.code == "outside_spot_work_window"
    booked.refresh_from_db()
    assert booked.start == at(10, 30)


def test_the_invariants_path_refuses_spot_work_without_a_host_visit(spot):
    # appointment_create is what series and the demo book through.
    with pytest.raises(DomainError) as refused:
        appointment_create(
            patient=spot.cast.pat,
            therapist=spot.cora,
            room=spot.chair,
            service=Service.objects.get(code="spot-work-15"),
            start=at(10, 30),
            channel=Channel.PHONE,
        )
    assert refused.value.code == "no_host_visit"


def test_availability_offers_only_window_starts(spot):
    spot.host_visit(spot.cast.pat, at(10))
    found = availability(
        service=Service.objects.get(code="spot-work-15"),
        location=spot.cast.chiro,
        patient=spot.cast.pat,
        start=at(7),
        end=at(17),
        therapist=spot.cora,
        order="time",
    )
    starts = sorted({s.start for s in found.slots})
    assert starts[0] == at(9, 15)
    assert starts[-1] == at(11)
    assert at(9, 50) not in starts
    assert at(9, 45) in starts
    assert at(10, 30) in starts
    assert all(s < at(9, 46) or s >= at(10, 30) for s in starts)


def test_availability_without_a_host_visit_offers_nothing(spot):
    found = availability(
        service=Service.objects.get(code="spot-work-15"),
        location=spot.cast.chiro,
        patient=spot.cast.pat,
        start=at(7),
        end=at(17),
    )
    assert found.slots == []


def test_the_session_plan_for_spot_work_is_the_short_one_region_plan(spot):
    from kneadwell.knowledge.catalogue import techniques
    from kneadwell.therapists.models import Training

    Training.objects.bulk_create(Training(therapist=spot.cora, technique=key) for key in techniques())
    intake_record(
        actor=spot.cast.desk,
        patient=spot.cast.pat,
        channel="phone",
        chief_complaint="Stiff neck and sore low back",
        areas=[AreaIn(region="neck"), AreaIn(region="low_back")],
    )
    spot.host_visit(spot.cast.pat, at(10))
    booked = appointment_create(
        patient=spot.cast.pat,
        therapist=spot.cora,
        room=spot.chair,
        service=Service.objects.get(code="spot-work-15"),
        start=at(10, 30),
        channel=Channel.PHONE,
    )
    plan, _screening = appointment_plan(booked)
    assert not plan.blocked
    assert [(s.region, s.role) for s in plan.segments] == [("neck", "focus")]
    assert plan.minutes <= 15


def test_a_spot_work_series_books_only_the_weeks_with_a_host_visit(spot):
    from kneadwell.planning.models import CarePlan, CarePlanStatus
    from kneadwell.scheduling.models import SeriesMode
    from kneadwell.scheduling.series import SPOT_WORK_CONFLICT, WeeklyTime, series_book

    plan = CarePlan.objects.create(
        patient=spot.cast.pat,
        therapist=spot.cora,
        conditions=[],
        frequency_per_week=1,
        weeks=2,
        starts_on=DAY,
        reassess_on=DAY + dt.timedelta(days=30),
        status=CarePlanStatus.ACTIVE,
    )
    spot.host_visit(spot.cast.pat, at(10))  # this Wednesday only; none the next
    kwargs = {
        "actor": spot.cast.desk,
        "care_plan": plan,
        "service": Service.objects.get(code="spot-work-15"),
        "location": spot.cast.chiro,
        "therapist": spot.cora,
        "pattern": [WeeklyTime(weekday=2, time=dt.time(10, 30))],
    }
    preview = series_book(**kwargs, dry_run=True)
    assert [(o.status, o.reason) for o in preview.occurrences] == [
        ("free", ""),
        ("conflict", SPOT_WORK_CONFLICT),
    ]

    series_book(**kwargs, mode=SeriesMode.ALL_OR_NOTHING)
    assert not Appointment.objects.filter(service__code="spot-work-15").exists()
    series_book(**kwargs, mode=SeriesMode.BOOK_WHAT_FITS)
    assert list(Appointment.objects.filter(service__code="spot-work-15").values_list("start", flat=True)) == [
        at(10, 30)
    ]


@pytest.mark.parametrize(
    ("day", "offset_hours"),
    [(dt.date(2026, 3, 8), -5), (dt.date(2026, 11, 1), -6)],  # spring-forward and fall-back Sundays
)
def test_the_host_visit_is_found_on_its_local_day_across_dst(spot, day, offset_hours):
    from kneadwell.scheduling.gates import check_spot_work

    # 23:40 local is already the next day in UTC: the rule reads the location's local day, 23 or 25 hours long.
    host_start = dt.datetime.combine(
        day, dt.time(23, 40), tzinfo=dt.timezone(dt.timedelta(hours=offset_hours))
    )
    spot.host_visit(spot.cast.pat, host_start.astimezone(dt.UTC), minutes=15)
    service = Service.objects.get(code="spot-work-15")
    start = host_start - dt.timedelta(minutes=25)  # 23:15 local, ends 10 minutes before
    check_spot_work(
        patient=spot.cast.pat,
        location=spot.cast.chiro,
        service=service,
        start=start,
        end=start + service.duration,
    )
    early = host_start - dt.timedelta(minutes=60)  # ends 45 minutes before
    with pytest.raises(DomainError) as refused:
        check_spot_work(
            patient=spot.cast.pat,
            location=spot.cast.chiro,
            service=service,
            start=early,
            end=early + service.duration,
        )
    assert refused.value.code == "outside_spot_work_window"
    assert "22:55–23:25" in refused.value.message  # the allowed starts, on the local wall clock


def test_a_taken_spot_work_time_offers_alternatives_inside_the_window_only(spot, api_as):
    spot.host_visit(spot.cast.pat, at(10))
    api = api_as(spot.cast.desk)
    assert _book(api, spot, at(10, 30)).status_code == 201
    again = _book(api, spot, at(10, 30))
    assert again.status_code == 409, again.content
    starts = [dt.datetime.fromisoformat(a["start"]) for a in again.json()["alternatives"]]
    assert starts
    assert all(at(9, 15) <= s <= at(9, 45) or at(10, 45) <= s <= at(11) for s in starts), starts
