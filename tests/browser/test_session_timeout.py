"""The idle-timeout warning in a real browser: it appears, counts down, and "Stay signed in" keeps the session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kneadwell.accounts import context_processors, middleware
from kneadwell.accounts.models import SecurityPolicy
from tests.browser.test_homes import ConsoleErrors, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def short_timeout(live_cast, monkeypatch):  # type: ignore[no-untyped-def]
    # Three minutes idle, warned 175 s before: the warning comes about five seconds after a page loads.
    SecurityPolicy.objects.create(patient_idle_minutes=3)
    monkeypatch.setattr(context_processors, "SESSION_WARN_SECONDS", 175)
    monkeypatch.setattr(middleware, "SEEN_RESOLUTION", 0)  # every request counts, even seconds apart
    return live_cast


def test_the_warning_appears_and_staying_signed_in_dismisses_it(page: Page, live_server, short_timeout):
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "pat")
    expect(page.get_by_role("heading", level=1)).to_contain_text("My appointments")

    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible(timeout=15_000)
    expect(dialog.get_by_role("timer")).to_have_text(re.compile(r"^[0-2]:\d\d$"))
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My appointments")  # still signed in
    assert errors == []  # and nothing the Content-Security-Policy refused
