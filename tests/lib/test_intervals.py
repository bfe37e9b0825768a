"""Interval algebra: the laws of sets, checked against plain sets of points."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from kneadwell.lib.intervals import (
    Interval,
    contains,
    gaps,
    intersect,
    normalise,
    overlaps,
    subtract,
    union,
)

# Small integer end points: collisions (touching, nested, equal intervals) are frequent.
raw_interval = st.tuples(st.integers(0, 40), st.integers(0, 40))
raw_intervals = st.lists(raw_interval, max_size=8)
interval_sets = raw_intervals.map(normalise)
span = raw_interval

FAST = settings(max_examples=200, deadline=None)


def points(intervals: list[Interval[int]] | list[tuple[int, int]]) -> set[int]:
    """The integer points in a list of half-open intervals."""
    return {p for start, end in intervals for p in range(start, end)}


def is_interval_set(intervals: list[Interval[int]]) -> bool:
    """Sorted, no empties, no two overlapping or touching."""
    return all(start < end for start, end in intervals) and all(
        a.end < b.start for a, b in pairwise(intervals)
    )


@FAST
@given(raw_intervals)
def test_normalise_keeps_the_points_and_gives_an_interval_set(raw: list[tuple[int, int]]) -> None:
    result = normalise(raw)
    assert points(result) == points(raw)
    assert is_interval_set(result)


def test_touching_intervals_merge_and_empty_ones_vanish() -> None:
    assert normalise([(10, 11), (9, 10), (5, 5), (7, 6)]) == [Interval(9, 11)]


@FAST
@given(interval_sets, interval_sets)
def test_union_is_commutative(a: list[Interval[int]], b: list[Interval[int]]) -> None:
    assert union(a, b) == union(b, a)


@FAST
@given(interval_sets, interval_sets, interval_sets)
def test_union_is_associative(a: list[Interval[int]], b: list[Interval[int]], c: list[Interval[int]]) -> None:
    assert union(union(a, b), c) == union(a, union(b, c))


@FAST
@given(interval_sets)
def test_union_is_idempotent(a: list[Interval[int]]) -> None:
    assert union(a, a) == a


@FAST
@given(interval_sets, interval_sets)
def test_union_and_intersection_match_set_operations(a: list[Interval[int]], b: list[Interval[int]]) -> None:
    assert points(union(a, b)) == points(a) | points(b)
    assert points(intersect(a, b)) == points(a) & points(b)
    assert is_interval_set(union(a, b))
    assert is_interval_set(intersect(a, b))


@FAST
@given(interval_sets, interval_sets, interval_sets)
def test_intersection_is_commutative_and_associative(
    a: list[Interval[int]], b: list[Interval[int]], c: list[Interval[int]]
) -> None:
    assert intersect(a, b) == intersect(b, a)
    assert intersect(intersect(a, b), c) == intersect(a, intersect(b, c))


@FAST
@given(interval_sets, interval_sets)
def test_difference_is_disjoint_from_what_was_subtracted(
    a: list[Interval[int]], b: list[Interval[int]]
) -> None:
    difference = subtract(a, b)
    assert intersect(difference, b) == []
    assert points(difference) == points(a) - points(b)
    assert is_interval_set(difference)


@FAST
@given(interval_sets, interval_sets)
def test_difference_and_intersection_rebuild_the_set(a: list[Interval[int]], b: list[Interval[int]]) -> None:
    assert union(subtract(a, b), intersect(a, b)) == a


@FAST
@given(interval_sets, interval_sets, interval_sets)
def test_intersection_distributes_over_union(
    a: list[Interval[int]], b: list[Interval[int]], c: list[Interval[int]]
) -> None:
    assert intersect(a, union(b, c)) == union(intersect(a, b), intersect(a, c))


@FAST
@given(interval_sets, span)
def test_contains_and_overlaps_agree_with_points(a: list[Interval[int]], s: tuple[int, int]) -> None:
    inside = set(range(s[0], s[1]))
    assert contains(a, s) == (inside <= points(a))
    assert overlaps(a, s) == bool(inside & points(a))


@FAST
@given(interval_sets, span)
def test_gaps_are_the_window_less_the_set(a: list[Interval[int]], window: tuple[int, int]) -> None:
    free = gaps(a, window)
    assert points(free) == set(range(window[0], window[1])) - points(a)
    assert is_interval_set(free)
    assert not any(overlaps(a, gap) for gap in free)


def test_back_to_back_intervals_do_not_overlap() -> None:
    booked = normalise([(9, 10)])
    assert not overlaps(booked, (10, 11))
    assert not overlaps(booked, (8, 9))
    assert overlaps(booked, (9, 10))


def test_an_empty_span_is_contained_everywhere_and_overlaps_nothing() -> None:
    assert contains([], (5, 5))
    assert not overlaps(normalise([(0, 10)]), (5, 5))


def test_aware_datetimes_work_like_integers() -> None:
    def at(hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(2026, 3, 10, hour, minute, tzinfo=dt.UTC)

    day = [(at(9), at(17))]
    busy = normalise([(at(12), at(13)), (at(10), at(11)), (at(11), at(12))])
    assert busy == [Interval(at(10), at(13))]
    assert subtract(normalise(day), busy) == [Interval(at(9), at(10)), Interval(at(13), at(17))]
    assert gaps(busy, (at(9), at(17))) == subtract(normalise(day), busy)
    assert contains(busy, (at(10, 30), at(12, 30)))
    assert not overlaps(busy, (at(13), at(14)))
    # A different zone, the same instant: comparisons are on instants.
    new_york = dt.timezone(dt.timedelta(hours=-4))
    assert overlaps(busy, (dt.datetime(2026, 3, 10, 8, 59, tzinfo=new_york), at(13)))
