"""The one seam for "now": tests freeze it with time-machine, code captures it once per operation."""

from __future__ import annotations

import datetime as dt

from .zones import local_date


def now() -> dt.datetime:
    """The current instant, aware, in UTC. (Pure Python, as Django's own `timezone.now()` is underneath.)"""
    return dt.datetime.now(dt.UTC)


# The last time zone to start a new day is UTC+14 (Line Islands): until the UTC
# date catches up, "today" there is already tomorrow in UTC.
_LATEST_ZONE_OFFSET = dt.timedelta(hours=14)


def today_in(tz_name: str) -> dt.date:
    """Today's date in an IANA zone: the one way to ask for "today" (never `now().date()`, which is UTC's)."""
    return local_date(now(), tz_name)


def latest_possible_today() -> dt.date:
    """The latest calendar date anywhere on Earth now: no clinic's "today" is after it.

    Used to refuse dates in the future (birth dates, onsets) without knowing
    the caller's zone.
    """
    return (now() + _LATEST_ZONE_OFFSET).date()
