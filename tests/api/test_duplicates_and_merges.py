"""Issue 9, item 10 through the API: duplicate patients are offered, not created; records merge and unmerge."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral

PAT_AGAIN = {
    "given_name": "Pat",
    "family_name": "PALMER",
    "birth_date": "1980-05-01",
    "phone": "+1 212 555 0100",
}
WHIPLASH = [{"condition": "whiplash"}]


@pytest.fixture
def pat_on_file(cast):  # type: ignore[no-untyped-def]
    Patient.objects.filter(pk=cast.pat.pk).update(phone="(212) 555-0100")
    return cast


def test_registering_a_patient_on_file_is_409_with_the_match(api_as, pat_on_file):
    cast = pat_on_file
    before = Patient.objects.count()

    response = api_as(cast.desk).post("/patients", PAT_AGAIN)

    assert response.status_code == 409
    body = response.json()
    assert body["matches"] == [
        {
            "id": str(cast.pat.public_id),
            "given_name": "Pat",
            "family_name": "Palmer",
            "birth_date": "1980-05-01",
        }
    ]
    assert body["detail"].startswith("This looks like Pat Palmer, born 1 May 1980")
    assert Patient.objects.count() == before


def test_confirm_new_registers_someone_else(api_as, pat_on_file):
    response = api_as(pat_on_file.desk).post("/patients?confirm_new=true", PAT_AGAIN)

    assert response.status_code == 201
    assert response.json()["id"] != str(pat_on_file.pat.public_id)


def test_confirm_new_must_be_a_boolean(api_as, pat_on_file):
    response = api_as(pat_on_file.desk).post("/patients?confirm_new=maybe", PAT_AGAIN)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["confirm_new"]


def test_the_desk_referring_a_new_patient_on_file_is_offered_the_record(api_as, pat_on_file):
    cast = pat_on_file
    body = {"new_patient": PAT_AGAIN, "provider": str(cast.rob.public_id), "diagnoses": WHIPLASH}

    offered = api_as(cast.desk).post("/referrals", body)
    confirmed = api_as(cast.desk).post("/referrals?confirm_new=true", body)

    assert offered.status_code == 409
    assert [m["id"] for m in offered.json()["matches"]] == [str(cast.pat.public_id)]
    assert confirmed.status_code == 201


def test_a_referrers_new_patient_on_file_is_accepted_as_sent_and_held(api_as, pat_on_file):
    cast = pat_on_file
    # Rob never referred Pat: the answer must not differ from any other new patient's.
    response = api_as(cast.rob_user).post("/referrals", {"new_patient": PAT_AGAIN, "diagnoses": WHIPLASH})

    assert response.status_code == 201
    body = response.json()
    assert body["patient"]["id"] != str(cast.pat.public_id)
    assert "matches" not in body
    held = Patient.objects.get(public_id=body["patient"]["id"])
    assert held.suspected_duplicate_of == cast.pat
    assert api_as(cast.rob_user).get(f"/patients/{cast.pat.public_id}").status_code == 404


def _twin(cast) -> Patient:  # type: ignore[no-untyped-def]
    twin = Patient.objects.create(given_name="Pat", family_name="Palmer", birth_date=dt.date(1980, 5, 1))
    Referral.objects.create(patient=twin, provider=cast.rob, received_on=dt.date(2026, 11, 5))
    return twin


def test_the_desk_merges_and_unmerges_through_the_api(api_as, cast):
    twin = _twin(cast)
    api = api_as(cast.desk)

    merged = api.post(f"/patients/{cast.pat.public_id}/merge", {"source": str(twin.public_id)})

    assert merged.status_code == 200, merged.json()
    body = merged.json()
    assert (body["target"]["id"], body["source"]["id"]) == (str(cast.pat.public_id), str(twin.public_id))
    assert body["moved"] == {"referrals.referral.patient": 1}
    assert api.get(f"/patients/{twin.public_id}").status_code == 404
    assert (
        api.post(f"/patients/{cast.pat.public_id}/merge", {"source": str(twin.public_id)}).status_code == 422
    )

    undone = api.post(f"/patients/{twin.public_id}/unmerge", {})

    assert undone.status_code == 200, undone.json()
    assert undone.json()["merge_id"] == body["merge_id"]
    assert undone.json()["moved"] == {"referrals.referral.patient": 1}
    assert api.get(f"/patients/{twin.public_id}").status_code == 200
    assert api.post(f"/patients/{twin.public_id}/unmerge", {}).status_code == 404  # no longer merged


def test_a_record_merged_elsewhere_cannot_be_named_as_the_source(api_as, cast):
    twin, other = _twin(cast), _twin(cast)
    api = api_as(cast.desk)
    assert (
        api.post(f"/patients/{cast.pat.public_id}/merge", {"source": str(twin.public_id)}).status_code == 200
    )
    Patient.objects.filter(pk=other.pk).update(merged_into=cast.paula)

    response = api.post(f"/patients/{cast.pat.public_id}/merge", {"source": str(other.public_id)})

    assert response.status_code == 422  # out of every scope once merged: not a patient the desk can name
    assert [e["field"] for e in response.json()["errors"]] == ["source"]
