"""The day planner applied: the assembler reads a fixed number of queries; the plan is previewed, then
booked in one transaction through the booking service, or not at all."""

from __future__ import annotations

import pytest

from kneadwell.lib.errors import DomainError
from kneadwell.scheduling.models import Appointment
from kneadwell.spotwork import services as spot_services
from kneadwell.spotwork.models import SpotWorkRequest, SpotWorkStatus
from kneadwell.spotwork.selectors import spot_work_day
from kneadwell.spotwork.services import spot_work_plan, spot_work_request_create
from tests.api.conftest import fields_of

from .conftest import DAY, at


def _requests(spot, count: int = 2) -> list[SpotWorkRequest]:  # type: ignore[no-untyped-def]
    from kneadwell.patients.models import Patient

    rows = []
    patients = [spot.cast.pat, spot.cast.paula]
    for i in range(count):
        patient = (
            patients[i]
            if i < 2
            else Patient.objects.create(given_name=f"P{i}", family_name="Extra", birth_date="1990-01-01")
        )
        visit = spot.host_visit(patient, at(10 + i % 4, 0 if i < 4 else 30))
        rows.append(spot_work_request_create(actor=spot.cast.desk, host_visit=visit, region="neck"))
    return rows


def test_the_assembler_reads_a_fixed_number_of_queries(spot, django_assert_max_num_queries):
    _requests(spot, 1)
    with django_assert_max_num_queries(14) as few:
        small = spot_work_day(spot.cast.chiro, DAY)
    _requests_more = list(_requests_extra(spot))
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = spot_work_day(spot.cast.chiro, DAY)
    assert len(small.day.requests) == 1
    assert len(large.day.requests) == 1 + len(_requests_more)
    assert {t.therapist_id for t in large.day.therapists} == {spot.cora.pk, spot.carl.pk}
    assert len(large.day.rooms) == 2


def _requests_extra(spot) -> list[SpotWorkRequest]:  # type: ignore[no-untyped-def]
    from kneadwell.patients.models import Patient

    rows = []
    for i in range(4):
        patient = Patient.objects.create(given_name=f"E{i}", family_name="Extra", birth_date="1990-01-01")
        visit = spot.host_visit(patient, at(13 + i))
        rows.append(spot_work_request_create(actor=spot.cast.desk, host_visit=visit, region="low_back"))
    return rows


def test_a_preview_places_every_request_beside_its_host_visit_and_writes_nothing(spot, api_as):
    rows = _requests(spot, 2)
    response = api_as(spot.cast.desk).post(
        "/spot-work/plan", {"location": str(spot.cast.chiro.public_id), "date": str(DAY), "dry_run": True}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "optimal"
    assert body["relative_gap"] == 0.0
    assert body["applied"] is False
    assert {p["request"] for p in body["placements"]} == {str(r.public_id) for r in rows}
    assert body["total_waiting_minutes"] == 0
    assert body["unplaced"] == []
    assert (
        not Appointment.objects.exists()
        or Appointment.objects.filter(service__code="spot-work-15").count() == 0
    )


def test_a_request_that_cannot_fit_is_explained(spot, api_as):
    rows = _requests(spot, 1)
    # Cora and Carl are busy all morning around the host visit: no therapist is free in the window.
    from kneadwell.therapists.models import TimeOff

    for therapist in (spot.cora, spot.carl):
        TimeOff.objects.create(therapist=therapist, start=at(8), end=at(12))
    body = (
        api_as(spot.cast.desk)
        .post("/spot-work/plan", {"location": str(spot.cast.chiro.public_id), "date": str(DAY)})
        .json()
    )
    assert body["placements"] == []
    assert [(u["request"], u["reason"]) for u in body["unplaced"]] == [
        (str(rows[0].public_id), "therapists_busy")
    ]


def test_applying_books_every_placement_through_the_booking_service(spot, api_as):
    rows = _requests(spot, 2)
    response = api_as(spot.cast.desk).post(
        "/spot-work/plan", {"location": str(spot.cast.chiro.public_id), "date": str(DAY), "dry_run": False}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is True
    booked = Appointment.objects.filter(service__code="spot-work-15")
    assert booked.count() == 2
    assert {str(a.public_id) for a in booked} == {p["appointment"] for p in body["placements"]}
    for row in rows:
        row.refresh_from_db()
        assert row.status == SpotWorkStatus.BOOKED
        assert row.appointment is not None
    # Planned again: nothing open is left.
    again = spot_work_plan(actor=spot.cast.desk, location=spot.cast.chiro, day=DAY)
    assert again.plan.placements == ()


def test_if_one_booking_is_refused_nothing_is_written_and_the_answer_says_which(spot, api_as, monkeypatch):
    rows = _requests(spot, 2)
    real = spot_services.appointment_book
    calls: list[object] = []

    def second_refused(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["patient"])
        if len(calls) == 2:
            raise DomainError("Paula's record changed", field="patient")
        return real(**kwargs)

    monkeypatch.setattr(spot_services, "appointment_book", second_refused)
    response = api_as(spot.cast.desk).post(
        "/spot-work/plan", {"location": str(spot.cast.chiro.public_id), "date": str(DAY), "dry_run": False}
    )
    assert response.status_code == 409, response.content
    refused = next(r for r in rows if r.patient == calls[1])
    assert response.json()["request"] == str(refused.public_id)
    assert "Nothing was booked" in response.json()["detail"]
    assert not Appointment.objects.filter(service__code="spot-work-15").exists()
    assert set(SpotWorkRequest.objects.values_list("status", flat=True)) == {SpotWorkStatus.OPEN}


def test_planning_at_a_hospital_is_422_naming_the_location(spot, api_as):
    response = api_as(spot.cast.desk).post(
        "/spot-work/plan", {"location": str(spot.cast.hospital.public_id), "date": str(DAY)}
    )
    assert response.status_code == 422
    assert fields_of(response) == ["location"]


def test_a_request_with_an_unknown_region_is_refused(spot):
    visit = spot.host_visit(spot.cast.pat, at(10))
    with pytest.raises(DomainError) as refused:
        spot_work_request_create(actor=spot.cast.desk, host_visit=visit, region="elbow_of_doom")
    assert refused.value.field == "region"
    assert not SpotWorkRequest.objects.exists()


def test_the_api_creates_and_lists_requests(spot, api_as):
    api = api_as(spot.cast.desk)
    visit = spot.host_visit(spot.cast.pat, at(10))
    created = api.post(
        "/spot-work/requests",
        {
            "host_visit": str(visit.public_id),
            "region": "neck",
            "preferred_therapist": str(spot.cora.public_id),
        },
    )
    assert created.status_code == 201, created.content
    listed = api.get("/spot-work/requests", location=str(spot.cast.chiro.public_id), date=str(DAY)).json()
    assert [i["id"] for i in listed["items"]] == [created.json()["id"]]
    assert listed["items"][0]["preferred_therapist"]["name"] == "Cora Cole"


def test_the_preview_leaves_out_a_patient_the_screening_holds_saying_why(spot, api_as):
    from kneadwell.intake.schemas import AreaIn, HealthAnswersIn
    from kneadwell.intake.services import intake_record

    rows = _requests(spot, 2)
    intake_record(
        actor=spot.cast.desk,
        patient=spot.cast.paula,
        channel="phone",
        chief_complaint="Calf pain",
        areas=[AreaIn(region="neck")],
        answers=HealthAnswersIn(suspected_dvt=True),
    )
    body = (
        api_as(spot.cast.desk)
        .post("/spot-work/plan", {"location": str(spot.cast.chiro.public_id), "date": str(DAY)})
        .json()
    )
    held = next(r for r in rows if r.patient == spot.cast.paula)
    assert [p["request"] for p in body["placements"]] == [str(next(r for r in rows if r != held).public_id)]
    assert [(u["request"], u["reason"]) for u in body["unplaced"]] == [
        (str(held.public_id), "screening_hold")
    ]
    assert body["unplaced"][0]["message"]


def test_matching_filters_cut_the_therapists_a_request_may_have(spot, api_as):
    # Pat must have a male therapist; Cora and Carl (the cast's helper) are both recorded as female.
    spot.cast.pat.therapist_gender = "male"
    spot.cast.pat.therapist_gender_required = True
    spot.cast.pat.save()
    rows = _requests(spot, 1)
    body = (
        api_as(spot.cast.desk)
        .post("/spot-work/plan", {"location": str(spot.cast.chiro.public_id), "date": str(DAY)})
        .json()
    )
    assert body["placements"] == []
    assert [(u["request"], u["reason"]) for u in body["unplaced"]] == [
        (str(rows[0].public_id), "no_eligible_therapist")
    ]
