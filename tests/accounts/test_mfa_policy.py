"""Who must use a second factor: everyone who can reach the Django admin or other patients' charts."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from kneadwell.accounts.adapter import MFAAdapter
from kneadwell.accounts.models import Role, SecurityPolicy, User
from kneadwell.accounts.policy import mfa_required

HOME = {
    "admin": "admin-home",
    "desk": "desk-today",
    "tess": "therapist-day",
    "pat": "patient-home",
    "rita": "referrer-home",
}


@pytest.fixture
def clinician_mfa(db):  # type: ignore[no-untyped-def]
    """The policy as a real clinic has it by default: front desk and therapists need a second factor."""
    return SecurityPolicy.objects.create(clinician_mfa=True)


def reach(client, user, url_name: str):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(reverse(url_name))


def test_a_superuser_made_by_createsuperuser_must_add_a_second_factor(client, cast):
    # createsuperuser gives the default role (patient): the admin and every chart, no second factor.
    root = User.objects.create_superuser("root", "root@example.org", "a-long-root-password")
    assert root.role == Role.PATIENT
    response = reach(client, root, "admin:patients_patient_changelist")
    assert response["Location"] == reverse("mfa_index")


def test_django_admin_staff_of_any_role_must_add_a_second_factor(client, cast):
    cast.rita_user.is_staff = True
    cast.rita_user.save()
    assert reach(client, cast.rita_user, "referrer-home")["Location"] == reverse("mfa_index")


@pytest.mark.parametrize("username", ["desk", "tess"])
def test_front_desk_and_therapists_need_one_by_default(client, cast, clinician_mfa, username):
    user = User.objects.get(username=username)
    assert reach(client, user, HOME[username])["Location"] == reverse("mfa_index")


@pytest.mark.parametrize("username", ["desk", "tess"])
def test_a_clinic_admin_can_turn_that_off_for_front_desk_and_therapists(client, cast, username):
    SecurityPolicy.objects.create(clinician_mfa=False)
    user = User.objects.get(username=username)
    assert reach(client, user, HOME[username]).status_code == 200


def test_the_policy_default_is_on_outside_the_test_suite(settings):
    settings.KNEADWELL_CLINICIAN_MFA_DEFAULT = True
    assert SecurityPolicy().clinician_mfa is True


@pytest.mark.parametrize("username", ["pat", "rita"])
def test_patients_and_referrers_are_not_forced(client, cast, clinician_mfa, username):
    user = User.objects.get(username=username)
    assert reach(client, user, HOME[username]).status_code == 200


def test_with_an_authenticator_app_they_get_through(client, cast, clinician_mfa):
    TOTP.activate(cast.desk, generate_totp_secret())
    assert reach(client, cast.desk, "desk-today").status_code == 200


def test_recovery_codes_alone_are_not_a_second_factor(cast, clinician_mfa):
    from kneadwell.accounts.policy import has_second_factor

    Authenticator.objects.create(user=cast.desk, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert not has_second_factor(cast.desk)


def test_the_demo_switch_turns_the_requirement_off(client, cast, settings, clinician_mfa):
    settings.KNEADWELL_REQUIRE_ADMIN_MFA = False
    assert reach(client, cast.admin, "admin-home").status_code == 200
    assert not mfa_required(cast.desk, clinician_mfa)


def test_the_set_up_pages_stay_reachable(client, cast, clinician_mfa):
    client.force_login(cast.desk)
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("mfa_add_webauthn")).status_code in (200, 302)  # 302: asks the password again


def test_someone_who_must_have_one_cannot_remove_their_last(cast, clinician_mfa):
    totp = TOTP.activate(cast.desk, generate_totp_secret()).instance
    assert not MFAAdapter().can_delete_authenticator(totp)
    second = Authenticator.objects.create(user=cast.desk, type=Authenticator.Type.WEBAUTHN, data={})
    assert MFAAdapter().can_delete_authenticator(totp)
    assert MFAAdapter().can_delete_authenticator(second)


def test_others_may_remove_theirs(cast, clinician_mfa):
    totp = TOTP.activate(cast.pat_user, generate_totp_secret()).instance
    assert MFAAdapter().can_delete_authenticator(totp)


def test_security_keys_and_passkeys_are_offered(client, cast):
    client.force_login(cast.pat_user)
    page = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_add_webauthn") in page
    assert reverse("mfa_activate_totp") in page
