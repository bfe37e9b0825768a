"""Automatic logoff: an idle timeout by role, an absolute lifetime, and a warning the page can give."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kneadwell.accounts.models import AuditAction, AuditEvent, SecurityPolicy
from tests.cast import PASSWORD

START = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signed_in(client, username: str):  # type: ignore[no-untyped-def]
    response = client.post(reverse("account_login"), {"login": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def after(client, clock, minutes: float, url: str):  # type: ignore[no-untyped-def]
    clock.shift(dt.timedelta(minutes=minutes))
    return client.get(url)


@pytest.mark.parametrize(
    ("username", "url_name", "limit"),
    [("desk", "desk-today", 15), ("pat", "patient-home", 30), ("rita", "referrer-home", 30)],
)
def test_an_idle_session_ends_after_the_roles_timeout(client, cast, clock, username, url_name, limit):
    url = reverse(url_name)
    signed_in(client, username)
    assert after(client, clock, limit - 1, url).status_code == 200  # activity: the clock restarts
    assert after(client, clock, limit - 1, url).status_code == 200
    response = after(client, clock, limit + 1, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    (event,) = AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED)
    assert event.detail == {"reason": "idle", "limit_minutes": limit}
    assert not AuditEvent.objects.filter(action=AuditAction.LOGOUT).exists()


def test_the_clinic_sets_the_timeouts(client, cast, clock):
    SecurityPolicy.objects.create(staff_idle_minutes=5)
    signed_in(client, "desk")
    assert after(client, clock, 6, reverse("desk-today")).status_code == 302


def test_an_active_session_still_ends_at_its_lifetime(client, cast, clock):
    url = reverse("patient-home")
    signed_in(client, "pat")
    for _ in range(12 * 60 // 20):  # a request every 20 minutes for 12 hours
        assert after(client, clock, 20, url).status_code == 200
    response = after(client, clock, 20, url)
    assert response.status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.SESSION_EXPIRED).detail["reason"] == "lifetime"


def test_an_htmx_request_is_sent_to_the_sign_in_page_as_a_whole(client, cast, clock):
    signed_in(client, "desk")
    response = after(client, clock, 16, reverse("desk-today"))
    assert response.status_code == 302  # a full page: a plain redirect
    signed_in(client, "desk")
    clock.shift(dt.timedelta(minutes=16))
    response = client.get(reverse("desk-today"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("account_login"))


def test_the_page_tells_its_warning_script_how_long_is_left(client, cast, clock):
    signed_in(client, "desk")
    clock.shift(dt.timedelta(minutes=2))
    body = client.get(reverse("desk-today")).content.decode()
    assert 'data-session-left="900"' in body
    assert f'data-session-status="{reverse("session-status")}"' in body
    assert 'src="/static/kneadwell/session-timeout.js"' in body


def test_asking_how_long_is_left_is_not_activity_but_staying_is(client, cast, clock):
    status = reverse("session-status")
    signed_in(client, "desk")
    clock.shift(dt.timedelta(minutes=10))
    assert client.get(status).json() == {"signed_in": True, "seconds_left": 300}
    clock.shift(dt.timedelta(minutes=4))
    assert client.get(status).json()["seconds_left"] == 60
    assert client.post(status).json()["seconds_left"] == 900
    clock.shift(dt.timedelta(minutes=16))
    response = client.get(status)
    assert response.status_code == 401
    assert response.json() == {"signed_in": False}


def test_an_anonymous_page_gets_no_warning_script(client, db):
    body = client.get(reverse("account_login")).content.decode()
    assert "session-timeout.js" not in body
    assert "data-session-left" not in body
