"""Each role signs in through the real form and sees its home page, with htmx loaded and no console errors."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from playwright.sync_api import Page, expect

from kneadwell.clinic.models import Room
from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import AppointmentStatus
from tests.cast import PASSWORD, _appointment

pytestmark = pytest.mark.browser

# The README's screenshots come from these tests. They are written to var/ on
# every run; `make screenshots` (KNEADWELL_UPDATE_SCREENSHOTS=true) refreshes the
# committed copies in docs/, so an ordinary test run leaves the tree clean.
_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    _ROOT / "docs" / "screenshots"
    if os.environ.get("KNEADWELL_UPDATE_SCREENSHOTS") == "true"
    else _ROOT / "var" / "screenshots"
)

HOME_HEADINGS = {
    "desk": "Today at",
    "tess": "My day",
    "pat": "My appointments",
    "rita": "My referred patients",
    "admin": "Clinic settings",
}


class ConsoleErrors(list):
    def attach(self, page: Page) -> None:
        page.on(
            "console",
            lambda msg: (
                self.append(f"{msg.text} {msg.location.get('url', '')}") if msg.type == "error" else None
            ),
        )
        page.on("pageerror", lambda exc: self.append(str(exc)))


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def totp_code(secret: str) -> str:
    # Never type a code in the last two seconds of its 30-second window.
    if 30 - time.time() % 30 < 2:
        time.sleep(2.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.parametrize("username", ["desk", "tess", "pat", "rita"])
def test_role_signs_in_and_sees_its_home(page: Page, live_server, live_cast, username):
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOME_HEADINGS[username])
    assert page.evaluate("typeof htmx") == "object"
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert errors == []


def test_admin_signs_in_with_a_totp_code_and_sees_settings(page: Page, live_server, live_cast):
    secret = generate_totp_secret()
    TOTP.activate(live_cast.admin, secret)
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "admin")
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic settings")
    assert page.evaluate("typeof htmx") == "object"
    assert errors == []


def test_sign_out_from_the_user_menu(page: Page, live_server, live_cast):
    sign_in(page, live_server.url, "pat")
    page.get_by_role("navigation", name="Account").get_by_text("Pat Palmer").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def _busier_day(cast) -> None:  # type: ignore[no-untyped-def]
    """A few more sessions on the cast's day so the screenshot shows a real morning."""
    service = cast.pat_appointment.service
    room_2 = Room.objects.create(
        location=cast.hospital, name="Room 2", features=["massage_table", "accessible"]
    )
    people = [("Maria", "Garcia"), ("James", "Okafor"), ("Linda", "Chen")]
    starts = [dt.datetime(2026, 12, 1, 14, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)]
    statuses = [AppointmentStatus.COMPLETED, AppointmentStatus.CHECKED_IN]
    for (given, family), start, status in zip(people, starts, statuses, strict=False):
        patient = Patient.objects.create(given_name=given, family_name=family, birth_date=dt.date(1970, 6, 1))
        appt = _appointment(patient, cast.theo, room_2, service, start)
        appt.status = status
        appt.save()
    late = Patient.objects.create(given_name="Linda", family_name="Chen", birth_date=dt.date(1988, 2, 2))
    _appointment(late, cast.tess, cast.hospital_room, service, dt.datetime(2026, 12, 1, 19, tzinfo=dt.UTC))


def test_front_desk_today_screenshot_and_htmx_day_navigation(page: Page, live_server, live_cast):
    _busier_day(live_cast)
    page.set_viewport_size({"width": 1280, "height": 800})
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "desk")
    page.goto(f"{live_server.url}/desk/today/?location={live_cast.hospital.public_id}&date=2026-12-01")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Riverside Hospital")
    expect(page.get_by_role("row").filter(has_text="Pat Palmer")).to_contain_text("10:00–11:00")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "front-desk-today.png"))

    # htmx swaps the day view in place and pushes the new URL.
    page.get_by_role("button", name="Wed 2 Dec").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wednesday at Riverside Hospital")
    expect(page).to_have_url(f"{live_server.url}/desk/today/?date=2026-12-02")
    expect(page.locator("#day-view")).to_have_count(1)
    assert errors == []


def test_patient_home_on_a_phone_screenshot(page: Page, live_server, live_cast):
    # Relative to the real clock, so there is always an upcoming and a past visit to show.
    cast = live_cast
    service = cast.pat_appointment.service
    soon = (now() + dt.timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)
    _appointment(cast.pat, cast.tess, cast.hospital_room, service, soon)
    past = _appointment(cast.pat, cast.tess, cast.hospital_room, service, soon - dt.timedelta(days=28))
    past.status = AppointmentStatus.COMPLETED
    past.save()
    cast.hospital.address_line = "120 River Road, Building C"
    cast.hospital.city = "Albany"
    cast.hospital.postal_code = "NY 12207"  # shown as "Albany NY 12207"
    cast.hospital.phone = "+1 518 555 0142"
    cast.hospital.save()

    page.set_viewport_size({"width": 390, "height": 844})
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "pat")
    expect(page.get_by_role("heading", name="Next appointment")).to_be_visible()
    expect(page.locator(".next-appt")).to_contain_text("Tess Turner")
    # On a phone the role navigation is a bar fixed to the bottom of the screen.
    nav_box = page.get_by_role("navigation", name="Main").bounding_box()
    assert nav_box is not None
    assert nav_box["y"] + nav_box["height"] == pytest.approx(844, abs=1)
    page.screenshot(path=str(SCREENSHOTS / "patient-home-phone.png"))
    assert errors == []


def test_patient_search_updates_as_you_type(page: Page, live_server, live_cast):
    sign_in(page, live_server.url, "desk")
    page.goto(f"{live_server.url}/patients/")
    page.get_by_label("Name", exact=True).press_sequentially("palm", delay=30)
    expect(page.locator("#results")).to_contain_text("Palmer, Pat")
    expect(page.locator("#results")).not_to_contain_text("Price, Paula")
