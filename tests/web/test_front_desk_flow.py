"""The front-desk flow as a new user tries it: what each step must show and allow (issue 6, item 6)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kneadwell.clinic.models import Service
from kneadwell.intake.models import Intake
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.errors import DomainError
from kneadwell.planning.selectors import screened_session_plan
from kneadwell.referrals.models import CareTeamMember, Clearance, ReferringProvider
from kneadwell.referrals.services import NewProvider, care_team_add, clearance_request, referral_create
from kneadwell.scheduling.selectors import visit_history
from tests.web.test_care_pages import call_form
from tests.web.test_care_support import train


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def _saved_call(client, cast) -> str:  # type: ignore[no-untyped-def]
    client.force_login(cast.desk)
    data = call_form(
        patient=str(cast.pat.public_id),
        action="save",
        goals="Type without pain by spring",
        referral_reason="Her GP suggested massage for the forearm",
    )
    response = client.post(reverse("desk-call"), data)
    assert response.status_code == 302
    return response["Location"]


def test_what_the_caller_said_is_shown_after_saving(client, cast) -> None:
    done = text(client.get(_saved_call(client, cast)))
    for said in (
        "Sore right wrist from typing",
        "Type without pain by spring",
        "Rest, a splint",
        "Her GP suggested massage for the forearm",
        "Wrist and hand (right)",
    ):
        assert said in done, said


def test_the_therapist_sees_what_the_caller_said(client, cast) -> None:
    _saved_call(client, cast)
    client.force_login(cast.tess_user)
    page = text(client.get(reverse("patient-detail", args=[cast.pat.public_id])))
    assert "What the patient told us" in page
    assert "Sore right wrist from typing" in page
    assert "Type without pain by spring" in page


def test_the_referrals_precautions_are_among_the_alerts(client, cast) -> None:
    referral_create(
        actor=cast.desk,
        patient=cast.pat,
        provider=cast.rita,
        reason="Neck pain",
        diagnoses=[DiagnosisIn(condition="whiplash", onset=dt.date(2026, 10, 1))],
        precautions="No cervical manipulation; on warfarin",
    )
    client.force_login(cast.tess_user)
    page = text(client.get(reverse("patient-detail", args=[cast.pat.public_id])))
    alerts = page.split('id="alerts-heading"')[1].split("</section>")[0]
    assert "No cervical manipulation; on warfarin" in alerts


def test_the_desk_adds_the_surgeon_and_asks_them_for_clearance(client, cast) -> None:
    client.force_login(cast.desk)
    response = client.post(
        reverse("patient-care-team", args=[cast.pat.public_id]),
        {
            "role": "treating",
            "note": "Orthopaedic surgeon, right knee",
            "new_name": "Dr Sam Stone",
            "new_kind": "physician",
        },
    )
    assert response.status_code == 302
    surgeon = ReferringProvider.objects.get(name="Dr Sam Stone")
    assert CareTeamMember.objects.filter(patient=cast.pat, provider=surgeon, role="treating").exists()
    page = text(client.get(reverse("patient-detail", args=[cast.pat.public_id]) + "?care=1"))
    assert "Dr Sam Stone" in page
    response = client.post(
        reverse("patient-clearance-request", args=[cast.pat.public_id]),
        {"provider": str(surgeon.public_id), "scope": "scar_work", "area": "knee:right", "note": "Closed?"},
    )
    assert response.status_code == 302
    assert Clearance.objects.get(patient=cast.pat, provider=surgeon).status == "requested"


def test_a_clearance_is_asked_only_of_a_provider_who_refers_or_treats_the_patient(cast) -> None:
    # Rob referred Paula, not Pat.
    with pytest.raises(DomainError) as exc:
        clearance_request(
            actor=cast.desk,
            patient=cast.pat,
            provider=cast.rob,
            scope="scar_work",
            area=AreaIn(region="knee", side="right"),
        )
    assert exc.value.field == "provider"
    assert not Clearance.objects.filter(patient=cast.pat, provider=cast.rob).exists()


def test_adding_to_the_care_team_needs_a_role_and_a_provider_and_is_for_the_desk(cast) -> None:
    with pytest.raises(DomainError) as exc:
        care_team_add(actor=cast.desk, patient=cast.pat, role="treating")
    assert exc.value.field == "provider"
    with pytest.raises(DomainError) as exc:
        care_team_add(actor=cast.desk, patient=cast.pat, role="friend", provider=cast.rob)
    assert exc.value.field == "role"
    with pytest.raises(PermissionDenied):
        care_team_add(actor=cast.tess_user, patient=cast.pat, role="treating", provider=cast.rob)
    with pytest.raises(DomainError):  # a bad NPI: nothing is written, not even the provider
        care_team_add(
            actor=cast.desk,
            patient=cast.pat,
            role="treating",
            new_provider=NewProvider(name="Dr New", kind="physician", npi="123"),
        )
    assert not ReferringProvider.objects.filter(name="Dr New").exists()


def test_accept_and_call_opens_the_call_with_the_referral_filled_in(client, cast) -> None:
    referral = referral_create(
        actor=cast.desk,
        patient=cast.paula,
        provider=cast.rob,
        reason="Frozen shoulder",
        diagnoses=[
            DiagnosisIn(condition="frozen_shoulder", icd10="M75.01", side="right", onset=dt.date(2026, 5, 2))
        ],
        areas=[AreaIn(region="shoulder", side="right")],
    )
    client.force_login(cast.desk)
    response = client.post(reverse("referral-triage", args=[referral.public_id]), {"action": "accept"})
    assert response.status_code == 302
    call = client.get(response["Location"])
    state = call.context
    assert state["patient"] == cast.paula
    assert state["selected_referral"] == referral
    data = state["data"]
    assert data["condition"] == "frozen_shoulder"
    assert data["icd10"] == "M75.01"
    assert data["onset"] == "2026-05-02"
    assert data.getlist("area") == ["shoulder:right"]
    assert 'value="M75.01"' in call.content.decode()


def test_a_returning_patients_form_starts_from_their_last_answers(client, cast) -> None:
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Low back after gardening",
        goals="Garden again",
        areas=[AreaIn(region="low_back")],
        diagnoses=[DiagnosisIn(condition="low_back_pain", onset=dt.date(2026, 9, 1))],
        onset=dt.date(2026, 9, 1),
    )
    client.force_login(cast.pat_user)
    page = client.get(reverse("patient-intake"))
    body = page.content.decode()
    assert "Low back after gardening" in body
    assert "Garden again" in body
    assert page.context["data"]["condition"] == "low_back_pain"
    assert page.context["data"].getlist("area") == ["low_back"]


def test_the_call_script_offers_only_the_services_bookable_at_the_location(client, cast) -> None:
    client.force_login(cast.desk)
    at_hospital = client.get(reverse("desk-call"), {"location": str(cast.hospital.public_id)})
    codes = {s.code for s in at_hospital.context["services"]}
    assert "spot-work-15" not in codes
    assert "therapeutic-60" in codes
    at_chiro = client.get(reverse("desk-call"), {"location": str(cast.chiro.public_id)})
    assert "spot-work-15" in {s.code for s in at_chiro.context["services"]}
    # Asking for spot work at the hospital falls back to a service offered there: no "next to your
    # chiropractor" instruction.
    live = client.post(
        reverse("desk-call-live"),
        call_form(
            patient=str(cast.pat.public_id), location=str(cast.hospital.public_id), service="spot-work-15"
        ),
    )
    assert live.context["live_service"].code != "spot-work-15"
    assert "chiropractor" not in text(live)


def test_a_relaxation_intake_needs_no_area_and_its_plan_covers_the_body(cast) -> None:
    train(cast)
    intake = intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Just want to relax",
        diagnoses=[DiagnosisIn(condition="relaxation")],
    )
    assert intake.areas == []
    plan, _ = screened_session_plan(
        patient=cast.pat,
        service=Service.objects.get(code="therapeutic-60"),
        therapist=cast.tess,
        on=dt.date(2026, 12, 2),
        history=visit_history(cast.pat),
    )
    assert not plan.blocked
    assert plan.segments
    assert all(s.role != "focus" for s in plan.segments)
    assert len({s.region for s in plan.segments}) >= 4  # the whole body, not one area


def test_an_intake_for_a_condition_still_needs_an_area(cast) -> None:
    with pytest.raises(DomainError) as exc:
        intake_record(
            actor=cast.desk,
            patient=cast.pat,
            channel="phone",
            chief_complaint="Back",
            diagnoses=[DiagnosisIn(condition="low_back_pain")],
        )
    assert exc.value.field == "areas"
    assert not Intake.objects.filter(patient=cast.pat).exists()


def test_no_match_scores_before_anything_is_known(client, cast) -> None:
    client.force_login(cast.desk)
    page = client.get(reverse("desk-call"), {"patient": str(cast.pat.public_id)})
    assert page.context.get("matches_pending") is True
    assert "/100" not in text(page)
    assert "matched once we know what to work on" in text(page)


def test_visits_beyond_the_referrals_request_are_flagged(client, cast) -> None:
    from kneadwell.scheduling.models import Appointment

    referral = cast.pat.referrals.get()
    referral.requested_sessions = 6
    referral.save()
    appointment = cast.pat_appointment
    Appointment.objects.filter(pk=appointment.pk).update(status="completed")
    client.force_login(cast.rita_user)
    page = text(client.get(reverse("referrer-home")))
    assert "1 of 6" in page
    assert "Over your request" not in page
    # Two more completed visits against a request of two: three of two.
    for hours in range(2, 4):
        Appointment.objects.create(
            patient=cast.pat,
            therapist=appointment.therapist,
            room=appointment.room,
            location=appointment.location,
            service=appointment.service,
            start=appointment.start - dt.timedelta(days=hours),
            end=appointment.end - dt.timedelta(days=hours),
            blocked_until=appointment.blocked_until - dt.timedelta(days=hours),
            status="completed",
            channel="phone",
        )
    referral.requested_sessions = 2
    referral.save()
    page = text(client.get(reverse("referrer-home")))
    assert "3 of 2" in page
    assert "Over your request" in page


def test_the_search_page_lists_recent_patients_before_anything_is_typed(client, cast) -> None:
    client.force_login(cast.desk)
    page = client.get(reverse("patient-search"))
    recent = page.context["recent"]
    assert {cast.pat, cast.paula} <= set(recent)
    assert "Recently seen or registered" in text(page)
