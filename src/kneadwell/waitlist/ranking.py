"""Clinical priority on the waitlist, and whether a time fits a request's window. Pure: no Django.

Order: referral urgency first (urgent, then soon, then routine), then how far a plan of care's cadence
is overdue (more days first), then the age of the request (oldest first). Each ranked request carries
the reasons in words, so the front desk can see why it stands where it does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

URGENCY_LEVELS = ("routine", "soon", "urgent")
_URGENCY_RANK = {name: i for i, name in enumerate(URGENCY_LEVELS)}
_URGENCY_WORDS = {"urgent": "urgent", "soon": "to be seen soon"}


@dataclass(frozen=True)
class Cadence:
    """An active plan of care's frequency and the visits that count against it."""

    per_week: int
    plan_starts_on: dt.date
    last_visit_on: dt.date | None  # the latest visit on or before today (None: none yet)


@dataclass(frozen=True)
class Candidate:
    key: Hashable
    urgency: str  # one of URGENCY_LEVELS
    waiting_since: dt.datetime
    urgency_source: str = ""  # the referral that says so, e.g. "from Dr Rita Reyes, received 1 Nov 2026"
    cadence: Cadence | None = None


@dataclass(frozen=True)
class Ranked:
    key: Hashable
    position: int  # 1 = first in line
    urgency: str
    overdue_days: int
    waiting_days: int
    reasons: tuple[str, ...]


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def overdue_days(cadence: Cadence | None, today: dt.date) -> tuple[int, dt.date | None]:
    """Days past the date the plan's cadence wanted the next visit, and that date (0 when not overdue).

    One visit every ceil(7 / per_week) days, counted from the last visit (or the plan's start, when
    there is none yet). A visit already booked on or before the due date means nothing is overdue.
    """
    if cadence is None or cadence.per_week <= 0:
        return 0, None
    interval = dt.timedelta(days=math.ceil(7 / cadence.per_week))
    due = cadence.last_visit_on + interval if cadence.last_visit_on else cadence.plan_starts_on
    return max(0, (today - due).days), due


def rank(candidates: Iterable[Candidate], *, now: dt.datetime, today: dt.date) -> list[Ranked]:
    """The candidates in waitlist order, each with its reasons. `today` is the clinic's local date."""
    scored = []
    for c in candidates:
        if c.urgency not in _URGENCY_RANK:
            raise ValueError(f"unknown urgency {c.urgency!r}")
        overdue, due = overdue_days(c.cadence, today)
        waiting = max(0, (now - c.waiting_since).days)
        reasons: list[str] = []
        if c.urgency != "routine" and c.urgency_source:
            reasons.append(f"Referral marked {_URGENCY_WORDS[c.urgency]} ({c.urgency_source}).")
        elif c.urgency != "routine":
            reasons.append(f"Marked {_URGENCY_WORDS[c.urgency]} by the clinic.")
        if overdue and c.cadence is not None and due is not None:
            times = "once" if c.cadence.per_week == 1 else f"{c.cadence.per_week} times"
            reasons.append(
                f"Plan of care ({times} a week) is {overdue} day{'s' if overdue != 1 else ''} overdue: "
                f"a visit was due by {_day(due)}."
            )
        elif c.cadence is not None:
            reasons.append("Plan of care is on schedule.")
        reasons.append(
            f"Waiting since {_day(c.waiting_since.date())} ({waiting} day{'s' if waiting != 1 else ''})."
        )
        sort_key = (-_URGENCY_RANK[c.urgency], -overdue, c.waiting_since, str(c.key))
        scored.append((sort_key, c, overdue, waiting, tuple(reasons)))
    scored.sort(key=lambda row: row[0])
    return [
        Ranked(
            key=c.key,
            position=i,
            urgency=c.urgency,
            overdue_days=overdue,
            waiting_days=waiting,
            reasons=reasons,
        )
        for i, (_, c, overdue, waiting, reasons) in enumerate(scored, start=1)
    ]


@dataclass(frozen=True)
class Window:
    """What a request accepts, in the location's local wall-clock time."""

    first_day: dt.date
    last_day: dt.date
    weekdays: frozenset[int]  # Monday = 0
    earliest: dt.time
    latest: dt.time  # the session must end by then
    therapist_ids: frozenset[int]  # empty: any therapist


def fits(window: Window, *, local_start: dt.datetime, local_end: dt.datetime, therapist_id: int) -> bool:
    """Whether a session at [local_start, local_end) (local wall-clock) with the therapist suits the window."""
    day = local_start.date()
    if not (window.first_day <= day <= window.last_day) or day.weekday() not in window.weekdays:
        return False
    if local_end.date() != day and local_end.time() != dt.time.min:
        return False
    end_time = dt.time.max if local_end.date() != day else local_end.time()
    if local_start.time() < window.earliest or end_time > window.latest:
        return False
    return not window.therapist_ids or therapist_id in window.therapist_ids
