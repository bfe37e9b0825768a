"""The demo clinic's delivery log: confirmations that went out, one that failed twice before it did,
one reminder that could not be delivered (on the front desk's Today page until someone acts), and a
reminder a patient opted out of.

History, not sending: the rows are written as the worker would have left them, so loading the demo
sends nothing. Everything booked from then on goes through the real worker (`make run` starts it).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kneadwell.notifications.content import render_message
from kneadwell.notifications.delivery import retry_policy
from kneadwell.notifications.models import (
    AttemptOutcome,
    ContactPreference,
    DeliveryAttempt,
    Message,
    MessageChannel,
    MessageKind,
    MessageStatus,
)
from kneadwell.scheduling.models import Appointment, AppointmentStatus

SMTP_ANSWER = "Accepted by smtp mail backend."
# What a mail server answers when it is busy, and when the address does not exist.
TEMPORARY_ERRORS = (
    "SMTPServerDisconnected: Connection unexpectedly closed",
    "SMTPDataError: (451, b'4.3.0 Temporary server error. Please try again later')",
)


def _attempts(message: Message, outcomes: list[tuple[AttemptOutcome, str]], first: dt.datetime) -> None:
    at = first
    policy = retry_policy()
    for number, (outcome, detail) in enumerate(outcomes, start=1):
        DeliveryAttempt.objects.create(
            message=message,
            number=number,
            started_at=at,
            finished_at=at + dt.timedelta(seconds=2),
            outcome=outcome,
            recipient=message.recipient,
            detail=detail,
            worker="demo",
        )
        at = at + policy.delay_after(number)


def _message(
    appointment: Appointment,
    *,
    kind: MessageKind,
    status: MessageStatus,
    written: dt.datetime,
    outcomes: list[tuple[AttemptOutcome, str]],
    reason: str = "",
) -> Message:
    message = Message.objects.create(
        kind=kind,
        channel=MessageChannel.EMAIL,
        status=status,
        patient=appointment.patient,
        appointment=appointment,
        appointment_start=appointment.start,
        recipient=appointment.patient.email,
        due_at=written,
        next_attempt_at=written,
        attempts=len(outcomes),
        max_attempts=retry_policy().max_attempts,
        dedupe_key=f"{appointment.public_id}:{kind}:demo",
        reason=reason,
    )
    if status == MessageStatus.SENT:
        rendered = render_message(message, stamp=written)
        sent_at = written + sum(
            (retry_policy().delay_after(n) for n in range(1, len(outcomes))), dt.timedelta()
        )
        Message.objects.filter(pk=message.pk).update(
            subject=rendered.subject, body=rendered.body, sent_at=sent_at, reason=SMTP_ANSWER
        )
    _attempts(message, outcomes, written)
    Message.objects.filter(pk=message.pk).update(created_at=written, updated_at=written)
    return message


def add_delivery_log(*, as_of: dt.datetime) -> int:
    """Write the demo's message history around `as_of`; returns the number of messages."""
    upcoming = list(
        Appointment.objects.filter(status=AppointmentStatus.BOOKED, start__gt=as_of + dt.timedelta(hours=2))
        .exclude(patient__email="")
        .select_related("patient", "location", "therapist", "service")
        .order_by("start")[:6]
    )
    if len(upcoming) < 4:
        return 0
    written = as_of - dt.timedelta(hours=3)
    sent = (AttemptOutcome.SENT, SMTP_ANSWER)
    for appointment in upcoming[:2]:
        _message(
            appointment,
            kind=MessageKind.CONFIRMATION,
            status=MessageStatus.SENT,
            written=written,
            outcomes=[sent],
        )
    # Failed twice (the mail server was busy), then went out on the third attempt.
    _message(
        upcoming[2],
        kind=MessageKind.CONFIRMATION,
        status=MessageStatus.SENT,
        written=written,
        outcomes=[
            (AttemptOutcome.ERROR, TEMPORARY_ERRORS[0]),
            (AttemptOutcome.ERROR, TEMPORARY_ERRORS[1]),
            sent,
        ],
    )
    # The address does not exist: retrying cannot help, so it failed at once and waits for the desk.
    bounced = upcoming[3]
    refusal = (
        f"SMTPRecipientsRefused: {{'{bounced.patient.email}': (550, b'5.1.1 <{bounced.patient.email}>: "
        "Recipient address rejected: User unknown')}"
    )
    _message(
        bounced,
        kind=MessageKind.REMINDER,
        status=MessageStatus.FAILED,
        written=as_of - dt.timedelta(minutes=40),
        outcomes=[(AttemptOutcome.ERROR, refusal)],
        reason=refusal,
    )
    count = 4
    if len(upcoming) > 4:
        # A patient who asked for no reminders: written, kept in the log, never sent.
        quiet = upcoming[4]
        ContactPreference.objects.get_or_create(patient=quiet.patient, defaults={"reminders_enabled": False})
        _message(
            quiet,
            kind=MessageKind.REMINDER,
            status=MessageStatus.SUPPRESSED,
            written=as_of - dt.timedelta(minutes=30),
            outcomes=[],
            reason="The patient asked not to get reminders.",
        )
        count += 1
    return count


def mark_as_sent(messages: QuerySet[Message], *, at: dt.datetime) -> None:
    """Messages the demo's own bookings and cancellations queued went out at `at`, as the worker would have
    sent them: the demo's log is history, and loading the demo sends nothing."""
    for message in messages.filter(status__in=(MessageStatus.QUEUED, MessageStatus.RETRYING)):
        rendered = render_message(message, stamp=at)
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT,
            subject=rendered.subject,
            body=rendered.body,
            sent_at=at,
            attempts=1,
            reason=SMTP_ANSWER,
            created_at=at,
            updated_at=at,
        )
        _attempts(message, [(AttemptOutcome.SENT, SMTP_ANSWER)], at)
