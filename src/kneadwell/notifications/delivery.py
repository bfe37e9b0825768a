"""Sending messages so that none fails silently: claim, send, record, retry with backoff, give up
visibly; the watchdog for sends a crashed worker left behind; the reminder scheduler.

Neither django-tasks nor its database backend retries a failed task, and a task row is not a log a
front desk can read, so the Message row is the source of truth and tasks only wake a worker for it:

- A task (notifications.tasks.send_message) names a message. `deliver` *claims* it with one
  conditional UPDATE (waiting and due → sending, attempts + 1, a lease): of two workers woken for the
  same message, exactly one wins, so a duplicate task never means a duplicate message.
- The provider call happens outside any transaction (a slow SMTP server must not hold the database),
  then the outcome is written: sent; or retrying at the next backoff step with a new task; or, after
  the last attempt or on an error retrying cannot fix, failed, which the Today page shows until
  someone retries it or marks it handled.
- The watchdog (every minute, in `kneadwell worker`) takes back sends whose lease ran out (the worker
  died mid-send) and wakes a worker for every waiting message that is overdue (a task row lost, a
  queue emptied by hand, an enqueue that failed after the booking committed).

Delivery is at least once: a worker that dies after the provider accepted a message but before the
outcome is written leaves a send that the watchdog repeats. Everything short of that is exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from kneadwell.lib.clock import now
from kneadwell.scheduling.models import Appointment, AppointmentStatus

from . import policy
from .content import Rendered, render_message
from .models import (
    WAITING_STATUSES,
    AttemptOutcome,
    ContactPreference,
    DeliveryAttempt,
    Message,
    MessageChannel,
    MessageKind,
    MessageStatus,
    NotificationSettings,
)
from .sms import SmsError, sms_provider

logger = logging.getLogger("kneadwell.notifications")

# A waiting message this far past due with no worker having claimed it is woken again.
WATCHDOG_GRACE = dt.timedelta(minutes=2)
# At most this many messages per watchdog or scheduler pass (the next pass takes the rest).
BATCH = 500


class PermanentDeliveryError(Exception):
    """Retrying cannot help (no address on file, an address the provider refuses)."""


def retry_policy() -> policy.RetryPolicy:
    return policy.RetryPolicy(
        max_attempts=settings.KNEADWELL_NOTIFY_MAX_ATTEMPTS,
        base=dt.timedelta(seconds=settings.KNEADWELL_NOTIFY_RETRY_BASE_SECONDS),
        cap=dt.timedelta(seconds=settings.KNEADWELL_NOTIFY_RETRY_CAP_SECONDS),
    )


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.KNEADWELL_NOTIFY_LEASE_SECONDS)


# --------------------------------------------------------------------------- waking a worker


def enqueue(message: Message, *, at: dt.datetime | None = None) -> None:
    """Ask a worker to send `message` when it is due (a django-tasks task in the database queue)."""
    from .tasks import send_message

    at = at or now()
    task = send_message
    if message.next_attempt_at > at:
        task = send_message.using(run_after=message.next_attempt_at)
    task.enqueue(str(message.public_id))
    Message.objects.filter(pk=message.pk).update(last_enqueued_at=at)


def enqueue_quietly(message_id: int) -> None:
    """Enqueue after a commit. A failure here is logged, never raised into the request that booked:
    the message row is saved, and the watchdog wakes a worker for it within minutes."""
    try:
        message = Message.objects.get(pk=message_id)
        if message.status in WAITING_STATUSES:
            enqueue(message)
    except Exception:
        logger.exception("Could not enqueue message %s; the watchdog will send it.", message_id)


# --------------------------------------------------------------------------- one delivery


@dataclass(frozen=True)
class Verdict:
    """Why a claimed message is not sent after all."""

    status: MessageStatus
    outcome: AttemptOutcome
    reason: str


def contact_choices(patient_id: int) -> policy.ContactChoices:
    preference = ContactPreference.objects.filter(patient_id=patient_id).first()
    return preference.choices() if preference is not None else policy.ContactChoices()


def _still_relevant(message: Message, at: dt.datetime) -> Verdict | None:
    """A message the visit has overtaken (cancelled, moved, started) is cancelled, not sent."""

    def cancelled(reason: str) -> Verdict:
        return Verdict(MessageStatus.CANCELLED, AttemptOutcome.CANCELLED, reason)

    if message.kind == MessageKind.WAITLIST_OFFER:
        expires = message.context.get("expires_at")
        if expires and dt.datetime.fromisoformat(expires) <= at:
            return cancelled("The offer expired before it could be sent.")
        return None
    appointment: Appointment | None = message.appointment
    if appointment is None:
        return cancelled("The appointment no longer exists.")
    about_the_visit = message.kind in (MessageKind.CONFIRMATION, MessageKind.REMINDER, MessageKind.CHANGE)
    if about_the_visit and appointment.status == AppointmentStatus.CANCELLED:
        return cancelled("The appointment was cancelled before this went out.")
    if about_the_visit and message.appointment_start and appointment.start != message.appointment_start:
        return cancelled("The appointment moved before this went out; the change notice gives the new time.")
    if message.kind == MessageKind.REMINDER and appointment.start <= at:
        return cancelled("The visit had already started.")
    if message.kind == MessageKind.CANCELLATION and appointment.status != AppointmentStatus.CANCELLED:
        return cancelled("The appointment is no longer cancelled.")
    return None


def _recipient(message: Message, choices: policy.ContactChoices) -> str:
    if message.channel == MessageChannel.EMAIL:
        address = message.patient.email.strip()
        if not address:
            raise PermanentDeliveryError("No e-mail address on file: add one to the patient, then retry.")
        return address
    if not choices.sms_number:
        raise PermanentDeliveryError(
            "No mobile number for texts: add one in the contact preferences, then retry."
        )
    return choices.sms_number


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, SmsError):
        return exc.permanent
    return isinstance(
        exc,
        PermanentDeliveryError
        | smtplib.SMTPRecipientsRefused
        | AnymailRecipientsRefused
        | AnymailInvalidAddress,
    )


def _send_email(message: Message, recipient: str, rendered: Rendered) -> tuple[str, str]:
    """Hand the message to Django's mail backend; (provider message id, provider answer)."""
    email = EmailMessage(
        subject=rendered.subject,
        body=rendered.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers={"Auto-Submitted": "auto-generated", "X-Kneadwell-Message": str(message.public_id)},
    )
    if rendered.ics is not None:
        email.attach(rendered.ics_name, rendered.ics, "text/calendar")
    accepted = email.send(fail_silently=False)
    if accepted != 1:
        raise RuntimeError("The mail backend accepted nothing (it returned 0 messages sent).")
    status = getattr(email, "anymail_status", None)
    if status is not None and status.message_id:
        return str(status.message_id), f"Accepted by the provider: {', '.join(sorted(status.status or []))}"
    return "", f"Accepted by {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} mail backend."


def _send_sms(recipient: str, rendered: Rendered) -> tuple[str, str]:
    receipt = sms_provider().send(to=recipient, body=rendered.body)
    return receipt.provider_id, receipt.answer


def _claim(public_id: str, at: dt.datetime, worker: str) -> tuple[Message, DeliveryAttempt] | None:
    """Take the message for this worker if it is waiting and due; None if another has it or it is done."""
    with transaction.atomic():
        claimed = Message.objects.filter(
            public_id=public_id, status__in=WAITING_STATUSES, next_attempt_at__lte=at
        ).update(
            status=MessageStatus.SENDING,
            attempts=F("attempts") + 1,
            lease_until=at + lease(),
            updated_at=at,
        )
        if not claimed:
            return None
        message = Message.objects.select_related(
            "patient", "appointment__location", "appointment__therapist", "appointment__service"
        ).get(public_id=public_id)
        attempt = DeliveryAttempt.objects.create(
            message=message, number=message.attempts, started_at=at, worker=worker[:64]
        )
    return message, attempt


def _finish(
    message: Message,
    attempt: DeliveryAttempt,
    *,
    status: MessageStatus,
    outcome: AttemptOutcome,
    detail: str,
    at: dt.datetime,
    recipient: str = "",
    provider_id: str = "",
    next_attempt_at: dt.datetime | None = None,
) -> None:
    """Write the outcome of a claimed attempt (only if the watchdog has not taken the message back)."""
    mine = Q(status=MessageStatus.SENDING, attempts=attempt.number)
    if status == MessageStatus.SENT:
        # Sent after the lease ran out and the watchdog queued it again: still sent; do not send twice.
        mine |= Q(status__in=WAITING_STATUSES, attempts=attempt.number)
    fields: dict[str, object] = {
        "status": status,
        "lease_until": None,
        "reason": detail,
        "updated_at": at,
    }
    if recipient:
        fields["recipient"] = recipient
    if status == MessageStatus.SENT:
        fields.update(sent_at=at, provider_message_id=provider_id[:200])
    if next_attempt_at is not None:
        fields["next_attempt_at"] = next_attempt_at
    with transaction.atomic():
        updated = Message.objects.filter(mine, pk=message.pk).update(**fields)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            outcome=outcome, finished_at=at, detail=detail, recipient=recipient
        )
    if not updated:
        logger.warning("Message %s changed hands while attempt %s ran.", message.public_id, attempt.number)
        return
    if status == MessageStatus.RETRYING:
        message.next_attempt_at = next_attempt_at or at
        try:
            enqueue(message, at=at)
        except Exception:
            logger.exception("Could not enqueue the retry of %s; the watchdog will.", message.public_id)


def deliver(public_id: str, *, worker: str = "", at: dt.datetime | None = None) -> str:
    """Try once to send the message `public_id`; return its status afterwards.

    Never raises for a delivery problem: every outcome is written to the message and its attempt.
    """
    at = at or now()
    claimed = _claim(public_id, at, worker)
    if claimed is None:
        return "skipped"
    message, attempt = claimed
    recipient = ""
    try:
        verdict = _still_relevant(message, at)
        choices = contact_choices(message.patient_id)
        if verdict is None:
            reason = policy.suppression_reason(message.kind, message.channel, choices)
            if reason:
                verdict = Verdict(MessageStatus.SUPPRESSED, AttemptOutcome.SUPPRESSED, reason)
        if verdict is not None:
            _finish(
                message, attempt, status=verdict.status, outcome=verdict.outcome, detail=verdict.reason, at=at
            )
            return str(verdict.status)
        recipient = _recipient(message, choices)
        rendered = _content(message, at)
        if message.channel == MessageChannel.EMAIL:
            provider_id, answer = _send_email(message, recipient, rendered)
        else:
            provider_id, answer = _send_sms(recipient, rendered)
    except Exception as exc:
        detail = _describe(exc)
        next_at = None
        if not _is_permanent(exc) and attempt.number < message.max_attempts:
            # Backoff restarts with each round of attempts (a retry from the front desk starts one).
            next_at = at + retry_policy().delay_after(attempt.number - message.round_start)
        if next_at is not None:
            logger.warning(
                "Message %s attempt %s failed, retrying at %s: %s", public_id, attempt.number, next_at, detail
            )
            _finish(
                message,
                attempt,
                status=MessageStatus.RETRYING,
                outcome=AttemptOutcome.ERROR,
                detail=detail,
                at=at,
                recipient=recipient,
                next_attempt_at=next_at,
            )
            return str(MessageStatus.RETRYING)
        logger.error("Message %s failed for good after %s attempt(s): %s", public_id, attempt.number, detail)
        _finish(
            message,
            attempt,
            status=MessageStatus.FAILED,
            outcome=AttemptOutcome.ERROR,
            detail=detail,
            at=at,
            recipient=recipient,
        )
        return str(MessageStatus.FAILED)
    _finish(
        message,
        attempt,
        status=MessageStatus.SENT,
        outcome=AttemptOutcome.SENT,
        detail=answer,
        at=at,
        recipient=recipient,
        provider_id=provider_id,
    )
    return str(MessageStatus.SENT)


def _content(message: Message, at: dt.datetime) -> Rendered:
    """The words are rendered at the first attempt and kept, so every retry sends the same text; the
    calendar file is made afresh each time (it carries the appointment's current revision)."""
    rendered = render_message(message, stamp=at)
    if message.body:
        return Rendered(
            subject=message.subject, body=message.body, ics=rendered.ics, ics_name=rendered.ics_name
        )
    Message.objects.filter(pk=message.pk).update(subject=rendered.subject[:200], body=rendered.body)
    return rendered


def _describe(exc: BaseException) -> str:
    """The provider's answer or the error, as the delivery log shows it."""
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, PermanentDeliveryError | SmsError):
        return text[:1000]
    return f"{exc.__class__.__name__}: {text}"[:1000]


# --------------------------------------------------------------------------- the watchdog


@dataclass(frozen=True)
class WatchdogReport:
    recovered: int  # sends a dead worker left behind, taken back
    woken: int  # overdue waiting messages a worker was asked to send again


def watchdog(*, at: dt.datetime | None = None) -> WatchdogReport:
    """Take back sends whose lease has run out, and wake a worker for every overdue waiting message."""
    at = at or now()
    recovered = 0
    stale = list(Message.objects.filter(status=MessageStatus.SENDING, lease_until__lt=at)[:BATCH])
    for message in stale:
        last_try = message.attempts >= message.max_attempts
        detail = (
            "The worker stopped during the last attempt; the message may or may not have gone out."
            if last_try
            else "The worker stopped before the send finished (a crash or a restart); it is sent again."
        )
        with transaction.atomic():
            taken = Message.objects.filter(
                pk=message.pk, status=MessageStatus.SENDING, attempts=message.attempts
            ).update(
                status=MessageStatus.FAILED if last_try else MessageStatus.RETRYING,
                lease_until=None,
                next_attempt_at=at,
                reason=detail,
                updated_at=at,
            )
            if taken:
                DeliveryAttempt.objects.filter(
                    message=message, number=message.attempts, outcome=AttemptOutcome.IN_PROGRESS
                ).update(outcome=AttemptOutcome.INTERRUPTED, finished_at=at, detail=detail)
        if taken:
            recovered += 1
            logger.warning("Message %s: %s", message.public_id, detail)

    overdue = list(
        Message.objects.filter(status__in=WAITING_STATUSES, next_attempt_at__lte=at - WATCHDOG_GRACE)
        .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=at - WATCHDOG_GRACE))
        .order_by("next_attempt_at")[:BATCH]
    )
    for message in overdue:
        enqueue(message, at=at)
    return WatchdogReport(recovered=recovered, woken=len(overdue))


# --------------------------------------------------------------------------- reminders


def schedule_reminders(*, at: dt.datetime | None = None) -> int:
    """Write the reminders that are due now (the clinic's lead time before each booked visit).

    Idempotent: a reminder's key names the appointment and its start, so a visit gets one reminder per
    time it is booked for, however often this runs or on however many workers.
    """
    from .services import queue_messages

    at = at or now()
    lead = dt.timedelta(hours=NotificationSettings.current().reminder_hours)
    candidates = list(
        Appointment.objects.filter(status=AppointmentStatus.BOOKED, start__gt=at, start__lte=at + lead)
        .select_related("patient")
        .order_by("start")[:BATCH]
    )
    keys = {reminder_key(a) for a in candidates}
    existing = {
        key.rsplit(":", 1)[0]
        for key in Message.objects.filter(kind=MessageKind.REMINDER, appointment__in=candidates).values_list(
            "dedupe_key", flat=True
        )
    }
    written = 0
    for appointment in candidates:
        key = reminder_key(appointment)
        if key in existing or key not in keys:
            continue
        if not policy.wants_reminder(start=appointment.start, booked_at=appointment.created_at, lead=lead):
            continue
        try:
            with transaction.atomic():
                written += len(
                    queue_messages(
                        kind=MessageKind.REMINDER,
                        patient=appointment.patient,
                        appointment=appointment,
                        key=key,
                        due_at=policy.reminder_due(appointment.start, lead),
                    )
                )
        except IntegrityError:
            continue  # another worker wrote it first
    return written


def reminder_key(appointment: Appointment) -> str:
    return f"{appointment.public_id}:reminder:{appointment.start.isoformat()}"


# --------------------------------------------------------------------------- the periodic pass


@dataclass(frozen=True)
class TickReport:
    reminders: int
    recovered: int
    woken: int


def periodic(*, at: dt.datetime | None = None) -> TickReport:
    """What the worker does every minute: write due reminders, then run the watchdog."""
    at = at or now()
    reminders = schedule_reminders(at=at)
    report = watchdog(at=at)
    return TickReport(reminders=reminders, recovered=report.recovered, woken=report.woken)
