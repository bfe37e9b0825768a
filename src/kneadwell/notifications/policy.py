"""Delivery policy in plain Python: retry timing, when a reminder is due, who may be sent what, and
how times and names are worded. No Django, so each rule is tested on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kneadwell.lib.zones import zone

# Message kinds and channels, as stored (notifications.models mirrors them as choices).
CONFIRMATION = "confirmation"
REMINDER = "reminder"
CHANGE = "change"
CANCELLATION = "cancellation"
WAITLIST_OFFER = "waitlist_offer"
EMAIL = "email"
SMS = "sms"

# How much of a patient's name a therapist's calendar feed may carry (a clinic setting).
DETAIL_NONE = "none"
DETAIL_INITIALS = "initials"
DETAIL_SHORT = "short"
DETAIL_FULL = "full"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with a cap: attempt n failed → wait base·2^(n−1), at most `cap`.

    After `max_attempts` attempts the message has failed for good (and is shown to the front desk).
    """

    max_attempts: int
    base: dt.timedelta
    cap: dt.timedelta

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base <= dt.timedelta(0) or self.cap < self.base:
            raise ValueError("the base delay must be positive and no longer than the cap")

    def delay_after(self, attempt: int) -> dt.timedelta:
        """The wait after failed attempt number `attempt` (1-based) before the next one."""
        if attempt < 1:
            raise ValueError("attempts are numbered from 1")
        # Doubling past the cap would only make a huge number: stop at the exponent that reaches it.
        exponent = min(attempt - 1, 32)
        return min(self.cap, self.base * (2**exponent))

    def next_attempt(self, attempts: int, at: dt.datetime) -> dt.datetime | None:
        """When to try again after `attempts` failed attempts, or None when there is no try left."""
        if attempts >= self.max_attempts:
            return None
        return at + self.delay_after(attempts)


@dataclass(frozen=True)
class ContactChoices:
    """A patient's contact preferences, as the delivery rules need them."""

    email_enabled: bool = True
    sms_enabled: bool = False
    sms_number: str = ""
    reminders_enabled: bool = True


def suppression_reason(kind: str, channel: str, choices: ContactChoices) -> str:
    """Why this message must not go to the patient (their own choice), or "" when it may."""
    if kind == REMINDER and not choices.reminders_enabled:
        return "The patient asked not to get reminders."
    if channel == EMAIL and not choices.email_enabled:
        return "The patient asked not to get e-mail."
    if channel == SMS and not choices.sms_enabled:
        return "The patient asked not to get text messages."
    return ""


def channels_for(choices: ContactChoices) -> tuple[str, ...]:
    """The channels a message is written for: e-mail always (suppressed when switched off, so the
    log shows the patient's choice), text messages only for a patient who asked for them."""
    return (EMAIL, SMS) if choices.sms_enabled else (EMAIL,)


def reminder_due(start: dt.datetime, lead: dt.timedelta) -> dt.datetime:
    """When the reminder for a visit at `start` goes out: `lead` of elapsed time before it.

    Elapsed, not wall-clock, time: across a DST change "24 hours before" a 10:00 visit is 09:00 or
    11:00 on the day before, and the patient still hears exactly a day ahead.
    """
    return start - lead


def wants_reminder(*, start: dt.datetime, booked_at: dt.datetime, lead: dt.timedelta) -> bool:
    """Whether a visit gets a reminder: only when it was booked before the reminder was due.

    A visit booked inside the reminder window has just had its confirmation, which says the same.
    """
    return booked_at < reminder_due(start, lead)


def zone_label(tz_name: str) -> str:
    """A zone as people say it: America/New_York → New York, Europe/London → London, UTC → UTC."""
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def when_text(start: dt.datetime, end: dt.datetime, tz_name: str) -> str:
    """A visit's time on the location's wall clock, with the zone named:
    "Monday 9 March 2026, 10:00 to 11:00 New York time (EDT)"."""
    tz = zone(tz_name)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = f"{local_start:%A} {local_start.day} {local_start:%B %Y}"
    return (
        f"{day}, {local_start:%H:%M} to {local_end:%H:%M} {zone_label(tz_name)} time ({local_start.tzname()})"
    )


def patient_label(given_name: str, family_name: str, detail: str) -> str:
    """A patient's name cut to what a therapist's calendar may carry (the clinic's setting)."""
    given, family = given_name.strip(), family_name.strip()
    if detail == DETAIL_FULL:
        return f"{given} {family}".strip()
    if detail == DETAIL_SHORT:
        return f"{given} {family[:1]}.".strip() if family else given
    if detail == DETAIL_INITIALS:
        return " ".join(f"{part[:1]}." for part in (given, family) if part)
    return "Client"
