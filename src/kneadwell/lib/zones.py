"""IANA time zones: validation and local calendar maths."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in available_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example America/New_York).",
            params={"value": value},
            code="invalid_time_zone",
        )


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_day_bounds(day: dt.date, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which the local calendar day starts and ends.

    Built from local midnights, so a 23- or 25-hour DST day is exactly as long as it is.
    """
    tz = zone(tz_name)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def local_to_utc(day: dt.date, wall: dt.time, tz_name: str) -> dt.datetime:
    """A local wall-clock time on a date, as an aware UTC instant.

    A wall time that falls in a spring-forward gap does not exist; it is moved
    forward by the gap (fold=0 semantics, as the clock on the wall would show).
    A repeated wall time in a fall-back hour resolves to its first occurrence.
    """
    # zoneinfo resolves a gap time with the offset before the gap (fold=0),
    # which lands after the gap on the wall clock: the right instant.
    local = dt.datetime.combine(day, wall, tzinfo=zone(tz_name))
    return local.astimezone(dt.UTC)
