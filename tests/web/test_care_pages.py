"""Care-pathway pages: who may open them, the call script and its live panel, the patient's form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.intake.models import Intake
from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from tests.web.test_care_support import frozen_shoulder_intake, train

ROLES = ["front_desk", "therapist", "patient", "referrer", "clinic_admin"]
ROLE_PAGES = {
    "desk-call": {"front_desk", "clinic_admin"},
    "referral-inbox": {"front_desk", "clinic_admin"},
    "desk-referral-new": {"front_desk", "clinic_admin"},
    "referrer-referral-new": {"referrer"},
    "patient-intake": {"patient"},
}


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def login(client, cast, admin_mfa):  # type: ignore[no-untyped-def]
    def as_role(role: str):  # type: ignore[no-untyped-def]
        client.force_login(cast.user(role))
        return client

    return as_role


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", sorted(ROLE_PAGES))
def test_care_pages_answer_200_for_their_roles_and_403_for_others(login, role, url_name):
    response = login(role).get(reverse(url_name))
    assert response.status_code == (200 if role in ROLE_PAGES[url_name] else 403)


@pytest.mark.parametrize("url_name", sorted(ROLE_PAGES))
def test_anonymous_visitors_are_sent_to_login_from_care_pages(client, cast, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("role", "whose", "status"),
    [
        ("therapist", "pat", 200),
        ("therapist", "paula", 404),
        ("front_desk", "paula", 200),
        ("patient", "pat", 403),
        ("referrer", "pat", 403),
    ],
)
def test_session_plan_partial_is_scoped(login, cast, role, whose, status):
    patient = getattr(cast, whose)
    response = login(role).get(
        reverse("patient-session-plan", args=[patient.public_id]),
        {"service": "therapeutic-60"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == status


def test_call_done_page_is_404_for_an_unknown_intake(login):
    response = login("front_desk").get(
        reverse("desk-call-done", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert response.status_code == 404


# --- The call script --------------------------------------------------------------------------


def call_form(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "chief_complaint": "Sore right wrist from typing",
        "area": ["wrist_hand:right"],
        "condition": "repetitive_strain",
        "onset": "2026-01-10",
        "prior_treatments": "Rest, a splint",
        "pressure": "medium",
        "lighting": "soft",
        "music": "calm",
        "therapist_gender": "",
        "pregnancy": "no",
    }
    data.update(extra)
    return data


def test_desk_registers_a_new_caller_and_saves_the_intake(client, cast):
    client.force_login(cast.desk)
    data = call_form(
        patient="new",
        new_given_name="Nina",
        new_family_name="Novak",
        new_birth_date="1990-04-02",
        new_phone="555-0101",
        action="save",
        lighting="bright",
    )
    response = client.post(reverse("desk-call"), data)
    assert response.status_code == 302
    nina = Patient.objects.get(given_name="Nina", family_name="Novak")
    intake = Intake.objects.get(patient=nina)
    assert response["Location"] == reverse("desk-call-done", args=[intake.public_id])
    assert intake.channel == "phone"
    assert intake.areas == [{"region": "wrist_hand", "side": "right"}]
    assert intake.diagnoses[0]["condition"] == "repetitive_strain"
    assert intake.onset == dt.date(2026, 1, 10)
    assert intake.prior_treatments == "Rest, a splint"
    nina.refresh_from_db()
    assert nina.lighting == "bright"
    assert AuditEvent.objects.filter(
        patient_id=str(nina.public_id), action="create", object_type="intake"
    ).exists()


def test_desk_saves_an_intake_for_a_found_patient_with_their_referral(client, cast):
    referral = cast.pat.referrals.get()
    client.force_login(cast.desk)
    data = call_form(patient=str(cast.pat.public_id), referral=str(referral.public_id), action="save")
    response = client.post(reverse("desk-call"), data)
    assert response.status_code == 302
    intake = Intake.objects.get(patient=cast.pat)
    assert intake.referral == referral
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert "Find a time for Pat Palmer" in text(done)


def test_call_without_a_chosen_patient_is_refused_and_writes_nothing(client, cast):
    client.force_login(cast.desk)
    response = client.post(reverse("desk-call"), call_form(action="save"))
    assert response.status_code == 422
    assert "Choose the caller from the list" in text(response)
    assert not Intake.objects.exists()


def test_unknown_region_shows_next_to_the_areas_and_keeps_what_was_typed(client, cast):
    client.force_login(cast.desk)
    data = call_form(patient=str(cast.pat.public_id), area=["elbowish:right"], action="save")
    response = client.post(reverse("desk-call"), data)
    page = text(response)
    assert response.status_code == 422
    assert not Intake.objects.exists()
    assert 'id="bodymap-areas-error"' in page
    assert "Unknown region" in page
    assert "Sore right wrist from typing" in page  # the complaint is still there
    assert 'value="2026-01-10"' in page  # and the onset


def test_header_icd10_code_shows_its_billable_children_next_to_the_code(client, cast):
    client.force_login(cast.desk)
    data = call_form(patient=str(cast.pat.public_id), condition="low_back_pain", icd10="M54.5", action="save")
    response = client.post(reverse("desk-call"), data)
    page = text(response)
    assert response.status_code == 422
    error = re.search(r'id="icd10-error">([^<]*)<', page)
    assert error is not None
    assert "header code" in error.group(1)
    assert "M54.50" in error.group(1)
    assert "M54.59" in error.group(1)
    assert 'value="M54.5"' in page
    assert not Intake.objects.exists()


def test_onset_in_the_future_is_refused_next_to_the_field(client, cast):
    client.force_login(cast.desk)
    future = (now().date() + dt.timedelta(days=30)).isoformat()
    response = client.post(
        reverse("desk-call"), call_form(patient=str(cast.pat.public_id), onset=future, action="save")
    )
    page = text(response)
    assert response.status_code == 422
    assert re.search(r'id="onset-error">[^<]*future', page)
    assert not Intake.objects.exists()


def test_icd10_hint_names_the_children_of_a_header_code(client, cast):
    client.force_login(cast.desk)
    page = text(client.get(reverse("icd10-hint"), {"icd10": "M54.5"}))
    assert "M54.50" in page
    assert "header code" in page
    page = text(client.get(reverse("icd10-hint"), {"icd10": "m54.50"}))
    assert "M54.50" in page
    assert "hint-ok" in page


# --- The live panel -----------------------------------------------------------------------------------


def live(client, **data):  # type: ignore[no-untyped-def]
    return text(client.post(reverse("desk-call-live"), {"pregnancy": "no", **data}))


def chip(page: str) -> str:
    found = re.search(r'Screening: <span class="chip chip-[a-z-]+">([^<]+)</span>', page)
    assert found is not None, page[:2000]
    return found.group(1)


def test_live_panel_restricts_an_inflamed_right_wrist_and_proceeds_with_precautions(client, cast):
    client.force_login(cast.desk)
    page = live(
        client,
        patient=str(cast.pat.public_id),
        area=["wrist_hand:right"],
        condition="strain_sprain",
        heat="wrist_hand:right",
    )
    assert chip(page) == "Precautions"
    assert "<strong>Off limits this visit:</strong> Wrist and hand (right)" in page


def test_live_panel_refers_out_low_back_pain_with_cauda_equina_signs(client, cast):
    client.force_login(cast.desk)
    page = live(client, patient="new", area=["low_back"], condition="low_back_pain", cauda_equina_signs="yes")
    assert chip(page) == "Refer out"
    assert "Numbness between the legs or new bladder or bowel trouble" in page
    assert "red_flag.cauda_equina" not in page  # no rule ids in what staff read
    assert "To go ahead:" in page
    assert "Emergency care first" in page


def test_live_panel_ignores_a_hidden_question(client, cast):
    # The cauda-equina question is not asked for a neck problem, so a stale "yes" cannot count.
    client.force_login(cast.desk)
    page = live(client, patient="new", area=["neck"], condition="tension_headache", cauda_equina_signs="yes")
    assert chip(page) == "Proceed"


def test_live_panel_lists_matched_therapists_with_reasons_and_the_excluded(client, cast):
    train(cast)
    client.force_login(cast.desk)
    page = live(
        client,
        patient=str(cast.pat.public_id),
        area=["shoulder:right"],
        condition="frozen_shoulder",
        location=str(cast.hospital.public_id),
        service="therapeutic-60",
    )
    matches = page[page.index('<ol class="matches">') :]
    assert matches.index("Tess Turner") < matches.index("Theo Tanaka")
    assert "Wear loose-fitting clothing" in page  # Tess's preview plan stretches the shoulder


def test_live_panel_swaps_in_the_headache_questions_only_when_a_headache_is_chosen(client, cast):
    client.force_login(cast.desk)
    back = live(client, patient="new", area=["low_back"], condition="low_back_pain", qkey="")
    assert 'name="cauda_equina_signs"' in back
    assert 'name="thunderclap_headache"' not in back
    headache = live(client, patient="new", area=["head"], condition="migraine", qkey="")
    assert 'name="thunderclap_headache"' in headache
    assert 'name="cauda_equina_signs"' not in headache
    assert 'id="health-questions" class="health-questions" hx-swap-oob="true"' in headache
    qkey = re.search(r'name="qkey" value="([^"]*)"', headache)
    assert qkey is not None
    same = live(client, patient="new", area=["head"], condition="migraine", qkey=qkey.group(1))
    assert 'id="health-questions"' not in same  # unchanged questions are not re-rendered


def test_the_neck_trauma_questions_are_asked_only_for_whiplash(client, cast):
    client.force_login(cast.desk)
    neck_trauma = (
        "neck_dangerous_mechanism",
        "limb_paresthesia",
        "neck_rotation_limited",
        "neck_midline_tenderness",
    )
    whiplash = live(client, patient="new", area=["neck"], condition="whiplash", qkey="")
    migraine = live(client, patient="new", area=["neck"], condition="migraine", qkey="")
    for name in neck_trauma:
        assert f'name="{name}"' in whiplash
        assert f'name="{name}"' not in migraine


def test_live_panel_audits_the_patient_it_screens(client, cast):
    client.force_login(cast.desk)
    live(client, patient=str(cast.pat.public_id), area=["neck"])
    assert AuditEvent.objects.filter(
        patient_id=str(cast.pat.public_id), detail__view="desk-call-live"
    ).exists()


# --- The patient's own form ---------------------------------------------------------------------------


def test_patient_fills_their_own_intake_online(client, cast):
    client.force_login(cast.pat_user)
    data = call_form(action="save", condition="frozen_shoulder", area=["shoulder:left"])
    response = client.post(reverse("patient-intake"), data)
    assert response.status_code == 302
    intake = Intake.objects.get(patient=cast.pat)
    assert intake.channel == "online"
    assert intake.areas == [{"region": "shoulder", "side": "left"}]
    assert AuditEvent.objects.filter(patient_id=str(cast.pat.public_id), object_type="intake").exists()


def test_patient_form_keeps_answers_when_the_complaint_is_missing(client, cast):
    client.force_login(cast.pat_user)
    response = client.post(reverse("patient-intake"), call_form(action="save", chief_complaint=""))
    page = text(response)
    assert response.status_code == 422
    assert 'id="chief_complaint-error"' in page
    assert 'value="wrist_hand:right" id="bodymap-wrist_handright" checked' in page
    assert not Intake.objects.exists()


def test_patient_form_uses_plain_words(client, cast):
    client.force_login(cast.pat_user)
    page = text(
        client.post(reverse("patient-intake-questions"), {"area": ["low_back"], "condition": "low_back_pain"})
    )
    assert "Any numbness between your legs" in page
    assert "Saddle numbness" not in page


def test_patient_home_shows_the_plan_of_care_goals(client, cast):
    from kneadwell.planning.services import care_plan_approve, care_plan_draft

    train(cast)
    frozen_shoulder_intake(cast)
    plan = care_plan_draft(actor=cast.tess_user, patient=cast.pat)
    care_plan_approve(actor=cast.tess_user, plan=plan)
    client.force_login(cast.pat_user)
    page = text(client.get(reverse("patient-home")))
    assert "My plan of care" in page
    goal = plan.goals.first()
    assert goal is not None
    assert goal.description in page
