"""The spot-work window rule, pure: beside the host visit, never over it, across DST days."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.lib.zones import local_to_utc
from kneadwell.scheduling.day_planner import SpotWorkWindow
from kneadwell.scheduling.spot_window import allowed_start_spans, spot_work_verdict

FIFTEEN = dt.timedelta(minutes=15)
WINDOW = SpotWorkWindow()
UTC = dt.UTC
HOST = (dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC), dt.datetime(2026, 12, 2, 16, 30, tzinfo=UTC))


def _verdict(h: int, m: int) -> str:
    start = dt.datetime(2026, 12, 2, h, m, tzinfo=UTC)
    v = spot_work_verdict(start, start + FIFTEEN, [HOST], WINDOW)
    return "ok" if v.ok else v.code


@pytest.mark.parametrize(
    ("h", "m", "expected"),
    [
        (15, 15, "ok"),  # ends 30 minutes before the host visit starts
        (15, 45, "ok"),  # ends as it starts (touching)
        (15, 10, "outside_spot_work_window"),  # ends 35 minutes before
        (15, 50, "overlaps_host_visit"),
        (16, 20, "overlaps_host_visit"),
        (16, 30, "ok"),  # starts as it ends
        (17, 0, "ok"),  # starts 30 minutes after
        (17, 5, "outside_spot_work_window"),
    ],
)
def test_a_spot_work_sits_inside_the_window_beside_its_host_visit(h, m, expected):
    assert _verdict(h, m) == expected


def test_no_host_visit_is_its_own_reason():
    start = HOST[0] - FIFTEEN
    assert spot_work_verdict(start, start + FIFTEEN, [], WINDOW).code == "no_host_visit"


def test_a_side_the_clinic_turns_off_offers_nothing_there():
    only_after = SpotWorkWindow(max_wait_before=None)
    start = HOST[0] - FIFTEEN
    assert not spot_work_verdict(start, start + FIFTEEN, [HOST], only_after).ok
    assert allowed_start_spans([HOST], FIFTEEN, only_after) == [(HOST[1], HOST[1] + dt.timedelta(minutes=30))]


def test_a_start_beside_one_visit_but_over_another_is_refused():
    second = (HOST[1] + dt.timedelta(minutes=10), HOST[1] + dt.timedelta(minutes=40))
    start = HOST[1]  # right after the first, but runs into the second
    assert spot_work_verdict(start, start + FIFTEEN, [HOST, second], WINDOW).code == "overlaps_host_visit"


def test_the_window_is_real_minutes_across_the_spring_forward_gap():
    # Chicago, Sunday 2026-03-08: 02:00 CST jumps to 03:00 CDT. A host visit at 03:10 local; the
    # 30-minute wait before it reaches back to 01:25 CST on the wall clock (really 30 minutes).
    day = dt.date(2026, 3, 8)
    host_start = local_to_utc(day, dt.time(3, 10), "America/Chicago")
    host = (host_start, host_start + dt.timedelta(minutes=30))
    (earliest, latest), _after = allowed_start_spans([host], FIFTEEN, WINDOW)
    assert latest == host_start - FIFTEEN
    assert earliest == host_start - dt.timedelta(minutes=45)
    local_earliest = earliest.astimezone(dt.timezone(dt.timedelta(hours=-6)))
    assert local_earliest.time() == dt.time(1, 25)  # 01:25 CST: the wall clock skipped an hour
    assert spot_work_verdict(earliest, earliest + FIFTEEN, [host], WINDOW).ok


def test_the_window_is_real_minutes_across_the_fall_back_hour():
    # Chicago, Sunday 2026-11-01: 02:00 CDT falls back to 01:00 CST. A host visit at 01:20 CST (the
    # second 01:20); spot work 30 real minutes earlier starts at 01:35 CDT, the first pass of that hour.
    host_start = dt.datetime(2026, 11, 1, 7, 20, tzinfo=UTC)  # 01:20 CST
    host = (host_start, host_start + dt.timedelta(minutes=30))
    start = host_start - dt.timedelta(minutes=45)  # 06:35 UTC = 01:35 CDT
    assert spot_work_verdict(start, start + FIFTEEN, [host], WINDOW).ok
    too_early = start - dt.timedelta(minutes=5)
    assert (
        spot_work_verdict(too_early, too_early + FIFTEEN, [host], WINDOW).code == "outside_spot_work_window"
    )
