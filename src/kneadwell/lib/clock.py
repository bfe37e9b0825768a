"""The one seam for "now": tests freeze it with time-machine, code captures it once per operation."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()


# The last time zone to start a new day is UTC+14 (Line Islands): until the UTC
# date catches up, "today" there is already tomorrow in UTC.
_LATEST_ZONE_OFFSET = dt.timedelta(hours=14)


def latest_possible_today() -> dt.date:
    """The latest calendar date anywhere on Earth now: no clinic's "today" is after it.

    Used to refuse dates in the future (birth dates, onsets) without knowing
    the caller's zone.
    """
    return (now() + _LATEST_ZONE_OFFSET).date()
