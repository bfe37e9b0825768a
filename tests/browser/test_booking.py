"""Booking journeys in Chromium: the front desk books a visit and a series from the patient page, moves and
cancels; the therapist reads their day and week; the day board shows rooms and checks a patient in; the
patient books, moves and cancels in the portal, and a late cancellation is refused by the clinic's policy.

The clock is the real one (the live server and the browser share it), so dates are taken relative to now,
a week ahead where a free time is needed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from kneadwell.clinic.models import ClinicSettings, LateCancellationPolicy, Service
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn
from kneadwell.lib.clock import now
from kneadwell.lib.zones import local_date, local_to_utc
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Series
from kneadwell.therapists.models import Training
from tests.browser.test_homes import ConsoleErrors, sign_in
from tests.cast import _appointment

pytestmark = pytest.mark.browser

NY = "America/New_York"


def _ny_today() -> dt.date:
    return local_date(now(), NY)


def _intake(cast) -> None:  # type: ignore[no-untyped-def]
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Stiff neck",
        areas=[AreaIn(region="neck")],
        answers=HealthAnswersIn(),
    )


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _next_week(page: Page) -> None:
    page.get_by_role("button", name="Next week").click()
    expect(page.locator(".slot-choose").first).to_be_visible()


def test_front_desk_books_moves_cancels_and_books_a_series(page: Page, live_server, live_cast):
    cast = live_cast
    CarePlan.objects.create(
        patient=cast.pat,
        therapist=cast.tess,
        conditions=[],
        frequency_per_week=1,
        weeks=3,
        starts_on=_ny_today(),
        reassess_on=_ny_today() + dt.timedelta(weeks=6),
        status=CarePlanStatus.ACTIVE,
    )
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "desk")
    page.goto(f"{live_server.url}/patients/{cast.pat.public_id}/")

    # Book one visit: location, service, a week ahead, the best-ranked time, confirm.
    page.get_by_role("button", name="Find a time").first.click()
    page.locator("#location").select_option(label=cast.hospital.name)
    expect(page).to_have_url(re.compile(f"location={cast.hospital.public_id}"))  # htmx reloaded the form
    page.get_by_role("button", name="Show times").click()
    _next_week(page)
    expect(page.locator(".slot-table td .score").first).to_be_visible()  # each time says why it ranks there
    page.locator(".slot-choose").first.click()
    expect(page.get_by_role("heading", name="Confirm the booking")).to_be_visible()
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    expect(page.get_by_role("button", name="Add to calendar (.ics)")).to_be_visible()
    booked = Appointment.objects.get(patient=cast.pat, status=AppointmentStatus.BOOKED, start__gt=now())
    first_start = booked.start

    # Move it from the patient page's list: the same row, a new time.
    page.get_by_role("button", name=f"Back to {cast.pat.full_name}").click()
    page.get_by_role("link", name="Move").first.click()
    _next_week(page)
    page.locator(".slot-choose").first.click()
    page.get_by_role("button", name="Move the visit").click()
    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    booked.refresh_from_db()
    assert booked.start > first_start
    assert booked.status == AppointmentStatus.BOOKED

    # Cancel it with a reason.
    page.get_by_role("button", name=f"Back to {cast.pat.full_name}").click()
    page.get_by_role("link", name="Cancel").first.click()
    page.get_by_label("Reason").fill("Called to say the neck is better")
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_text("Cancelled.", exact=True)).to_be_visible()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED

    # The plan of care's visits as a series: check every one, then book.
    page.get_by_role("button", name="Book the plan's visits as a series").click()
    page.locator("#location").select_option(label=cast.hospital.name)
    page.locator("#starts_on").fill((_ny_today() + dt.timedelta(days=7)).isoformat())
    page.locator("#weekday_0").select_option(label="Tuesday")
    page.locator("#time_0").fill("09:00")
    page.get_by_role("button", name="Check every visit").click()
    expect(page.get_by_role("heading", name="Every visit checked")).to_be_visible()
    expect(page.locator(".series-table tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Book the series").click()
    expect(page.get_by_text("Booked 3 visits.")).to_be_visible()
    assert Series.objects.get(patient=cast.pat).appointments.count() == 3
    assert errors == []


def test_therapist_reads_their_day_and_week(page: Page, live_server, live_cast):
    cast = live_cast
    monday = _ny_today() - dt.timedelta(days=_ny_today().weekday())
    thursday = monday + dt.timedelta(days=3)
    service = Service.objects.get(code="therapeutic-60")
    _intake(cast)
    Training.objects.create(therapist=cast.tess, technique="swedish")
    _appointment(cast.pat, cast.tess, cast.hospital_room, service, local_to_utc(thursday, dt.time(9), NY))
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "tess")
    page.get_by_role("link", name="My week").first.click()
    expect(page.get_by_role("heading", name="My week")).to_be_visible()
    day = page.locator(
        "section.week-day", has=page.get_by_role("heading", name=thursday.strftime("%A %-d %b"))
    )
    expect(day.get_by_role("link", name=cast.pat.full_name)).to_be_visible()
    expect(day.get_by_role("link", name="Open plan")).to_be_visible()
    expect(day.locator(".plan-summary")).to_contain_text("min")
    # Paula's visit with Theo on the cast's day never shows.
    expect(page.get_by_text(cast.paula.full_name)).to_have_count(0)
    page.get_by_role("button", name="Next week").click()
    expect(page.get_by_text("No sessions.").first).to_be_visible()
    page.get_by_role("button", name="Previous week").click()
    day.get_by_role("link", name=thursday.strftime("%A %-d %b")).click()
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    expect(page.get_by_role("link", name=cast.pat.full_name)).to_be_visible()
    assert errors == []


def test_day_board_shows_rooms_and_checks_a_patient_in(page: Page, live_server, live_cast):
    cast = live_cast
    service = Service.objects.get(code="therapeutic-60")
    today_visit = _appointment(
        cast.paula, cast.theo, cast.hospital_room, service, local_to_utc(_ny_today(), dt.time(7), NY)
    )
    errors = ConsoleErrors()
    errors.attach(page)
    sign_in(page, live_server.url, "desk")
    page.get_by_role("link", name="Day board").first.click()
    page.locator("#board-location").select_option(label=cast.hospital.name)
    page.get_by_role("button", name="Show location").click()
    board = page.locator("table.day-board")
    expect(board.get_by_role("rowheader", name=cast.hospital_room.name)).to_be_visible()
    expect(board.get_by_role("columnheader", name="07:00")).to_be_visible()
    assert _overflow(page) == 0  # the wide grid scrolls in its own box
    cell = board.locator("td.board-visit", has_text="07:00–08:00")
    expect(cell.get_by_text("Booked")).to_be_visible()
    cell.get_by_role("button", name=f"Check in {cast.paula.full_name}").click()
    expect(page.get_by_text(f"Checked in: {cast.paula.full_name}.")).to_be_visible()
    expect(page.locator("td.board-visit", has_text="07:00–08:00").get_by_text("Checked in")).to_be_visible()
    today_visit.refresh_from_db()
    assert today_visit.status == AppointmentStatus.CHECKED_IN
    assert errors == []


def test_patient_books_moves_and_cancels_and_a_late_cancellation_is_refused(
    page: Page, live_server, live_cast
):
    cast = live_cast
    _intake(cast)
    ClinicSettings.objects.update_or_create(
        pk=1, defaults={"late_cancellation_policy": LateCancellationPolicy.REFUSE}
    )
    soon = now().replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    soon -= dt.timedelta(minutes=soon.minute % 5)
    late = _appointment(
        cast.pat, cast.tess, cast.hospital_room, Service.objects.get(code="therapeutic-60"), soon
    )
    errors = ConsoleErrors()
    errors.attach(page)
    page.set_viewport_size({"width": 390, "height": 900})  # the portal is used on a phone
    sign_in(page, live_server.url, "pat")

    # The next visit is three hours away: the clinic refuses a late cancellation online.
    page.get_by_role("button", name="Cancel this visit").click()
    expect(page.locator("#late-policy")).to_contain_text("Please call the clinic")
    page.get_by_label("Reason").fill("Something came up")
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.locator("#cancel-error")).to_contain_text("Please call the clinic")
    late.refresh_from_db()
    assert late.status == AppointmentStatus.BOOKED

    # Book a relaxation visit a week ahead.
    page.get_by_role("link", name="Book", exact=True).first.click()
    page.locator("#location").select_option(label=cast.hospital.name)
    # The form reloads with the services offered there (relaxation is not offered at a chiropractor's).
    expect(page.locator("#service option", has_text="Relaxation massage")).to_have_count(1)
    page.locator("#service").select_option(label="Relaxation massage, 60 min")
    page.get_by_role("button", name="Show times").click()
    _next_week(page)
    assert _overflow(page) == 0  # the slot table scrolls in its own box
    page.locator(".slot-choose").first.click()
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    mine = Appointment.objects.get(patient=cast.pat, service__code="relaxation-60")
    assert mine.channel == "online"

    # Move it, then cancel it, from My appointments.
    page.get_by_role("link", name="My appointments").first.click()
    page.locator(".appt-list").get_by_role("link", name="Move").click()
    _next_week(page)
    page.locator(".slot-choose").first.click()
    page.get_by_role("button", name="Move the visit").click()
    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    moved_to = Appointment.objects.get(pk=mine.pk).start
    assert moved_to > mine.start
    page.get_by_role("link", name="My appointments").first.click()
    page.locator(".appt-list").get_by_role("link", name="Cancel").click()
    page.get_by_label("Reason").fill("Away that week")
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_text("Cancelled.", exact=True)).to_be_visible()
    assert Appointment.objects.get(pk=mine.pk).status == AppointmentStatus.CANCELLED
    # The refused late cancellation answered 409, which the console reports; nothing else.
    assert [e for e in errors if "status of 409" not in e] == []
