"""Interval algebra over half-open intervals [start, end). Pure: no Django.

An *interval set* is a list of `Interval`s that is sorted, holds no empty
interval, and in which no two intervals overlap or touch (touching ones are
merged: [9, 10) and [10, 11) are the one set [9, 11)). Every function here
returns interval sets; the binary operations expect interval sets as input
(`normalise` makes one from anything).

The functions are generic over the end-point type: aware datetimes, or
integers such as epoch seconds. Do not mix naive and aware datetimes: Python
refuses to compare them. Measured (`benchmarks/availability_engine.py`): the
algebra itself is about as fast on aware UTC datetimes as on integers, since
sorting and building tuples dominate it; shifting spans by a duration is about
1.5x faster on integers. The availability engine runs on integers inside for
that arithmetic and, mostly, so that a selector can hand it epoch seconds
straight from SQL without building a datetime per row.

Half-open intervals make back-to-back appointments free of special cases:
[9:00, 10:00) and [10:00, 11:00) do not overlap.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Generic, NamedTuple, TypeVar

# Integers and datetimes only: both are totally ordered and hashable.
T = TypeVar("T", int, dt.datetime)


class Interval(NamedTuple, Generic[T]):
    """The half-open interval [start, end): start is in it, end is not."""

    start: T
    end: T


_start_of = itemgetter(0)


def normalise(intervals: Iterable[tuple[T, T]]) -> list[Interval[T]]:
    """The interval set covering exactly the same points: sorted, merged, empties dropped."""
    out: list[Interval[T]] = []
    for start, end in sorted(iv for iv in intervals if iv[0] < iv[1]):
        if out and start <= out[-1].end:
            if end > out[-1].end:
                out[-1] = Interval(out[-1].start, end)
        else:
            out.append(Interval(start, end))
    return out


def union(*sets: Iterable[tuple[T, T]]) -> list[Interval[T]]:
    """Points in any of the sets."""
    return normalise(iv for intervals in sets for iv in intervals)


def intersect(a: Sequence[tuple[T, T]], b: Sequence[tuple[T, T]]) -> list[Interval[T]]:
    """Points in both interval sets. Linear in len(a) + len(b)."""
    out: list[Interval[T]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append(Interval(start, end))
        # Drop whichever interval ends first: it cannot meet anything further on.
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[tuple[T, T]], b: Sequence[tuple[T, T]]) -> list[Interval[T]]:
    """Points of interval set `a` that are not in interval set `b`. Linear in len(a) + len(b)."""
    out: list[Interval[T]] = []
    j = 0
    for start, end in a:
        # Skip the parts of b wholly before this interval of a.
        while j < len(b) and b[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append(Interval(cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append(Interval(cursor, end))
    return out


def contains(a: Sequence[tuple[T, T]], span: tuple[T, T]) -> bool:
    """Whether every point of `span` is in interval set `a` (an empty span is in every set)."""
    start, end = span
    if start >= end:
        return True
    # The only candidate is the last interval starting at or before `start`.
    i = bisect_right(a, start, key=_start_of) - 1
    return i >= 0 and a[i][1] >= end


def overlaps(a: Sequence[tuple[T, T]], span: tuple[T, T]) -> bool:
    """Whether `span` shares at least one point with interval set `a`."""
    start, end = span
    if start >= end:
        return False
    # Of the intervals starting before `end`, the last one reaches furthest (the set is disjoint and sorted).
    i = bisect_left(a, end, key=_start_of) - 1
    return i >= 0 and a[i][1] > start


def gaps(a: Sequence[tuple[T, T]], window: tuple[T, T]) -> list[Interval[T]]:
    """The free gaps of interval set `a` within `window`: window − a."""
    return subtract(normalise([window]), a)
