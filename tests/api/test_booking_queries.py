"""The booking request's cost in SQL statements: a bound, not a timing (docs/performance.md).

POST /api/v1/appointments was 34 statements for the cast's patient (a referral and past visits) before
the gate's reads were folded together; the bounds below hold what was gained. A new client, with no
intake, referral, plan or visit yet, costs fewer: the gate asks once which records exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cast import Cast
from tests.scheduling import builders as b

from .conftest import Api
from .test_booking import NOW, WEDNESDAY, at, booking, post

# Token, patient, therapist, service, location, idempotency replay, settings, "works here", rooms; in
# the transaction: the lock, the gate (records, referrals, history, credentials), hours with time off,
# the release of expired waitlist holds over the slot (one DELETE), the overlap re-check, the insert, the confirmation message (preference, dedupe, savepoint, insert,
# release), the savepoint's release, the audit chain (last link, insert; PostgreSQL first takes the
# chain's advisory lock: one statement more there).
ESTABLISHED_PATIENT_BOUND = 27
NEW_CLIENT_BOUND = 25


def _extra() -> int:
    return 1 if connection.vendor == "postgresql" else 0


@pytest.fixture
def clinic(cast: Cast) -> Iterator[Cast]:
    with time_machine.travel(NOW, tick=False):
        yield cast


@pytest.fixture
def desk(api_as, clinic: Cast) -> Api:  # type: ignore[no-untyped-def]
    return api_as(clinic.desk)


def _statements(desk: Api, body: dict[str, str], key: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = desk.client.post(
            "/api/v1/appointments",
            json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
            **desk.headers,
        )
    assert response.status_code == 201, response.content
    return [q["sql"] for q in captured.captured_queries]


def test_a_booking_reads_a_bounded_number_of_statements(desk: Api, clinic: Cast) -> None:
    post(desk, booking(clinic, at(WEDNESDAY, 9)), key="warm")  # the token's first use of the day is audited

    statements = _statements(desk, booking(clinic, at(WEDNESDAY, 11)), "second")

    assert len(statements) <= ESTABLISHED_PATIENT_BOUND + _extra(), "\n".join(s[:120] for s in statements)


def test_a_new_clients_booking_skips_the_records_they_do_not_have(desk: Api, clinic: Cast) -> None:
    post(desk, booking(clinic, at(WEDNESDAY, 9)), key="warm")
    established = _statements(desk, booking(clinic, at(WEDNESDAY, 11)), "established")
    newcomer = b.patient()

    statements = _statements(
        desk, booking(clinic, at(WEDNESDAY, 13), patient=str(newcomer.public_id)), "newcomer"
    )

    assert len(statements) <= NEW_CLIENT_BOUND + _extra(), "\n".join(s[:120] for s in statements)
    assert len(statements) < len(established)
    # The referrals (and intake, clearances, checks, history) are not read: the gate knows there are none.
    assert not any(
        s.startswith(('SELECT "referrals_referral"', 'SELECT "intake_intake"')) for s in statements
    )
