"""The waitlist over the API: join (bad input refused naming the field, nothing written), the ranked
list with reasons, and answering an offer (expired: 409)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.waitlist.models import WaitlistOffer, WaitlistRequest
from kneadwell.waitlist.services import FreedTime, offer_freed_time

from .conftest import assert_public_ids, fields_of

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)  # Tuesday 07:00 in New York
THU_10 = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _body(cast, **changes):  # type: ignore[no-untyped-def]
    return {
        "patient": str(cast.pat.public_id),
        "service": "therapeutic-60",
        "location": str(cast.hospital.public_id),
        "first_day": "2026-12-03",
        "last_day": "2026-12-10",
        "weekdays": [3],
        "earliest_time": "09:00",
        "latest_time": "13:00",
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_day": "2026-11-01", "last_day": "2026-11-20"}, "last_day"),
        ({"first_day": "2026-12-10", "last_day": "2026-12-03"}, "last_day"),
        ({"earliest_time": "13:00", "latest_time": "09:00"}, "latest_time"),
        ({"weekdays": []}, "weekdays"),
        ({"service": "no-such-service"}, "service"),
    ],
)
def test_a_bad_window_is_422_naming_the_field_and_writes_nothing(api_as, cast, changes, field):
    response = api_as(cast.desk).post("/waitlist/requests", _body(cast, **changes))

    assert response.status_code == 422, response.content
    assert fields_of(response) == [field]
    assert not WaitlistRequest.objects.exists()


def test_a_patient_cannot_mark_their_own_request_urgent(api_as, cast):
    response = api_as(cast.pat_user).post("/waitlist/requests", _body(cast, urgency="urgent"))

    assert response.status_code == 403
    assert not WaitlistRequest.objects.exists()


def test_join_then_the_ranked_list_with_reasons_and_the_offer(api_as, cast):
    desk = api_as(cast.desk)
    referral = cast.pat.referrals.get()
    joined = desk.post("/waitlist/requests", _body(cast, urgency="urgent", referral=str(referral.public_id)))
    assert joined.status_code == 201, joined.content
    assert desk.post("/waitlist/requests", _body(cast, patient=str(cast.paula.public_id))).status_code == 201
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

    listed = desk.get("/waitlist/requests").json()

    assert_public_ids(listed)
    assert [item["patient"]["name"] for item in listed["items"]] == ["Pat Palmer", "Paula Price"]
    first = listed["items"][0]
    assert first["position"] == 1
    assert first["reasons"][0] == "Referral marked urgent (from Dr Rita Reyes, received 1 Nov 2026)."
    assert first["offer"]["start"] == "2026-12-03T15:00:00Z"
    assert first["offer"]["local_start"] == "2026-12-03T10:00:00-05:00"
    assert first["offer"]["expires_at"] == "2026-12-01T14:00:00Z"
    mine = api_as(cast.pat_user).get("/waitlist/requests").json()
    assert [item["patient"]["name"] for item in mine["items"]] == ["Pat Palmer"]
    api_as(cast.paula_user).post(f"/waitlist/requests/{listed['items'][1]['id']}/cancel", {})
    with_closed = desk.get("/waitlist/requests", closed="true").json()
    assert [(i["patient"]["name"], i["status"]) for i in with_closed["items"]] == [
        ("Pat Palmer", "offered"),
        ("Paula Price", "cancelled"),
    ]


def test_accepting_over_the_api_books_and_an_expired_offer_is_409(api_as, cast, clock):
    api_as(cast.desk).post("/waitlist/requests", _body(cast))
    api_as(cast.desk).post("/waitlist/requests", _body(cast, patient=str(cast.paula.public_id)))
    free = FreedTime(
        therapist=cast.tess,
        room=cast.hospital_room,
        location=cast.hospital,
        start=THU_10,
        free_until=THU_10 + dt.timedelta(hours=2),
    )
    first = offer_freed_time(free)
    assert first is not None
    pat = api_as(cast.pat_user)

    booked = pat.post(f"/waitlist/offers/{first.public_id}/accept", {})

    assert booked.status_code == 200, booked.content
    assert (booked.json()["status"], booked.json()["start"]) == ("booked", "2026-12-03T15:00:00Z")

    later = THU_10 + dt.timedelta(days=7)
    second = offer_freed_time(
        FreedTime(
            therapist=cast.tess,
            room=cast.hospital_room,
            location=cast.hospital,
            start=later,
            free_until=later + dt.timedelta(hours=2),
        )
    )
    assert second is not None
    assert second.request.patient == cast.paula
    clock.shift(dt.timedelta(hours=3))

    expired = api_as(cast.paula_user).post(f"/waitlist/offers/{second.public_id}/accept", {})

    assert expired.status_code == 409
    assert fields_of(expired) == ["offer"]
    assert not Appointment.objects.filter(
        patient=cast.paula, start=later, status=AppointmentStatus.BOOKED
    ).exists()
    assert WaitlistOffer.objects.get(pk=second.pk).status == "open"  # the sweep marks it expired
