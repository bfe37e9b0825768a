"""The admin's long lists (audit trail, appointments, notes, referrals, intakes) cost the same at any history (issue 12).

Each list is read with a few rows and again with many more, over several pages: the same statements,
none of them a full count, a DISTINCT over the table or a date range of it. The lists still show
their rows newest first, page on, filter and search, and stay the admins' only.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kneadwell.accounts.models import AuditEvent
from kneadwell.accounts.services import audit_record
from kneadwell.charting.models import Note, NoteVersion
from kneadwell.clinic.models import Service
from kneadwell.intake.models import Intake
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral
from kneadwell.scheduling.models import Appointment
from tests.cast import Cast, _appointment

PER_PAGE = 3


@pytest.fixture
def short_pages() -> Iterator[None]:
    """Pages of 3 rows, so a few dozen rows make many pages."""
    admins = [admin.site._registry[m] for m in (AuditEvent, Appointment, Note, Referral, Intake)]
    before = [a.list_per_page for a in admins]
    for a in admins:
        a.list_per_page = PER_PAGE
    yield
    for a, n in zip(admins, before, strict=True):
        a.list_per_page = n


def _patient(i: int) -> Patient:
    return Patient.objects.create(
        given_name="Extra", family_name=f"Patient{i:03}", birth_date=dt.date(1990, 1, 1)
    )


def _add_audit(cast: Cast, first: int, last: int) -> None:
    for _ in range(first, last):
        audit_record(
            actor=cast.desk,
            action="read",
            object_type="patient",
            object_id=str(uuid.uuid4()),
            patient_ids=[uuid.uuid4()],
            channel="web",
        )


def _add_notes(cast: Cast, first: int, last: int) -> None:
    service = Service.objects.get(code="therapeutic-60")
    for i in range(first, last):
        start = dt.datetime(2026, 3, 1, 15, tzinfo=dt.UTC) + dt.timedelta(days=i)
        appointment = _appointment(_patient(i), cast.tess, cast.hospital_room, service, start)
        note = Note.objects.create(
            appointment=appointment, patient=appointment.patient, therapist=cast.tess, appointment_start=start
        )
        NoteVersion.objects.create(note=note, number=1, subjective="Better.")


def _add_appointments(cast: Cast, first: int, last: int) -> None:
    service = Service.objects.get(code="therapeutic-60")
    for i in range(first, last):
        # Years apart: Django's date hierarchy would add a level and a DISTINCT over the years.
        start = dt.datetime(2016, 3, 1, 15, tzinfo=dt.UTC) + dt.timedelta(days=120 * i)
        _appointment(_patient(i), cast.tess, cast.hospital_room, service, start)


def _add_referrals(cast: Cast, first: int, last: int) -> None:
    for i in range(first, last):
        # Years apart: Django's date hierarchy would add a level and a DISTINCT over the years.
        received = dt.date(2016, 1, 1) + dt.timedelta(days=120 * i)
        Referral.objects.create(patient=_patient(i), provider=cast.rita, received_on=received, reason="Neck")


def _add_intakes(cast: Cast, first: int, last: int) -> None:
    for i in range(first, last):
        intake_record(
            actor=cast.desk,
            patient=_patient(i),
            channel="phone",
            chief_complaint=f"Neck {i}",
            areas=[AreaIn(region="neck")],
        )


LISTS: list[tuple[str, str, Callable[[Cast, int, int], None]]] = [
    ("audit", "admin:accounts_auditevent_changelist", _add_audit),
    ("appointments", "admin:scheduling_appointment_changelist", _add_appointments),
    ("notes", "admin:charting_note_changelist", _add_notes),
    ("referrals", "admin:referrals_referral_changelist", _add_referrals),
    ("intakes", "admin:intake_intake_changelist", _add_intakes),
]

# What a list must not run, whatever its size: a count of every row (a count is only ever of a
# LIMITed subquery), a DISTINCT over a column (a list filter, date_hierarchy's years), a date range.
UNBOUNDED = [
    (re.compile(r"SELECT COUNT\(\*\)(?!.*LIMIT \d+\) subquery)", re.S), "a full count"),
    (re.compile(r"SELECT DISTINCT", re.S), "a DISTINCT scan"),
    (re.compile(r"(MIN|MAX)\(", re.S), "a range over the table"),
]


def _unbounded(queries: list[dict[str, str]]) -> list[str]:
    return [
        f"{why}: {q['sql'][:200]}" for q in queries for pattern, why in UNBOUNDED if pattern.search(q["sql"])
    ]


@pytest.mark.parametrize(("name", "url", "add_rows"), LISTS, ids=[entry[0] for entry in LISTS])
def test_a_long_list_runs_the_same_bounded_statements_at_any_size(
    superuser_client, cast, short_pages, name, url, add_rows
):  # type: ignore[no-untyped-def]
    path = reverse(url)
    add_rows(cast, 0, 3 * PER_PAGE)
    superuser_client.get(path)  # warm: the first request of a session loads its settings and caches
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as few_page_2:
        assert superuser_client.get(path, {"p": 2}).status_code == 200

    add_rows(cast, 3 * PER_PAGE, 30 * PER_PAGE)
    with CaptureQueriesContext(connection) as many:
        response = superuser_client.get(path)
    with CaptureQueriesContext(connection) as many_page_2:
        assert superuser_client.get(path, {"p": 2}).status_code == 200

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == PER_PAGE
    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)
    assert len(many_page_2) == len(few_page_2)
    assert _unbounded(many.captured_queries + many_page_2.captured_queries) == []


def test_the_page_says_more_than_what_it_counted_and_pages_on_to_the_last_row(
    superuser_client, cast, short_pages
):
    _add_notes(cast, 0, 30)  # 30 notes, 10 pages of 3; the count looks 5 pages ahead of the one shown
    path = reverse("admin:charting_note_changelist")

    first = superuser_client.get(path)
    last = superuser_client.get(path, {"p": 10})

    assert first.context["cl"].paginator.capped is True
    assert "more than 18 notes" in first.content.decode()
    assert last.context["cl"].paginator.capped is False
    assert "30 notes" in last.content.decode()
    shown = [
        n.pk for p in range(1, 11) for n in superuser_client.get(path, {"p": p}).context["cl"].result_list
    ]
    assert shown == list(Note.objects.order_by("-id").values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("model", "url", "add_rows"),
    [
        (Note, "admin:charting_note_changelist", _add_notes),
        (Referral, "admin:referrals_referral_changelist", _add_referrals),
        (Intake, "admin:intake_intake_changelist", _add_intakes),
        (AuditEvent, "admin:accounts_auditevent_changelist", _add_audit),
    ],
    ids=["notes", "referrals", "intakes", "audit"],
)
def test_lists_show_the_newest_first(superuser_client, cast, model, url, add_rows):  # type: ignore[no-untyped-def]
    add_rows(cast, 0, 5)
    newest = {
        Note: lambda: Note.objects.order_by("-id").first(),
        Referral: lambda: Referral.objects.order_by("-received_on", "-id").first(),
        Intake: lambda: Intake.objects.order_by("-id").first(),
        AuditEvent: lambda: AuditEvent.objects.order_by("-seq").first(),
    }[model]()
    total = model.objects.count()  # before the read, which the audit trail records

    rows = list(superuser_client.get(reverse(url)).context["cl"].result_list)

    assert rows[0] == newest
    assert len(rows) == total


# --- the audit trail: what an admin investigating a patient's record uses ---------------------------


def test_an_admin_finds_a_patients_events_by_id_in_the_search_or_the_query_string(superuser_client, cast):
    _add_audit(cast, 0, 10)
    audit_record(
        actor=cast.tess_user,
        action="read",
        object_type="note",
        patient_ids=[cast.pat.public_id],
        channel="api",
    )
    audit_record(
        actor=cast.desk,
        action="update",
        object_type="patient",
        object_id=str(cast.pat.public_id),
        channel="web",
    )
    path = reverse("admin:accounts_auditevent_changelist")
    pat = str(cast.pat.public_id)

    searched = list(superuser_client.get(path, {"q": pat.upper()}).context["cl"].result_list)
    filtered = list(superuser_client.get(path, {"patient_id": pat}).context["cl"].result_list)
    by_name = list(superuser_client.get(path, {"q": "tess"}).context["cl"].result_list)

    assert [(e.object_type, e.actor_username) for e in searched] == [("patient", "desk"), ("note", "tess")]
    assert [e.object_type for e in filtered] == ["note"]
    assert [e.actor_username for e in by_name] == ["tess"]


def test_the_audit_filters_are_fixed_choices_and_filter(superuser_client, cast):
    with time_machine.travel(timezone.now() - dt.timedelta(days=3)):
        _add_audit(cast, 0, 1)
    _add_audit(cast, 1, 4)
    audit_record(actor=cast.desk, action="update", object_type="appointment", channel="api")
    path = reverse("admin:accounts_auditevent_changelist")

    page = superuser_client.get(path)
    by_type = list(superuser_client.get(path, {"object_type": "appointment"}).context["cl"].result_list)
    by_action = list(superuser_client.get(path, {"action": "update"}).context["cl"].result_list)
    by_channel = list(superuser_client.get(path, {"channel": "api"}).context["cl"].result_list)
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since_midnight = AuditEvent.objects.filter(at__gte=midnight).count()  # the reads above included
    today = superuser_client.get(
        path, {"at__gte": str(midnight), "at__lt": str(midnight + dt.timedelta(days=1))}
    )
    # A type no recent event has is still asked for by name, and offered while it is chosen.
    rare = superuser_client.get(path, {"object_type": "demo_clinic"})

    filters = {f.title: f for f in page.context["cl"].filter_specs}
    assert set(filters) == {"at", "action", "channel", "object type (recent)"}
    assert [c for c, _ in filters["object type (recent)"].lookup_choices] == ["appointment", "patient"]
    assert page.context["cl"].date_hierarchy is None
    assert [e.object_type for e in by_type] == ["appointment"]
    assert [e.action for e in by_action] == ["update"]
    assert [e.channel for e in by_channel] == ["api"]
    assert len(today.context["cl"].result_list) == since_midnight
    assert AuditEvent.objects.get(at__lt=midnight) not in today.context["cl"].result_list  # 3 days old
    assert rare.status_code == 200
    assert list(rare.context["cl"].result_list) == []
    assert "demo_clinic" in [c for c, _ in rare.context["cl"].filter_specs[-1].lookup_choices]


def test_referrals_filter_by_received_date_without_a_date_hierarchy(superuser_client, cast):
    _add_referrals(cast, 0, 3)  # 2016-01-01, 2016-04-30, 2016-08-28, and the cast's two of 2026
    path = reverse("admin:referrals_referral_changelist")

    page = superuser_client.get(path)
    in_2016 = superuser_client.get(path, {"received_on__gte": "2016-01-01", "received_on__lt": "2017-01-01"})

    assert page.context["cl"].date_hierarchy is None
    assert len(in_2016.context["cl"].result_list) == 3
    assert {r.received_on.year for r in in_2016.context["cl"].result_list} == {2016}


@pytest.mark.parametrize(
    "url",
    [
        "admin:accounts_auditevent_changelist",
        "admin:charting_note_changelist",
        "admin:referrals_referral_changelist",
        "admin:intake_intake_changelist",
    ],
)
@pytest.mark.parametrize("who", ["desk", "tess_user", "pat_user", "rita_user"])
def test_only_admins_reach_the_lists(client, cast, url, who):  # type: ignore[no-untyped-def]
    client.force_login(getattr(cast, who))

    response = client.get(reverse(url))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_notes_copy_of_its_visits_start_is_read_only_in_the_admin(superuser_client, cast):
    _add_notes(cast, 0, 1)
    note = Note.objects.get()

    response = superuser_client.get(reverse("admin:charting_note_change", args=[note.pk]))

    assert response.status_code == 200
    assert "appointment_start" not in response.context["adminform"].form.fields
    assert "appointment_start" in response.context["adminform"].readonly_fields
