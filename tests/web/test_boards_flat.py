"""The day boards, the search page and the referral pages read a bounded part of the history (issue 12):
the same statements at any size, the same content as a read of the whole history would give, counters
capped, pagers that never count."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kneadwell.accounts.models import User
from kneadwell.charting.selectors import OVERDUE_WINDOW, overdue_notes
from kneadwell.clinic.models import Service
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import RECENT_BATCH, patient_scope, recent_patients
from kneadwell.referrals.models import Referral, ReferralStatus
from kneadwell.referrals.selectors import clearance_scope, referral_scope
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel
from tests.cast import Cast, _appointment

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC)


def _service() -> Service:
    return Service.objects.get(code="therapeutic-60")


def _patient(name: str) -> Patient:
    return Patient.objects.create(given_name="Hist", family_name=name, birth_date=dt.date(1980, 1, 1))


def _visits(cast: Cast, patient: Patient, starts: list[dt.datetime], status: str) -> None:
    """Visits with Tess in bulk (no booking rules: history, as the benchmark inserts it)."""
    service = _service()
    Appointment.objects.bulk_create(
        Appointment(
            patient=patient,
            therapist=cast.tess,
            room=cast.hospital_room,
            location=cast.hospital,
            service=service,
            start=start,
            end=start + service.duration,
            blocked_until=start + service.duration + service.buffer,
            status=status,
            channel=Channel.PHONE,
        )
        for start in starts
    )


def _old_history(cast: Cast, first: int, last: int) -> None:
    """Patients first..last-1, each with an attended visit years back and no note, and a received
    referral: the rows a whole-history read would touch."""
    for i in range(first, last):
        patient = _patient(f"Old{i:03}")
        _visits(cast, patient, [NOW - dt.timedelta(days=400 + 7 * i)], AppointmentStatus.COMPLETED)
        Referral.objects.create(patient=patient, provider=cast.rita, received_on=dt.date(2020, 1, 1))


def _statements(client, path: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


# --- the same statements at any size ---------------------------------------------------------------

PAGES = [
    ("desk-today", "desk", lambda c: reverse("desk-today")),
    ("therapist-day", "tess_user", lambda c: reverse("therapist-day")),
    ("patient-search", "desk", lambda c: reverse("patient-search")),
    ("referral-inbox", "desk", lambda c: reverse("referral-inbox")),
    ("referrer-home", "rita_user", lambda c: reverse("referrer-home")),
    ("patient-detail-therapist", "tess_user", lambda c: reverse("patient-detail", args=[c.pat.public_id])),
]


@pytest.mark.parametrize(("name", "who", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_board_statements_are_the_same_with_3_or_30_patients_of_history(client, cast, name, who, url):  # type: ignore[no-untyped-def]
    client.force_login(getattr(cast, who))
    path = url(cast)
    _old_history(cast, 0, 3)
    client.get(path)  # warm: the first request of a session loads its settings
    small = _statements(client, path)
    _old_history(cast, 3, 30)
    large = _statements(client, path)

    assert large == small


# --- the notes to sign -----------------------------------------------------------------------------


def test_overdue_notes_are_the_window_s_oldest_first_and_the_history_before_it_is_not_read(cast):
    inside = _patient("Inside")
    outside = _patient("Outside")
    _visits(
        cast, inside, [NOW - dt.timedelta(days=80), NOW - dt.timedelta(days=3)], AppointmentStatus.COMPLETED
    )
    _visits(cast, outside, [NOW - OVERDUE_WINDOW - dt.timedelta(days=1)], AppointmentStatus.COMPLETED)

    with time_machine.travel(NOW, tick=False):
        for user in (cast.desk, cast.tess_user):
            rows = overdue_notes(user)
            assert [o.appointment.patient for o in rows if o.appointment.patient in (inside, outside)] == [
                inside,
                inside,
            ]
            starts = [o.appointment.start for o in rows]
            assert starts == sorted(starts)
        assert overdue_notes(cast.theo_user) == []


def test_the_today_page_names_the_window_of_its_notes_to_sign(client, cast):
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    _visits(cast, _patient("Inside"), [recent], AppointmentStatus.COMPLETED)
    client.force_login(cast.desk)

    html = client.get(reverse("desk-today")).content.decode()

    assert f"Sessions of the last {OVERDUE_WINDOW.days} days that ended more than" in html
    assert "Hist Inside" in html


# --- the counters ----------------------------------------------------------------------------------


def _received(cast: Cast, n: int, status: str = ReferralStatus.RECEIVED) -> None:
    Referral.objects.bulk_create(
        Referral(patient=cast.pat, provider=cast.rita, received_on=dt.date(2026, 11, 1), status=status)
        for _ in range(n)
    )


def test_the_new_referrals_counter_stops_at_99_plus(client, cast):
    client.force_login(cast.desk)
    received = Referral.objects.filter(status=ReferralStatus.RECEIVED).count()
    _received(cast, 99 - received)

    exact = client.get(reverse("desk-today"))
    _received(cast, 1)
    capped = client.get(reverse("desk-today"))

    assert exact.context["new_referral_count"] == 99
    assert "<dt>New referrals</dt><dd>99</dd>" in exact.content.decode()
    assert "<dt>New referrals</dt><dd>99+</dd>" in capped.content.decode()


def test_the_inbox_counts_its_sections_up_to_99_plus_and_pages_without_a_total(client, cast):
    client.force_login(cast.desk)
    _received(cast, 120)
    _received(cast, 3, ReferralStatus.TRIAGED)
    triaged = Referral.objects.filter(status=ReferralStatus.TRIAGED).count()

    first = client.get(reverse("referral-inbox")).content.decode()
    last = client.get(reverse("referral-inbox"), {"new": "5"}).content.decode()
    past = client.get(reverse("referral-inbox"), {"new": "9"}).content.decode()

    assert f"99+ new · {triaged} accepted" in first
    assert "<li>Page 1</li>" in first
    assert 'href="?new=2"' in first
    assert 'href="?new=4"' in last
    assert 'href="?new=6"' not in last
    assert "No new referrals." in past
    assert 'href="?new=8"' in past


# --- the recent patients ---------------------------------------------------------------------------


def _whole_history_recent(user: User, limit: int) -> list[Patient]:
    """The definition read over the whole history (as the page did before): the oracle."""
    latest = Max("appointments__start", filter=Q(appointments__start__lte=NOW))
    return list(
        patient_scope(user)
        .annotate(active_at=Coalesce(latest, "created_at"))
        .order_by("-active_at", "family_name")[:limit]
    )


def test_recent_patients_are_the_whole_history_s_latest(cast):
    service = _service()
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        visited = [_patient(f"Visited{i}") for i in range(8)]
    for i, patient in enumerate(visited):
        earlier = NOW - dt.timedelta(days=40, hours=2 * i)
        _visits(cast, patient, [NOW - dt.timedelta(days=20 - i), earlier], "completed")
    # Registered after every visit, no visit yet (one with only a visit ahead): they rank by registration.
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        newcomer = _patient("Newcomer")
        booked = _patient("Booked")
    _appointment(booked, cast.tess, cast.hospital_room, service, NOW + dt.timedelta(days=2))
    merged = _patient("Merged")
    _visits(cast, merged, [NOW - dt.timedelta(days=1)], "completed")
    merged.merged_into = cast.pat
    merged.save()

    with time_machine.travel(NOW, tick=False):
        for user, limit in ((cast.desk, 5), (cast.desk, 12), (cast.desk, 40), (cast.tess_user, 6)):
            got = recent_patients(user, limit=limit)
            assert got == _whole_history_recent(user, limit)
        # Paula's visit (17:00) is later than their registration (16:00), which is later than the
        # rest's visits; registered at the same instant, they follow their family names.
        assert recent_patients(cast.desk, limit=3) == [cast.paula, booked, newcomer]
        assert merged not in recent_patients(cast.desk, limit=40)


def test_recent_patients_read_past_a_batch_of_one_patient_s_visits(cast):
    busy = _patient("Busy")
    quiet = _patient("Quiet")
    _visits(cast, quiet, [NOW - dt.timedelta(days=300)], "completed")
    # Two hours apart: no two overlap (PostgreSQL's exclusion constraints hold for history too).
    _visits(cast, busy, [NOW - dt.timedelta(hours=2 * i + 5) for i in range(RECENT_BATCH + 5)], "completed")

    with time_machine.travel(NOW, tick=False):
        got = recent_patients(cast.desk, limit=4)

    # The first batch holds Busy, Pat and Paula only: Quiet is found in the batches after it.
    assert busy in got
    assert quiet in got
    assert got == _whole_history_recent(cast.desk, 4)


def test_the_search_page_shows_the_recent_patients(client, cast):
    _visits(cast, _patient("Lately"), [dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)], "completed")
    client.force_login(cast.desk)

    response = client.get(reverse("patient-search"))

    assert response.context["recent"][0].family_name == "Lately"


# --- the scopes as EXISTS --------------------------------------------------------------------------


def test_referrals_and_clearances_keep_the_therapist_s_scope(cast):
    Referral.objects.create(patient=cast.paula, provider=cast.rob, received_on=dt.date(2026, 11, 2))

    tess = set(referral_scope(cast.tess_user))
    theo = set(referral_scope(cast.theo_user))

    assert tess == set(Referral.objects.filter(patient=cast.pat))
    assert theo == set(Referral.objects.filter(patient=cast.paula))
    assert not clearance_scope(cast.tess_user).filter(patient=cast.paula).exists()
    assert list(referral_scope(cast.pat_user).exclude(patient=cast.pat)) == []


def test_the_referrer_home_pages_only_their_own_referrals(client, cast):
    _received(cast, 30)
    Referral.objects.bulk_create(
        Referral(patient=cast.paula, provider=cast.rob, received_on=dt.date(2026, 11, 5)) for _ in range(3)
    )
    client.force_login(cast.rita_user)

    first = client.get(reverse("referrer-home"))
    second = client.get(reverse("referrer-home"), {"page": "2"})

    shown = [row["referral"] for row in first.context["rows"]] + [
        row["referral"] for row in second.context["rows"]
    ]
    assert {r.provider for r in shown} == {cast.rita}
    assert len(shown) == Referral.objects.filter(provider=cast.rita).count()
    assert "Paula" not in first.content.decode() + second.content.decode()
