"""The calendar feeds: a therapist's (patients only as far as the clinic allows) and a patient's own."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q

from kneadwell.accounts.models import AuditAction
from kneadwell.accounts.services import audit_record

from . import ics
from .models import FeedToken, NotificationSettings
from .selectors import feed_appointments

# A feed's last use is written at most this often: calendar apps poll.
TOUCH_INTERVAL = dt.timedelta(minutes=15)


def feed_calendar(token: FeedToken, *, at: dt.datetime) -> bytes:
    """The iCalendar text of the feed `token` opens, as of `at`."""
    appointments = feed_appointments(token, at=at)
    if token.therapist is not None:
        detail = NotificationSettings.current().feed_patient_detail
        body = ics.build_calendar(
            appointments,
            name=f"{settings.SITE_NAME}: {token.therapist.full_name}",
            describe=lambda a: ics.therapist_event_text(a, detail),
            stamp=at,
            feed=True,
        )
    else:
        body = ics.build_calendar(
            appointments,
            name=f"{settings.SITE_NAME}: my visits",
            describe=lambda a: ics.patient_event_text(a),
            stamp=at,
            feed=True,
        )
    _touch(token, at, [str(a.patient.public_id) for a in appointments])
    return body


def _touch(token: FeedToken, at: dt.datetime, patient_ids: list[str]) -> None:
    """Record the feed's use: its last use at most every TOUCH_INTERVAL, and on its first use of each
    UTC day an audit event naming the patients it showed (as for API tokens: calendar apps poll, and a
    row per patient per poll would bury the audit trail). Conditional UPDATEs: of concurrent fetches,
    one writes."""
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=at - TOUCH_INTERVAL) | Q(last_used_at__gt=at)
    first_today = Q(last_used_at__isnull=True) | Q(
        last_used_at__lt=at.replace(hour=0, minute=0, second=0, microsecond=0)
    )
    if not FeedToken.objects.filter(stale & first_today, pk=token.pk).update(last_used_at=at):
        FeedToken.objects.filter(stale, pk=token.pk).update(last_used_at=at)
        return
    audit_record(
        actor=None,
        action=AuditAction.READ,
        object_type="calendar_feed",
        object_id=token.public_id,
        patient_ids=sorted(set(patient_ids)),
        # Not the request: its path holds the feed's secret, which the audit trail must not keep.
        channel="feed",
        actor_username=f"feed:{token.prefix}",
        detail={"owner": "therapist" if token.therapist_id else "patient", "events": len(patient_ids)},
    )
