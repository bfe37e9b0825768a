"""Pages keep a fixed number of SQL statements however much history is behind them (issue 12).

Each page is fetched with a small clinic (3 extra patients, each with visits and a referral) and again
after 27 more: the count of statements must be the same. Timing lives in `make bench`, not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kneadwell.accounts.models import User
from kneadwell.clinic.models import Service
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral
from kneadwell.scheduling.models import AppointmentStatus
from tests.cast import Cast, _appointment

NOON = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def _grow(cast: Cast, first: int, last: int) -> None:
    """Patients first..last-1: each referred by Rita (still new), one past visit with Tess, one upcoming
    with Theo, one visit of Tess's today; and Pat gets one more past visit with Tess per patient."""
    service = Service.objects.get(code="therapeutic-60")
    for i in range(first, last):
        patient = Patient.objects.create(
            given_name="Extra", family_name=f"Patient{i:03}", birth_date=dt.date(1990, 1, 1)
        )
        Referral.objects.create(patient=patient, provider=cast.rita, received_on=dt.date(2026, 10, 1))
        past = _appointment(patient, cast.tess, cast.hospital_room, service, NOON - dt.timedelta(days=i + 2))
        past.status = AppointmentStatus.COMPLETED
        past.save()
        _appointment(patient, cast.theo, cast.chiro_room, service, NOON + dt.timedelta(days=i + 2, hours=3))
        older = _appointment(
            cast.pat, cast.tess, cast.hospital_room, service, NOON - dt.timedelta(days=i + 2, hours=3)
        )
        older.status = AppointmentStatus.COMPLETED
        older.save()


def _superuser() -> User:
    user = User.objects.create_superuser(
        username="root", email="root@example.org", password="x-long-password"
    )
    TOTP.activate(user, generate_totp_secret())
    return user


PAGES: list[tuple[str, Callable[[Cast], User], Callable[[Cast], str]]] = [
    ("desk-today", lambda c: c.desk, lambda c: reverse("desk-today")),
    ("therapist-day", lambda c: c.tess_user, lambda c: reverse("therapist-day")),
    ("referral-inbox", lambda c: c.desk, lambda c: reverse("referral-inbox")),
    ("referrer-home", lambda c: c.rita_user, lambda c: reverse("referrer-home")),
    ("patient-detail-desk", lambda c: c.desk, lambda c: reverse("patient-detail", args=[c.pat.public_id])),
    (
        "patient-detail-therapist",
        lambda c: c.tess_user,
        lambda c: reverse("patient-detail", args=[c.pat.public_id]),
    ),
    ("patient-visits", lambda c: c.desk, lambda c: reverse("patient-visits", args=[c.pat.public_id])),
    ("patient-home", lambda c: c.pat_user, lambda c: reverse("patient-home")),
    ("patient-search", lambda c: c.desk, lambda c: reverse("patient-search")),
    (
        "admin-appointments",
        lambda c: _superuser(),
        lambda c: reverse("admin:scheduling_appointment_changelist"),
    ),
    ("admin-referrals", lambda c: _superuser(), lambda c: reverse("admin:referrals_referral_changelist")),
    ("admin-patients", lambda c: _superuser(), lambda c: reverse("admin:patients_patient_changelist")),
    ("admin-audit", lambda c: _superuser(), lambda c: reverse("admin:accounts_auditevent_changelist")),
]


@pytest.mark.parametrize(("name", "who", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_page_query_count_does_not_grow_with_history(client, cast, name, who, url):  # type: ignore[no-untyped-def]
    client.force_login(who(cast))
    path = url(cast)
    _grow(cast, 0, 3)
    client.get(path)  # warm: the first request of a session loads its settings and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200

    _grow(cast, 3, 30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(path)
    assert response.status_code == 200

    assert len(large) == len(small), "\n".join(q["sql"][:200] for q in large.captured_queries)
