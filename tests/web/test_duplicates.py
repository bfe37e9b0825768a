"""Issue 9, item 10: a new patient matching one on file is offered as that record, on every page that registers."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.intake.models import Intake
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral

from .test_care_pages import call_form
from .test_care_referrals import referral_form


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's words, without tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


@pytest.fixture
def pat_on_file(cast):  # type: ignore[no-untyped-def]
    Patient.objects.filter(pk=cast.pat.pk).update(phone="(212) 555-0100", email="pat@example.org")
    return cast


PAT_AS_NEW = {
    "patient": "new",
    "new_given_name": "pat",
    "new_family_name": "PALMER",
    "new_birth_date": "1980-05-01",
    "new_phone": "212 555 0100",
}


# --- The first-call script -------------------------------------------------------------------------


def test_a_new_caller_matching_a_patient_is_offered_that_record(client, pat_on_file):
    cast = pat_on_file
    client.force_login(cast.desk)
    before = Patient.objects.count()

    response = client.post(reverse("desk-call"), call_form(**PAT_AS_NEW, action="save"))

    assert response.status_code == 409
    page = text(response)
    assert "This looks like Pat Palmer, born 1 May 1980" in page
    assert f'name="use_patient" value="{cast.pat.public_id}"' in html(response)
    assert 'name="confirm_new" value="1"' in html(response)
    assert (Patient.objects.count(), Intake.objects.count()) == (before, 0)
    # What was typed is kept for either answer.
    assert "Sore right wrist from typing" in page
    assert AuditEvent.objects.filter(
        patient_id=str(cast.pat.public_id), action="read", detail__view="desk-call-duplicate"
    ).exists()


def test_using_the_offered_record_saves_the_intake_there(client, pat_on_file):
    cast = pat_on_file
    client.force_login(cast.desk)

    response = client.post(reverse("desk-call"), call_form(**PAT_AS_NEW, use_patient=str(cast.pat.public_id)))

    assert response.status_code == 302
    assert Intake.objects.get().patient == cast.pat
    assert not Patient.objects.filter(given_name="pat").exists()


def test_someone_else_after_all_is_registered_once_confirmed(client, pat_on_file):
    cast = pat_on_file
    client.force_login(cast.desk)

    response = client.post(reverse("desk-call"), call_form(**PAT_AS_NEW, confirm_new="1"))

    assert response.status_code == 302
    new = Patient.objects.get(given_name="pat")
    assert new.pk != cast.pat.pk
    assert Intake.objects.get().patient == new


# --- The front desk's new referral -----------------------------------------------------------------


def _desk_referral(cast, **extra: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return referral_form(
        provider=str(cast.rob.public_id),
        channel="fax",
        received_on="2026-11-20",
        action="send",
        clear_scope="",
        clear_area="",
        **extra,
    )


def test_the_desk_records_a_faxed_referral_for_a_new_patient(client, cast):
    client.force_login(cast.desk)

    response = client.post(reverse("desk-referral-new"), _desk_referral(cast))

    assert response.status_code == 302, text(response)[:2000]
    kim = Patient.objects.get(given_name="Kim", family_name="Knee")
    assert Referral.objects.get(patient=kim).provider == cast.rob


def test_a_faxed_referral_for_a_patient_on_file_offers_that_record(client, pat_on_file):
    cast = pat_on_file
    client.force_login(cast.desk)
    before = Referral.objects.count()

    response = client.post(reverse("desk-referral-new"), _desk_referral(cast, **PAT_AS_NEW))

    assert response.status_code == 409
    page = text(response)
    assert "This looks like Pat Palmer, born 1 May 1980" in page
    assert f'name="use_patient" value="{cast.pat.public_id}"' in html(response)
    assert Referral.objects.count() == before

    used = client.post(
        reverse("desk-referral-new"), _desk_referral(cast, **PAT_AS_NEW, use_patient=str(cast.pat.public_id))
    )
    assert used.status_code == 302
    assert Referral.objects.filter(patient=cast.pat, provider=cast.rob).exists()


def test_a_faxed_referral_for_someone_else_registers_them_once_confirmed(client, pat_on_file):
    cast = pat_on_file
    client.force_login(cast.desk)

    response = client.post(reverse("desk-referral-new"), _desk_referral(cast, **PAT_AS_NEW, confirm_new="1"))

    assert response.status_code == 302
    assert Referral.objects.filter(patient__given_name="pat", provider=cast.rob).exists()


# --- The referrer's portal -------------------------------------------------------------------------


def test_a_referrer_is_not_told_their_patient_is_on_file(client, pat_on_file):
    cast = pat_on_file
    client.force_login(cast.rob_user)  # Rob never referred Pat
    form = {**referral_form(), **PAT_AS_NEW}

    response = client.post(reverse("referrer-referral-new"), form)

    # The same answer as for anyone new, and nothing of Pat's record reaches Rob.
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Referral for pat PALMER sent" in page
    held = Patient.objects.get(given_name="pat")
    assert held.suspected_duplicate_of == cast.pat
    assert "pat@example.org" not in page
    assert client.get(reverse("patient-detail", args=[cast.pat.public_id])).status_code == 404


def test_the_desk_sees_the_held_record_in_the_inbox_with_a_way_to_merge(client, pat_on_file):
    cast = pat_on_file
    client.force_login(cast.rob_user)
    client.post(reverse("referrer-referral-new"), {**referral_form(), **PAT_AS_NEW})
    held = Patient.objects.get(given_name="pat")
    client.force_login(cast.desk)

    inbox = client.get(reverse("referral-inbox"))

    assert "May be Pat Palmer, born 1 May 1980, already on file" in text(inbox)
    merge = reverse("patient-merge", args=[cast.pat.public_id])
    assert f'href="{merge}?source={held.public_id}"' in html(inbox)
