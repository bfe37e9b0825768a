"""Issue 11 in a real Chromium: the therapist writes and signs a note on a tablet mid-session, the
patient reads their progress on a phone, the referrer reads a report; no horizontal overflow, no
console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kneadwell.scheduling.models import AppointmentStatus
from tests.browser.test_homes import ConsoleErrors, sign_in

pytestmark = pytest.mark.browser

TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}


def no_horizontal_overflow(page: Page) -> None:
    page.wait_for_load_state("load")  # stylesheets applied
    wide = page.evaluate(
        """Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    ), wide


@pytest.fixture
def treated(live_cast):  # type: ignore[no-untyped-def]
    from tests.records import treatable

    treatable(live_cast)
    live_cast.pat_appointment.status = AppointmentStatus.CHECKED_IN
    live_cast.pat_appointment.save()
    return live_cast


def test_the_therapist_records_and_signs_a_note_on_the_tablet(page: Page, live_server, treated):
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, "tess")
    page.goto(f"{live_server.url}/therapist/day/?date=2026-12-01")
    page.get_by_role("link", name="Note").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session note: Pat Palmer")
    no_horizontal_overflow(page)

    # Pain before: one tap on the 0–10 row.
    page.locator(".nprs").first.get_by_text("6", exact=True).click()
    # Tap the neck on the body chart: it becomes the region for feedback and a new line.
    page.locator('.note-area[data-area="neck"]').click()
    expect(page.locator("#focus-area")).to_have_value("neck")
    # One touch: "too deep" is recorded at once (htmx), without leaving the page.
    page.get_by_role("button", name="Too deep").click()
    expect(page.locator("#feedback-list")).to_contain_text("Too deep")
    # Mark mode: a trigger point where the finger lands.
    page.locator(".mark-kind", has_text="Trigger point").click()
    page.locator('.note-area[data-area="upper_back"]').click()
    expect(page.locator("[data-mark-rows]")).to_contain_text("trigger point at upper_back")
    # Make room in the hour with the stepper, then fill the SOAP and sign.
    page.locator("[data-line]").first.get_by_role("button", name="5 minutes less").click()
    page.get_by_label("A — response to the session").fill("Tone eased at the neck.")
    page.locator(".nprs").nth(1).get_by_text("3", exact=True).click()
    page.get_by_role("button", name="Sign note").click()

    expect(page.get_by_text("Note signed.")).to_be_visible()
    expect(page.get_by_text("Amend with a reason")).to_be_visible()
    no_horizontal_overflow(page)
    assert errors == []


def test_the_patient_reads_their_progress_on_a_phone(page: Page, live_server, treated):
    from tests.records import signed_note

    signed_note(treated.tess_user, treated.pat_appointment)
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "pat")
    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
    expect(page.get_by_role("heading", name="Pain (NPRS, before each session)")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    no_horizontal_overflow(page)
    assert errors == []


def test_the_referrer_opens_a_report_on_a_tablet(page: Page, live_server, treated):
    from kneadwell.outcomes.reports import report_create
    from tests.records import signed_note

    signed_note(treated.tess_user, treated.pat_appointment)
    report_create(actor=treated.tess_user, referral=treated.pat.referrals.get())
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, "rita")
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Pat Palmer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pat Palmer")
    expect(page.get_by_text("Neck pain")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    no_horizontal_overflow(page)
    assert errors == []
