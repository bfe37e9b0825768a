"""GET /notes in keyset pages (issue 12): newest visit first, an opaque cursor, the total on demand,
the scopes unchanged, and a statement count that does not grow with the notes behind it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kneadwell.charting.models import Note, NoteVersion, RecordsSettings, VersionStatus
from kneadwell.clinic.models import Service
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from tests.cast import Cast, _appointment
from tests.records import treatable

from .conftest import API, fields_of

BASE = dt.datetime(2026, 6, 1, 15, tzinfo=dt.UTC)


def _note(appointment: Appointment, *, signed: bool = True) -> Note:
    note = Note.objects.create(
        appointment=appointment,
        patient=appointment.patient,
        therapist=appointment.therapist,
        appointment_start=appointment.start,
    )
    NoteVersion.objects.create(
        note=note,
        number=1,
        subjective="Better.",
        status=VersionStatus.SIGNED if signed else VersionStatus.DRAFT,
        signed_at=appointment.start + dt.timedelta(hours=2) if signed else None,
    )
    return note


def _patient(name: str) -> Patient:
    return Patient.objects.create(given_name="Extra", family_name=name, birth_date=dt.date(1990, 1, 1))


def _notes(cast: Cast, days: int, *, first: int = 0) -> list[Note]:
    """Per day: two visits at the same instant (Tess with a new patient in room 1, Theo with another in
    the spot room: a tie on the start), and one of Pat's with Tess two hours later."""
    service = Service.objects.get(code="therapeutic-60")
    notes = []
    for day in range(first, first + days):
        start = BASE + dt.timedelta(days=day)
        for therapist, room in ((cast.tess, cast.hospital_room), (cast.theo, cast.chiro_room)):
            patient = _patient(f"P{day:03}{therapist.family_name}")
            notes.append(_note(_appointment(patient, therapist, room, service, start)))
        later = start + dt.timedelta(hours=2)
        notes.append(_note(_appointment(cast.pat, cast.tess, cast.hospital_room, service, later)))
    return notes


def _walk(api, **params):  # type: ignore[no-untyped-def]
    """Every page from the first, following next_cursor: the ids in order and the pages read."""
    ids, pages, cursor = [], 0, None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = api.get("/notes", **query)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages


def _newest_first(notes: list[Note]) -> list[str]:
    return [str(n.public_id) for n in sorted(notes, key=lambda n: (n.appointment_start, n.pk), reverse=True)]


def test_cursor_pages_walk_every_note_once_newest_visit_first_ties_included(api_as, cast):
    notes = _notes(cast, 6)  # 18 notes, 6 pairs starting at the same instant

    ids, pages = _walk(api_as(cast.desk), limit=4)

    assert ids == _newest_first(notes)
    assert len(set(ids)) == 18
    assert pages == 5


def test_a_page_boundary_inside_a_tie_skips_and_repeats_nothing(api_as, cast):
    notes = _notes(cast, 3)
    api = api_as(cast.desk)

    for limit in (1, 2, 3, 5):
        assert _walk(api, limit=limit)[0] == _newest_first(notes), limit


def test_the_summary_names_the_visit(api_as, cast):
    note = _notes(cast, 1)[-1]  # Pat's, the latest

    item = api_as(cast.desk).get("/notes", limit=1).json()["items"][0]

    assert item["id"] == str(note.public_id)
    assert item["appointment"]["id"] == str(note.appointment.public_id)
    assert item["appointment"]["start"] == "2026-06-01T17:00:00Z"
    assert (item["appointment"]["patient"], item["appointment"]["therapist"]) == ("Pat Palmer", "Tess Turner")
    assert (item["status"], item["versions"]) == ("signed", 1)


def test_the_total_is_counted_only_when_asked_for(api_as, cast):
    _notes(cast, 3)
    api = api_as(cast.desk)

    plain = api.get("/notes", limit=2).json()
    counted = api.get("/notes", limit=2, count="true").json()
    filtered = api.get("/notes", limit=2, count="true", patient=str(cast.pat.public_id)).json()

    assert plain["count"] is None
    assert counted["count"] == 9
    assert filtered["count"] == 3
    assert [i["id"] for i in counted["items"]] == [i["id"] for i in plain["items"]]


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "eyJ0IjoiMjAyNi0wNi0wMVQxNTowMDowMCswMDowMCIsImkiOjF9:forged:signature", "x" * 201],
)
def test_a_forged_or_malformed_cursor_is_a_422_naming_cursor(api_as, cast, cursor):
    _notes(cast, 1)

    response = api_as(cast.desk).get("/notes", cursor=cursor)

    assert response.status_code == 422
    assert fields_of(response) == ["cursor"]


def test_an_appointments_cursor_is_not_a_notes_cursor(api_as, cast):
    _notes(cast, 2)
    api = api_as(cast.desk)
    appointments_cursor = api.get("/appointments", limit=1).json()["next_cursor"]

    response = api.get("/notes", cursor=appointments_cursor)

    assert response.status_code == 422
    assert fields_of(response) == ["cursor"]


def test_filters_keep_working_across_pages(api_as, cast):
    notes = _notes(cast, 4)
    service = Service.objects.get(code="therapeutic-60")
    open_one = _note(
        _appointment(cast.paula, cast.theo, cast.chiro_room, service, BASE + dt.timedelta(days=9)),
        signed=False,
    )
    api = api_as(cast.desk)

    pats, _ = _walk(api, limit=2, patient=str(cast.pat.public_id))
    unsigned, _ = _walk(api, limit=2, status="unsigned")
    signed, _ = _walk(api, limit=5, status="signed")

    assert pats == _newest_first([n for n in notes if n.patient_id == cast.pat.pk])
    assert unsigned == [str(open_one.public_id)]
    assert signed == _newest_first(notes)


def test_a_therapist_sees_their_patients_notes_only(api_as, cast):
    notes = _notes(cast, 3)
    tess_patients = {n.patient_id for n in notes if n.therapist_id == cast.tess.pk}

    ids, _ = _walk(api_as(cast.tess_user), limit=2)

    # Tess's patients are those she sees (Pat and the new ones in room 1); Theo's new patients are not.
    assert ids == _newest_first([n for n in notes if n.patient_id in tess_patients])
    assert len(ids) == 6


def test_a_patient_sees_only_their_own_signed_notes_and_only_when_shared(api_as, cast):
    notes = _notes(cast, 3)
    service = Service.objects.get(code="therapeutic-60")
    _note(
        _appointment(cast.pat, cast.tess, cast.hospital_room, service, BASE + dt.timedelta(days=9)),
        signed=False,
    )
    api = api_as(cast.pat_user)

    before = api.get("/notes").json()
    RecordsSettings.objects.create(share_notes_with_patients=True)
    shared, _ = _walk(api, limit=2)

    assert before["items"] == []
    assert shared == _newest_first([n for n in notes if n.patient_id == cast.pat.pk])
    assert api_as(cast.rita_user).get("/notes").json()["items"] == []


@pytest.mark.parametrize("who", ["desk", "tess_user"])
def test_the_statement_count_does_not_grow_with_the_notes(api_as, cast, who):
    api = api_as(getattr(cast, who))
    _notes(cast, 1)
    api.get("/notes")  # warm: settings and caches of the first request
    with CaptureQueriesContext(connection) as few:
        first = api.get("/notes", limit=1).json()
    with CaptureQueriesContext(connection) as few_next:
        api.get("/notes", limit=1, cursor=first["next_cursor"])

    _notes(cast, 10, first=1)
    with CaptureQueriesContext(connection) as many:
        first = api.get("/notes", limit=1).json()
    with CaptureQueriesContext(connection) as many_next:
        api.get("/notes", limit=1, cursor=first["next_cursor"])

    assert len(many) == len(few)
    assert len(many_next) == len(few_next)


# --- the copied start follows its appointment ------------------------------------------------------

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York


@pytest.fixture
def clinic(cast: Cast) -> Iterator[Cast]:
    with time_machine.travel(NOW, tick=False):
        treatable(cast)
        yield cast


def test_a_note_started_before_its_visit_moves_with_it_in_the_list(api_as, clinic):
    desk, tess = api_as(clinic.desk), api_as(clinic.tess_user)
    body = {
        "patient": str(clinic.pat.public_id),
        "service": "therapeutic-60",
        "location": str(clinic.hospital.public_id),
        "therapist": str(clinic.tess.public_id),
    }
    early = desk.client.post(
        API + "/appointments",
        json.dumps(dict(body, start="2026-11-25T15:00:00Z")),
        content_type="application/json",
        **desk.headers,
    ).json()
    later = desk.client.post(
        API + "/appointments",
        json.dumps(dict(body, start="2026-11-25T18:00:00Z")),
        content_type="application/json",
        **desk.headers,
    ).json()
    first = tess.post(f"/appointments/{early['id']}/note", {})
    second = tess.post(f"/appointments/{later['id']}/note", {})
    assert (first.status_code, second.status_code) == (201, 201)
    listed = [i["id"] for i in desk.get("/notes").json()["items"]]
    assert listed == [second.json()["id"], first.json()["id"]]

    moved = desk.post(f"/appointments/{early['id']}/reschedule", {"start": "2026-11-25T20:00:00Z"})

    assert moved.status_code == 200, moved.content
    note = Note.objects.get(public_id=first.json()["id"])
    assert note.appointment_start == dt.datetime(2026, 11, 25, 20, tzinfo=dt.UTC)
    items = desk.get("/notes").json()["items"]
    assert [i["id"] for i in items] == [first.json()["id"], second.json()["id"]]
    assert items[0]["appointment"]["start"] == "2026-11-25T20:00:00Z"
    assert Appointment.objects.get(public_id=early["id"]).status == AppointmentStatus.BOOKED


def test_a_patient_never_sees_an_amendment_in_progress(api_as, cast):
    RecordsSettings.objects.create(share_notes_with_patients=True)
    service = Service.objects.get(code="therapeutic-60")
    note = _note(_appointment(cast.pat, cast.tess, cast.hospital_room, service, BASE))
    NoteVersion.objects.create(
        note=note, number=2, subjective="Amending.", status=VersionStatus.DRAFT, amendment_reason="Typo."
    )
    patient, staff = api_as(cast.pat_user), api_as(cast.desk)

    (mine,) = patient.get("/notes").json()["items"]
    assert (mine["status"], mine["versions"]) == ("signed", 1)
    assert patient.get("/notes", status="unsigned").json()["items"] == []
    assert [n["id"] for n in patient.get("/notes", status="signed").json()["items"]] == [str(note.public_id)]
    (seen,) = staff.get("/notes").json()["items"]  # the clinic sees the amendment
    assert (seen["status"], seen["versions"]) == ("amending", 2)
