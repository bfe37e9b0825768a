"""Local calendar maths across DST edges (America/New_York: 2026-03-08 spring forward, 2026-11-01 fall back)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kneadwell.clinic.validators import validate_time_zone
from kneadwell.lib.zones import local_day_bounds, local_to_utc

NY = "America/New_York"


def test_a_spring_forward_day_is_23_hours_long():
    start, end = local_day_bounds(dt.date(2026, 3, 8), NY)
    assert end - start == dt.timedelta(hours=23)
    assert start == dt.datetime(2026, 3, 8, 5, tzinfo=dt.UTC)


def test_a_fall_back_day_is_25_hours_long():
    start, end = local_day_bounds(dt.date(2026, 11, 1), NY)
    assert end - start == dt.timedelta(hours=25)


def test_an_ordinary_day_is_24_hours_long():
    start, end = local_day_bounds(dt.date(2026, 6, 15), NY)
    assert end - start == dt.timedelta(hours=24)


def test_nine_oclock_keeps_its_wall_clock_across_the_change():
    before = local_to_utc(dt.date(2026, 3, 6), dt.time(9), NY)
    after = local_to_utc(dt.date(2026, 3, 9), dt.time(9), NY)
    assert before.hour == 14  # EST, UTC-5
    assert after.hour == 13  # EDT, UTC-4


def test_a_time_in_the_spring_gap_moves_forward_past_the_gap():
    # 02:30 does not exist on 2026-03-08 in New York: the wall clock jumps from 02:00 to 03:00.
    instant = local_to_utc(dt.date(2026, 3, 8), dt.time(2, 30), NY)
    assert instant == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)
    assert instant.astimezone(dt.timezone(dt.timedelta(hours=-4))).time() == dt.time(3, 30)


def test_a_repeated_fall_back_time_resolves_to_its_first_occurrence():
    instant = local_to_utc(dt.date(2026, 11, 1), dt.time(1, 30), NY)
    assert instant == dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)  # still EDT


def test_results_are_aware_utc():
    instant = local_to_utc(dt.date(2026, 7, 1), dt.time(10), "Europe/Berlin")
    assert instant.tzinfo is dt.UTC
    assert instant.hour == 8


@pytest.mark.parametrize("name", ["America/Chicago", "UTC", "Asia/Kolkata"])
def test_known_zones_validate(name):
    validate_time_zone(name)


@pytest.mark.parametrize("name", ["EST5", "America/Springfield", "", "../etc/passwd"])
def test_unknown_zones_are_refused(name):
    with pytest.raises(ValidationError):
        validate_time_zone(name)
