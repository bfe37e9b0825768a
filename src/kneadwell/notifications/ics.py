"""iCalendar (RFC 5545) files: one appointment (attached to messages, downloaded from the portal and the
patient page) and the per-therapist and per-patient feeds.

Times are written in the location's zone with its VTIMEZONE (icalendar's `add_missing_timezones`), so
a calendar app shows 10:00 in New York as 10:00 in New York on either side of a DST change. Each
event's UID comes from the appointment's public id and never changes; SEQUENCE rises whenever the
appointment row changes (seconds since it was booked, so it only ever grows), so a moved or
cancelled visit replaces the old copy in the patient's calendar instead of sitting beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from icalendar import Calendar, Event

from kneadwell.lib.zones import zone
from kneadwell.scheduling.models import Appointment, AppointmentStatus

from . import policy

PRODID = "-//Kneadwell//Kneadwell calendar//EN"
UID_DOMAIN = "kneadwell"
# Calendar apps that honour it poll a subscribed feed this often.
FEED_REFRESH = dt.timedelta(hours=1)
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class EventText:
    summary: str
    description: str


def event_uid(appointment: Appointment) -> str:
    """The event's UID: stable for the appointment's whole life, and meaningless outside Kneadwell."""
    return f"{appointment.public_id}@{UID_DOMAIN}"


def event_sequence(appointment: Appointment) -> int:
    """The revision number: whole seconds between booking and the last change to the row.

    It never decreases and rises with every change saved to the appointment (a move, a cancellation,
    a check-in), which is what RFC 5545 asks of SEQUENCE, without a counter column in scheduling.
    """
    if appointment.created_at is None or appointment.updated_at is None:
        return 0
    return max(0, int((appointment.updated_at - appointment.created_at).total_seconds()))


def location_text(appointment: Appointment) -> str:
    """The LOCATION line: the place's name and street address."""
    location = appointment.location
    parts = [
        location.name,
        location.address_line,
        " ".join(p for p in (location.city, location.postal_code) if p),
    ]
    return ", ".join(p for p in parts if p)


def patient_event_text(appointment: Appointment, instructions: Sequence[str] = ()) -> EventText:
    """What a patient's own calendar says about a visit: the service, the therapist, the place, and
    what to do before it."""
    location = appointment.location
    lines = [
        f"{appointment.service.name} with {appointment.therapist.full_name}.",
        f"At {location.name}" + (f", {location.address_line}" if location.address_line else "") + ".",
    ]
    if location.phone:
        lines.append(f"To change or cancel, call {location.phone}.")
    if instructions:
        lines.append("")
        lines.append("Before your visit:")
        lines.extend(f"- {line}" for line in instructions)
    return EventText(
        summary=f"{appointment.service.name} with {appointment.therapist.full_name}",
        description="\n".join(lines),
    )


def therapist_event_text(appointment: Appointment, detail: str) -> EventText:
    """What a therapist's feed says: the patient only as far as the clinic allows, the service and
    room. Never a condition, a note or a contact detail: the feed lives in apps outside the clinic."""
    who = policy.patient_label(appointment.patient.given_name, appointment.patient.family_name, detail)
    return EventText(
        summary=f"{who}: {appointment.service.name}",
        description=f"{appointment.service.name}, {appointment.room.name} at {appointment.location.name}.",
    )


def _event(appointment: Appointment, text: EventText, stamp: dt.datetime) -> Event:
    tz = zone(appointment.location.time_zone)
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", appointment.start.astimezone(tz))
    event.add("dtend", appointment.end.astimezone(tz))
    event.add("summary", text.summary)
    event.add("description", text.description)
    event.add("location", location_text(appointment))
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("sequence", event_sequence(appointment))
    if appointment.created_at is not None:
        event.add("created", appointment.created_at.astimezone(dt.UTC))
    if appointment.updated_at is not None:
        event.add("last-modified", appointment.updated_at.astimezone(dt.UTC))
    return event


def build_calendar(
    appointments: Sequence[Appointment],
    *,
    name: str,
    describe: Callable[[Appointment], EventText],
    stamp: dt.datetime,
    feed: bool = False,
) -> bytes:
    """A VCALENDAR with one VEVENT per appointment and a VTIMEZONE for every zone they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if feed:
        # RFC 7986's refresh hint, and the older name some apps still read.
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", FEED_REFRESH)
    for appointment in appointments:
        calendar.add_component(_event(appointment, describe(appointment), stamp))
    if appointments:
        # VTIMEZONE rules covering a year either side of the events, not 1970 to 2038.
        first = min(a.start for a in appointments).date() - dt.timedelta(days=366)
        last = max(a.end for a in appointments).date() + dt.timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return bytes(calendar.to_ical())


def appointment_ics(
    appointment: Appointment, *, instructions: Sequence[str] = (), stamp: dt.datetime
) -> bytes:
    """One visit as a calendar file for the patient (attached to messages, downloaded in the portal)."""
    return build_calendar(
        [appointment],
        name=settings.SITE_NAME,
        describe=lambda a: patient_event_text(a, instructions),
        stamp=stamp,
    )


def ics_filename(appointment: Appointment) -> str:
    local = appointment.start.astimezone(zone(appointment.location.time_zone))
    return f"visit-{local:%Y-%m-%d-%H%M}.ics"
