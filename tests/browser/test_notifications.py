"""Messages that did not go out, on the front desk's Today page, and the patient's contact choices in the
portal: usable on a 390-pixel phone and a 1280-pixel desktop, with no console errors (no inline script)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kneadwell.lib.clock import now
from kneadwell.notifications.models import ContactPreference, Message, MessageStatus
from tests.browser.test_homes import ConsoleErrors, sign_in

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)
REFUSED = (
    "SMTPRecipientsRefused: {'pat.palmer.with.a.rather.long.address@example-clinic-patients.org': "
    "(550, b'5.1.1 Recipient address rejected: User unknown')}"
)


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _failed(cast, kind: str, reason: str) -> Message:  # type: ignore[no-untyped-def]
    at = now()
    return Message.objects.create(
        kind=kind,
        channel="email",
        status=MessageStatus.FAILED,
        patient=cast.pat,
        appointment=cast.pat_appointment,
        appointment_start=cast.pat_appointment.start,
        recipient="pat.palmer.with.a.rather.long.address@example-clinic-patients.org",
        due_at=at,
        next_attempt_at=at,
        attempts=1,
        max_attempts=6,
        reason=reason,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_front_desk_sees_a_failed_message_and_acts_on_it(page: Page, live_server, live_cast, width):
    reminder = _failed(live_cast, "reminder", REFUSED)
    confirmation = _failed(
        live_cast, "confirmation", "No e-mail address on file: add one to the patient, then retry."
    )
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "desk")

    panel = page.get_by_role("region", name="Messages that did not go out")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("User unknown")
    expect(panel).to_contain_text("Pat Palmer")
    assert _overflow(page) == 0

    panel.get_by_role("button", name="Retry the message to Pat Palmer").first.click()
    expect(page.get_by_text("is being sent again")).to_be_visible()
    first_retried = Message.objects.get(status=MessageStatus.RETRYING)

    remaining = page.get_by_role("region", name="Messages that did not go out")
    remaining.get_by_label("How it was handled").fill("Called Pat: confirmed by phone")
    remaining.get_by_role("button", name="Mark handled for Pat Palmer").click()
    expect(page.get_by_text("Marked as handled")).to_be_visible()
    expect(page.get_by_role("region", name="Messages that did not go out")).to_have_count(0)

    handled = ({reminder.pk, confirmation.pk} - {first_retried.pk}).pop()
    message = Message.objects.get(pk=handled)
    assert message.status == MessageStatus.FAILED
    assert message.handled_note == "Called Pat: confirmed by phone"
    assert _overflow(page) == 0
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_patient_sets_how_we_contact_them(page: Page, live_server, live_cast, width):
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "pat")
    page.get_by_role("link", name="How we contact you").click()
    expect(page.get_by_role("heading", name="How we contact you", level=1)).to_be_visible()
    assert _overflow(page) == 0

    page.get_by_label("Send me text messages").check()
    page.get_by_label("Mobile number").fill("312 555 0123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("country code")
    expect(page.get_by_label("Mobile number")).to_have_attribute("aria-invalid", "true")
    assert not ContactPreference.objects.exists()

    page.get_by_label("Mobile number").fill("+1 312 555 0123")
    page.get_by_label("Remind me before each visit").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    saved = ContactPreference.objects.get(patient=live_cast.pat)
    assert (saved.sms_enabled, saved.sms_number, saved.reminders_enabled) == (True, "+13125550123", False)
    expect(page.get_by_label("Send me text messages")).to_be_checked()
    assert _overflow(page) == 0
    # Chromium reports the refused form's 422 answer on the console; nothing else may be there.
    assert [e for e in errors if "status of 422" not in e] == []
