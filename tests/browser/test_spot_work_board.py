"""The spot-work board, one journey: the front desk imports the chiropractor's day, enters one more
host visit by hand, asks for spot work beside each, previews the plan, applies it and sees the bookings."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from kneadwell.clinic.models import Room
from kneadwell.clinic.selectors import location_today
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment
from kneadwell.spotwork.models import SpotWorkRequest, SpotWorkStatus
from tests.browser.test_homes import ConsoleErrors, sign_in
from tests.cast import _therapist, _user

pytestmark = pytest.mark.browser


def _next_weekday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=2)  # well past the booking notice
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def test_the_front_desk_plans_a_spot_work_day(page: Page, live_server, live_cast):
    from kneadwell.accounts.models import Role

    chiro = live_cast.chiro
    _therapist(_user("cora", Role.THERAPIST, "Cora", "Cole"), "Cora", "Cole", chiro)
    Room.objects.create(location=chiro, name="Chair 2", features=[])
    carla = Patient.objects.create(given_name="Carla", family_name="Chu", birth_date=dt.date(1988, 4, 2))
    day = _next_weekday(location_today(chiro))
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "desk")

    page.get_by_role("link", name="Spot work").click()
    page.goto(f"{live_server.url}/desk/spot-work/?location={chiro.public_id}&date={day}")
    expect(page.get_by_role("heading", name="Spot work at Lakeside Chiropractic")).to_be_visible()

    # The chiropractor's day as CSV: Pat at 10:00 and Paula at 11:00, local times.
    csv = (
        "patient,start,end,provider,provider_ref\n"
        f"{live_cast.pat.public_id},{day} 10:00,{day} 10:30,Dr Chen DC,A-1\n"
        f"{live_cast.paula.public_id},{day} 11:00,{day} 11:30,Dr Chen DC,A-2\n"
    )
    page.get_by_text("Import a day of host visits").click()
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "day.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("2 host visits imported")).to_be_visible()

    page.get_by_text("Enter a host visit").click()
    page.get_by_label("Patient", exact=True).select_option(label="Chu, Carla (1988-04-02)")
    page.get_by_label("Starts (local)").fill("13:00")
    page.get_by_label("Ends (local)").fill("13:30")
    page.get_by_label("Chiropractor or physical therapist").fill("Dr Chen DC")
    page.get_by_role("button", name="Record host visit").click()
    expect(page.get_by_text("Host visit recorded for Carla Chu")).to_be_visible()
    expect(page.locator("#host-visits tbody tr")).to_have_count(3)

    for _ in range(3):
        page.get_by_text("Ask for spot work beside a host visit").click()
        page.get_by_label("Area", exact=True).select_option("neck")
        page.get_by_role("button", name="Add request").click()
        expect(page.get_by_text("Spot work requested for")).to_be_visible()
    expect(page.locator("#spot-requests tbody tr")).to_have_count(3)

    page.get_by_role("button", name="Preview plan").click()
    preview = page.locator("#plan-preview")
    expect(preview).to_contain_text("Preview:")
    expect(preview).to_contain_text("3 placed, 0 left out")
    expect(page.locator("#plan-placements tbody tr")).to_have_count(3)
    assert not Appointment.objects.filter(service__code="spot-work-15").exists()

    page.get_by_role("button", name="Apply plan").click()
    expect(page.get_by_text("3 spot-work sessions booked")).to_be_visible()
    expect(page.locator("#spot-bookings li")).to_have_count(3)
    assert Appointment.objects.filter(service__code="spot-work-15", patient=carla).count() == 1
    assert set(SpotWorkRequest.objects.values_list("status", flat=True)) == {SpotWorkStatus.BOOKED}
    assert errors == []
