"""A front-desk account must add a second factor; a security key (WebAuthn) works, under the strict CSP.

Chromium's virtual authenticator (DevTools protocol) stands in for a passkey or hardware key.
"""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from kneadwell.accounts.models import SecurityPolicy
from tests.browser.test_homes import ConsoleErrors, sign_in
from tests.cast import PASSWORD

pytestmark = pytest.mark.browser


def virtual_authenticator(page: Page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_front_desk_adds_a_security_key_and_signs_in_with_it(page: Page, live_server, live_cast):
    SecurityPolicy.objects.create(clinician_mfa=True)
    errors = ConsoleErrors()
    errors.attach(page)
    virtual_authenticator(page)

    sign_in(page, live_server.url, "desk")
    # Sent to set up a second factor before anything else.
    expect(page.get_by_text("set up two-factor authentication to continue")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks for the password again
    page.get_by_role("button", name="Confirm").click()
    page.locator("#id_name").fill("Front desk key")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert errors == []
    assert Authenticator.objects.filter(user=live_cast.desk, type=Authenticator.Type.WEBAUTHN).exists()

    page.goto(f"{live_server.url}/desk/today/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today at")

    # Next time: password, then the key.
    page.get_by_role("navigation", name="Account").get_by_text("Dana Desk").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, "desk")
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today at")
    assert errors == []
