"""What each message says: the visit's time on the location's clock with the zone named, the place,
the therapist, the session plan's visit instructions, and the calendar file.

The words are in templates (templates/notifications/): `email/<kind>.txt` (its first line is the
subject) and `sms/<kind>.txt`. Content is rendered when the message is first sent, not when it is
queued, so a reminder carries the plan as it stands the day before the visit; retries send the same
text again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from kneadwell.clinic.models import Location, Service
from kneadwell.intake.models import Intake
from kneadwell.lib.zones import zone
from kneadwell.planning.instructions import instruction_words
from kneadwell.scheduling.models import Appointment
from kneadwell.scheduling.overview import appointment_plan
from kneadwell.therapists.models import Therapist

from . import ics, policy
from .models import Message, MessageChannel, MessageKind


@dataclass(frozen=True)
class Visit:
    """A visit as a message describes it."""

    when: str
    short_when: str
    zone: str
    service: str
    minutes: int
    therapist: str
    place: str
    address: list[str]
    phone: str
    instructions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    ics: bytes | None = None
    ics_name: str = ""


def short_when(start: dt.datetime, tz_name: str) -> str:
    """ "Mon 9 Mar at 10:00" on the location's clock (for subjects and texts)."""
    local = start.astimezone(zone(tz_name))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def _address(location: Location) -> list[str]:
    city = " ".join(part for part in (location.city, location.postal_code) if part)
    return [line for line in (location.address_line, city) if line]


def visit_instructions(appointment: Appointment) -> list[str]:
    """The session plan's instructions for this visit in plain words.

    A patient with no health form on file is asked to arrive early for it even when the plan cannot
    be made yet (the plan needs the form).
    """
    keys: list[str] = []
    try:
        plan, _ = appointment_plan(appointment)
    except ValueError:
        plan = None
    if plan is not None and not plan.blocked:
        keys = list(plan.instructions)
    if "arrive_early" not in keys and not Intake.objects.filter(patient=appointment.patient).exists():
        keys.append("arrive_early")
    return instruction_words(keys)


def _visit(
    *,
    start: dt.datetime,
    end: dt.datetime,
    location: Location,
    service: Service,
    therapist: Therapist,
    instructions: list[str],
) -> Visit:
    return Visit(
        when=policy.when_text(start, end, location.time_zone),
        short_when=short_when(start, location.time_zone),
        zone=policy.zone_label(location.time_zone),
        # "Therapeutic massage, 60 min" already says how long; a bare "Relaxation massage" does not.
        service=service.name
        if str(service.duration_minutes) in service.name
        else f"{service.name} ({service.duration_minutes} minutes)",
        minutes=service.duration_minutes,
        therapist=therapist.full_name,
        place=location.name,
        address=_address(location),
        phone=location.phone,
        instructions=instructions,
    )


def appointment_visit(appointment: Appointment, *, with_instructions: bool = True) -> Visit:
    return _visit(
        start=appointment.start,
        end=appointment.end,
        location=appointment.location,
        service=appointment.service,
        therapist=appointment.therapist,
        instructions=visit_instructions(appointment) if with_instructions else [],
    )


def portal_url() -> str:
    """The patient portal's address, when the clinic has told us its public address."""
    base = getattr(settings, "KNEADWELL_PUBLIC_URL", "")
    if not base:
        return ""
    try:
        return base + reverse("patient-home")
    except NoReverseMatch:
        return base + "/"


def _offer_visit(message: Message) -> Visit:
    """The offered slot of a waitlist offer, from what the offer recorded."""
    context = message.context
    location = Location.objects.get(pk=context["location_id"])
    return _visit(
        start=dt.datetime.fromisoformat(context["start"]),
        end=dt.datetime.fromisoformat(context["end"]),
        location=location,
        service=Service.objects.get(pk=context["service_id"]),
        therapist=Therapist.objects.get(pk=context["therapist_id"]),
        instructions=[],
    )


def render_message(message: Message, *, stamp: dt.datetime) -> Rendered:
    """The subject, body and calendar file of a message, from its templates."""
    appointment = message.appointment
    with_ics = appointment is not None and message.channel == MessageChannel.EMAIL
    if message.kind == MessageKind.WAITLIST_OFFER:
        visit = _offer_visit(message)
    else:
        if appointment is None:
            raise ValueError("This message's appointment no longer exists.")
        # A cancellation needs no preparation; the others carry the plan's instructions.
        visit = appointment_visit(appointment, with_instructions=message.kind != MessageKind.CANCELLATION)
    context: dict[str, object] = {
        "patient": message.patient,
        "visit": visit,
        "site_name": settings.SITE_NAME,
        "portal_url": portal_url(),
        "has_calendar_file": with_ics,
        "previous": None,
        "offer": None,
    }
    previous = message.context.get("previous_start")
    if previous and appointment is not None:
        previous_start = dt.datetime.fromisoformat(previous)
        context["previous"] = policy.when_text(
            previous_start,
            previous_start + (appointment.end - appointment.start),
            appointment.location.time_zone,
        )
    if message.kind == MessageKind.WAITLIST_OFFER:
        tz_name = Location.objects.values_list("time_zone", flat=True).get(pk=message.context["location_id"])
        expires = dt.datetime.fromisoformat(message.context["expires_at"])
        context["offer"] = {
            "expires": short_when(expires, tz_name) + f" {policy.zone_label(tz_name)} time",
            "accept_url": message.context.get("accept_url", ""),
        }
    folder = "email" if message.channel == MessageChannel.EMAIL else "sms"
    text = render_to_string(f"notifications/{folder}/{message.kind}.txt", context).strip()
    if message.channel == MessageChannel.EMAIL:
        subject, _, body = text.partition("\n")
        subject, body = subject.strip(), _tidy(body)
    else:
        subject, body = "", _tidy(text)
    if not with_ics or appointment is None:
        return Rendered(subject=subject, body=body)
    return Rendered(
        subject=subject,
        body=body,
        ics=ics.appointment_ics(appointment, instructions=visit.instructions, stamp=stamp),
        ics_name=ics.ics_filename(appointment),
    )


def _tidy(text: str) -> str:
    """Template output without the blank runs left by template tags: at most one empty line."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line == "" and tidy and tidy[-1] == "":
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"
