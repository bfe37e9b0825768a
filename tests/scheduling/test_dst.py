"""Daylight saving, with the clock frozen before the US and EU transitions, through the selector, the
booking service and the API: no slot starts in the missing hour, none is lost or doubled in the repeated
hour, and "Tuesdays 9 to 5" stays 9 to 5."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine

from kneadwell.clinic.models import LocationKind, Service
from kneadwell.lib.zones import local_to_utc, zone
from kneadwell.scheduling.services import appointment_book
from kneadwell.scheduling.slots import availability
from tests.api.conftest import Api

from . import builders as b

pytestmark = pytest.mark.django_db

# (zone, jurisdiction, the Sunday of the change, a moment a few days before it)
SPRING = [
    ("America/New_York", "US-NY", dt.date(2027, 3, 14), dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC)),
    ("Europe/Berlin", "DE-BE", dt.date(2027, 3, 28), dt.datetime(2027, 3, 24, 12, tzinfo=dt.UTC)),
]
FALL = [
    ("America/New_York", "US-NY", dt.date(2026, 11, 1), dt.datetime(2026, 10, 28, 12, tzinfo=dt.UTC)),
    ("Europe/Berlin", "DE-BE", dt.date(2026, 10, 25), dt.datetime(2026, 10, 21, 12, tzinfo=dt.UTC)),
]
# The hour the wall clock skips (spring) or repeats (fall), local.
SKIPPED = {"America/New_York": 2, "Europe/Berlin": 2}
REPEATED = {"America/New_York": 1, "Europe/Berlin": 2}


def _night_clinic(tz: str, jurisdiction: str):  # type: ignore[no-untyped-def]
    """A therapist working 00:00-06:00 every night, so the transition falls inside their hours."""
    where = b.location(tz=tz, jurisdiction=jurisdiction, kind=LocationKind.MASSAGE_CLINIC)
    therapist = b.therapist(where, weekdays=range(7), start=dt.time(0), end=dt.time(6))
    b.room(where)
    return where, therapist


def _slots_on(day: dt.date, tz: str, where, patient):  # type: ignore[no-untyped-def]
    start = local_to_utc(day, dt.time(0), tz)
    end = local_to_utc(day + dt.timedelta(days=1), dt.time(0), tz)
    return availability(
        service=Service.objects.get(code="relaxation-60"),
        location=where,
        patient=patient,
        start=start,
        end=end,
        order="time",
    ).slots


@pytest.mark.parametrize(("tz", "jurisdiction", "sunday", "frozen"), SPRING, ids=["US", "EU"])
def test_spring_forward_offers_nothing_in_the_missing_hour(tz, jurisdiction, sunday, frozen):
    where, _ = _night_clinic(tz, jurisdiction)
    with time_machine.travel(frozen, tick=False):
        slots = _slots_on(sunday, tz, where, b.patient())

    local = [s.start.astimezone(zone(tz)) for s in slots]
    assert local
    assert not [t for t in local if t.hour == SKIPPED[tz]]
    assert all(t.minute % 5 == 0 and t.second == 0 for t in local)
    assert all(s.end - s.start == dt.timedelta(minutes=60) for s in slots)
    # 00:00-06:00 on the wall is five real hours tonight: the last start is 05:00 local.
    assert local[-1].time() == dt.time(5)
    assert len(local) == len(set(local))


@pytest.mark.parametrize(("tz", "jurisdiction", "sunday", "frozen"), FALL, ids=["US", "EU"])
def test_fall_back_offers_the_repeated_hour_twice_never_doubled(tz, jurisdiction, sunday, frozen):
    where, _ = _night_clinic(tz, jurisdiction)
    with time_machine.travel(frozen, tick=False):
        slots = _slots_on(sunday, tz, where, b.patient())

    local = [s.start.astimezone(zone(tz)) for s in slots]
    walls = Counter(t.replace(tzinfo=None) for t in local)
    repeated = [w for w in walls if w.hour == REPEATED[tz]]
    assert repeated
    assert all(walls[w] == 2 for w in repeated)  # once in summer time, once in winter time
    assert all(walls[w] == 1 for w in walls if w.hour != REPEATED[tz])
    assert Counter((s.start, s.therapist.pk) for s in slots).most_common(1)[0][1] == 1


@pytest.mark.parametrize(("tz", "jurisdiction", "sunday", "frozen"), FALL, ids=["US", "EU"])
def test_both_occurrences_of_a_repeated_wall_time_can_be_booked(
    tz, jurisdiction, sunday, frozen, django_user_model
):
    from kneadwell.accounts.models import Role

    where, therapist = _night_clinic(tz, jurisdiction)
    desk = django_user_model.objects.create_user(
        username=f"desk-{tz}", password="x" * 12, role=Role.FRONT_DESK
    )
    first = local_to_utc(sunday, dt.time(REPEATED[tz], 30), tz)  # the first 01:30 (or 02:30)
    second = first + dt.timedelta(hours=1)  # the same wall time an hour later
    assert first.astimezone(zone(tz)).time() == second.astimezone(zone(tz)).time()

    with time_machine.travel(frozen, tick=False):
        booked = [
            appointment_book(
                actor=desk,
                patient=b.patient(),
                service=Service.objects.get(code="relaxation-60"),
                location=where,
                therapist=therapist,
                start=start - dt.timedelta(minutes=15) if start == first else start,
            ).appointment
            for start in (first, second)
        ]

    assert [a.start for a in booked] == [first - dt.timedelta(minutes=15), second]


@pytest.mark.parametrize(
    ("tz", "jurisdiction", "sunday", "frozen"),
    SPRING + FALL,
    ids=["US-spring", "EU-spring", "US-fall", "EU-fall"],
)
def test_tuesdays_nine_to_five_stay_nine_to_five(tz, jurisdiction, sunday, frozen):
    where = b.location(tz=tz, jurisdiction=jurisdiction)
    b.therapist(where, weekdays=[1], start=dt.time(9), end=dt.time(17))
    b.room(where)
    patient = b.patient()

    with time_machine.travel(frozen - dt.timedelta(days=7), tick=False):
        for tuesday in (sunday - dt.timedelta(days=5), sunday + dt.timedelta(days=2)):
            slots = _slots_on(tuesday, tz, where, patient)
            local = [s.start.astimezone(zone(tz)) for s in slots]
            assert local[0].time() == dt.time(9)
            assert slots[-1].end.astimezone(zone(tz)).time() == dt.time(17)


def test_the_api_answers_in_local_time_across_the_us_spring_change(client, db, bearer):  # type: ignore[no-untyped-def]
    from kneadwell.accounts.models import Role, User

    tz, jurisdiction, _sunday, frozen = SPRING[0]
    where, _ = _night_clinic(tz, jurisdiction)
    patient = b.patient()
    desk = User.objects.create_user(username="desk-dst", password="x" * 12, role=Role.FRONT_DESK)
    api = Api(client, bearer(desk))

    with time_machine.travel(frozen, tick=False):
        response = api.get(
            "/availability",
            service="relaxation-60",
            location=str(where.public_id),
            patient=str(patient.public_id),
            start="2027-03-14T00:00:00-05:00",
            end="2027-03-14T06:00:00-04:00",
            order="time",
            step=60,
        )

    assert response.status_code == 200, response.content
    assert [item["local_start"] for item in response.json()["items"]] == [
        "2027-03-14T00:00:00-05:00",
        "2027-03-14T01:00:00-05:00",
        "2027-03-14T03:00:00-04:00",
        "2027-03-14T04:00:00-04:00",
        "2027-03-14T05:00:00-04:00",
    ]
