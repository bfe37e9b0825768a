"""Plan-of-care series over the API: dry run, all or nothing (409 with every occurrence), what fits,
then cancel and move from an occurrence on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from kneadwell.clinic.models import Service
from kneadwell.lib.zones import local_to_utc
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import Appointment, Series
from kneadwell.scheduling.services import appointment_book
from tests.cast import Cast

from .conftest import assert_public_ids, fields_of

NY = "America/New_York"
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


def at(day: dt.date, hour: int) -> dt.datetime:
    return local_to_utc(day, dt.time(hour), NY)


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


def body(cast: Cast, **changes: object) -> dict[str, object]:
    return {
        "service": "therapeutic-60",
        "location": str(cast.hospital.public_id),
        "times": [{"weekday": 1, "time": "17:00"}],
        **changes,
    }


def _take_third_tuesday(cast: Cast) -> None:
    appointment_book(
        actor=cast.desk,
        patient=cast.paula,
        service=Service.objects.get(code="therapeutic-60"),
        location=cast.hospital,
        therapist=cast.tess,
        start=at(dt.date(2026, 12, 8), 17),
    )


def test_dry_run_lists_every_occurrence_in_local_and_utc_time(api_as, clinic, plan):
    response = api_as(clinic.desk).post(f"/care-plans/{plan.public_id}/series", body(clinic, dry_run=True))

    assert response.status_code == 200, response.content
    result = response.json()
    assert_public_ids(result)
    assert result["series"] is None
    assert [o["local_start"] for o in result["occurrences"]] == [
        f"2026-{d}T17:00:00-05:00" for d in ("11-24", "12-01", "12-08", "12-15", "12-22", "12-29")
    ]
    assert {o["status"] for o in result["occurrences"]} == {"free"}


def test_all_or_nothing_with_a_conflict_is_409_with_every_occurrence(api_as, clinic, plan):
    _take_third_tuesday(clinic)

    response = api_as(clinic.desk).post(f"/care-plans/{plan.public_id}/series", body(clinic))

    assert response.status_code == 409
    occurrences = response.json()["occurrences"]
    assert [o["status"] for o in occurrences] == ["free", "free", "conflict", "free", "free", "free"]
    assert occurrences[2]["alternatives"]
    assert not Series.objects.exists()


def test_book_what_fits_answers_201_with_the_series(api_as, clinic, plan):
    _take_third_tuesday(clinic)
    api = api_as(clinic.desk)

    response = api.post(f"/care-plans/{plan.public_id}/series", body(clinic, mode="book_what_fits"))

    assert response.status_code == 201, response.content
    result = response.json()
    series = result["series"]
    assert len(series["appointments"]) == 5
    assert series["pattern"] == [{"weekday": 1, "time": "17:00"}]
    assert [o["status"] for o in result["occurrences"]].count("booked") == 5
    assert api.get(f"/series/{series['id']}").json()["id"] == series["id"]


def test_move_then_cancel_from_an_occurrence_on(api_as, clinic, plan):
    api = api_as(clinic.desk)
    series = api.post(f"/care-plans/{plan.public_id}/series", body(clinic)).json()["series"]
    second = series["appointments"][1]["id"]
    fourth = series["appointments"][3]["id"]

    moved = api.post(f"/series/{series['id']}/move", {"from": second, "start": "2026-12-03T21:00:00Z"})
    cancelled = api.post(
        f"/series/{series['id']}/cancel", {"from": fourth, "by_patient": False, "reason": "Moving away"}
    )

    assert moved.status_code == 200, moved.content
    assert [o["local_start"][:16] for o in moved.json()["occurrences"]][:2] == [
        "2026-12-03T16:00",
        "2026-12-10T16:00",
    ]
    assert cancelled.status_code == 200
    statuses = [a["status"] for a in cancelled.json()["appointments"]]
    assert statuses == ["booked", "booked", "booked", "cancelled", "cancelled", "cancelled"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"times": [{"weekday": 1, "time": "17:00"}, {"weekday": 3, "time": "17:00"}]}, "times"),
        ({"times": [{"weekday": 1, "time": "17:02"}]}, "times[0].time"),
        ({"times": [{"weekday": 9, "time": "17:00"}]}, "times[0].weekday"),
        ({"weeks": 52}, "weeks"),
        ({"starts_on": "2036-01-01"}, "starts_on"),
        ({"service": "spot-work-15"}, "service"),
        ({"mode": "most"}, "mode"),
        ({"every_weeks": 9}, "every_weeks"),
    ],
)
def test_a_series_that_can_never_be_booked_is_a_422_naming_the_field(api_as, clinic, plan, changes, field):
    response = api_as(clinic.desk).post(f"/care-plans/{plan.public_id}/series", body(clinic, **changes))

    assert response.status_code == 422, response.content
    assert fields_of(response) == [field]
    assert not Appointment.objects.filter(series__isnull=False).exists()


def test_a_draft_plan_is_409(api_as, clinic, plan):
    plan.status = CarePlanStatus.DRAFT
    plan.save()
    response = api_as(clinic.desk).post(f"/care-plans/{plan.public_id}/series", body(clinic))
    assert response.status_code == 409


def test_every_other_week_spaces_the_occurrences_and_the_series_keeps_it(api_as, clinic, plan):
    response = api_as(clinic.desk).post(
        f"/care-plans/{plan.public_id}/series", body(clinic, every_weeks=2, weeks=3, mode="book_what_fits")
    )

    assert response.status_code == 201, response.content
    result = response.json()
    assert [o["local_start"] for o in result["occurrences"]] == [
        f"2026-{d}T17:00:00-05:00" for d in ("11-24", "12-08", "12-22")
    ]
    assert result["series"]["every_weeks"] == 2
