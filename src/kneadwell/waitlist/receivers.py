"""What the waitlist does when scheduling announces a freed time, and on the worker's tick.

The receivers run inside the transaction that cancels or moves (scheduling sends its signals there),
so the hold and the offer commit with the cancellation, or not at all. An offer that cannot be made
(the time is taken, no request fits) leaves the cancellation alone: `_make_offer` works in a savepoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kneadwell.clinic.models import Location, Room
from kneadwell.lib.clock import now as clock_now
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Therapist

from . import services

# Looking for free time for every waiting request is the heavier job: at most this often per process.
OPEN_TIMES_EVERY = dt.timedelta(minutes=15)
_last_open_times: dict[str, dt.datetime] = {}


def on_cancelled(sender: Any, *, appointment: Appointment, **kwargs: Any) -> None:
    if appointment.start <= clock_now():
        return
    services.offer_freed_time(
        services.FreedTime(
            therapist=appointment.therapist,
            room=appointment.room,
            location=appointment.location,
            start=appointment.start,
            free_until=appointment.blocked_until,
        )
    )


def on_changed(
    sender: Any,
    *,
    appointment: Appointment,
    previous_start: dt.datetime | None = None,
    previous_therapist_id: int | None = None,
    previous_room_id: int | None = None,
    **kwargs: Any,
) -> None:
    if previous_start is None or previous_therapist_id is None or previous_room_id is None:
        return
    if previous_start <= clock_now():
        return
    services.offer_freed_time(
        services.FreedTime(
            therapist=Therapist.objects.get(pk=previous_therapist_id),
            room=Room.objects.select_related("location").get(pk=previous_room_id),
            location=appointment.location,
            start=previous_start,
            free_until=previous_start + (appointment.blocked_until - appointment.start),
        )
    )


def on_tick(sender: Any, *, at: dt.datetime, **kwargs: Any) -> None:
    services.offers_sweep(now=at)
    last = _last_open_times.get("all")
    if last is None or at - last >= OPEN_TIMES_EVERY:
        _last_open_times["all"] = at
        for location in Location.objects.all():
            services.offer_open_times(location=location, now=at)
