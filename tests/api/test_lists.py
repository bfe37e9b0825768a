"""List endpoints: the page envelope, limits, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kneadwell.clinic.models import Location, LocationKind, Service, ServiceFamily
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Expertise, Training
from tests.cast import _appointment, _therapist

from .conftest import fields_of


def test_pages_are_items_and_count(api_as, cast):
    # /patients pages by keyset; `offset` still skips rows, and the total comes when asked for.
    body = api_as(cast.desk).get("/patients", limit=1, offset=1, count="true").json()

    assert body == {"items": [body["items"][0]], "next_cursor": None, "count": 2}
    assert body["items"][0]["given_name"] == "Paula"


def test_an_offset_past_the_end_gives_an_empty_page_and_the_true_count(api_as, cast):
    body = api_as(cast.desk).get("/patients", offset=10, count="true").json()

    assert body == {"items": [], "next_cursor": None, "count": 2}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
    ],
)
def test_out_of_range_paging_is_422_naming_the_parameter(api_as, cast, params, field):
    response = api_as(cast.desk).get("/locations", **params)

    assert response.status_code == 422
    assert fields_of(response) == [field]


def test_limit_defaults_to_50(api_as, cast):
    Patient.objects.bulk_create(
        Patient(given_name=f"P{i:02}", family_name="Many", birth_date=dt.date(1990, 1, 1)) for i in range(55)
    )

    body = api_as(cast.desk).get("/patients", count="true").json()

    assert (len(body["items"]), body["count"]) == (50, 57)


# --- query counts ---------------------------------------------------------------------------------


def _add_locations(cast, n):  # type: ignore[no-untyped-def]
    for i in range(n):
        Location.objects.create(
            name=f"Extra {i}", kind=LocationKind.MASSAGE_CLINIC, time_zone="UTC", jurisdiction="US-OH"
        )


def _add_services(cast, n):  # type: ignore[no-untyped-def]
    for i in range(n):
        Service.objects.create(
            code=f"extra-{i}",
            name=f"Extra {i}",
            family=ServiceFamily.RELAXATION,
            duration_minutes=30,
            location_kinds=["hospital"],
        )


def _add_therapists(cast, n):  # type: ignore[no-untyped-def]
    for i in range(n):
        therapist = _therapist(None, "Extra", f"Therapist{i}", cast.hospital)
        Training.objects.create(therapist=therapist, technique="swedish")
        Expertise.objects.create(therapist=therapist, condition="migraine", level=2)


def _add_patients_with_appointments(cast, n):  # type: ignore[no-untyped-def]
    service = Service.objects.get(code="therapeutic-60")
    for i in range(n):
        patient = Patient.objects.create(
            given_name="Extra", family_name=f"Patient{i}", birth_date=dt.date(1990, 1, 1)
        )
        start = dt.datetime(2026, 12, 3 + i, 15, tzinfo=dt.UTC)
        _appointment(patient, cast.tess, cast.hospital_room, service, start)


def _add_notes(cast, n):  # type: ignore[no-untyped-def]
    from kneadwell.charting.models import Note, NoteVersion
    from kneadwell.scheduling.models import Appointment

    _add_patients_with_appointments(cast, n)
    for appointment in Appointment.objects.filter(patient__given_name="Extra", note__isnull=True):
        note = Note.objects.create(
            appointment=appointment,
            patient=appointment.patient,
            therapist=appointment.therapist,
            appointment_start=appointment.start,
        )
        NoteVersion.objects.create(note=note, number=1, subjective="Better.")


LISTS = [
    pytest.param("/locations", "admin", _add_locations, id="locations"),
    pytest.param("/services", "admin", _add_services, id="services"),
    pytest.param("/therapists", "pat_user", _add_therapists, id="therapists"),
    pytest.param("/patients", "desk", _add_patients_with_appointments, id="patients-staff"),
    pytest.param("/patients", "tess_user", _add_patients_with_appointments, id="patients-therapist"),
    pytest.param("/appointments", "desk", _add_patients_with_appointments, id="appointments-staff"),
    pytest.param("/notes", "desk", _add_notes, id="notes-staff"),
    pytest.param("/appointments", "tess_user", _add_patients_with_appointments, id="appointments-therapist"),
]


@pytest.mark.parametrize(("path", "who", "add_rows"), LISTS)
def test_list_query_count_does_not_grow_with_rows(
    api_as, cast, django_assert_max_num_queries, path, who, add_rows
):
    api = api_as(getattr(cast, who))
    # The keyset lists' total is optional: asked for here, so it is counted too.
    extra = {"count": "true"} if path in ("/appointments", "/patients", "/notes") else {}
    with CaptureQueriesContext(connection) as few_rows:
        before = api.get(path, **extra).json()["count"]

    add_rows(cast, 8)
    with django_assert_max_num_queries(len(few_rows)):
        after = api.get(path, **extra).json()["count"]

    assert after >= before + 8
