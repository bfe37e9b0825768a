"""Booking over the API: availability, POST /appointments with idempotency, 409 with alternatives,
the status endpoints, and every "Bad input" case of issue 8 (a clear 4xx naming the field, nothing written)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from kneadwell.accounts.models import AuditEvent
from kneadwell.clinic.models import Service
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn
from kneadwell.lib.zones import local_to_utc
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.therapists.models import Therapist
from tests.cast import Cast

from .conftest import API, Api, assert_public_ids, fields_of

NY = "America/New_York"
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
WEDNESDAY = dt.date(2026, 11, 25)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), NY)


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def clinic(cast: Cast) -> Iterator[Cast]:
    with time_machine.travel(NOW, tick=False):
        yield cast


@pytest.fixture
def desk(api_as, clinic: Cast) -> Api:  # type: ignore[no-untyped-def]
    return api_as(clinic.desk)


def booking(cast: Cast, start: dt.datetime | str, **changes: Any) -> dict[str, Any]:
    body = {
        "patient": str(cast.pat.public_id),
        "service": "therapeutic-60",
        "location": str(cast.hospital.public_id),
        "therapist": str(cast.tess.public_id),
        "start": start if isinstance(start, str) else iso(start),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def post(api: Api, body: Any, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = dict(api.headers)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.client.post(
        API + "/appointments", json.dumps(body), content_type="application/json", **headers
    )


def availability(api: Api, cast: Cast, **params: Any):  # type: ignore[no-untyped-def]
    query = {
        "service": "therapeutic-60",
        "location": str(cast.hospital.public_id),
        "patient": str(cast.pat.public_id),
    }
    query.update(params)
    return api.get("/availability", **{k: v for k, v in query.items() if v is not None})


# --- Availability --------------------------------------------------------------------------------


def test_availability_ranks_slots_and_says_why(desk, clinic):
    response = availability(desk, clinic, end=iso(at(WEDNESDAY, 0)), limit=3)

    assert response.status_code == 200, response.content
    body = response.json()
    assert_public_ids(body)
    assert body["has_more"] is True
    assert [item["score"] for item in body["items"]] == sorted(
        (i["score"] for i in body["items"]), reverse=True
    )
    first = body["items"][0]
    assert set(first) == {
        "start",
        "end",
        "local_start",
        "therapist",
        "room",
        "location",
        "service",
        "score",
        "reasons",
    }
    assert first["reasons"]
    assert first["location"]["time_zone"] == NY


def test_every_offered_slot_can_be_booked_and_is_then_gone(desk, clinic):
    slots = availability(desk, clinic, end=iso(at(WEDNESDAY, 0)), order="time", limit=500).json()["items"]
    chosen = slots[len(slots) // 2]

    response = post(desk, booking(clinic, chosen["start"], therapist=chosen["therapist"]["id"]))

    assert response.status_code == 201, response.content
    after = availability(desk, clinic, end=iso(at(WEDNESDAY, 0)), order="time", limit=500).json()["items"]
    taken = (chosen["start"], chosen["therapist"]["id"])
    assert taken not in {(s["start"], s["therapist"]["id"]) for s in after}


def test_availability_for_one_therapist_with_an_hourly_step(desk, clinic):
    body = availability(desk, clinic, therapist=str(clinic.theo.public_id), step=60, order="time").json()

    assert {item["therapist"]["id"] for item in body["items"]} == {str(clinic.theo.public_id)}
    assert all(item["local_start"][14:19] == "00:00" for item in body["items"])
    assert body["step"] == 60


def test_availability_is_audited_under_the_patient(desk, clinic):
    availability(desk, clinic)
    event = AuditEvent.objects.get(object_type="availability")
    assert (event.patient_id, event.action) == (str(clinic.pat.public_id), "read")


def test_a_blocked_patient_gets_no_clinical_slot_and_a_422_saying_what_unblocks_it(desk, clinic):
    intake_record(
        actor=clinic.desk,
        patient=clinic.pat,
        channel="phone",
        chief_complaint="Headache",
        areas=[AreaIn(region="neck")],
        answers=HealthAnswersIn(thunderclap_headache=True),
    )

    response = availability(desk, clinic)

    assert response.status_code == 422
    assert fields_of(response) == ["patient"]
    assert "held by screening" in response.json()["detail"]
    assert "To go ahead: Emergency care first" in response.json()["detail"]
    # The one clinical gate holds every service: relaxation is spared the paperwork, not safety.
    relaxation = availability(desk, clinic, service="relaxation-60")
    assert relaxation.status_code == 422


# --- Booking -------------------------------------------------------------------------------------


def test_booking_answers_201_with_the_appointment(desk, clinic):
    response = post(desk, booking(clinic, at(WEDNESDAY, 10)), key="3f2a9c1e-0b7d-4c55-9a61-2d8e4f7b1a00")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["start"], body["local_start"], body["status"]) == (
        "2026-11-25T15:00:00Z",
        "2026-11-25T10:00:00-05:00",
        "booked",
    )
    assert body["cancellation"] is None
    assert_public_ids(body)


def test_the_same_key_and_body_again_gives_the_same_appointment(desk, clinic):
    first = post(desk, booking(clinic, at(WEDNESDAY, 10)), key="retry-1")
    again = post(desk, booking(clinic, at(WEDNESDAY, 10)), key="retry-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert Appointment.objects.filter(idempotency_key="retry-1").count() == 1


def test_a_taken_slot_is_409_with_the_nearest_alternatives(desk, clinic):
    post(desk, booking(clinic, at(WEDNESDAY, 10), patient=str(clinic.paula.public_id)))

    response = post(desk, booking(clinic, at(WEDNESDAY, 10, 30)))

    assert response.status_code == 409
    body = response.json()
    assert [e["field"] for e in body["errors"]] in (["therapist"], ["room"])
    assert body["alternatives"]
    wanted = at(WEDNESDAY, 10, 30)
    gaps = [abs(dt.datetime.fromisoformat(a["start"]) - wanted) for a in body["alternatives"]]
    assert gaps == sorted(gaps)
    first = body["alternatives"][0]
    retry = post(desk, booking(clinic, first["start"], therapist=first["therapist"]["id"]))
    assert retry.status_code == 201, retry.content


BAD_INPUT = [
    # (what, change to the body, header key, field named)
    ("naive datetime", {"start": "2026-11-25T10:00:00"}, None, "start"),
    ("start off the alignment", {"start": "2026-11-25T15:03:00Z"}, None, "start"),
    ("unknown service", {"service": "deep-tissue-45"}, None, "service"),
    ("service not offered here", {"service": "spot-work-15"}, None, "service"),
    ("past slot", {"start": "2026-11-20T15:00:00Z"}, None, "start"),
    ("horizon of ten years", {"start": "2036-11-25T15:00:00Z"}, None, "start"),
    ("unknown location", {"location": "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"}, None, "location"),
    ("unknown room", {"room": "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"}, None, "room"),
    ("unknown field", {"colour": "blue"}, None, "colour"),
    ("malformed key", {}, "not a key!", "Idempotency-Key"),
    ("key too long", {}, "k" * 101, "Idempotency-Key"),
]


@pytest.mark.parametrize(("what", "change", "key", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(desk, clinic, what, change, key, field):
    before = Appointment.objects.count()

    response = post(desk, {**booking(clinic, at(WEDNESDAY, 10)), **change}, key=key)

    assert response.status_code == 422, response.content
    assert fields_of(response) == [field]
    assert Appointment.objects.count() == before


def test_an_inactive_service_names_the_service(desk, clinic):
    Service.objects.filter(code="therapeutic-60").update(active=False)
    response = post(desk, booking(clinic, at(WEDNESDAY, 10)))
    assert (response.status_code, fields_of(response)) == (422, ["service"])


def test_a_therapist_outside_the_location_or_with_an_expired_licence_names_the_therapist(desk, clinic):
    clinic.tess.licences.update(expires=dt.date(2026, 11, 24))
    expired = post(desk, booking(clinic, at(WEDNESDAY, 10)))
    elsewhere = post(desk, booking(clinic, at(WEDNESDAY, 10), location=str(clinic.chiro.public_id)))

    assert (expired.status_code, fields_of(expired)) == (422, ["therapist"])
    assert (elsewhere.status_code, fields_of(elsewhere)) == (422, ["therapist"])
    assert not Appointment.objects.filter(start=at(WEDNESDAY, 10)).exists()


def test_a_reused_key_with_another_body_is_a_422_naming_the_key(desk, clinic):
    post(desk, booking(clinic, at(WEDNESDAY, 10)), key="call-7")

    response = post(desk, booking(clinic, at(WEDNESDAY, 11)), key="call-7")

    assert (response.status_code, fields_of(response)) == (422, ["Idempotency-Key"])
    assert not Appointment.objects.filter(start=at(WEDNESDAY, 11)).exists()


@pytest.mark.parametrize("who", ["patient", "therapist"])
def test_a_patient_or_therapist_out_of_scope_is_404(api_as, clinic, who):
    if who == "patient":
        body = booking(clinic, at(WEDNESDAY, 10), patient=str(clinic.paula.public_id))
        api = api_as(clinic.pat_user)
    else:
        gone = Therapist.objects.create(given_name="Gone", family_name="Away", active=False)
        body = booking(clinic, at(WEDNESDAY, 10), therapist=str(gone.public_id))
        api = api_as(clinic.desk)

    response = post(api, body)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-11-25T10:00:00"}, "start"),
        ({"start": iso(at(WEDNESDAY, 12)), "end": iso(at(WEDNESDAY, 10))}, "end"),
        ({"end": "2036-11-25T15:00:00Z"}, "end"),
        ({"step": 7}, "step"),
        ({"step": 0}, "step"),
        ({"service": "spot-work-15"}, "service"),
        ({"location": "hospital"}, "location"),
        ({"order": "random"}, "order"),
    ],
)
def test_bad_availability_queries_are_422_naming_the_parameter(desk, clinic, params, field):
    response = availability(desk, clinic, **params)

    assert response.status_code == 422, response.content
    assert fields_of(response) == [field]


def test_the_list_filters_by_a_time_range_and_refuses_an_inverted_one(desk, clinic):
    inside = desk.get("/appointments", start="2026-12-01T15:30:00Z", end="2026-12-01T16:30:00Z").json()
    inverted = desk.get("/appointments", start="2026-12-02T00:00:00Z", end="2026-12-01T00:00:00Z")

    assert [item["id"] for item in inside["items"]] == [str(clinic.pat_appointment.public_id)]
    assert (inverted.status_code, fields_of(inverted)) == (422, ["end"])


# --- Status changes ------------------------------------------------------------------------------


def test_cancel_then_cancel_again_is_a_409(desk, clinic):
    appointment = post(desk, booking(clinic, at(WEDNESDAY, 10))).json()
    url = f"/appointments/{appointment['id']}/cancel"

    first = desk.post(url, {"reason": "Therapist ill", "by_patient": False})
    second = desk.post(url, {"reason": "again"})

    assert first.status_code == 200
    assert first.json()["cancellation"] == {
        "at": "2026-11-23T14:00:00Z",
        "reason": "Therapist ill",
        "by_patient": False,
        "late": False,
        "policy_override": "",
    }
    assert second.status_code == 409
    assert fields_of(second) == ["status"]


def test_check_in_no_show_and_complete_follow_the_table(api_as, clinic):
    desk = api_as(clinic.desk)
    appointment = post(desk, booking(clinic, at(WEDNESDAY, 10))).json()
    url = f"/appointments/{appointment['id']}"

    early = desk.post(f"{url}/check-in", None)
    with time_machine.travel(at(WEDNESDAY, 9, 50), tick=False):
        checked_in = desk.post(f"{url}/check-in", None)
        no_show = desk.post(f"{url}/no-show", None)
    with time_machine.travel(at(WEDNESDAY, 11), tick=False):
        done = api_as(clinic.tess_user).post(f"{url}/complete", None)

    assert early.status_code == 409
    assert checked_in.json()["status"] == "checked_in"
    assert no_show.status_code == 409  # checked in: not a no-show
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    assert done.json()["completed_at"] == "2026-11-25T16:00:00Z"


def test_reschedule_moves_atomically_or_answers_409_with_alternatives(desk, clinic):
    mine = post(desk, booking(clinic, at(WEDNESDAY, 10))).json()
    post(desk, booking(clinic, at(WEDNESDAY, 14), patient=str(clinic.paula.public_id)))

    taken = desk.post(f"/appointments/{mine['id']}/reschedule", {"start": iso(at(WEDNESDAY, 14, 30))})
    moved = desk.post(f"/appointments/{mine['id']}/reschedule", {"start": iso(at(WEDNESDAY, 12))})

    assert taken.status_code == 409
    assert taken.json()["alternatives"]
    assert all(a["therapist"]["id"] == str(clinic.tess.public_id) for a in taken.json()["alternatives"])
    assert (moved.status_code, moved.json()["id"], moved.json()["start"]) == (
        200,
        mine["id"],
        "2026-11-25T17:00:00Z",
    )
    assert Appointment.objects.get(public_id=mine["id"]).status == AppointmentStatus.BOOKED


def test_a_late_cancellation_refused_by_the_clinic_is_a_409_and_staff_may_override(api_as, clinic):
    from kneadwell.clinic.models import ClinicSettings

    ClinicSettings.objects.update_or_create(pk=1, defaults={"late_cancellation_policy": "refuse"})
    desk = api_as(clinic.desk)
    soon = post(desk, booking(clinic, at(dt.date(2026, 11, 23), 14))).json()
    url = f"/appointments/{soon['id']}/cancel"

    refused = desk.post(url, {"reason": "Patient called"})
    overridden = desk.post(url, {"reason": "Patient called", "override_reason": "Hospital admission"})

    assert (refused.status_code, fields_of(refused)) == (409, ["override_reason"])
    assert overridden.status_code == 200
    assert overridden.json()["cancellation"]["policy_override"] == "Hospital admission"
