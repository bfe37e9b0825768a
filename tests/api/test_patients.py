"""Patients through the API: create, read back, change, refuse bad input without writing, audit every touch."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine

from kneadwell.accounts.models import AuditEvent
from kneadwell.patients.models import Patient

from .conftest import assert_public_ids, fields_of, patient_data_events, row_counts

VALID = {
    "given_name": "Nia",
    "family_name": "Newton",
    "birth_date": "1990-02-03",
    "email": "nia@example.org",
    "phone": "+1 555 0100",
    "city": "Albany",
    "pressure": "light",
    "areas_to_avoid": ["abdomen"],
}


def test_front_desk_creates_a_patient_that_comes_back_by_get(api_as, cast):
    api = api_as(cast.desk)

    created = api.post("/patients", VALID)
    fetched = api.get(f"/patients/{created.json()['id']}")

    assert created.status_code == 201
    assert uuid.UUID(created.json()["id"])
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert {key: fetched.json()[key] for key in VALID} == VALID
    assert_public_ids(fetched.json())
    assert Patient.objects.get(public_id=created.json()["id"]).user is None


def test_create_defaults_the_fields_not_given(api_as, cast):
    body = (
        api_as(cast.admin)
        .post("/patients", {"given_name": "Al", "family_name": "Able", "birth_date": "2000-01-01"})
        .json()
    )

    assert (body["pressure"], body["email"], body["areas_to_avoid"]) == ("medium", "", [])


def test_patient_changes_their_own_contact_details_and_preferences(api_as, cast):
    response = api_as(cast.pat_user).patch(
        f"/patients/{cast.pat.public_id}",
        {"email": "pat@example.org", "pressure": "firm", "music": "none", "therapist_gender_required": True},
    )

    assert response.status_code == 200
    cast.pat.refresh_from_db()
    assert (cast.pat.email, cast.pat.pressure, cast.pat.music) == ("pat@example.org", "firm", "none")
    assert cast.pat.therapist_gender_required is True
    assert response.json()["pressure"] == "firm"


def test_patch_leaves_absent_fields_alone(api_as, cast):
    cast.pat.phone = "555-0199"
    cast.pat.save()

    api_as(cast.desk).patch(f"/patients/{cast.pat.public_id}", {"city": "Troy"})

    cast.pat.refresh_from_db()
    assert (cast.pat.phone, cast.pat.city, cast.pat.given_name) == ("555-0199", "Troy", "Pat")


def test_front_desk_may_correct_a_birth_date(api_as, cast):
    response = api_as(cast.desk).patch(f"/patients/{cast.pat.public_id}", {"birth_date": "1981-06-02"})

    assert response.status_code == 200
    cast.pat.refresh_from_db()
    assert cast.pat.birth_date == dt.date(1981, 6, 2)


# --- bad input: 4xx naming the field, nothing written ------------------------------------------

TOO_LONG = "x" * 81

BAD_CREATES = [
    pytest.param({**VALID, "birth_date": "2999-01-01"}, 422, ["birth_date"], id="future-birth-date"),
    pytest.param({**VALID, "birth_date": "not a date"}, 422, ["birth_date"], id="unparseable-date"),
    pytest.param({**VALID, "given_name": TOO_LONG}, 422, ["given_name"], id="over-long-name"),
    pytest.param({**VALID, "given_name": ""}, 422, ["given_name"], id="empty-name"),
    pytest.param({**VALID, "family_name": 42}, 422, ["family_name"], id="wrong-type"),
    pytest.param({**VALID, "nickname": "Ni"}, 422, ["nickname"], id="unknown-field"),
    pytest.param({**VALID, "email": "not-an-email"}, 422, ["email"], id="invalid-email"),
    pytest.param({**VALID, "pressure": "crushing"}, 422, ["pressure"], id="unknown-choice"),
    pytest.param({**VALID, "areas_to_avoid": ["neck", ""]}, 422, ["areas_to_avoid[1]"], id="empty-area"),
    pytest.param({**VALID, "city": "Al\x00bany"}, 422, ["city"], id="nul-character"),
    pytest.param(
        '{"given_name": "\\ud800", "family_name": "F", "birth_date": "1990-01-01"}',
        422,
        ["given_name"],
        id="lone-surrogate",
    ),
    pytest.param(
        {**VALID, "areas_to_avoid": ["neck", "ba\x00ck"]}, 422, ["areas_to_avoid"], id="nul-in-list"
    ),
    pytest.param({k: v for k, v in VALID.items() if k != "birth_date"}, 422, ["birth_date"], id="missing"),
    pytest.param('{"given_name": "Nia",', 400, ["body"], id="malformed-json"),
    pytest.param("[1, 2]", 422, ["body"], id="not-an-object"),
    pytest.param("", 422, ["body"], id="empty-body"),
]


@pytest.mark.parametrize(("body", "status", "fields"), BAD_CREATES)
def test_bad_patient_input_names_the_field_and_writes_nothing(api_as, cast, body, status, fields):
    before = (row_counts(Patient), patient_data_events().count())

    response = api_as(cast.desk).post("/patients", body)

    assert response.status_code == status, response.content
    assert fields_of(response) == fields
    assert (row_counts(Patient), patient_data_events().count()) == before


BAD_PATCHES = [
    pytest.param({"given_name": None}, ["given_name"], id="null"),
    pytest.param({"birth_date": "2999-01-01"}, ["birth_date"], id="future-birth-date"),
    pytest.param({"postal_code": "1" * 21}, ["postal_code"], id="over-long"),
    pytest.param({"lighting": "disco"}, ["lighting"], id="unknown-choice"),
    pytest.param({"id": str(uuid.uuid4())}, ["id"], id="read-only-field"),
    pytest.param({"user": 1}, ["user"], id="unknown-field"),
    pytest.param({"phone": "555 0100", "birth_date": "2999-01-01"}, ["birth_date"], id="one-bad-one-good"),
    pytest.param({"phone": "555", "birth_date": "1850-01-01"}, ["birth_date", "phone"], id="two-bad"),
]


@pytest.mark.parametrize(("body", "fields"), BAD_PATCHES)
def test_bad_patch_names_the_field_and_changes_nothing(api_as, cast, body, fields):
    response = api_as(cast.desk).patch(f"/patients/{cast.pat.public_id}", body)

    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    cast.pat.refresh_from_db()
    assert (cast.pat.given_name, cast.pat.phone, cast.pat.birth_date) == ("Pat", "", dt.date(1980, 5, 1))


def test_a_path_id_that_is_not_a_uuid_is_422_naming_it(api_as, cast):
    response = api_as(cast.desk).get("/patients/42")

    assert response.status_code == 422
    assert fields_of(response) == ["id"]


def test_an_unknown_patient_id_is_404(api_as, cast):
    response = api_as(cast.desk).get(f"/patients/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}


@time_machine.travel(dt.datetime(2026, 3, 1, 20, tzinfo=dt.UTC), tick=False)
def test_a_baby_born_today_east_of_utc_is_not_in_the_future(api_as, cast):
    # 20:00 UTC on 1 March is already 2 March in Auckland.
    response = api_as(cast.desk).post("/patients", {**VALID, "birth_date": "2026-03-02"})

    assert response.status_code == 201


@time_machine.travel(dt.datetime(2026, 3, 1, 20, tzinfo=dt.UTC), tick=False)
def test_a_birth_date_after_tomorrow_anywhere_is_refused(api_as, cast):
    response = api_as(cast.desk).post("/patients", {**VALID, "birth_date": "2026-03-03"})

    assert fields_of(response) == ["birth_date"]


# --- audit ---------------------------------------------------------------------------------------


def test_front_desk_reading_a_patient_is_audited(api_as, cast):
    api_as(cast.desk).get(f"/patients/{cast.pat.public_id}")

    event = AuditEvent.objects.get(patient_id=str(cast.pat.public_id))
    assert (event.actor, event.action, event.channel) == (cast.desk, "read", "api")
    assert event.object_type == "patient"
    assert event.path == f"/api/v1/patients/{cast.pat.public_id}"


def test_listing_patients_records_one_event_per_patient_on_the_page(api_as, cast):
    api_as(cast.desk).get("/patients", limit=1, offset=1)

    events = list(patient_data_events())
    assert [event.patient_id for event in events] == [str(cast.paula.public_id)]


def test_an_out_of_scope_read_records_the_attempt_and_no_read(api_as, cast):
    response = api_as(cast.pat_user).get(f"/patients/{cast.paula.public_id}")

    assert response.status_code == 404
    events = AuditEvent.objects.filter(patient_id=str(cast.paula.public_id))
    # The attempt is on the record (who tried, which id); no read of Paula's data is.
    assert [(e.action, e.actor, e.channel) for e in events] == [("denied", cast.pat_user, "api")]


def test_creating_and_changing_a_patient_are_audited(api_as, cast):
    api = api_as(cast.desk)
    created = api.post("/patients", VALID).json()
    api.patch(f"/patients/{created['id']}", {"phone": "518 555 0100", "city": "Troy"})

    actions = list(
        AuditEvent.objects.filter(patient_id=created["id"]).order_by("id").values_list("action", "detail")
    )
    assert actions == [("create", {}), ("update", {"fields": ["city", "phone"]})]
