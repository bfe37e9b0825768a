"""Referral pages: the referrer portal (send, grant, decide) and the front desk's inbox (triage, fax entry)."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Clearance, ClearanceStatus, Referral, ReferralStatus


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def referral_form(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "patient": "new",
        "new_given_name": "Kim",
        "new_family_name": "Knee",
        "new_birth_date": "1970-02-03",
        "new_email": "kim@example.org",
        "dx0_condition": "post_surgical_scar",
        "dx0_icd10": "L90.5",
        "dx0_side": "right",
        "dx0_onset": "2026-01-15",
        "area": ["knee:right"],
        "reason": "Scar tissue after knee replacement",
        "requested_sessions": "8",
        "requested_frequency_per_week": "2",
        "precautions": "No deep pressure on the incision",
        "clear_scope": "scar_work",
        "clear_area": "knee:right",
    }
    data.update(extra)
    return data


def test_referrer_sends_a_referral_for_a_new_patient_with_a_clearance_up_front(client, cast):
    client.force_login(cast.rita_user)
    response = client.post(reverse("referrer-referral-new"), referral_form())
    assert response.status_code == 302
    kim = Patient.objects.get(given_name="Kim", family_name="Knee")
    referral = Referral.objects.get(patient=kim)
    assert referral.provider == cast.rita
    assert referral.diagnoses[0]["icd10"] == "L90.5"
    assert referral.areas == [{"region": "knee", "side": "right"}]
    assert (referral.requested_sessions, referral.requested_frequency_per_week) == (8, 2)
    clearance = Clearance.objects.get(patient=kim)
    assert (clearance.scope, clearance.region, clearance.side, clearance.status) == (
        "scar_work",
        "knee",
        "right",
        "granted",
    )
    assert clearance.referral == referral
    assert AuditEvent.objects.filter(
        patient_id=str(kim.public_id), action="create", object_type="referral"
    ).exists()


def test_header_code_on_a_referral_names_the_children_and_writes_nothing(client, cast):
    client.force_login(cast.rita_user)
    response = client.post(
        reverse("referrer-referral-new"), referral_form(dx0_condition="low_back_pain", dx0_icd10="M54.5")
    )
    page = text(response)
    assert response.status_code == 422
    error = re.search(r'id="dx0_icd10-error">([^<]*)<', page)
    assert error is not None
    assert "M54.50" in error.group(1)
    assert 'value="Kim"' in page
    assert "Scar tissue after knee replacement" in page
    assert not Patient.objects.filter(given_name="Kim").exists()
    assert not Clearance.objects.exists()


def test_scar_clearance_without_a_region_is_refused_and_nothing_is_half_written(client, cast):
    client.force_login(cast.rita_user)
    response = client.post(reverse("referrer-referral-new"), referral_form(clear_area=""))
    page = text(response)
    assert response.status_code == 422
    assert 'id="clear_area-error"' in page
    assert not Patient.objects.filter(given_name="Kim").exists()
    assert Referral.objects.count() == 2  # the cast's two


def test_referral_without_a_diagnosis_asks_for_one(client, cast):
    client.force_login(cast.rita_user)
    response = client.post(reverse("referrer-referral-new"), referral_form(dx0_condition="", dx0_icd10=""))
    assert response.status_code == 422
    assert 'id="dx0_condition-error"' in text(response)


def requested(cast, provider=None):  # type: ignore[no-untyped-def]
    return Clearance.objects.create(
        patient=cast.pat,
        provider=provider or cast.rita,
        scope="scar_work",
        region="knee",
        side="right",
        status=ClearanceStatus.REQUESTED,
        requested_by=cast.tess_user,
    )


def test_referrer_sees_a_waiting_request_and_grants_it_in_one_step(client, cast):
    clearance = requested(cast)
    client.force_login(cast.rita_user)
    page = text(client.get(reverse("referrer-home")))
    assert "Scar work at the right knee</strong> for" in page
    assert "awaits your approval" in page
    response = client.post(reverse("clearance-decide", args=[clearance.public_id]), {"decision": "grant"})
    assert response.status_code == 302
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.GRANTED
    assert clearance.granted_on is not None


def test_referrer_declines_a_request(client, cast):
    clearance = requested(cast)
    client.force_login(cast.rita_user)
    client.post(reverse("clearance-decide", args=[clearance.public_id]), {"decision": "decline"})
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.DECLINED


def test_another_providers_request_is_404(client, cast):
    clearance = requested(cast, provider=cast.rob)
    client.force_login(cast.rita_user)
    response = client.post(reverse("clearance-decide", args=[clearance.public_id]), {"decision": "grant"})
    assert response.status_code == 404
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.REQUESTED


def test_referrer_grants_a_clearance_for_their_patient(client, cast):
    client.force_login(cast.rita_user)
    url = reverse("referrer-clearance", args=[cast.pat.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"clear_scope": "surgical_site", "clear_area": "shoulder:left"})
    assert response.status_code == 302
    clearance = Clearance.objects.get(patient=cast.pat)
    assert (clearance.scope, clearance.region, clearance.side) == ("surgical_site", "shoulder", "left")


def test_referrer_cannot_grant_for_someone_elses_patient(client, cast):
    client.force_login(cast.rita_user)
    assert client.get(reverse("referrer-clearance", args=[cast.paula.public_id])).status_code == 404


# --- Front desk inbox ------------------------------------------------------------------------------


def test_inbox_lists_new_referrals_with_diagnoses_and_requested_sessions(client, cast):
    referral = cast.pat.referrals.get()
    referral.diagnoses = [
        {"condition": "whiplash", "icd10": "S13.4XXA", "side": None, "onset": "2026-10-01", "areas": []}
    ]
    referral.requested_sessions = 6
    referral.requested_frequency_per_week = 2
    referral.save()
    client.force_login(cast.desk)
    page = text(client.get(reverse("referral-inbox")))
    card = page[page.index(f'id="referral-{referral.public_id}"') :]
    assert "Whiplash" in card
    assert "<code" in card
    assert "S13.4XXA" in card
    assert "6, 2 a week" in card
    assert AuditEvent.objects.filter(
        patient_id=str(cast.pat.public_id), detail__view="referral-inbox"
    ).exists()


def test_accepting_a_referral_triages_it_and_starts_the_call(client, cast):
    referral = cast.pat.referrals.get()
    client.force_login(cast.desk)
    response = client.post(reverse("referral-triage", args=[referral.public_id]), {"action": "accept"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.TRIAGED
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("desk-call"))
    call = text(client.get(response["Location"]))
    assert f'value="{referral.public_id}" checked' in call
    assert f'value="{cast.pat.public_id}" checked' in call


def test_declining_without_a_reason_is_refused_next_to_the_note(client, cast):
    referral = cast.pat.referrals.get()
    client.force_login(cast.desk)
    response = client.post(
        reverse("referral-triage", args=[referral.public_id]), {"action": "decline", "note": ""}
    )
    assert response.status_code == 422
    assert f'id="note-{referral.public_id}-error"' in text(response)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED


def test_declining_with_a_reason(client, cast):
    referral = cast.pat.referrals.get()
    client.force_login(cast.desk)
    client.post(
        reverse("referral-triage", args=[referral.public_id]), {"action": "decline", "note": "Out of area"}
    )
    referral.refresh_from_db()
    assert (referral.status, referral.status_note) == (ReferralStatus.DECLINED, "Out of area")


def test_asking_for_more_keeps_the_referral_new_with_the_question(client, cast):
    referral = cast.pat.referrals.get()
    client.force_login(cast.desk)
    client.post(
        reverse("referral-triage", args=[referral.public_id]),
        {"action": "ask", "note": "Please send the diagnosis"},
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert "Please send the diagnosis" in referral.status_note


def test_desk_records_a_faxed_referral(client, cast):
    client.force_login(cast.desk)
    data = referral_form(
        patient=str(cast.paula.public_id),
        provider=str(cast.rob.public_id),
        channel="fax",
        received_on="2026-01-20",
        clear_scope="",
        clear_area="",
    )
    response = client.post(reverse("desk-referral-new"), data)
    assert response.status_code == 302
    referral = Referral.objects.filter(patient=cast.paula, channel="fax").get()
    assert referral.provider == cast.rob
    assert referral.received_on == dt.date(2026, 1, 20)


def test_faxed_referral_needs_a_provider(client, cast):
    client.force_login(cast.desk)
    data = referral_form(patient=str(cast.paula.public_id), channel="fax", clear_scope="", clear_area="")
    response = client.post(reverse("desk-referral-new"), data)
    assert response.status_code == 422
    assert 'id="provider-error"' in text(response)
    assert not Referral.objects.filter(channel="fax").exists()


def test_a_triage_decided_on_a_stale_inbox_is_409_and_says_what_stands(client, cast):
    referral = Referral.objects.get(patient=cast.pat)
    client.force_login(cast.desk)
    inbox = client.get(reverse("referral-inbox")).content.decode()
    seen = re.search(
        rf'action="/desk/referrals/{referral.public_id}/triage/".*?name="seen" value="(\w+)"', inbox, re.S
    )
    assert seen is not None
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.DECLINED, status_note="Duplicate fax"
    )

    response = client.post(
        reverse("referral-triage", args=[referral.public_id]), {"action": "accept", "seen": seen.group(1)}
    )

    assert response.status_code == 409
    assert "It is declined now (Duplicate fax)" in text(response)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.DECLINED
