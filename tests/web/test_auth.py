"""Sign-in, sign-out and the two-factor requirement for clinic admins, through the real allauth views."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse

from tests.cast import PASSWORD


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client, login: str) -> object:  # type: ignore[no-untyped-def]
    return client.post(reverse("account_login"), {"login": login, "password": PASSWORD})


def test_login_page_uses_the_kneadwell_layout_without_a_signup_link(client, db):
    body = client.get(reverse("account_login")).content.decode()
    assert 'class="skip-link"' in body
    assert '<main id="main"' in body
    assert '<label for="id_login">Username or e-mail</label>' in body
    assert '<label for="id_password">Password</label>' in body
    assert "sign up" not in body.lower()
    assert reverse("account_signup") not in body


@pytest.mark.parametrize("login", ["desk", "desk@example.org"])
def test_front_desk_signs_in_by_username_or_email_and_lands_on_today(client, cast, login):
    response = sign_in(client, login)
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("desk-today")


def test_wrong_password_shows_an_error_and_keeps_the_login(client, cast):
    response = client.post(reverse("account_login"), {"login": "desk", "password": "wrong-password"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-errors"' in body
    assert 'value="desk"' in body


def test_sign_out_is_a_post_from_the_user_menu(client, cast):
    client.force_login(cast.desk)
    page = client.get(reverse("desk-today")).content.decode()
    assert f'action="{reverse("account_logout")}"' in page
    client.post(reverse("account_logout"))
    assert client.get(reverse("desk-today")).status_code == 302


def test_admin_without_an_authenticator_is_sent_to_set_up_a_second_factor(client, cast):
    client.force_login(cast.admin)
    response = client.get(reverse("admin-home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")


def test_admin_without_an_authenticator_cannot_reach_the_django_admin(client, cast):
    client.force_login(cast.admin)
    response = client.get("/admin/")
    assert response["Location"] == reverse("mfa_index")


def reach_totp_activation(client):  # type: ignore[no-untyped-def]
    """Sign in as the admin; allauth asks for the password once more before adding an authenticator."""
    sign_in(client, "admin")
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauth_page = client.get(response["Location"]).content.decode()
    assert 'class="skip-link"' in reauth_page
    client.post(response["Location"], {"password": PASSWORD})
    return client.get(reverse("mfa_activate_totp"))


def test_totp_activation_page_renders_in_the_kneadwell_layout(client, cast):
    response = reach_totp_activation(client)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Activate Authenticator App" in body
    assert 'class="skip-link"' in body
    assert 'href="/static/kneadwell/app.css"' in body


def test_admin_activates_totp_then_reaches_settings(client, cast):
    reach_totp_activation(client)
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=cast.admin, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("admin-home")).status_code == 200


def test_admin_with_an_authenticator_must_enter_a_code_to_sign_in(client, cast):
    secret = generate_totp_secret()
    TOTP.activate(cast.admin, secret)
    response = sign_in(client, "admin")
    assert response["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'class="skip-link"' in page
    assert client.get(reverse("admin-home")).status_code == 302  # not signed in yet
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.get(reverse("admin-home")).status_code == 200


def test_django_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
