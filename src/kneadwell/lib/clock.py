"""The one seam for "now": tests freeze it with time-machine, code captures it once per operation."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()
