"""Host visits: entered, imported (CSV, iCalendar) all or nothing, deleted; never an appointment."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.lib.errors import Conflict, DomainError, FieldErrors
from kneadwell.scheduling.models import Appointment
from kneadwell.spotwork.models import HostVisit, HostVisitSource
from kneadwell.spotwork.services import host_visit_create, host_visit_delete, host_visits_import
from tests.api.conftest import fields_of

from .conftest import at


def _csv(spot, *rows: str, header: str = "patient,start,end,provider,provider_ref") -> str:
    return "\n".join([header, *rows]) + "\n"


def test_a_host_visit_is_entered_and_blocks_no_therapist(spot):
    visit = host_visit_create(
        actor=spot.cast.desk,
        patient=spot.cast.pat,
        location=spot.cast.chiro,
        start=at(10),
        end=at(10, 30),
        provider_name="Dr Chen, DC",
    )
    assert visit.source == HostVisitSource.MANUAL
    assert visit.start == dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)
    assert not Appointment.objects.filter(start=visit.start).exists()


def test_a_host_visit_at_a_hospital_is_refused(spot):
    with pytest.raises(DomainError) as refused:
        host_visit_create(
            actor=spot.cast.desk,
            patient=spot.cast.pat,
            location=spot.cast.hospital,
            start=at(10),
            end=at(10, 30),
            provider_name="Dr Chen",
        )
    assert refused.value.field == "location"
    assert not HostVisit.objects.exists()


def test_a_host_visit_overlapping_another_for_the_same_patient_is_refused(spot):
    spot.host_visit(spot.cast.pat, at(10))
    with pytest.raises(DomainError) as refused:
        host_visit_create(
            actor=spot.cast.desk,
            patient=spot.cast.pat,
            location=spot.cast.chiro,
            start=at(10, 15),
            end=at(10, 45),
            provider_name="Dr Chen",
        )
    assert (refused.value.field, refused.value.code) == ("start", "host_visit_overlap")
    assert HostVisit.objects.count() == 1
    # Another patient at the same time is fine: a host visit holds only its patient.
    host_visit_create(
        actor=spot.cast.desk,
        patient=spot.cast.paula,
        location=spot.cast.chiro,
        start=at(10, 15),
        end=at(10, 45),
        provider_name="Dr Chen",
    )


def test_only_the_clinic_staff_record_host_visits(spot):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        host_visit_create(
            actor=spot.cast.tess_user,
            patient=spot.cast.pat,
            location=spot.cast.chiro,
            start=at(10),
            end=at(10, 30),
            provider_name="Dr Chen",
        )


def test_a_csv_day_is_imported_with_local_times_in_the_locations_zone(spot):
    pat, paula = spot.cast.pat.public_id, spot.cast.paula.public_id
    visits = host_visits_import(
        actor=spot.cast.desk,
        location=spot.cast.chiro,
        kind="csv",
        content=_csv(
            spot,
            f"{pat},2026-12-02 10:00,2026-12-02 10:30,Dr Chen,A-1",
            f"{paula},2026-12-02T17:00:00Z,2026-12-02T17:45:00Z,Dr Chen,",
        ),
    )
    assert [(v.patient_id, v.start, v.source) for v in visits] == [
        (spot.cast.pat.pk, at(10), HostVisitSource.CSV),
        (spot.cast.paula.pk, at(11), HostVisitSource.CSV),
    ]


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (dt.date(2026, 3, 8), 14),
        (dt.date(2026, 11, 1), 15),
    ],  # CDT (UTC-5) after spring-forward; CST after fall-back
)
def test_csv_local_times_follow_the_dst_day(spot, day, utc_hour):
    visits = host_visits_import(
        actor=spot.cast.desk,
        location=spot.cast.chiro,
        kind="csv",
        content=_csv(spot, f"{spot.cast.pat.public_id},{day} 09:00,{day} 09:30,Dr Chen,"),
    )
    assert visits[0].start == dt.datetime.combine(day, dt.time(utc_hour), tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("content", "lines"),
    [
        ("who,when\nx,y\n", ["line 1"]),  # wrong columns
        ("patient,start,end,provider\n{pat},2026-12-02 10:00,tomorrow,Dr Chen\n", ["line 2"]),  # bad time
        (
            "patient,start,end,provider\n{pat},2026-12-02 10:30,2026-12-02 10:00,Dr Chen\n",
            ["line 2"],
        ),  # inverted
        (
            "patient,start,end,provider\n{pat},2026-12-02 10:00,2026-12-02 10:30,Dr Chen\n"
            "00000000-0000-0000-0000-000000000000,2026-12-02 11:00,2026-12-02 11:30,Dr Chen\n",
            ["line 3"],
        ),  # unknown patient
        (
            "patient,start,end,provider\n{pat},2026-12-02 10:00,2026-12-02 10:30,Dr Chen\n"
            "{paula},2026-12-02 10:00,2026-12-02 10:30,Dr Chen\n"
            "{pat},2026-12-02 10:15,2026-12-02 10:45,Dr Chen\n",
            ["line 4"],
        ),  # overlap inside the file
    ],
)
def test_a_bad_file_is_refused_whole_with_its_line_numbers(spot, content, lines):
    text = content.format(pat=spot.cast.pat.public_id, paula=spot.cast.paula.public_id)
    with pytest.raises(FieldErrors) as refused:
        host_visits_import(actor=spot.cast.desk, location=spot.cast.chiro, kind="csv", content=text)
    assert sorted(refused.value.errors) == lines
    assert not HostVisit.objects.exists()


def test_an_import_overlapping_a_stored_visit_is_refused_whole(spot):
    spot.host_visit(spot.cast.pat, at(10))
    text = _csv(
        spot,
        f"{spot.cast.paula.public_id},2026-12-02 09:00,2026-12-02 09:30,Dr Chen,",
        f"{spot.cast.pat.public_id},2026-12-02 10:10,2026-12-02 10:40,Dr Chen,",
    )
    with pytest.raises(FieldErrors) as refused:
        host_visits_import(actor=spot.cast.desk, location=spot.cast.chiro, kind="csv", content=text)
    assert list(refused.value.errors) == ["line 3"]
    assert HostVisit.objects.count() == 1


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//Host//EN
BEGIN:VEVENT
UID:chen-1
DTSTART;TZID=America/Chicago:20261202T100000
DTEND;TZID=America/Chicago:20261202T103000
ORGANIZER;CN=Dr Chen:mailto:chen@example.org
X-KNEADWELL-PATIENT:{pat}
SUMMARY:Adjustment
END:VEVENT
BEGIN:VEVENT
UID:chen-2
DTSTART:20261202T170000Z
DTEND:20261202T173000Z
DESCRIPTION:Patient: {paula}
SUMMARY:Adjustment
END:VEVENT
END:VCALENDAR
"""


def test_an_icalendar_file_is_imported(spot):
    text = ICS.format(pat=spot.cast.pat.public_id, paula=spot.cast.paula.public_id)
    visits = host_visits_import(actor=spot.cast.desk, location=spot.cast.chiro, kind="ics", content=text)
    assert [(v.start, v.provider_name, v.provider_ref, v.source) for v in visits] == [
        (at(10), "Dr Chen", "chen-1", HostVisitSource.ICS),
        (at(11), "Host provider", "chen-2", HostVisitSource.ICS),
    ]


def test_an_icalendar_file_with_an_unknown_patient_is_refused_whole(spot):
    text = ICS.format(pat=spot.cast.pat.public_id, paula="nobody")
    with pytest.raises(FieldErrors) as refused:
        host_visits_import(actor=spot.cast.desk, location=spot.cast.chiro, kind="ics", content=text)
    assert list(refused.value.errors) == ["event 2"]
    assert not HostVisit.objects.exists()


def test_a_host_visit_with_booked_spot_work_is_not_deleted(spot):
    from kneadwell.spotwork.models import SpotWorkRequest, SpotWorkStatus

    visit = spot.host_visit(spot.cast.pat, at(10))
    SpotWorkRequest.objects.create(
        patient=spot.cast.pat, host_visit=visit, region="neck", status=SpotWorkStatus.BOOKED
    )
    with pytest.raises(Conflict):
        host_visit_delete(actor=spot.cast.desk, visit=visit)
    assert HostVisit.objects.count() == 1


def test_the_api_import_answers_422_naming_each_line(spot, api_as):
    text = "patient,start,end,provider\nnobody,2026-12-02 10:00,2026-12-02 10:30,Dr Chen\n"
    response = api_as(spot.cast.desk).post(
        "/host-visits/import", {"location": str(spot.cast.chiro.public_id), "format": "csv", "content": text}
    )
    assert response.status_code == 422, response.content
    assert fields_of(response) == ["line 2"]
    assert not HostVisit.objects.exists()


def test_the_api_creates_lists_and_deletes_a_host_visit(spot, api_as):
    api = api_as(spot.cast.desk)
    body = {
        "patient": str(spot.cast.pat.public_id),
        "location": str(spot.cast.chiro.public_id),
        "start": "2026-12-02T16:00:00Z",
        "end": "2026-12-02T16:30:00Z",
        "provider_name": "Dr Chen, DC",
    }
    created = api.post("/host-visits", body)
    assert created.status_code == 201, created.content
    listed = api.get("/host-visits", location=str(spot.cast.chiro.public_id), date="2026-12-02").json()
    assert [item["id"] for item in listed["items"]] == [created.json()["id"]]
    assert listed["items"][0]["local_start"].startswith("2026-12-02T10:00:00-06:00")
    again = api.post("/host-visits", {**body, "start": "2026-12-02T16:15:00Z", "end": "2026-12-02T16:45:00Z"})
    assert again.status_code == 422
    assert fields_of(again) == ["start"]
    gone = api.client.delete(f"/api/v1/host-visits/{created.json()['id']}", **api.headers)
    assert gone.status_code == 204
    assert not HostVisit.objects.exists()
