"""The named action permissions, role by role: services check these, so every interface agrees."""

from __future__ import annotations

import pytest

from kneadwell.planning.models import CarePlan

ROLES = ("clinic_admin", "front_desk", "therapist", "patient", "referrer")

# permission -> the roles that hold it (without an object, or for an object every holder may touch)
GLOBAL = {
    "patients.add_patient": {"clinic_admin", "front_desk"},
    "patients.add_referred_patient": {"clinic_admin", "front_desk", "referrer"},
    "referrals.add_referral": {"clinic_admin", "front_desk", "referrer"},
    "referrals.change_referral": {"clinic_admin", "front_desk"},
    "referrals.add_clearance": {"clinic_admin", "front_desk", "referrer"},
    "referrals.request_clearance": {"clinic_admin", "front_desk", "therapist"},
    "planning.add_careplan": {"clinic_admin", "front_desk", "therapist"},
    "planning.change_careplan": {"clinic_admin", "front_desk", "therapist"},
    "planning.add_handoff": {"therapist"},
    "accounts.view_auditevent": {"clinic_admin"},
}


@pytest.mark.parametrize("perm", sorted(GLOBAL))
@pytest.mark.parametrize("role", ROLES)
def test_role_permissions(cast, perm: str, role: str) -> None:
    user = cast.user(role)
    # The cast's clinic admin is also a Django superuser, who holds every permission by definition.
    assert user.has_perm(perm) == (role in GLOBAL[perm] or user.is_superuser)


def test_an_intake_is_recorded_by_care_staff_or_by_the_patient_themself(cast) -> None:
    assert cast.desk.has_perm("intake.add_intake", cast.pat)
    assert cast.tess_user.has_perm("intake.add_intake", cast.pat)
    assert cast.pat_user.has_perm("intake.add_intake", cast.pat)
    assert not cast.pat_user.has_perm("intake.add_intake", cast.paula)
    assert not cast.rita_user.has_perm("intake.add_intake", cast.pat)


def test_a_patient_changes_only_their_own_record(cast) -> None:
    assert cast.pat_user.has_perm("patients.change_own_patient", cast.pat)
    assert not cast.pat_user.has_perm("patients.change_own_patient", cast.paula)
    assert not cast.desk.has_perm("patients.change_own_patient", cast.pat)


def test_only_the_asked_provider_decides_a_clearance(cast) -> None:
    from kneadwell.referrals.models import Clearance

    asked_rita = Clearance(patient=cast.pat, provider=cast.rita, scope="scar_work", status="requested")
    assert cast.rita_user.has_perm("referrals.decide_clearance", asked_rita)
    assert not cast.rob_user.has_perm("referrals.decide_clearance", asked_rita)
    assert not cast.desk.has_perm("referrals.decide_clearance", asked_rita)
    assert not cast.pat_user.has_perm("referrals.decide_clearance", asked_rita)


def test_a_plan_is_approved_by_the_therapist_it_is_drafted_for(cast) -> None:
    for_tess = CarePlan(patient=cast.pat, therapist=cast.tess)
    unassigned = CarePlan(patient=cast.pat, therapist=None)
    assert cast.tess_user.has_perm("planning.approve_careplan", for_tess)
    assert not cast.theo_user.has_perm("planning.approve_careplan", for_tess)
    assert cast.theo_user.has_perm("planning.approve_careplan", unassigned)
    assert not cast.desk.has_perm("planning.approve_careplan", unassigned)
