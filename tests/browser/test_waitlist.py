"""Issue 10, item 4, in the browser: a patient joins the waitlist in the portal, a cancellation frees a
time in their window, the offer appears in the portal with its hold, and booking it makes it theirs."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from kneadwell.clinic.models import Service
from kneadwell.lib.clock import now
from kneadwell.lib.zones import local_date, local_to_utc
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel
from kneadwell.scheduling.services import appointment_cancel
from kneadwell.waitlist.models import WaitlistOffer
from tests.browser.test_homes import ConsoleErrors, sign_in

pytestmark = pytest.mark.browser

NEW_YORK = "America/New_York"


def _next_weekday(after: dt.date) -> dt.date:
    day = after + dt.timedelta(days=2)
    while day.weekday() > 4:  # the cast works Monday to Friday
        day += dt.timedelta(days=1)
    return day


def test_a_freed_time_is_offered_in_the_portal_and_booked(page: Page, live_server, live_cast):
    cast = live_cast
    service = Service.objects.get(code="therapeutic-60")
    day = _next_weekday(local_date(now(), NEW_YORK))
    start = local_to_utc(day, dt.time(10), NEW_YORK)
    nell = Patient.objects.create(given_name="Nell", family_name="North", birth_date=dt.date(1970, 1, 1))
    taken = Appointment.objects.create(
        patient=nell,
        therapist=cast.tess,
        room=cast.hospital_room,
        location=cast.hospital,
        service=service,
        start=start,
        end=start + service.duration,
        blocked_until=start + service.duration + service.buffer,
        channel=Channel.PHONE,
    )
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, live_server.url, "pat")

    # Pat joins the waitlist for mornings on that weekday, in the next fortnight.
    page.get_by_role("link", name="Waitlist").click()
    join = page.locator("form.waitlist-join")
    join.get_by_label("Where").select_option(label=cast.hospital.name)
    join.get_by_label("Service").select_option(value=service.code)
    join.get_by_label("From", exact=True).fill(day.isoformat())
    join.get_by_label("Until", exact=True).fill((day + dt.timedelta(days=14)).isoformat())
    for label in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        join.get_by_label(label, exact=True).set_checked(label == f"{day:%a}")
    join.get_by_label("Start from").fill("09:00")
    join.get_by_label("Finish by").fill("12:00")
    join.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_text("You are on the waitlist.")).to_be_visible()
    expect(page.get_by_text("Nothing is held for you right now.")).to_be_visible()

    # The front desk cancels Nell's visit at 10:00: the time is held for Pat.
    appointment_cancel(appointment=taken, actor=cast.desk, reason="Nell is away", by_patient=True)
    offer = WaitlistOffer.objects.get(request__patient=cast.pat)

    page.reload()
    held = page.locator(".waitlist-offer")
    expect(held).to_contain_text(f"{day:%A} {day.day} {day:%B %Y}, 10:00–11:00")
    expect(held).to_contain_text("Tess Turner")
    expect(held).to_contain_text("Held until")
    held.get_by_role("button", name="Book this time").click()

    expect(page.get_by_text("Booked. The time is yours")).to_be_visible()
    expect(page.get_by_role("heading", name="Next appointment")).to_be_visible()
    expect(page.locator(".next-appt")).to_contain_text("Tess Turner")
    booked = Appointment.objects.get(pk=offer.hold_id)
    assert (booked.status, booked.patient_id, booked.start) == (AppointmentStatus.BOOKED, cast.pat.pk, start)
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert errors == []


@pytest.mark.parametrize("width", [390, 1280])
def test_the_front_desk_puts_a_caller_on_the_waitlist(page: Page, live_server, live_cast, width):
    cast = live_cast
    day = _next_weekday(local_date(now(), NEW_YORK))
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "desk")

    page.goto(f"{live_server.url}/patients/{cast.pat.public_id}/")
    page.get_by_role("button", name="Add to the waitlist").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Put {cast.pat.full_name} on the waitlist")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    join = page.locator("form.waitlist-join")
    join.get_by_label("Where").select_option(label=cast.hospital.name)
    join.get_by_label("Service").select_option(value="therapeutic-60")
    join.get_by_label("From", exact=True).fill(day.isoformat())
    join.get_by_label("Until", exact=True).fill((day + dt.timedelta(days=14)).isoformat())
    join.get_by_label("Urgency").select_option(label="Urgent")
    join.get_by_role("button", name="Add to the waitlist").click()

    expect(page.get_by_role("heading", name="Waitlist", level=1)).to_be_visible()
    entry = page.locator("li.log-entry", has_text=cast.pat.full_name)
    expect(entry).to_contain_text("Urgent")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert errors == []
