"""Fifty retries of one create at once, with one Idempotency-Key: one row, fifty identical answers."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kneadwell.accounts.models import IdempotencyRecord
from kneadwell.accounts.services import token_create
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral
from tests.cast import build_cast

from .race import RACERS, race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        (
            "/api/v1/patients",
            {"given_name": "Nia", "family_name": "New", "birth_date": "1990-02-03"},
            Patient,
        ),
        (
            "/api/v1/referrals",
            {
                "new_patient": {"given_name": "Noa", "family_name": "New", "birth_date": "1991-03-04"},
                "diagnoses": [{"condition": "whiplash"}],
            },
            Referral,
        ),
    ],
    ids=["patient", "referral"],
)
def test_fifty_retries_with_one_key_at_once_create_once(path, body, model):
    cast = build_cast()
    # The referral is the referrer's own (no provider to name); the patient is the desk's.
    user = cast.rita_user if model is Referral else cast.desk
    headers = [{"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user).secret}"} for _ in range(RACERS)]
    before = model.objects.count()

    def send(i: int) -> tuple[int, str]:
        response = Client().post(
            path,
            json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="one-key",
            **headers[i],
        )
        return response.status_code, response.content.decode()

    outcomes = race(send)

    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert {status for status, _ in outcomes} == {201}
    assert len({content for _, content in outcomes}) == 1
    assert model.objects.count() == before + 1
    assert IdempotencyRecord.objects.filter(key="one-key").count() == 1
