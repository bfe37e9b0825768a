"""The spot-work window rule, pure: when a spot work may sit beside the patient's host visits.

A spot work never overlaps a host visit of the patient, and either ends at most `max_wait_before`
before a host visit starts or starts at most `max_wait_after` after one ends (touching is allowed).
The same `SpotWorkWindow` the day planner uses; the booking service asks `spot_work_verdict`, the
availability search `allowed_start_spans`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .day_planner import SpotWorkWindow

Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    code: str = ""  # "no_host_visit", "overlaps_host_visit", "outside_spot_work_window"
    host_visit: Span | None = None  # the host visit at fault (overlap) or nearest (outside)


def allowed_start_spans(
    host_visits: Sequence[Span], duration: dt.timedelta, window: SpotWorkWindow
) -> list[Span]:
    """Closed ranges [earliest, latest] of starts the rule allows beside each host visit.

    Starts that would overlap another host visit of the patient are not cut here: `spot_work_verdict`
    judges each start against all of them.
    """
    spans: list[Span] = []
    for start, end in host_visits:
        if window.max_wait_before is not None:
            spans.append((start - window.max_wait_before - duration, start - duration))
        if window.max_wait_after is not None:
            spans.append((end, end + window.max_wait_after))
    return sorted(spans)


def spot_work_verdict(
    start: dt.datetime, end: dt.datetime, host_visits: Sequence[Span], window: SpotWorkWindow
) -> Verdict:
    """Whether a spot work over [start, end) fits beside `host_visits` (the patient's, that day)."""
    if not host_visits:
        return Verdict(False, "no_host_visit")
    for visit in host_visits:
        if start < visit[1] and visit[0] < end:
            return Verdict(False, "overlaps_host_visit", visit)
    duration = end - start
    for visit in host_visits:
        for earliest, latest in allowed_start_spans([visit], duration, window):
            if earliest <= start <= latest:
                return Verdict(True)
    nearest = min(host_visits, key=lambda v: min(abs(v[0] - end), abs(start - v[1])))
    return Verdict(False, "outside_spot_work_window", nearest)
