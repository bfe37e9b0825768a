"""Appointments through the API: the payload, the filters, and the audit of every read."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.clinic.models import Service
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from tests.cast import _appointment

from .conftest import assert_public_ids, fields_of, patient_data_events


def test_appointment_payload_carries_utc_and_local_times_and_public_ids(api_as, cast):
    body = api_as(cast.pat_user).get(f"/appointments/{cast.pat_appointment.public_id}").json()

    assert body == {
        "id": str(cast.pat_appointment.public_id),
        "patient": {"id": str(cast.pat.public_id), "name": "Pat Palmer"},
        "therapist": {"id": str(cast.tess.public_id), "name": "Tess Turner"},
        "location": {
            "id": str(cast.hospital.public_id),
            "name": cast.hospital.name,
            "time_zone": "America/New_York",
        },
        "room": {"id": str(cast.hospital_room.public_id), "name": "Room 1"},
        "service": {"code": "therapeutic-60", "name": cast.pat_appointment.service.name},
        "start": "2026-12-01T15:00:00Z",
        "end": "2026-12-01T16:00:00Z",
        "local_start": "2026-12-01T10:00:00-05:00",
        "status": "booked",
        "channel": "phone",
    }
    assert_public_ids(body)


def test_local_start_follows_the_locations_zone_across_dst(api_as, cast):
    service = Service.objects.get(code="therapeutic-60")
    summer = _appointment(
        cast.pat, cast.tess, cast.chiro_room, service, dt.datetime(2026, 7, 1, 15, tzinfo=dt.UTC)
    )

    body = api_as(cast.desk).get(f"/appointments/{summer.public_id}").json()

    assert body["local_start"] == "2026-07-01T10:00:00-05:00"  # Chicago, daylight time


@pytest.fixture
def more_appointments(cast):  # type: ignore[no-untyped-def]
    service = Service.objects.get(code="therapeutic-60")
    early = _appointment(
        cast.pat, cast.tess, cast.hospital_room, service, dt.datetime(2026, 11, 3, 14, tzinfo=dt.UTC)
    )
    chiro = _appointment(
        cast.paula, cast.theo, cast.chiro_room, service, dt.datetime(2026, 12, 2, 16, tzinfo=dt.UTC)
    )
    chiro.status = AppointmentStatus.CANCELLED
    chiro.save()
    return early, chiro


def _ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_list_is_ordered_by_start(api_as, cast, more_appointments):
    early, chiro = more_appointments

    ids = _ids(api_as(cast.desk).get("/appointments"))

    assert ids == [str(a.public_id) for a in (early, cast.pat_appointment, cast.paula_appointment, chiro)]


def test_from_and_to_take_instants_with_any_offset(api_as, cast, more_appointments):
    # 10:00-05:00 is 15:00Z: Pat's appointment starts exactly then (included); Paula's at 17:00Z is after `to`.
    ids = _ids(
        api_as(cast.desk).get(
            "/appointments", **{"from": "2026-12-01T10:00:00-05:00", "to": "2026-12-01T17:00:00Z"}
        )
    )

    assert ids == [str(cast.pat_appointment.public_id)]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("from", "2026-12-01T10:00:00"),
        ("to", "tomorrow"),
        ("location", "hospital"),
        ("status", "pending"),
        ("limit", "0"),
    ],
)
def test_bad_filters_are_422_naming_the_parameter(api_as, cast, param, value):
    response = api_as(cast.desk).get("/appointments", **{param: value})

    assert response.status_code == 422
    assert fields_of(response) == [param]


def test_filters_by_location_therapist_patient_and_status(api_as, cast, more_appointments):
    early, chiro = more_appointments
    api = api_as(cast.desk)

    assert _ids(api.get("/appointments", location=str(cast.chiro.public_id))) == [str(chiro.public_id)]
    assert _ids(api.get("/appointments", therapist=str(cast.theo.public_id))) == [
        str(cast.paula_appointment.public_id),
        str(chiro.public_id),
    ]
    assert _ids(api.get("/appointments", patient=str(cast.pat.public_id), status="booked")) == [
        str(early.public_id),
        str(cast.pat_appointment.public_id),
    ]
    assert _ids(api.get("/appointments", status="cancelled")) == [str(chiro.public_id)]


def test_filters_never_widen_the_scope(api_as, cast):
    ids = _ids(api_as(cast.pat_user).get("/appointments", patient=str(cast.paula.public_id)))

    assert ids == []


def test_reading_an_appointment_is_audited_under_its_patient(api_as, cast):
    api_as(cast.tess_user).get(f"/appointments/{cast.pat_appointment.public_id}")

    event = patient_data_events().get()
    assert (event.patient_id, event.actor, event.object_type) == (
        str(cast.pat.public_id),
        cast.tess_user,
        "appointment",
    )
    assert (event.object_id, event.channel, event.action) == (
        str(cast.pat_appointment.public_id),
        "api",
        "read",
    )


def test_listing_appointments_records_one_event_per_patient_on_the_page(api_as, cast, more_appointments):
    api_as(cast.desk).get("/appointments")

    patient_ids = sorted(patient_data_events().values_list("patient_id", flat=True))
    assert patient_ids == sorted([str(cast.pat.public_id), str(cast.paula.public_id)])
    assert Appointment.objects.count() == 4


# --- keyset pages ---------------------------------------------------------------------------------


def test_cursor_pages_walk_the_whole_list_once_in_order_ties_included(api_as, cast, more_appointments):
    early, chiro = more_appointments
    service = Service.objects.get(code="therapeutic-60")
    # Starts at the same instant as Pat's: the tie is broken by id, and neither is lost at a page edge.
    twin = _appointment(cast.paula, cast.theo, cast.chiro_room, service, cast.pat_appointment.start)
    api = api_as(cast.desk)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        body = api.get("/appointments", **params).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    expected = [early, cast.pat_appointment, twin, cast.paula_appointment, chiro]
    assert seen == [str(a.public_id) for a in sorted(expected, key=lambda a: (a.start, a.pk))]
    assert pages == 5


def test_the_total_is_counted_only_when_asked(api_as, cast, more_appointments):
    api = api_as(cast.desk)

    assert api.get("/appointments", limit="2").json()["count"] is None
    body = api.get("/appointments", limit="2", count="true").json()
    assert (len(body["items"]), body["count"]) == (2, 4)


@pytest.mark.parametrize("cursor", ["nonsense", "eyJ0IjoiMjAyNiJ9:1abc:forged"])
def test_a_cursor_this_list_did_not_give_is_422_naming_it(api_as, cast, cursor):
    response = api_as(cast.desk).get("/appointments", cursor=cursor)

    assert response.status_code == 422
    assert fields_of(response) == ["cursor"]
