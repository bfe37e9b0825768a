"""Writes for notifications: the calls the booking code makes, contact preferences, the front desk's
actions on failed messages, and calendar feed tokens.

The booking code calls `appointment_booked`, `appointment_changed`, `appointment_cancelled` and
`waitlist_offer` for each event. Best inside the transaction that books, moves or cancels: the
message rows then commit (or roll back) with the appointment, and a worker is woken only after the
commit (`transaction.on_commit`), so it never reads an appointment that is not there yet. Called
after the commit (autocommit), they work the same; only a crash between the two commits could then
lose a message. None of them sends anything in the request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from kneadwell.accounts.models import AuditAction, User
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Service
from kneadwell.lib.clock import now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Therapist

from . import policy
from .delivery import contact_choices, enqueue_quietly, retry_policy
from .ics import event_sequence
from .models import (
    PENDING_STATUSES,
    ContactPreference,
    FeedToken,
    Message,
    MessageKind,
    MessageStatus,
    sms_number_validator,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "FEED_PREFIX",
    "IssuedFeed",
    "appointment_booked",
    "appointment_cancelled",
    "appointment_changed",
    "contact_preferences_update",
    "feed_token_create",
    "feed_token_for_secret",
    "feed_token_revoke",
    "message_mark_handled",
    "message_retry",
    "queue_messages",
    "waitlist_offer",
]

# Message kinds about a booked time: replaced by a change notice when the time changes.
ABOUT_THE_TIME = (MessageKind.CONFIRMATION, MessageKind.REMINDER, MessageKind.CHANGE)


# --------------------------------------------------------------------------- queueing


def queue_messages(
    *,
    kind: MessageKind | str,
    patient: Patient,
    key: str,
    appointment: Appointment | None = None,
    context: dict[str, object] | None = None,
    due_at: dt.datetime | None = None,
    actor: User | None = None,
) -> list[Message]:
    """Write one message per channel the patient receives, and wake a worker after the commit.

    `key` names the event (e.g. "<appointment>:confirmation"): a second call with the same key writes
    nothing, so a retried request never sends twice. A channel the patient opted out of is written as
    `suppressed` (kept in the log, never sent).
    """
    at = now()
    due = due_at or at
    choices = contact_choices(patient.pk)
    written: list[Message] = []
    for channel in policy.channels_for(choices):
        dedupe_key = f"{key}:{channel}"[:200]
        if Message.objects.filter(dedupe_key=dedupe_key).exists():
            continue
        reason = policy.suppression_reason(str(kind), channel, choices)
        message = Message(
            kind=kind,
            channel=channel,
            patient=patient,
            appointment=appointment,
            appointment_start=appointment.start if appointment is not None else None,
            context=context or {},
            due_at=due,
            next_attempt_at=due,
            max_attempts=retry_policy().max_attempts,
            status=MessageStatus.SUPPRESSED if reason else MessageStatus.QUEUED,
            reason=reason,
            dedupe_key=dedupe_key,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            continue  # the same event reported twice at once: the other call wrote it
        written.append(message)
        if message.status == MessageStatus.QUEUED:
            transaction.on_commit(partial(enqueue_quietly, message.pk), robust=True)
    return written


def _cancel_pending(appointment: Appointment, kinds: tuple[MessageKind, ...], reason: str) -> int:
    """Cancel messages not yet sent that the event has overtaken (they would be cancelled at send time
    anyway; doing it now keeps the log and the worker's queue honest)."""
    return Message.objects.filter(
        appointment=appointment, kind__in=kinds, status__in=(MessageStatus.QUEUED, MessageStatus.RETRYING)
    ).update(status=MessageStatus.CANCELLED, reason=reason, updated_at=now())


# --------------------------------------------------------------------------- the booking code's calls


def appointment_booked(appointment: Appointment, *, actor: User | None = None) -> list[Message]:
    """A new booking: a confirmation (with the visit's instructions and the .ics) to the patient."""
    return queue_messages(
        kind=MessageKind.CONFIRMATION,
        patient=appointment.patient,
        appointment=appointment,
        key=f"{appointment.public_id}:confirmation",
        actor=actor,
    )


def appointment_changed(
    appointment: Appointment, previous_start: dt.datetime, *, actor: User | None = None
) -> list[Message]:
    """A moved (or otherwise changed) booking: a change notice with the new and the old time.

    Confirmations and reminders for the old time that have not gone out are cancelled; the reminder
    for the new time is written by the scheduler when it is due.
    """
    if previous_start.utcoffset() is None:
        raise ValueError("previous_start must be an aware instant")
    _cancel_pending(appointment, ABOUT_THE_TIME, "The appointment changed; the change notice replaces this.")
    return queue_messages(
        kind=MessageKind.CHANGE,
        patient=appointment.patient,
        appointment=appointment,
        # One notice per revision of the appointment, however often the same change is reported.
        key=f"{appointment.public_id}:change:{event_sequence(appointment)}",
        context={"previous_start": previous_start.astimezone(dt.UTC).isoformat()},
        actor=actor,
    )


def appointment_cancelled(appointment: Appointment, *, actor: User | None = None) -> list[Message]:
    """A cancelled booking: a cancellation notice (the .ics marks the event cancelled)."""
    _cancel_pending(appointment, ABOUT_THE_TIME, "The appointment was cancelled.")
    return queue_messages(
        kind=MessageKind.CANCELLATION,
        patient=appointment.patient,
        appointment=appointment,
        key=f"{appointment.public_id}:cancellation",
        actor=actor,
    )


def waitlist_offer(
    *,
    patient: Patient,
    location: Location,
    service: Service,
    therapist: Therapist,
    start: dt.datetime,
    end: dt.datetime,
    expires_at: dt.datetime,
    offer_id: str,
    accept_url: str = "",
    appointment: Appointment | None = None,
    actor: User | None = None,
) -> list[Message]:
    """Offer a freed slot to a waiting patient: when, where, with whom, and until when it is held.

    `offer_id` names the offer (one message per offer and channel); `accept_url` is where the patient
    takes it (empty: the message asks them to call). `appointment` is the held booking, if the
    waitlist holds the slot as one.
    """
    for name, instant in (("start", start), ("end", end), ("expires_at", expires_at)):
        if instant.utcoffset() is None:
            raise ValueError(f"{name} must be an aware instant")
    return queue_messages(
        kind=MessageKind.WAITLIST_OFFER,
        patient=patient,
        appointment=appointment,
        key=f"offer:{offer_id}",
        context={
            "offer_id": offer_id,
            "location_id": location.pk,
            "service_id": service.pk,
            "therapist_id": therapist.pk,
            "start": start.astimezone(dt.UTC).isoformat(),
            "end": end.astimezone(dt.UTC).isoformat(),
            "expires_at": expires_at.astimezone(dt.UTC).isoformat(),
            "accept_url": accept_url,
        },
        actor=actor,
    )


# --------------------------------------------------------------------------- contact preferences


def contact_preferences_update(
    *,
    actor: User,
    patient: Patient,
    email_enabled: bool,
    sms_enabled: bool,
    sms_number: str,
    reminders_enabled: bool,
    channel: str = "web",
    request: HttpRequest | None = None,
) -> ContactPreference:
    """Save how `patient` wants to hear from the clinic (the patient themself, or clinic staff).

    Raises PermissionDenied for anyone else and DomainError (field "sms_number") for a missing or
    malformed number when texts are switched on.
    """
    if not actor.has_perm("notifications.change_contactpreference", patient):
        raise PermissionDenied("You may not change this patient's contact preferences.")
    number = "".join(ch for ch in sms_number if ch.isdigit() or ch == "+")
    if number and not number.startswith("+"):
        raise DomainError(
            "Start the number with + and the country code (e.g. +1 312 555 0123).", field="sms_number"
        )
    if number:
        try:
            sms_number_validator(number)
        except ValidationError:
            raise DomainError(str(sms_number_validator.message), field="sms_number") from None
    if sms_enabled and not number:
        raise DomainError("Give a mobile number to get text messages.", field="sms_number")
    with transaction.atomic():
        preference, _ = ContactPreference.objects.select_for_update().get_or_create(patient=patient)
        before = {
            "email_enabled": preference.email_enabled,
            "sms_enabled": preference.sms_enabled,
            "reminders_enabled": preference.reminders_enabled,
            "sms_number_set": bool(preference.sms_number),
        }
        preference.email_enabled = email_enabled
        preference.sms_enabled = sms_enabled
        preference.sms_number = number
        preference.reminders_enabled = reminders_enabled
        preference.updated_by = actor
        preference.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="contact_preference",
            object_id=patient.public_id,
            patient_ids=[patient.public_id],
            channel=channel,
            request=request,
            detail={
                "before": before,
                "after": {
                    "email_enabled": email_enabled,
                    "sms_enabled": sms_enabled,
                    "reminders_enabled": reminders_enabled,
                    "sms_number_set": bool(number),
                },
            },
        )
    return preference


# --------------------------------------------------------------------------- failed messages


def _audit_message(
    actor: User, message: Message, event: str, request: HttpRequest | None, **detail: object
) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="message",
        object_id=message.public_id,
        patient_ids=[message.patient.public_id],
        channel="web" if request is not None else "cli",
        request=request,
        detail={"event": event, "kind": message.kind, "channel": message.channel, **detail},
    )


def message_retry(*, actor: User, message: Message, request: HttpRequest | None = None) -> Message:
    """Send a failed message again now, with a fresh round of attempts (after fixing what failed).

    Raises PermissionDenied (not clinic staff) and Conflict (the message is not failed).
    """
    if not actor.has_perm("notifications.retry_message", message):
        raise PermissionDenied("You may not retry messages.")
    at = now()
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
            status=MessageStatus.RETRYING,
            next_attempt_at=at,
            round_start=message.attempts,
            max_attempts=message.attempts + retry_policy().max_attempts,
            reason=f"Sent again by {actor.display_name}.",
            updated_at=at,
        )
        if not updated:
            raise Conflict("Only a failed message can be sent again.", field="message", code="not_failed")
        _audit_message(actor, message, "retry", request)
        transaction.on_commit(partial(enqueue_quietly, message.pk), robust=True)
    message.refresh_from_db()
    return message


def message_mark_handled(
    *, actor: User, message: Message, note: str = "", request: HttpRequest | None = None
) -> Message:
    """The front desk took care of a failed message another way (called the patient): it leaves the
    Today page. The message stays `failed` in the log: it did not go out.

    Raises PermissionDenied (not clinic staff) and Conflict (not failed, or already handled).
    """
    if not actor.has_perm("notifications.retry_message", message):
        raise PermissionDenied("You may not change messages.")
    at = now()
    note = note.strip()[:300] or "Handled by the front desk"
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, status=MessageStatus.FAILED, handled_at__isnull=True
        ).update(handled_at=at, handled_by=actor, handled_note=note, updated_at=at)
        if not updated:
            raise Conflict("This message is not waiting for anyone.", field="message", code="not_failed")
        _audit_message(actor, message, "handled", request, note=note)
    message.refresh_from_db()
    return message


def pending_for(patient: Patient) -> int:
    return Message.objects.filter(patient=patient, status__in=PENDING_STATUSES).count()


# --------------------------------------------------------------------------- calendar feed tokens

FEED_PREFIX = "kwf_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedFeed:
    token: FeedToken
    secret: str


def _feed_perm(actor: User, *, therapist: Therapist | None, patient: Patient | None) -> bool:
    if therapist is not None:
        return actor.has_perm("notifications.manage_therapist_feed", therapist)
    return actor.has_perm("notifications.manage_patient_feed", patient)


def feed_token_create(
    *,
    actor: User,
    therapist: Therapist | None = None,
    patient: Patient | None = None,
    name: str = "",
    request: HttpRequest | None = None,
) -> IssuedFeed:
    """A new secret feed address for one therapist or one patient. The secret is shown once.

    Raises PermissionDenied (a therapist's own feed: that therapist or a clinic admin; a patient's:
    that patient or clinic staff) and ValueError for not exactly one owner.
    """
    if (therapist is None) == (patient is None):
        raise ValueError("A feed belongs to exactly one therapist or one patient.")
    if not _feed_perm(actor, therapist=therapist, patient=patient):
        raise PermissionDenied("You may not make a calendar feed for this person.")
    secret = FEED_PREFIX + secrets.token_urlsafe(32)
    token = FeedToken.objects.create(
        therapist=therapist,
        patient=patient,
        name=name.strip()[:100],
        prefix=secret[: len(FEED_PREFIX) + 6],
        digest=_digest(secret),
        created_by=actor,
    )
    _audit_feed(actor, token, AuditAction.CREATE, request)
    return IssuedFeed(token=token, secret=secret)


def feed_token_revoke(*, actor: User, token: FeedToken, request: HttpRequest | None = None) -> FeedToken:
    """Stop a feed address from working (at once; the calendar app then finds nothing there)."""
    if not _feed_perm(actor, therapist=token.therapist, patient=token.patient):
        raise PermissionDenied("You may not revoke this calendar feed.")
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
        _audit_feed(actor, token, AuditAction.DELETE, request)
    return token


def feed_token_for_secret(secret: str) -> FeedToken | None:
    """The active feed token a secret belongs to, or None (unknown, malformed or revoked)."""
    if not secret.startswith(FEED_PREFIX) or len(secret) > 100:
        return None
    return (
        FeedToken.objects.select_related("therapist", "patient")
        .filter(digest=_digest(secret), revoked_at__isnull=True)
        .first()
    )


def _audit_feed(actor: User, token: FeedToken, action: AuditAction, request: HttpRequest | None) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="calendar_feed",
        object_id=token.public_id,
        patient_ids=[token.patient.public_id] if token.patient is not None else [],
        channel="web" if request is not None else "cli",
        request=request,
        detail={
            "prefix": token.prefix,
            "owner": "therapist" if token.therapist_id else "patient",
            "therapist": str(token.therapist.public_id) if token.therapist is not None else "",
        },
    )
