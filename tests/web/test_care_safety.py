"""Issue 7 in the pages: follow-up questions, the clinician's examination form, asking for a flag's
clearance, and bad input that saves nothing."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from kneadwell.intake.models import InflammationCheck, Intake
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.clock import now
from kneadwell.referrals.models import Clearance
from kneadwell.scheduling.overview import care_overview
from tests.web.test_care_pages import call_form, live, text


def test_ticking_cancer_asks_the_walton_follow_ups_in_the_call_script(client, cast):
    client.force_login(cast.desk)
    without = live(client, patient="new", area=["neck"], condition="tension_headache", qkey="")
    assert 'name="cancer_active_treatment"' not in without
    qkey = re.search(r'name="qkey" value="([^"]*)"', without)
    assert qkey is not None
    with_cancer = live(
        client, patient="new", area=["neck"], condition="tension_headache", cancer="yes", qkey=qkey.group(1)
    )
    for name in ("cancer_active_treatment", "cancer_bone_regions", "lymph_node_regions"):
        assert f'name="{name}"' in with_cancer, name
    assert "In cancer treatment now" in with_cancer  # staff words


def test_pregnancy_asks_the_weeks_and_the_warning_signs_in_plain_words(client, cast):
    client.force_login(cast.pat_user)
    page = text(
        client.post(
            reverse("patient-intake-questions"),
            {"area": ["low_back"], "condition": "low_back_pain", "pregnancy": "low_risk"},
        )
    )
    assert "How many weeks pregnant are you?" in page
    assert "During this pregnancy, have you had any bleeding" in page


def test_weeks_of_pregnancy_outside_0_to_42_save_nothing(client, cast):
    client.force_login(cast.pat_user)
    response = client.post(
        reverse("patient-intake"), call_form(action="save", pregnancy="low_risk", pregnancy_weeks="43")
    )
    assert response.status_code == 422
    assert re.search(r'id="pregnancy_weeks-error">[^<]*between 0 and 42', text(response))
    assert not Intake.objects.exists()


def test_a_future_steroid_injection_date_saves_nothing(client, cast):
    client.force_login(cast.desk)
    future = (now().date() + dt.timedelta(days=400)).isoformat()
    response = client.post(
        reverse("desk-call"),
        call_form(
            patient=str(cast.pat.public_id),
            action="save",
            condition="tendinopathy",
            area=["forearm:right"],
            steroid_injection_date=future,
        ),
    )
    assert response.status_code == 422
    assert re.search(r'id="steroid_injection_date-error">[^<]*future', text(response))
    assert not Intake.objects.exists()


def _fresh_sprain(cast) -> None:  # type: ignore[no-untyped-def]
    today = care_overview(patient=cast.pat, viewer=cast.tess_user).on
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Twisted ankle yesterday",
        areas=[AreaIn(region="ankle_foot", side="right")],
        diagnoses=[DiagnosisIn(condition="strain_sprain", onset=today - dt.timedelta(days=1))],
    )


def test_a_clinician_records_no_inflammation_signs_from_the_patient_page(client, cast):
    _fresh_sprain(cast)
    client.force_login(cast.tess_user)
    page = text(client.get(reverse("patient-detail", args=[cast.pat.public_id])))
    assert "Fresh injury: record an examination" in page
    url = reverse("patient-inflammation-check", args=[cast.pat.public_id])
    missing = client.post(url, {"area": "ankle_foot:right", "clinician_name": "", "reason": "No signs"})
    assert missing.status_code == 422
    assert 'id="clinician_name-error"' in text(missing)
    no_reason = client.post(
        url, {"area": "ankle_foot:right", "clinician_name": "Dr Ana Ortiz", "reason": " "}
    )
    assert no_reason.status_code == 422
    assert 'id="reason-error"' in text(no_reason)
    assert not InflammationCheck.objects.exists()
    done = client.post(
        url, {"area": "ankle_foot:right", "clinician_name": "Dr Ana Ortiz", "reason": "No heat or swelling"}
    )
    assert done.status_code == 302
    check = InflammationCheck.objects.get()
    assert (check.clinician_name, check.reason, check.recorded_by) == (
        "Dr Ana Ortiz",
        "No heat or swelling",
        cast.tess_user,
    )
    after = text(client.get(reverse("patient-detail", args=[cast.pat.public_id])))
    assert "Fresh injury: record an examination" not in after


def test_a_referral_out_offers_to_ask_the_referrer_for_the_flags_evaluation(client, cast):
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Headaches",
        areas=[AreaIn(region="neck")],
        diagnoses=[DiagnosisIn(condition="migraine")],
        answers=HealthAnswersIn(headache_onset_after_50=True),
    )
    client.force_login(cast.tess_user)
    page = text(client.get(reverse("patient-detail", args=[cast.pat.public_id])))
    assert "Ask: medical evaluation: headache that began after age 50" in page
    assert 'name="flag" value="snoop_onset_after_50"' in page
    response = client.post(
        reverse("patient-clearance-request", args=[cast.pat.public_id]),
        {
            "provider": str(cast.rita.public_id),
            "scope": "flag",
            "flag": "snoop_onset_after_50",
            "area": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    asked = Clearance.objects.get()
    assert (asked.scope, asked.flag, asked.status) == ("flag", "snoop_onset_after_50", "requested")


def test_the_referrer_grants_a_flag_clearance_from_the_portal(client, cast):
    client.force_login(cast.rita_user)
    url = reverse("referrer-clearance", args=[cast.pat.public_id])
    page = text(client.get(url))
    assert 'name="clear_flag"' in page
    assert "Headache that began after age 50" in page
    assert "Fever or infection" not in page  # a fever is waited out, not cleared
    bad = client.post(url, {"clear_scope": "flag", "clear_flag": ""})
    assert bad.status_code == 422
    assert 'id="clear_flag-error"' in text(bad)
    assert not Clearance.objects.exists()
    done = client.post(
        url, {"clear_scope": "flag", "clear_flag": "snoop_onset_after_50", "clear_note": "Evaluated; fine."}
    )
    assert done.status_code == 302
    granted = Clearance.objects.get()
    assert (granted.scope, granted.flag, granted.status, granted.note) == (
        "flag",
        "snoop_onset_after_50",
        "granted",
        "Evaluated; fine.",
    )


def test_the_referrer_sees_which_finding_a_requested_evaluation_is_for(client, cast):
    from kneadwell.referrals.services import clearance_request

    clearance_request(
        actor=cast.desk, patient=cast.pat, provider=cast.rita, scope="flag", flag="snoop_onset_after_50"
    )
    client.force_login(cast.rita_user)
    page = text(client.get(reverse("referrer-home")))
    assert "Medical evaluation: headache that began after age 50" in page
