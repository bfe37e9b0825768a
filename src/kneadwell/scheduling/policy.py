"""The clinic's booking policy: start alignment, minimum notice, horizon, late cancellation.

Read once per operation from `ClinicSettings` (one query) and passed down, so that availability and
the booking service judge a start by the same numbers. Clinic settings, not clinical claims.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kneadwell.clinic.models import ClinicSettings, LateCancellationPolicy
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import zone


@dataclass(frozen=True)
class BookingPolicy:
    step_minutes: int = 5
    min_notice: dt.timedelta = dt.timedelta(minutes=60)
    horizon: dt.timedelta = dt.timedelta(days=180)
    late_window: dt.timedelta = dt.timedelta(hours=24)
    late_policy: str = LateCancellationPolicy.FLAG

    @classmethod
    def current(cls) -> BookingPolicy:
        """The policy in the clinic settings (one query)."""
        row = ClinicSettings.current()
        return cls(
            step_minutes=row.booking_step_minutes,
            min_notice=dt.timedelta(minutes=row.booking_min_notice_minutes),
            horizon=dt.timedelta(days=row.booking_horizon_days),
            late_window=dt.timedelta(hours=row.late_cancellation_hours),
            late_policy=row.late_cancellation_policy,
        )

    @property
    def refuses_late_cancellations(self) -> bool:
        return self.late_policy == LateCancellationPolicy.REFUSE

    def earliest_start(self, now: dt.datetime) -> dt.datetime:
        return now + self.min_notice

    def latest_start(self, now: dt.datetime) -> dt.datetime:
        """Starts must be before this instant."""
        return now + self.horizon

    def is_aligned(self, start: dt.datetime, time_zone: str, step_minutes: int | None = None) -> bool:
        """Whether the local wall-clock time of `start` is a whole multiple of the step after local midnight.

        The wall clock, not elapsed time: on a DST day 10:05 is aligned whatever the offset, and both
        01:00 EDT and 01:00 EST are (the availability engine's rule).
        """
        step = step_minutes or self.step_minutes
        local = start.astimezone(zone(time_zone))
        return local.second == 0 and local.microsecond == 0 and (local.hour * 60 + local.minute) % step == 0

    def check_start(self, start: dt.datetime, time_zone: str, now: dt.datetime) -> None:
        """Refuse a start that can never be booked: naive, off the alignment, too soon or past, too far."""
        if start.utcoffset() is None:
            raise DomainError("The start time must include a time zone offset.", field="start")
        if not self.is_aligned(start, time_zone):
            raise DomainError(
                f"Sessions start on multiples of {self.step_minutes} minutes after the hour "
                "(local time, whole minutes).",
                field="start",
                code="start_off_alignment",
            )
        if start < self.earliest_start(now):
            minutes = int(self.min_notice.total_seconds() // 60)
            message = (
                "That time is in the past."
                if start < now
                else f"Sessions are booked at least {minutes} minutes ahead."
            )
            raise DomainError(message, field="start", code="start_too_soon")
        if start >= self.latest_start(now):
            raise DomainError(
                f"Sessions are booked at most {self.horizon.days} days ahead.",
                field="start",
                code="start_beyond_horizon",
            )

    def is_late(self, start: dt.datetime, now: dt.datetime) -> bool:
        """A change this close to the start is a late cancellation for the patient."""
        return start - now < self.late_window
