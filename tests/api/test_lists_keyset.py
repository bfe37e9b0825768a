"""GET /patients and GET /referrals page by keyset: every row once, the total only when asked for,
a cursor only from the list that gave it, and the scope on every page (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kneadwell.clinic.models import Service
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral, ReferralStatus
from kneadwell.scheduling.models import Appointment
from tests.cast import _appointment

from .conftest import fields_of

pytestmark = pytest.mark.django_db


def _patients(n: int, *, family: str = "Same") -> list[Patient]:
    """`n` patients sharing a family name (and pairs sharing a given name): the ties fall to the id."""
    return [
        Patient.objects.create(given_name=f"G{i // 2:02}", family_name=family, birth_date=dt.date(1990, 1, 1))
        for i in range(n)
    ]


def _walk(api, path: str, **params: object) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    """Every page of `path` by its cursors: the ids in order, and how many pages it took."""
    ids: list[str] = []
    cursor = None
    pages = 0
    while True:
        body = api.get(path, **params, **({"cursor": cursor} if cursor else {})).json()
        assert body["count"] is None
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages


# --- /patients ------------------------------------------------------------------------------------


def test_patient_cursor_pages_walk_every_patient_once_in_name_order(api_as, cast):
    _patients(9)
    expected = [
        str(p.public_id)
        for p in Patient.objects.filter(merged_into__isnull=True).order_by("family_name", "given_name", "id")
    ]

    ids, pages = _walk(api_as(cast.desk), "/patients", limit=2)

    assert ids == expected
    assert len(expected) == 11
    assert pages == 6


def test_patient_list_counts_only_when_asked(api_as, cast):
    _patients(3)
    api = api_as(cast.desk)

    assert api.get("/patients", limit=2).json()["count"] is None
    body = api.get("/patients", limit=2, count="true").json()
    assert body["count"] == 5
    assert body["next_cursor"] is not None


def test_a_patient_page_after_a_cursor_costs_what_the_first_does(api_as, cast):
    api = api_as(cast.desk)
    _patients(3)
    cursor = api.get("/patients", limit=2).json()["next_cursor"]  # and warm: the token's first use
    with CaptureQueriesContext(connection) as small:
        api.get("/patients", limit=2, cursor=cursor)

    _patients(30, family="Zed")
    with CaptureQueriesContext(connection) as large:
        api.get("/patients", limit=2, cursor=cursor)

    assert len(large) == len(small)


def test_the_therapist_walks_only_their_own_patients(api_as, cast):
    service = Service.objects.get(code="therapeutic-60")
    theirs = _patients(5, family="Tessa")
    for i, patient in enumerate(theirs[:3]):
        _appointment(
            patient, cast.tess, cast.hospital_room, service, dt.datetime(2026, 12, 10 + i, 15, tzinfo=dt.UTC)
        )

    ids, _ = _walk(api_as(cast.tess_user), "/patients", limit=1)

    assert set(ids) == {str(cast.pat.public_id)} | {str(p.public_id) for p in theirs[:3]}
    assert len(ids) == 4
    assert str(cast.paula.public_id) not in ids


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        signing.dumps({"l": "patients.patient:family_name,given_name,id", "k": ["A", "B", 1]}, salt="other"),
        signing.dumps(
            {"l": "patients.patient:family_name,given_name,id", "k": ["A", "B"]}, salt="kneadwell.api.keyset"
        ),
        signing.dumps(
            {"l": "patients.patient:family_name,given_name,id", "k": ["A", "B", "x"]},
            salt="kneadwell.api.keyset",
        ),
        signing.dumps(["A", "B", 1], salt="kneadwell.api.keyset"),
    ],
    ids=["garbage", "other-salt", "short", "bad-id", "not-an-object"],
)
def test_a_forged_patient_cursor_is_422_naming_it(api_as, cast, cursor):
    response = api_as(cast.desk).get("/patients", cursor=cursor)

    assert response.status_code == 422
    assert fields_of(response) == ["cursor"]


def test_a_cursor_from_another_list_is_422(api_as, cast):
    for i in range(3):
        Referral.objects.create(patient=cast.pat, provider=cast.rita, received_on=dt.date(2026, 9, 1 + i))
    api = api_as(cast.desk)
    referral_cursor = api.get("/referrals", limit=1).json()["next_cursor"]

    response = api.get("/patients", cursor=referral_cursor)

    assert referral_cursor is not None
    assert response.status_code == 422
    assert fields_of(response) == ["cursor"]


def test_offset_still_skips_patients(api_as, cast):
    _patients(4)
    api = api_as(cast.desk)
    everyone = [item["id"] for item in api.get("/patients").json()["items"]]

    body = api.get("/patients", limit=2, offset=3).json()

    assert [item["id"] for item in body["items"]] == everyone[3:5]


# --- /referrals -----------------------------------------------------------------------------------


def _referrals(cast, n: int, *, provider=None, status=ReferralStatus.RECEIVED) -> list[Referral]:  # type: ignore[no-untyped-def]
    """`n` referrals for Pat, two a day (the ties on a day fall to the id, newest first)."""
    return [
        Referral.objects.create(
            patient=cast.pat,
            provider=provider or cast.rita,
            received_on=dt.date(2026, 8, 1) + dt.timedelta(days=i // 2),
            status=status,
        )
        for i in range(n)
    ]


def test_referral_cursor_pages_walk_every_referral_once_newest_first(api_as, cast):
    _referrals(cast, 7)
    expected = [str(r.public_id) for r in Referral.objects.order_by("-received_on", "-id")]

    ids, pages = _walk(api_as(cast.desk), "/referrals", limit=3)

    assert ids == expected
    assert len(expected) == 9
    assert pages == 3


def test_referral_pages_with_a_status_keep_the_status(api_as, cast):
    _referrals(cast, 4)
    _referrals(cast, 5, status=ReferralStatus.TRIAGED)
    expected = [
        str(r.public_id)
        for r in Referral.objects.filter(status=ReferralStatus.TRIAGED).order_by("-received_on", "-id")
    ]

    ids, _ = _walk(api_as(cast.desk), "/referrals", limit=2, status="triaged")

    assert ids == expected
    assert len(ids) == 5


def test_referral_list_counts_only_when_asked(api_as, cast):
    _referrals(cast, 3)
    api = api_as(cast.desk)

    assert api.get("/referrals", limit=1).json()["count"] is None
    assert api.get("/referrals", limit=1, count="true").json()["count"] == Referral.objects.count()


def test_the_referrer_walks_only_their_own_referrals(api_as, cast):
    _referrals(cast, 4)
    _referrals(cast, 4, provider=cast.rob)
    expected = {str(r.public_id) for r in Referral.objects.filter(provider=cast.rita)}

    ids, _ = _walk(api_as(cast.rita_user), "/referrals", limit=2)

    assert set(ids) == expected
    assert len(ids) == len(expected) >= 5


def test_the_therapist_walks_only_their_patients_referrals(api_as, cast):
    _referrals(cast, 3)
    expected = {str(r.public_id) for r in Referral.objects.filter(patient=cast.pat)}

    ids, _ = _walk(api_as(cast.tess_user), "/referrals", limit=1)

    assert set(ids) == expected
    assert not Referral.objects.filter(public_id__in=ids, patient=cast.paula).exists()


def test_a_forged_referral_cursor_is_422_naming_it(api_as, cast):
    forged = signing.dumps({"l": "referrals.referral:-received_on,-id", "k": ["yesterday", 1]}, salt="x")

    response = api_as(cast.desk).get("/referrals", cursor=forged)

    assert response.status_code == 422
    assert fields_of(response) == ["cursor"]


@pytest.mark.parametrize("path", ["/patients", "/referrals"])
def test_list_statements_do_not_grow_with_rows(api_as, cast, path):
    api = api_as(cast.desk)
    _referrals(cast, 3)
    _patients(3)
    api.get(path, limit=2)  # warm: the token's first use is written once
    with CaptureQueriesContext(connection) as small:
        api.get(path, limit=2)

    _referrals(cast, 30)
    _patients(30)
    with CaptureQueriesContext(connection) as large:
        api.get(path, limit=2)

    assert len(large) == len(small)


def test_an_appointment_cursor_of_the_earlier_form_still_reads_the_next_page(api_as, cast):
    api = api_as(cast.desk)
    first = api.get("/appointments", limit=1).json()["items"][0]
    start = dt.datetime.fromisoformat(first["start"])
    pk = Appointment.objects.get(public_id=first["id"]).pk
    earlier = signing.dumps({"t": start.isoformat(), "i": pk}, salt="kneadwell.api.keyset", compress=True)

    body = api.get("/appointments", limit=5, cursor=earlier).json()

    assert first["id"] not in [item["id"] for item in body["items"]]
    assert len(body["items"]) == Appointment.objects.count() - 1
