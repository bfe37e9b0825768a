"""Referral journeys and clearances: who may do what, and the rules each step keeps."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.referrals.models import Clearance, ClearanceStatus, Referral, ReferralStatus
from kneadwell.referrals.services import (
    clearance_decide,
    clearance_grant,
    clearance_request,
    referral_ask_more,
    referral_create,
    referral_set_status,
    referral_version,
)

WHIPLASH = [DiagnosisIn(condition="whiplash", onset=dt.date(2026, 10, 1))]
KNEE = AreaIn(region="knee", side="right")


def test_a_referrer_always_refers_in_their_own_name(cast):
    referral = referral_create(actor=cast.rita_user, patient=cast.pat, diagnoses=WHIPLASH)
    assert referral.provider == cast.rita
    with pytest.raises(PermissionDenied):
        referral_create(actor=cast.rita_user, patient=cast.pat, provider=cast.rob, diagnoses=WHIPLASH)


def test_the_front_desk_must_name_the_provider_of_a_faxed_referral(cast):
    with pytest.raises(DomainError) as exc:
        referral_create(actor=cast.desk, patient=cast.pat, diagnoses=WHIPLASH, channel="fax")
    assert exc.value.field == "provider"
    referral = referral_create(
        actor=cast.desk, patient=cast.pat, provider=cast.rob, diagnoses=WHIPLASH, channel="fax"
    )
    assert (referral.provider, referral.channel) == (cast.rob, "fax")


@pytest.mark.parametrize("username", ["pat", "tess"])
def test_patients_and_therapists_do_not_record_referrals(cast, username):
    user = type(cast.admin).objects.get(username=username)
    with pytest.raises(PermissionDenied):
        referral_create(actor=user, patient=cast.pat, provider=cast.rita, diagnoses=WHIPLASH)


def test_a_referral_needs_a_diagnosis(cast):
    with pytest.raises(DomainError) as exc:
        referral_create(actor=cast.rita_user, patient=cast.pat, diagnoses=[])
    assert exc.value.field == "diagnoses"


def test_a_referral_moves_along_its_journey_only(cast):
    referral = Referral.objects.get(patient=cast.pat)
    for status in (
        ReferralStatus.TRIAGED,
        ReferralStatus.SCHEDULED,
        ReferralStatus.IN_CARE,
        ReferralStatus.DISCHARGED,
    ):
        referral_set_status(actor=cast.desk, referral=referral, status=status)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.DISCHARGED
    with pytest.raises(DomainError):
        referral_set_status(actor=cast.desk, referral=referral, status=ReferralStatus.RECEIVED)


def test_declining_needs_a_reason(cast):
    referral = Referral.objects.get(patient=cast.pat)
    with pytest.raises(DomainError) as exc:
        referral_set_status(actor=cast.desk, referral=referral, status=ReferralStatus.DECLINED)
    assert exc.value.field == "note"
    referral_set_status(
        actor=cast.desk, referral=referral, status=ReferralStatus.DECLINED, note="Out of area"
    )
    assert Referral.objects.get(pk=referral.pk).status_note == "Out of area"


def test_scar_work_is_cleared_for_a_region(cast):
    with pytest.raises(DomainError) as exc:
        clearance_grant(actor=cast.rita_user, patient=cast.pat, scope="scar_work")
    assert exc.value.field == "region"
    clearance = clearance_grant(actor=cast.rita_user, patient=cast.pat, scope="scar_work", area=KNEE)
    assert (clearance.region, clearance.side, clearance.status) == ("knee", "right", ClearanceStatus.GRANTED)
    assert clearance.provider == cast.rita


def test_a_clearance_cannot_expire_before_it_is_granted(cast):
    with pytest.raises(DomainError) as exc:
        clearance_grant(
            actor=cast.desk,
            patient=cast.pat,
            provider=cast.rita,
            scope="pregnancy",
            granted_on=dt.date(2026, 11, 1),
            expires_on=dt.date(2026, 10, 1),
        )
    assert exc.value.field == "expires_on"
    assert not Clearance.objects.exists()


def test_a_requested_clearance_is_decided_once_by_the_provider_asked(cast):
    asked = clearance_request(
        actor=cast.tess_user, patient=cast.pat, provider=cast.rita, scope="scar_work", area=KNEE
    )
    assert asked.status == ClearanceStatus.REQUESTED
    with pytest.raises(PermissionDenied):
        clearance_decide(actor=cast.rob_user, clearance=asked, grant=True)
    with pytest.raises(PermissionDenied):
        clearance_decide(actor=cast.desk, clearance=asked, grant=True)
    decided = clearance_decide(actor=cast.rita_user, clearance=asked, grant=True)
    assert decided.status == ClearanceStatus.GRANTED
    assert decided.granted_on is not None
    with pytest.raises(DomainError):
        clearance_decide(actor=cast.rita_user, clearance=decided, grant=False)


def test_a_declined_request_grants_nothing(cast):
    asked = clearance_request(actor=cast.desk, patient=cast.pat, provider=cast.rita, scope="pregnancy")
    decided = clearance_decide(actor=cast.rita_user, clearance=asked, grant=False, note="Not yet")
    assert (decided.status, decided.granted_on) == (ClearanceStatus.DECLINED, None)


def test_a_question_to_the_referrer_is_only_for_an_open_referral(cast):
    referral = Referral.objects.get(patient=cast.pat)
    referral_set_status(
        actor=cast.desk, referral=referral, status=ReferralStatus.DECLINED, note="Out of area"
    )
    with pytest.raises(Conflict) as exc:
        referral_ask_more(actor=cast.desk, referral=referral, note="Send the imaging")
    assert exc.value.current == {"status": "declined", "status_note": "Out of area"}
    assert Referral.objects.get(pk=referral.pk).status_note == "Out of area"


def test_a_decision_taken_on_what_the_page_showed_is_refused_once_that_changed(cast):
    shown = Referral.objects.get(patient=cast.pat)
    seen = referral_version(shown)
    referral_ask_more(actor=cast.desk, referral=Referral.objects.get(pk=shown.pk), note="Send the imaging")
    with pytest.raises(Conflict) as exc:
        referral_set_status(
            actor=cast.desk,
            referral=Referral.objects.get(pk=shown.pk),
            status=ReferralStatus.TRIAGED,
            seen_version=seen,
        )
    assert exc.value.current == {"status": "received", "status_note": "Asked the referrer: Send the imaging"}
    assert Referral.objects.get(pk=shown.pk).status == ReferralStatus.RECEIVED


def test_a_decision_on_a_stale_copy_loses_to_the_stored_one(cast):
    asked = clearance_request(actor=cast.desk, patient=cast.pat, provider=cast.rita, scope="pregnancy")
    stale = Clearance.objects.get(pk=asked.pk)
    clearance_decide(actor=cast.rita_user, clearance=asked, grant=True)
    with pytest.raises(Conflict) as exc:
        clearance_decide(actor=cast.rita_user, clearance=stale, grant=False)
    assert exc.value.current is not None
    assert exc.value.current["status"] == ClearanceStatus.GRANTED
    assert Clearance.objects.get(pk=asked.pk).status == ClearanceStatus.GRANTED
