"""Issue 9, item 10: every API create honours `Idempotency-Key` (api/idempotency.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine

from kneadwell.accounts.models import AuditAction, IdempotencyRecord
from kneadwell.api.idempotency import HEADER, KEY_LIFETIME
from kneadwell.intake.models import Intake
from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan
from kneadwell.referrals.models import Clearance, Referral
from tests.cast import Cast

from .conftest import API, patient_data_events, row_counts

NEW_PATIENT = {"given_name": "Nia", "family_name": "New", "birth_date": "1990-02-03"}


def _creates(cast: Cast) -> list[tuple[str, dict[str, Any], dict[str, Any], Any]]:
    """Every create operation: (path, a body, another body, the model it creates)."""
    pat, referral, rita = cast.pat.public_id, cast.pat.referrals.get().public_id, str(cast.rita.public_id)
    whiplash = {"patient": str(pat), "provider": rita, "diagnoses": [{"condition": "whiplash"}]}
    intake = {"chief_complaint": "Stiff neck", "areas": [{"region": "neck"}]}
    return [
        ("/patients", NEW_PATIENT, {**NEW_PATIENT, "given_name": "Noa"}, Patient),
        ("/referrals", whiplash, {**whiplash, "reason": "Another"}, Referral),
        (f"/referrals/{referral}/clearances", {"scope": "general"}, {"scope": "pregnancy"}, Clearance),
        (
            f"/patients/{pat}/clearance-requests",
            {"scope": "general", "provider": rita},
            {"scope": "pregnancy", "provider": rita},
            Clearance,
        ),
        (f"/patients/{pat}/intakes", intake, {**intake, "goals": "Sleep"}, Intake),
        (
            f"/patients/{pat}/care-plans",
            {"conditions": ["low_back_pain"]},
            {"conditions": ["whiplash"]},
            CarePlan,
        ),
    ]


CREATES = ["patients", "referrals", "clearances", "clearance-requests", "intakes", "care-plans"]


def _post(client, cast: Cast, path: str, body: Any, key: str | None, user=None):  # type: ignore[no-untyped-def]
    from kneadwell.accounts.services import token_create

    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user or cast.desk).secret}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(API + path, data, content_type="application/json", **headers)


@pytest.mark.parametrize("index", range(len(CREATES)), ids=CREATES)
def test_the_same_key_and_body_give_the_same_answer_and_create_once(client, cast, index):
    path, body, _, model = _creates(cast)[index]
    before = model.objects.count()

    first = _post(client, cast, path, body, "retry-1")
    again = _post(client, cast, path, body, "retry-1")

    assert first.status_code == 201, first.json()
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert model.objects.count() == before + 1


@pytest.mark.parametrize("index", range(len(CREATES)), ids=CREATES)
def test_the_same_key_with_another_body_is_422_naming_the_header(client, cast, index):
    path, body, other_body, model = _creates(cast)[index]
    assert _post(client, cast, path, body, "retry-2").status_code == 201
    before = model.objects.count()

    other = _post(client, cast, path, other_body, "retry-2")

    assert other.status_code == 422
    assert other.json()["errors"] == [{"field": HEADER, "message": other.json()["detail"]}]
    assert model.objects.count() == before
    # The key still answers its own request.
    assert _post(client, cast, path, body, "retry-2").status_code == 201
    assert model.objects.count() == before


def test_the_same_key_on_another_endpoint_is_422(client, cast):
    assert _post(client, cast, "/patients", NEW_PATIENT, "k").status_code == 201
    pat = cast.pat.public_id

    response = _post(client, cast, f"/patients/{pat}/care-plans", {"conditions": ["low_back_pain"]}, "k")

    assert response.status_code == 422
    assert not CarePlan.objects.exists()


def test_the_order_of_keys_in_the_body_does_not_make_another_request(client, cast):
    first = _post(
        client,
        cast,
        "/patients",
        '{"given_name": "Nia", "family_name": "New", "birth_date": "1990-02-03"}',
        "k",
    )
    again = _post(
        client, cast, "/patients", '{"birth_date":"1990-02-03","family_name":"New","given_name":"Nia"}', "k"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]


def test_keys_are_per_user(client, cast):
    first = _post(client, cast, "/patients", NEW_PATIENT, "shared", user=cast.desk)
    second = _post(client, cast, "/patients", {**NEW_PATIENT, "given_name": "Noa"}, "shared", user=cast.admin)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_a_refused_request_does_not_use_up_its_key(client, cast):
    bad = _post(client, cast, "/patients", {**NEW_PATIENT, "birth_date": "2999-01-01"}, "fix-and-retry")
    fixed = _post(client, cast, "/patients", NEW_PATIENT, "fix-and-retry")

    assert (bad.status_code, fixed.status_code) == (422, 201)
    assert IdempotencyRecord.objects.get(key="fix-and-retry").status_code == 201


def test_a_key_expires_and_may_then_be_used_afresh(client, cast):
    first = _post(client, cast, "/patients", NEW_PATIENT, "daily")
    with time_machine.travel(dt.datetime.now(dt.UTC) + KEY_LIFETIME + dt.timedelta(minutes=1)):
        later = _post(client, cast, "/patients", {**NEW_PATIENT, "given_name": "Noa"}, "daily")

    assert (first.status_code, later.status_code) == (201, 201)
    assert later.json()["id"] != first.json()["id"]
    assert IdempotencyRecord.objects.filter(key="daily").count() == 1


def test_an_expired_answer_is_deleted_by_the_next_create(client, cast):
    _post(client, cast, "/patients", NEW_PATIENT, "old")
    with time_machine.travel(dt.datetime.now(dt.UTC) + KEY_LIFETIME + dt.timedelta(minutes=1)):
        _post(client, cast, "/patients", {**NEW_PATIENT, "given_name": "Noa"}, "new")

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_without_the_header_nothing_is_kept(client, cast):
    _post(client, cast, "/patients", NEW_PATIENT, None)
    _post(client, cast, "/patients", NEW_PATIENT, None)

    assert Patient.objects.filter(given_name="Nia").count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "naïve"])
def test_a_malformed_key_is_422_naming_the_header(client, cast, key):
    before = row_counts(Patient)

    response = _post(client, cast, "/patients", NEW_PATIENT, key)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [HEADER]
    assert row_counts(Patient) == before


def test_the_answer_and_what_it_created_commit_together(client, cast, monkeypatch):
    """A crash after the create but before its answer is stored leaves neither."""

    def crash(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("power cut")

    monkeypatch.setattr(IdempotencyRecord, "save", crash)

    with pytest.raises(RuntimeError):
        _post(client, cast, "/patients", NEW_PATIENT, "crash")

    assert not Patient.objects.filter(given_name="Nia").exists()
    assert not IdempotencyRecord.objects.exists()


def test_a_replay_is_audited_as_a_read_of_the_same_patient(client, cast):
    first = _post(client, cast, "/patients", NEW_PATIENT, "audit")
    _post(client, cast, "/patients", NEW_PATIENT, "audit")

    events = list(patient_data_events().filter(patient_id=first.json()["id"]).order_by("seq"))
    assert [(e.action, e.detail.get("replay", False)) for e in events] == [
        (AuditAction.CREATE, False),
        (AuditAction.READ, True),
    ]


def test_every_create_operation_declares_the_header(client, cast):
    openapi = client.get(f"{API}/openapi.json").json()
    posts = {
        path.removeprefix(API): op
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if method == "post"
    }
    creates = {path for path, op in posts.items() if "201" in op["responses"]}

    # Every create: the care pathway's, the records' and the clinic admin's.
    assert {
        "/patients",
        "/referrals",
        "/patients/{id}/intakes",
        "/notes/{id}/amend",
        "/therapists",
    } <= creates
    for path in creates:
        headers = [p for p in posts[path].get("parameters", []) if p["in"] == "header"]
        assert [p["name"] for p in headers] == [HEADER], path
        assert headers[0]["required"] is False
