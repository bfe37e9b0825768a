"""The care pathway in Chromium: a first call with its live panel, the therapist's plan, the referrer's portal."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kneadwell.intake.models import Intake
from kneadwell.referrals.models import Clearance, Referral
from tests.browser.test_homes import SCREENSHOTS, ConsoleErrors, sign_in
from tests.web.test_care_support import frozen_shoulder_intake, train

pytestmark = pytest.mark.browser


def test_front_desk_takes_a_first_call_and_sees_the_panel_update_live(page: Page, live_server, live_cast):
    train(live_cast)
    page.set_viewport_size({"width": 1400, "height": 1000})
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "desk")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New call").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New call")

    # Who is calling: the search updates as the desk types; choosing Pat shows her referral on file.
    page.get_by_label("Find the patient by name or phone").press_sequentially("palm", delay=30)
    expect(page.locator("#patient-choices")).to_contain_text("Palmer, Pat")
    page.locator("#patient-choices").get_by_text("Palmer, Pat").click()
    expect(page.locator("#referral-choices")).to_contain_text("Dr Rita Reyes")

    page.get_by_label("In the caller's words").fill("Stiff right shoulder, cannot reach up")
    # Click the body map: the right shoulder on the front figure ticks its checkbox.
    page.locator('.bodymap-svg [data-area="shoulder:right"]').click()
    expect(page.locator('input[name="area"][value="shoulder:right"]')).to_be_checked()
    expect(page.locator('.bodymap-svg [data-area="shoulder:right"]')).to_have_class("bodymap-area is-on")
    page.get_by_label("Location of the visit").select_option(label=live_cast.hospital.name)
    page.get_by_label("Condition").select_option("frozen_shoulder")

    panel = page.locator("#live-panel")
    expect(panel.locator(".decision-line")).to_contain_text("Proceed")
    expect(panel.locator("ol.matches > li").first).to_contain_text("Tess Turner")
    expect(panel).to_contain_text("Wear loose-fitting clothing")

    # A health answer changes the decision in place.
    page.get_by_label("Takes blood thinners (anticoagulants)?").check()
    expect(panel.locator(".decision-line")).to_contain_text("Precautions")
    panel.locator(".findings details.why summary").first.click()
    # The "Why?" names what was checked in plain words and opens the primary source.
    expect(panel.locator(".findings")).to_contain_text("Blood thinners or a bleeding disorder")
    expect(panel.locator(".findings a[href^='https://www.mayoclinic.org/']")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_role("heading", name="What would you like worked on?").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "front-desk-call-script.png"))

    page.get_by_role("button", name="Save intake").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intake saved for Pat Palmer")
    intake = Intake.objects.get(patient=live_cast.pat)
    assert intake.areas == [{"region": "shoulder", "side": "right"}]
    assert intake.answers["anticoagulants"] is True
    assert errors == []


def test_therapist_sees_the_session_plan_with_its_rationale(page: Page, live_server, live_cast):
    train(live_cast)
    frozen_shoulder_intake(live_cast)
    page.set_viewport_size({"width": 1180, "height": 1000})
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "tess")
    page.goto(f"{live_server.url}/patients/{live_cast.pat.public_id}/")
    plan = page.locator("#session-plan")
    expect(plan.get_by_role("heading", name="Next session plan")).to_be_visible()
    expect(plan.locator("table.segment-table")).to_contain_text("Shoulder (right)")
    plan.get_by_text("Rationale").click()
    expect(plan.locator("details.rationale")).to_contain_text("loose-fitting")
    page.screenshot(path=str(SCREENSHOTS / "therapist-patient-page.png"), full_page=True)
    # Another service: htmx swaps only the plan.
    plan.get_by_label("Service").select_option("therapeutic-30")
    expect(page.locator("#session-plan tfoot")).not_to_contain_text("50")
    assert errors == []


def test_referrer_sends_a_referral_and_grants_a_clearance(page: Page, live_server, live_cast):
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "rita")
    page.get_by_role("link", name="Send a referral").first.click()
    page.get_by_label("Given name").fill("Kim")
    page.get_by_label("Family name").fill("Knee")
    page.get_by_label("Birth date").fill("1970-02-03")
    page.locator("#dx0_condition").select_option("post_surgical_scar")
    page.locator("#dx0_icd10").fill("L90.5")
    page.locator("#dx0_icd10").blur()
    expect(page.locator("#dx0_icd10-hint")).to_contain_text("L90.5")
    page.locator('.bodymap-svg [data-area="knee:right"]').click()
    page.get_by_label("Reason for referral").fill("Scar tissue after knee replacement")
    page.get_by_label("Sessions requested").fill("8")
    page.get_by_role("button", name="Send referral").click()
    expect(page.locator(".messages")).to_contain_text("Referral for Kim Knee sent")
    referral = Referral.objects.get(patient__given_name="Kim")
    assert referral.areas == [{"region": "knee", "side": "right"}]

    page.get_by_role("row").filter(has_text="Kim Knee").get_by_role("link", name="Grant a clearance").click()
    page.locator("#clear_scope").select_option("scar_work")
    page.locator("#clear_area").select_option("knee:right")
    page.get_by_role("button", name="Grant clearance").click()
    expect(page.locator(".messages")).to_contain_text("Scar work at the right knee")
    assert Clearance.objects.filter(patient=referral.patient, scope="scar_work", status="granted").exists()
    assert errors == []
