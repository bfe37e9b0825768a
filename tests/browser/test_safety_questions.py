"""Issue 7's questions in Chromium: the first-call script asks them in staff words, the patient's form in
plain words, each when it matters; a held visit says what unblocks it; bad weeks save nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kneadwell.intake.models import Intake
from tests.browser.test_homes import ConsoleErrors, sign_in

pytestmark = pytest.mark.browser


def test_the_call_script_asks_the_headache_and_follow_up_questions_and_holds_the_visit(
    page: Page, live_server, live_cast
):
    page.set_viewport_size({"width": 1400, "height": 1000})
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "desk")
    page.goto(f"{live_server.url}/desk/call/")
    page.get_by_label("Find the patient by name or phone").press_sequentially("palm", delay=30)
    page.locator("#patient-choices").get_by_text("Palmer, Pat").click()
    page.get_by_label("In the caller's words").fill("Headaches and a stiff neck")
    page.locator('.bodymap-svg [data-area="neck"]').click()
    questions = page.locator("#health-questions")
    expect(questions).not_to_contain_text("reached its worst within an hour")

    page.get_by_label("Condition").select_option("tension_headache")
    # The headache questions appear, in the script's words.
    hour = questions.get_by_label("A headache that reached its worst within an hour of starting?")
    expect(hour).to_be_visible()
    expect(
        questions.get_by_label("Headache new, the worst ever, or different from the usual ones?")
    ).to_be_visible()
    expect(questions.get_by_label("Headache brought on by coughing, sneezing or straining?")).to_be_visible()

    # Follow-ups appear once their question is answered yes.
    expect(questions).not_to_contain_text("In cancer treatment now")
    questions.get_by_label("Cancer, current or past?").check()
    expect(
        questions.get_by_label("In cancer treatment now (chemotherapy, radiation, surgery, other)?")
    ).to_be_visible()
    questions.get_by_label("Yes, low risk").check()
    expect(questions.get_by_label("Weeks of pregnancy")).to_be_visible()

    # A fast-peaking headache refers out; the panel says what unblocks it.
    page.locator("#health-questions").get_by_label(
        "A headache that reached its worst within an hour of starting?"
    ).check()
    panel = page.locator("#live-panel")
    expect(panel.locator(".decision-line")).to_contain_text("Refer out")
    expect(panel).to_contain_text("To go ahead:")
    expect(panel).to_contain_text("Emergency care first")
    expect(panel).not_to_contain_text("ottawa_sah")
    assert errors == []


def test_the_patients_form_asks_in_plain_words_and_refuses_impossible_weeks(
    page: Page, live_server, live_cast
):
    page.set_viewport_size({"width": 1180, "height": 1000})
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "pat")
    page.goto(f"{live_server.url}/me/intake/")
    page.get_by_label("In your own words").fill("My neck since the car accident")
    page.locator('.bodymap-svg [data-area="neck"]').click()
    page.get_by_label("What is it for?").select_option("whiplash")
    questions = page.locator("#health-questions")
    expect(questions.get_by_label("No doctor has examined my neck since the injury yet.")).to_be_visible()
    expect(
        questions.get_by_label(
            "Since the injury, is it painful to press on the bones in the middle of the back of your neck?"
        )
    ).to_be_visible()
    expect(questions).not_to_contain_text("Neck injury not yet examined by a doctor?")  # the staff wording

    questions.get_by_label("Yes, and my doctor has no concerns").check()
    weeks = questions.get_by_label("How many weeks pregnant are you?")
    expect(weeks).to_be_visible()
    expect(
        questions.get_by_label("During this pregnancy, have you had any bleeding", exact=False)
    ).to_be_visible()
    weeks.fill("50")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#pregnancy_weeks-error")).to_contain_text("between 0 and 42")
    assert not Intake.objects.filter(patient=live_cast.pat).exists()
    # The refused form answers 422, which the browser logs as a failed load; nothing else may fail.
    assert [e for e in errors if "status of 422" not in e] == []
