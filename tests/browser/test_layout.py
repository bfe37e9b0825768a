"""Pages fit the screen: no horizontal scrolling on a 390-pixel phone or a 1280-pixel desktop.

The referrer's table (stacked into cards on a phone), the new-referral form and the patient search
are the pages a first review found spilling over the edge.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_homes import ConsoleErrors, sign_in

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)


def _overflow(page: Page) -> int:
    """How far the page scrolls sideways (0 when everything fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _busy_referrer(cast) -> None:  # type: ignore[no-untyped-def]
    """Rita with several referrals with long reasons, so the table is as wide as it gets."""
    from kneadwell.knowledge.schemas import DiagnosisIn
    from kneadwell.referrals.services import referral_create

    for patient in (cast.pat, cast.paula):
        referral_create(
            actor=cast.desk,
            patient=patient,
            provider=cast.rita,
            reason="Post-operative scar adhesion after a right knee arthroscopy ten weeks ago; please assess",
            diagnoses=[DiagnosisIn(condition="low_back_pain", icd10="M54.50", onset=dt.date(2026, 9, 1))],
            requested_sessions=10,
        )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("username", "path", "heading"),
    [
        ("rita", "/referrer/", "My referred patients"),
        ("rita", "/referrer/referrals/new/", "Send a referral"),
        ("desk", "/patients/", "Find a patient"),
    ],
)
def test_the_page_fits_the_screen(page: Page, live_server, live_cast, width, username, path, heading):
    _busy_referrer(live_cast)
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, username)
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert _overflow(page) == 0
    assert errors == []


def test_the_referrers_table_becomes_cards_on_a_phone(page: Page, live_server, live_cast):
    _busy_referrer(live_cast)
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/referrer/")
    cell = page.locator("table.stack td[data-label='Visits attended']").first
    expect(cell).to_be_visible()
    # Each cell says what it is, as the column headers are not shown on a phone.
    label = cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert "Visits attended" in label
