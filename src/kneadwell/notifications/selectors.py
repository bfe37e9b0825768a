"""Reads for notifications: what the front desk must act on, a patient's messages, and the feeds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.therapists.models import Therapist

from .models import PENDING_STATUSES, ContactPreference, DeliveryAttempt, FeedToken, Message, MessageStatus

# Pending messages this late make the Today page warn that the worker may not be running.
LATE_AFTER = dt.timedelta(minutes=10)
# What a feed carries: the recent past (a therapist looks back at last week) and the months ahead.
FEED_PAST = dt.timedelta(days=31)
FEED_FUTURE = dt.timedelta(days=366)


def _with_attempts(qs: QuerySet[Message]) -> QuerySet[Message]:
    return qs.select_related(
        "patient", "appointment__location", "appointment__service", "handled_by"
    ).prefetch_related(Prefetch("delivery_attempts", queryset=DeliveryAttempt.objects.order_by("number")))


def failed_messages(limit: int = 50) -> list[Message]:
    """Failed messages nobody has dealt with yet: the Today page shows them until someone acts."""
    return list(
        _with_attempts(Message.objects.filter(status=MessageStatus.FAILED, handled_at__isnull=True)).order_by(
            "-updated_at"
        )[:limit]
    )


def late_message_count(*, at: dt.datetime | None = None) -> int:
    """Messages still waiting well past their time: a sign that no worker is running."""
    at = at or now()
    return Message.objects.filter(status__in=PENDING_STATUSES, next_attempt_at__lt=at - LATE_AFTER).count()


def message_log(*, status: str = "", limit: int = 100) -> list[Message]:
    """The latest messages, newest first, each with its attempts (the delivery log)."""
    qs = Message.objects.all()
    if status in MessageStatus.values:
        qs = qs.filter(status=status)
    return list(_with_attempts(qs)[:limit])


def patient_messages(patient: Patient, limit: int = 10) -> list[Message]:
    return list(_with_attempts(Message.objects.filter(patient=patient))[:limit])


def contact_preference(patient: Patient) -> ContactPreference:
    """The patient's saved preferences, or (unsaved) the defaults."""
    return ContactPreference.objects.filter(patient=patient).first() or ContactPreference(patient=patient)


def active_feeds(*, therapist: Therapist | None = None, patient: Patient | None = None) -> list[FeedToken]:
    qs = FeedToken.objects.filter(revoked_at__isnull=True)
    if therapist is not None:
        return list(qs.filter(therapist=therapist))
    if patient is not None:
        return list(qs.filter(patient=patient))
    return []


@dataclass(frozen=True)
class FeedWindow:
    start: dt.datetime
    end: dt.datetime


def feed_window(at: dt.datetime) -> FeedWindow:
    return FeedWindow(start=at - FEED_PAST, end=at + FEED_FUTURE)


def feed_appointments(token: FeedToken, *, at: dt.datetime) -> list[Appointment]:
    """The appointments a feed publishes: its owner's, in the window, not cancelled (a calendar app
    removes an event that leaves the feed)."""
    window = feed_window(at)
    qs = Appointment.objects.filter(start__gte=window.start, start__lt=window.end).exclude(
        status=AppointmentStatus.CANCELLED
    )
    if token.therapist_id is not None:
        qs = qs.filter(therapist_id=token.therapist_id)
    elif token.patient_id is not None:
        qs = qs.filter(patient_id=token.patient_id)
    else:
        return []
    return list(qs.select_related("patient", "therapist", "location", "room", "service").order_by("start"))
