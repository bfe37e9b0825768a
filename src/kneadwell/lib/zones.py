"""IANA time zones and local calendar maths. Pure: no Django, so the engines can use it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache


@cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


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


def local_date(instant: dt.datetime, tz_name: str) -> dt.date:
    """The calendar date an aware instant falls on in the zone (23:30 in Chicago is not UTC's date)."""
    if instant.tzinfo is None:
        raise ValueError("local_date needs an aware instant")
    return instant.astimezone(zone(tz_name)).date()


# The days a page or a service works with. Python's calendar runs from 0001-01-01 to 9999-12-31,
# but the day either side of its ends, and their local midnights in a zone ahead of or behind UTC,
# do not exist (OverflowError). Within these bounds every neighbouring day and every zone's day
# bounds do; no clinic's records or diary come near either end.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)


def within_calendar(day: dt.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def clamp_day(day: dt.date) -> dt.date:
    """The nearest day a page can show (FIRST_DAY..LAST_DAY)."""
    return min(max(day, FIRST_DAY), LAST_DAY)
