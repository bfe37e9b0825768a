"""What the messages say: the location's wall-clock time with its zone named (on both sides of a DST
change), the address, the therapist, and the session plan's visit instructions in plain words."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from kneadwell.clinic.models import Service
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.notifications.content import render_message
from kneadwell.notifications.models import Message, MessageKind
from kneadwell.notifications.services import (
    appointment_booked,
    appointment_cancelled,
    appointment_changed,
    waitlist_offer,
)
from kneadwell.planning.instructions import INSTRUCTION_WORDS
from kneadwell.scheduling.models import AppointmentStatus
from kneadwell.therapists.models import Training
from tests.cast import _appointment

# New York springs forward on Sunday 8 March 2026: 10:00 on the Friday is EST (UTC−5), on the Monday EDT (UTC−4).
BEFORE_DST = dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC)  # Fri 6 Mar, 10:00 EST
AFTER_DST = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)  # Mon 9 Mar, 10:00 EDT
WRITTEN = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def stretching_patient(cast):  # type: ignore[no-untyped-def]
    """Pat with a frozen shoulder, and Tess trained to stretch it: the plan asks for loose clothing."""
    for technique in ("swedish", "myofascial_release", "passive_stretching"):
        Training.objects.create(therapist=cast.tess, technique=technique)
    cast.pat.email = "pat@example.org"
    cast.pat.save(update_fields=["email"])
    cast.hospital.address_line = "400 River Road"
    cast.hospital.city = "Albany"
    cast.hospital.postal_code = "12207"
    cast.hospital.phone = "+1 518 555 0100"
    cast.hospital.save()
    with time_machine.travel(WRITTEN, tick=False):
        intake_record(
            actor=cast.desk,
            patient=cast.pat,
            channel="phone",
            chief_complaint="Stiff right shoulder",
            areas=[AreaIn(region="shoulder", side="right")],
            diagnoses=[DiagnosisIn(condition="frozen_shoulder", icd10="M75.01", onset=dt.date(2025, 11, 3))],
        )
    return cast.pat


def _visit(cast, start: dt.datetime):  # type: ignore[no-untyped-def]
    return _appointment(
        cast.pat, cast.tess, cast.hospital_room, Service.objects.get(code="therapeutic-60"), start
    )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (BEFORE_DST, "Friday 6 March 2026, 10:00 to 11:00 New York time (EST)"),
        (AFTER_DST, "Monday 9 March 2026, 10:00 to 11:00 New York time (EDT)"),
    ],
)
def test_the_confirmation_says_the_local_time_with_the_zone_across_the_dst_change(
    cast, stretching_patient, start, expected
):
    with time_machine.travel(WRITTEN, tick=False):
        appointment = _visit(cast, start)
        (message,) = appointment_booked(appointment)
        rendered = render_message(message, stamp=WRITTEN)

    assert expected in rendered.body
    local = "Fri 6 Mar at 10:00" if start == BEFORE_DST else "Mon 9 Mar at 10:00"
    assert rendered.subject == f"Your visit on {local} is booked"
    assert "With:  Tess Turner" in rendered.body
    assert "Riverside Hospital Outpatient Massage" in rendered.body
    assert "400 River Road" in rendered.body
    assert "Albany 12207" in rendered.body
    assert "+1 518 555 0100" in rendered.body
    # The plan stretches the shoulder: the patient is told to wear loose clothing.
    assert INSTRUCTION_WORDS["loose_clothing"] in rendered.body
    # The calendar file says the same wall-clock time in the same zone.
    assert rendered.ics is not None
    text = rendered.ics.decode()
    assert f"DTSTART;TZID=America/New_York:{start.astimezone(cast_zone()):%Y%m%dT%H%M%S}" in text
    assert "BEGIN:VTIMEZONE" in text


def cast_zone():  # type: ignore[no-untyped-def]
    from kneadwell.lib.zones import zone

    return zone("America/New_York")


def test_a_patient_with_no_health_form_is_asked_to_arrive_early(cast):
    with time_machine.travel(WRITTEN, tick=False):
        appointment = _visit(cast, AFTER_DST)
        (message,) = appointment_booked(appointment)
        rendered = render_message(message, stamp=WRITTEN)
    assert INSTRUCTION_WORDS["arrive_early"] in rendered.body
    assert "Before your visit:" in rendered.body


def test_plain_text_is_not_html_escaped(cast, stretching_patient):
    cast.tess.family_name = "O'Brien & Sons"
    cast.tess.save()
    with time_machine.travel(WRITTEN, tick=False):
        (message,) = appointment_booked(_visit(cast, AFTER_DST))
        rendered = render_message(message, stamp=WRITTEN)
    assert "Tess O'Brien & Sons" in rendered.body
    assert "&amp;" not in rendered.body
    assert "&#x27;" not in rendered.body


def test_a_change_notice_gives_the_new_and_the_old_time(cast, stretching_patient):
    with time_machine.travel(WRITTEN, tick=False):
        appointment = _visit(cast, BEFORE_DST)
    with time_machine.travel(WRITTEN + dt.timedelta(hours=1), tick=False):
        appointment.start, appointment.end = AFTER_DST, AFTER_DST + dt.timedelta(hours=1)
        appointment.blocked_until = appointment.end
        appointment.save()
        (message,) = appointment_changed(appointment, BEFORE_DST)
        rendered = render_message(message, stamp=WRITTEN)
    assert rendered.subject == "Your visit has changed: now Mon 9 Mar at 10:00"
    assert "Monday 9 March 2026, 10:00 to 11:00 New York time (EDT)" in rendered.body
    assert "it was Friday 6 March 2026, 10:00 to 11:00 New York time (EST)" in rendered.body


def test_a_change_cancels_the_confirmation_for_the_old_time(cast, stretching_patient):
    with time_machine.travel(WRITTEN, tick=False):
        appointment = _visit(cast, BEFORE_DST)
        (confirmation,) = appointment_booked(appointment)
        appointment_changed(appointment, BEFORE_DST - dt.timedelta(days=1))
    confirmation.refresh_from_db()
    assert confirmation.status == "cancelled"


def test_a_cancellation_marks_the_calendar_event_cancelled(cast, stretching_patient):
    with time_machine.travel(WRITTEN, tick=False):
        appointment = _visit(cast, AFTER_DST)
    with time_machine.travel(WRITTEN + dt.timedelta(minutes=5), tick=False):
        appointment.status = AppointmentStatus.CANCELLED
        appointment.save()
        (message,) = appointment_cancelled(appointment)
        rendered = render_message(message, stamp=WRITTEN)
    assert rendered.subject == "Your visit on Mon 9 Mar at 10:00 is cancelled"
    assert INSTRUCTION_WORDS["loose_clothing"] not in rendered.body
    assert rendered.ics is not None
    text = rendered.ics.decode()
    assert "STATUS:CANCELLED" in text
    assert "SEQUENCE:300" in text  # five minutes after booking: a higher revision than the confirmation's 0


def test_a_waitlist_offer_says_until_when_the_slot_is_held(cast, patient_email, work):
    with time_machine.travel(WRITTEN, tick=False):
        (message,) = waitlist_offer(
            patient=cast.pat,
            location=cast.hospital,
            service=Service.objects.get(code="therapeutic-60"),
            therapist=cast.theo,
            start=AFTER_DST,
            end=AFTER_DST + dt.timedelta(hours=1),
            expires_at=WRITTEN + dt.timedelta(hours=2),
            offer_id="offer-1",
            accept_url="https://clinic.example.org/me/offers/offer-1",
        )
        rendered = render_message(message, stamp=WRITTEN)
    assert rendered.subject == "A time is free for you: Mon 9 Mar at 10:00"
    assert "held" in rendered.body.lower() or "holding" in rendered.body.lower()
    assert "Mon 2 Mar at 12:00 New York time" in rendered.body  # 17:00 UTC, in New York (EST)
    assert "https://clinic.example.org/me/offers/offer-1" in rendered.body
    assert "Theo Tanaka" in rendered.body


def test_an_expired_offer_is_cancelled_not_sent(
    cast, patient_email, work, django_capture_on_commit_callbacks
):
    with time_machine.travel(WRITTEN, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            (message,) = waitlist_offer(
                patient=cast.pat,
                location=cast.hospital,
                service=Service.objects.get(code="therapeutic-60"),
                therapist=cast.theo,
                start=AFTER_DST,
                end=AFTER_DST + dt.timedelta(hours=1),
                expires_at=WRITTEN + dt.timedelta(minutes=30),
                offer_id="offer-2",
            )
        clock.shift(dt.timedelta(hours=1))
        work()
    message.refresh_from_db()
    assert message.status == "cancelled"
    assert mail.outbox == []


def test_the_sent_email_keeps_its_words_in_the_log(
    cast, stretching_patient, work, django_capture_on_commit_callbacks
):
    with time_machine.travel(WRITTEN, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            appointment_booked(_visit(cast, AFTER_DST))
        work()
    message = Message.objects.get(kind=MessageKind.CONFIRMATION)
    (email,) = mail.outbox
    assert email.subject == message.subject
    assert email.body == message.body
