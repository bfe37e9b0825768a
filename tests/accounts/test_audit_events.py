"""What the audit trail records besides chart reads: sign-ins, lockouts, second factors, tokens, denials, the admin."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.http import Http404
from django.urls import reverse

from kneadwell.accounts.audit import verify_chain
from kneadwell.accounts.models import ApiToken, AuditAction, AuditEvent
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import token_authenticate, token_create, token_revoke
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from tests.cast import PASSWORD


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def sign_in(client, login: str, password: str = PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post(reverse("account_login"), {"login": login, "password": password}, **extra)


# ---------------------------------------------------------------------------------- sign-in


def test_a_successful_sign_in_is_recorded_with_the_client_address(client, cast):
    sign_in(client, "pat", REMOTE_ADDR="198.51.100.7")
    (event,) = events(AuditAction.LOGIN)
    assert (event.actor, event.channel, event.ip) == (cast.pat_user, "web", "198.51.100.7")
    assert event.detail["methods"] == ["password"]


def test_a_failed_sign_in_is_recorded_under_the_login_typed(client, cast):
    sign_in(client, "Pat", "wrong-password-here", REMOTE_ADDR="198.51.100.7")
    (event,) = events(AuditAction.LOGIN_FAILED)
    assert (event.actor, event.actor_username, event.ip) == (None, "pat", "198.51.100.7")
    assert not events(AuditAction.LOGIN)


def test_a_lockout_is_recorded_once_not_per_refused_try(client, cast):
    for _ in range(8):
        sign_in(client, "pat", "wrong-password-here")
    assert len(events(AuditAction.LOGIN_FAILED)) == 5
    (lockout,) = events(AuditAction.LOCKOUT)
    assert lockout.actor_username == "pat"


def test_signing_out_is_recorded(client, cast):
    sign_in(client, "pat")
    client.post(reverse("account_logout"))
    (event,) = events(AuditAction.LOGOUT)
    assert event.actor == cast.pat_user


def test_a_sign_in_with_a_second_factor_records_both_methods(client, cast):
    from tests.web.test_auth import current_code

    secret = generate_totp_secret()
    TOTP.activate(cast.pat_user, secret)
    sign_in(client, "pat")
    assert not events(AuditAction.LOGIN)  # not signed in until the code is given
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert len(events(AuditAction.MFA_FAILED)) == 1
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    (event,) = events(AuditAction.LOGIN)
    assert event.detail["methods"] == ["password", "mfa"]


# ---------------------------------------------------------------------------------- second factors


def test_adding_and_removing_an_authenticator_app_is_recorded(
    client, cast, django_capture_on_commit_callbacks
):
    from tests.web.test_auth import current_code

    sign_in(client, "pat")
    response = client.get(reverse("mfa_activate_totp"))
    client.post(response["Location"], {"password": PASSWORD})  # allauth asks for the password again
    client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    added = events(AuditAction.MFA_ADDED)
    # allauth makes recovery codes with the first factor.
    assert [e.detail["type"] for e in added] == ["totp", "recovery_codes"]
    assert added[0].actor == cast.pat_user

    client.post(reverse("mfa_deactivate_totp"))
    # Removing the last factor also removes the recovery codes made with it.
    assert [e.detail["type"] for e in events(AuditAction.MFA_REMOVED)] == ["totp", "recovery_codes"]
    assert not Authenticator.objects.filter(user=cast.pat_user, type="totp").exists()


# ---------------------------------------------------------------------------------- tokens


def test_creating_and_revoking_a_token_is_recorded(cast):
    issued = token_create(user=cast.desk, name="laptop")
    token_revoke(token=issued.token)
    created, revoked = events(AuditAction.TOKEN_CREATED), events(AuditAction.TOKEN_REVOKED)
    assert [e.object_id for e in created + revoked] == [str(issued.token.public_id)] * 2
    assert created[0].detail == {"prefix": issued.token.prefix, "user": "desk", "name": "laptop"}
    assert created[0].actor_username.startswith("os:")  # made on the server's command line


def test_the_first_use_of_a_token_each_day_is_recorded_once(cast):
    issued = token_create(user=cast.desk)
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(3):
            assert token_authenticate(issued.secret) == cast.desk
        clock.shift(dt.timedelta(hours=3))
        token_authenticate(issued.secret)
        assert len(events(AuditAction.TOKEN_USED)) == 1
        clock.move_to(dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC))
        token_authenticate(issued.secret)
    used = events(AuditAction.TOKEN_USED)
    assert len(used) == 2
    assert used[0].actor == cast.desk


def test_a_token_in_steady_use_is_written_at_most_every_few_minutes(cast, django_assert_num_queries):
    issued = token_create(user=cast.desk)
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC), tick=False) as clock:
        token_authenticate(issued.secret)  # first use: written (and audited)
        clock.shift(dt.timedelta(minutes=1))
        with django_assert_num_queries(1):  # the lookup only: no write
            token_authenticate(issued.secret)
        clock.shift(dt.timedelta(minutes=5))
        token_authenticate(issued.secret)
    assert ApiToken.objects.get().last_used_at == dt.datetime(2026, 12, 2, 9, 6, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------- out of scope


def test_an_out_of_scope_attempt_records_the_id_tried_and_whose_chart_it_is(cast, rf):
    request = rf.get(f"/patients/{cast.paula.public_id}/", REMOTE_ADDR="203.0.113.9")
    request.user = cast.pat_user
    with pytest.raises(Http404):
        get_in_scope_or_404(patient_scope(cast.pat_user), cast.paula.public_id, request=request)
    (event,) = events(AuditAction.DENIED)
    assert (event.actor, event.object_type, event.object_id) == (
        cast.pat_user,
        "patient",
        str(cast.paula.public_id),
    )
    assert (event.patient_id, event.ip, event.detail) == (
        str(cast.paula.public_id),
        "203.0.113.9",
        {"reason": "out_of_scope"},
    )


def test_a_guess_that_matches_nothing_is_recorded_as_such(cast):
    with pytest.raises(Http404):
        get_in_scope_or_404(
            patient_scope(cast.pat_user), "00000000-0000-0000-0000-000000000000", actor=cast.pat_user
        )
    with pytest.raises(Http404):
        get_in_scope_or_404(patient_scope(cast.pat_user), "' OR 1=1 --", actor=cast.pat_user)
    assert [e.detail["reason"] for e in events(AuditAction.DENIED)] == ["not_found", "malformed_id"]
    assert [e.patient_id for e in events(AuditAction.DENIED)] == ["", ""]


def test_without_a_request_or_actor_nothing_is_recorded(cast):
    # The existing call sites keep their behaviour until they pass the request.
    with pytest.raises(Http404):
        get_in_scope_or_404(patient_scope(cast.pat_user), cast.paula.public_id)
    assert not AuditEvent.objects.exists()


def test_an_in_scope_fetch_records_no_denial(cast):
    found = get_in_scope_or_404(patient_scope(cast.pat_user), cast.pat.public_id, actor=cast.pat_user)
    assert found == cast.pat
    assert not AuditEvent.objects.exists()


# ---------------------------------------------------------------------------------- the Django admin


@pytest.fixture
def admin_client(client, cast):  # type: ignore[no-untyped-def]
    TOTP.activate(cast.admin, generate_totp_secret())
    client.force_login(cast.admin)
    return client


def test_the_admin_patient_list_records_every_patient_shown(admin_client, cast):
    response = admin_client.get(reverse("admin:patients_patient_changelist"))
    assert response.status_code == 200
    reads = AuditEvent.objects.filter(channel="admin", action=AuditAction.READ)
    assert set(reads.values_list("patient_id", flat=True)) == {
        str(cast.pat.public_id),
        str(cast.paula.public_id),
    }
    assert {e.object_type for e in reads} == {"patients.patient"}


def test_an_admin_change_page_records_the_read(admin_client, cast):
    url = reverse("admin:patients_patient_change", args=[cast.pat.pk])
    assert admin_client.get(url).status_code == 200
    (read,) = AuditEvent.objects.filter(channel="admin", action=AuditAction.READ)
    assert (read.object_id, read.patient_id, read.actor) == (
        str(cast.pat.public_id),
        str(cast.pat.public_id),
        cast.admin,
    )
    assert read.detail == {"view": "change"}


def test_an_admin_edit_of_a_related_row_is_recorded_under_its_patient(admin_client, cast):
    referral = cast.pat.referrals.first()
    page = admin_client.get(reverse("admin:referrals_referral_change", args=[referral.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(reason="Neck pain, worse at night", diagnoses="[]", areas="[]")
    data = {k: v for k, v in data.items() if v is not None}
    response = admin_client.post(reverse("admin:referrals_referral_change", args=[referral.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    (change,) = AuditEvent.objects.filter(channel="admin", action=AuditAction.UPDATE)
    assert (change.object_type, change.patient_id) == ("referrals.referral", str(cast.pat.public_id))
    assert "Reason" in str(change.detail["change"])


def test_an_admin_deletion_is_recorded_before_the_row_goes(admin_client, cast):
    from kneadwell.therapists.models import Licence

    licence = Licence.objects.filter(therapist=cast.theo).first()
    response = admin_client.post(
        reverse("admin:therapists_licence_delete", args=[licence.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    (deletion,) = AuditEvent.objects.filter(channel="admin", action=AuditAction.DELETE)
    assert (deletion.object_type, deletion.object_id, deletion.detail["count"]) == (
        "therapists.licence",
        str(licence.public_id),
        1,
    )
    assert verify_chain().ok


def test_every_registered_model_admin_is_audited():
    from django.contrib import admin

    from kneadwell.accounts.admin_site import AuditedModelAdmin

    assert all(isinstance(model_admin, AuditedModelAdmin) for model_admin in admin.site._registry.values())
    assert Patient in admin.site._registry
