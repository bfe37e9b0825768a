"""The availability engine: which (start, therapist, room) a service can be booked at. Pure: no Django.

The Django side (a selector) turns rows into the inputs below with one query per resource kind;
this module does the rest and never touches the database.

Inputs
------
- :class:`SlotQuery`: the service (:class:`ServiceSpec`: opaque id, ``duration_minutes``,
  ``buffer_minutes`` of turnover), the location (opaque id and IANA ``time_zone``), the window
  ``[window_start, window_end)`` of *starts* as aware instants, ``now``, ``min_notice`` and
  ``horizon`` (relative to ``now``; ``horizon=None`` means no limit), ``step_minutes`` (start
  alignment on the local wall clock, minutes since local midnight; clinic default 5) and the
  ``room_features`` every offered room must have.
- :class:`TherapistCalendar` per candidate therapist: ``hours`` (their :class:`HoursTemplate`
  rows *at this location*: weekday 0 = Monday, local wall-clock start and end, effective dates),
  ``time_off`` and ``busy`` spans (their active appointments' ``[start, blocked_until)``), plus
  ranking inputs: ``match_score`` (0-100 from ``therapists.matching``, or None) and
  ``last_therapist`` (they treated the patient at the patient's last visit).
- :class:`RoomCalendar` per room at the location: ``features`` and ``busy`` spans (the room's
  active appointments' ``[start, blocked_until)``).
- ``patient_busy``: the patient's active appointments as ``[start, end)`` (no buffer: the
  turnover is the therapist's and the room's, not the patient's). Empty when no patient is known.

A span is ``(start, end)``, half-open, of aware datetimes or integer epoch seconds (UTC); one list
holds one kind (the first span tells which; a mixed list is a ValueError, so is a naive datetime).
Integers are the fast path: a selector can fetch busy rows as epoch seconds in SQL (PostgreSQL
``floor(extract(epoch FROM start))`` / ``ceil(...)`` for the end; SQLite ``unixepoch(...)``, exact
for whole-second times) and no datetime is built per row (a third of the engine's time on the
benchmark's 12,000 spans). Integer spans must be rounded outwards: start down, end up. Spans need
not be sorted, merged or clipped; lists in start order (``ORDER BY start``) sort in linear time.

The rule for an offered slot
----------------------------
With D = duration, B = buffer, a start ``s`` is offered for therapist T with room R iff all hold:

1. ``s`` is in ``[window_start, window_end)``, ``s >= now + min_notice`` and, with a horizon,
   ``s < now + horizon``;
2. ``s`` is aligned: its local wall-clock time is a whole multiple of ``step_minutes`` after local
   midnight (seconds zero). There is no fixed grid: a 15- and a 60-minute service share a calendar;
3. ``[s, s + D)`` lies inside one of T's working blocks on the local date of ``s``. A block is a
   template that applies on that date, converted with :func:`kneadwell.lib.zones.local_to_utc`
   semantics (a wall time in a spring-forward gap moves forward past the gap; a repeated
   fall-back wall time is its first occurrence). Blocks are not merged: a session across two
   touching blocks is not inside one (as ``scheduling.services`` checks it);
4. T has no busy or time-off span overlapping ``[s, s + D + B)``;
5. R has every required feature and no busy span overlapping ``[s, s + D + B)``;
6. the patient has no busy span overlapping ``[s, s + D)``.

Half-open spans make back-to-back bookings legal. DST: an instant in a repeated hour is aligned by
its own wall clock, so both 01:00 EDT and 01:00 EST are starts (none lost, none doubled); no
instant has a wall time in a spring-forward gap, so no slot starts in one; "Tuesdays 9 to 5" is
9 to 5 local on each date. Each (start, therapist) appears once, with one room: the room that
stays free the longest after ``s`` (ties: the one free since earlier, then the first in input
order). Rooms are assigned per slot, independently: two slots at one start may name one room.

Ranking
-------
``score`` (an integer 0-100) = round(100 × (W_m × m + W_c × c + W_k × k) / (W_m + W_c + W_k))
with the clinic-tunable :class:`RankWeights` W (defaults 50, 25, 25):

- m = match_score / 100 (0.5, neutral, when unknown);
- c = 1 for the patient's last therapist, else 0;
- k = compactness of the therapist's day: the mean over both sides of the session of 1 when it
  touches a visit or an edge of the working hours (or time off), 0.5 when it leaves a gap at least
  D long (still bookable for this service), 0 when it leaves a shorter fragment.

Every slot carries ``reasons``, one human-readable line per merit ("Continues with your last
therapist", "Fits next to an existing visit", ...). :func:`find_slots` orders by score, then
start, then therapist input order (or by time with ``order="time"``).

Alternatives
------------
:func:`nearest_alternatives` gives the N free starts nearest a wanted instant by |Δt| (one slot
per start, the best ranked), optionally bounded, e.g. by :func:`local_week`: for a booking
conflict (409) or an occurrence of a series.

Complexity
----------
Inside, instants are integer epoch seconds and sets of allowed starts are sorted lists of
half-open integer intervals (a span [x, y) forbids the starts [x - lead + 1, y): exact, as starts
are whole seconds and spans are rounded outwards). Each resource's spans are sorted once and swept
once: a therapist's sweep yields their free windows inside working blocks; the rooms' sweeps feed
one index (free intervals sorted by start, kept only where they reach further than all before) so
the room for a start is one binary search; the patient's free starts are merged in. Time is
O(N log N + S log R) for N spans in all, S starts emitted and R room intervals: no loop runs over
therapists × rooms × starts, and nothing depends on history outside the window. Local days (and
their DST transitions) are computed once per zone and date and cached. Slots are built only for
what is returned (``limit``). ``benchmarks/availability_engine.py`` times it on the shared dataset.
"""

from __future__ import annotations

import datetime as dt
import heapq
from bisect import bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import itemgetter
from typing import Literal, NamedTuple, cast

from kneadwell.lib.intervals import normalise, subtract
from kneadwell.lib.zones import local_day_bounds, zone

Instant = dt.datetime | int
Span = tuple[Instant, Instant]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_DAY = 86_400
_MINUTE = 60
_first = itemgetter(0)


# --- Inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """The service to book (a ``clinic.Service``): its length and the turnover after it."""

    id: Hashable
    duration_minutes: int
    buffer_minutes: int = 0

    def __post_init__(self) -> None:
        if self.duration_minutes <= 0:
            raise ValueError("A service lasts at least one minute.")
        if self.buffer_minutes < 0:
            raise ValueError("A turnover buffer cannot be negative.")


@dataclass(frozen=True, slots=True)
class HoursTemplate:
    """One weekly block of local wall-clock working time (a ``therapists.WorkingHours`` row)."""

    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time
    effective_from: dt.date
    effective_until: dt.date | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("The weekday is 0 (Monday) to 6 (Sunday).")
        if self.end <= self.start:
            raise ValueError("A working block ends after it starts.")

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and self.effective_from <= day
            and (self.effective_until is None or day <= self.effective_until)
        )


@dataclass(frozen=True, slots=True)
class TherapistCalendar:
    """One candidate therapist at the query's location, with the ranking inputs about them."""

    id: Hashable
    hours: Sequence[HoursTemplate]
    busy: Sequence[Span] = ()
    time_off: Sequence[Span] = ()
    match_score: float | None = None
    last_therapist: bool = False


@dataclass(frozen=True, slots=True)
class RoomCalendar:
    """One room at the query's location."""

    id: Hashable
    features: frozenset[str] = frozenset()
    busy: Sequence[Span] = ()


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """What to search: a service at a location, starts in a window, seen from `now`."""

    service: ServiceSpec
    location: Hashable
    time_zone: str
    window_start: dt.datetime
    window_end: dt.datetime
    now: dt.datetime
    step_minutes: int = 5
    min_notice: dt.timedelta = dt.timedelta(0)
    horizon: dt.timedelta | None = None
    room_features: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("window_start", "window_end", "now"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime.")
        if not 1 <= self.step_minutes <= 24 * 60:
            raise ValueError("The step is 1 to 1440 minutes.")
        zone(self.time_zone)  # raises for an unknown zone


@dataclass(frozen=True, slots=True)
class RankWeights:
    """How much each merit counts. Clinic settings, not clinical claims; normalised to sum to 100."""

    match: float = 50.0
    continuity: float = 25.0
    compactness: float = 25.0

    def __post_init__(self) -> None:
        if min(self.match, self.continuity, self.compactness) < 0 or self.total <= 0:
            raise ValueError("Weights are non-negative and not all zero.")

    @property
    def total(self) -> float:
        return self.match + self.continuity + self.compactness


DEFAULT_WEIGHTS = RankWeights()


# --- Output ------------------------------------------------------------------------------------


class Slot(NamedTuple):
    """A bookable start: the session is [start, end), therapist and room are held until blocked_until.

    A NamedTuple, not a dataclass: thousands are built per search. Instants are aware, in UTC.
    """

    start: dt.datetime
    end: dt.datetime
    therapist: Hashable
    room: Hashable
    location: Hashable
    service: Hashable
    score: int
    reasons: tuple[str, ...]
    blocked_until: dt.datetime  # end + buffer: therapist and room are held until then


REASON_CONTINUITY = "Continues with your last therapist"
REASON_NEXT_TO_VISIT = "Fits next to an existing visit"
REASON_BETWEEN_VISITS = "Fills the gap between two visits"
REASON_HOURS_START = "Starts when the therapist's hours begin"
REASON_HOURS_END = "Ends when the therapist's hours end"


def match_reason(score: float) -> str:
    """The reason line for a known match score."""
    return f"Therapist match {round(score)}/100"


# --- Time conversion at the edges --------------------------------------------------------------


def _floor_seconds(value: Instant) -> int:
    if not isinstance(value, dt.datetime):
        return value
    delta = value - _EPOCH
    return delta.days * _DAY + delta.seconds


def _ceil_seconds(value: Instant) -> int:
    if not isinstance(value, dt.datetime):
        return value
    delta = value - _EPOCH
    return delta.days * _DAY + delta.seconds + (1 if delta.microseconds else 0)


# --- Local days --------------------------------------------------------------------------------


class _Day(NamedTuple):
    date: dt.date
    start: int  # local midnight, epoch seconds
    end: int  # the next local midnight
    # (from, to, shift): in [from, to) the wall clock reads t + shift seconds after local midnight.
    segments: tuple[tuple[int, int, int], ...]


def _offset(tz_name: str, seconds: int) -> int:
    offset = dt.datetime.fromtimestamp(seconds, zone(tz_name)).utcoffset()
    assert offset is not None
    return offset.days * _DAY + offset.seconds


@lru_cache(maxsize=4096)
def _local_day(tz_name: str, ordinal: int) -> _Day:
    """A local date as instants, split where the UTC offset changes (at most a few per day)."""
    date = dt.date.fromordinal(ordinal)
    start_dt, end_dt = local_day_bounds(date, tz_name)
    start, end = _floor_seconds(start_dt), _floor_seconds(end_dt)
    wall_origin = (ordinal - _EPOCH_ORDINAL) * _DAY
    segments = []
    seg_start, offset = start, _offset(tz_name, start)
    # Sample hourly (transitions are hours apart), then bisect to the second where it changed.
    samples = [*range(start + 3600, end, 3600), end - 1]
    previous = start
    for sample in samples:
        if _offset(tz_name, sample) == offset:
            previous = sample
            continue
        low, high = previous, sample  # offset(low) == offset != offset(high)
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(tz_name, middle) == offset:
                low = middle
            else:
                high = middle
        segments.append((seg_start, high, offset - wall_origin))
        seg_start, offset, previous = high, _offset(tz_name, high), sample
    segments.append((seg_start, end, offset - wall_origin))
    return _Day(date, start, end, tuple(segments))


def local_week(instant: dt.datetime, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The local week (Monday 00:00 to the next Monday 00:00) holding `instant`, as UTC instants."""
    day = instant.astimezone(zone(time_zone)).date()
    monday = day - dt.timedelta(days=day.weekday())
    start, _ = local_day_bounds(monday, time_zone)
    end, _ = local_day_bounds(monday + dt.timedelta(days=7), time_zone)
    return start, end


# --- Free starts -------------------------------------------------------------------------------
# A "start set" is a sorted list of disjoint half-open integer intervals [a, b) of start instants.
# A busy span [x, y) forbids every start s with s < y and s + lead > x, i.e. [x - lead + 1, y) on
# the integer seconds: exact, because starts are whole seconds and spans are rounded outwards.

Starts = list[tuple[int, int]]


def _as_seconds(spans: Sequence[Span]) -> list[tuple[int, int]]:
    """Spans as (start rounded down, end rounded up) epoch seconds, sorted."""
    if not spans:
        return []
    try:
        if type(spans[0][0]) is int:
            # The selector's fast path: already integers, only sorting to do (in C).
            return sorted(spans, key=_first)  # type: ignore[arg-type]  # the int fast path; the tuple type is checked just above
        seconds = []
        # A list holds one kind: not integers, so datetimes (or a TypeError below).
        for x, y in cast("Sequence[tuple[dt.datetime, dt.datetime]]", spans):
            # _floor_seconds and _ceil_seconds, inlined: thousands of rows, two calls each.
            since_x, since_y = x - _EPOCH, y - _EPOCH
            seconds.append(
                (
                    since_x.days * _DAY + since_x.seconds,
                    since_y.days * _DAY + since_y.seconds + (since_y.microseconds > 0),
                )
            )
        seconds.sort(key=_first)
        return seconds
    except TypeError as exc:
        raise ValueError(
            "A list of busy spans holds aware datetimes or integer epoch seconds, not both."
        ) from exc


def _free_starts(spans: Sequence[Span], lead: int, low: int, high: int) -> Starts:
    """Starts in [low, high) whose next `lead` seconds touch none of `spans`. One sweep."""
    free = []
    cursor = low  # every start before the cursor is forbidden (or outside)
    shift = lead - 1
    for x, y in _as_seconds(spans):
        a = x - shift  # the first start this span forbids
        if a >= high:
            break
        if a > cursor:
            free.append((cursor, a))
        if y > cursor:
            cursor = y
    if cursor < high:
        free.append((cursor, high))
    return free


def _forbidden_starts(spans: Sequence[Span], lead: int) -> Sequence[tuple[int, int]]:
    """The start set a list of spans forbids (for time off: few spans, merged)."""
    shift = lead - 1
    return normalise((x - shift, y) for x, y in _as_seconds(spans))


class _RoomIndex:
    """Which room is free for a start, in one binary search (done inline in `_therapist_rows`).

    Every room's free-start intervals, sorted by start, reduced to the "record" ones: those that
    reach further than every interval starting before them. The last record starting at or
    before s reaches furthest of all intervals starting by s, so it contains s if any interval
    does, and its room is the one that stays free the longest from s.
    """

    def __init__(self, rooms: Sequence[RoomCalendar], lead: int, low: int, high: int) -> None:
        pieces = []
        for index, room in enumerate(rooms):
            pieces.extend([(a, b, index) for a, b in _free_starts(room.busy, lead, low, high)])
        # By start (sorting on the start alone is twice as fast as on the tuple). On equal starts
        # the longer becomes the last record there, which is the one a lookup finds; an equal
        # reach keeps the earlier record: the room free since earlier, then input order.
        pieces.sort(key=_first)
        self.starts: list[int] = []
        self.reach: list[int] = []
        self.owner: list[int] = []
        best = low - 1
        for a, b, index in pieces:
            if b > best:
                best = b
                self.starts.append(a)
                self.reach.append(b)
                self.owner.append(index)


# --- Ranking -----------------------------------------------------------------------------------

# How one side of a session sits in the therapist's free window. A cell is left * 4 + right.
_TOUCH_VISIT, _TOUCH_HOURS, _ROOMY, _FRAGMENT = range(4)
_SIDE_VALUE = (1.0, 1.0, 0.5, 0.0)


def _compactness_reasons(left: int, right: int) -> tuple[str, ...]:
    if left == _TOUCH_VISIT and right == _TOUCH_VISIT:
        return (REASON_BETWEEN_VISITS,)
    reasons = []
    if _TOUCH_VISIT in (left, right):
        reasons.append(REASON_NEXT_TO_VISIT)
    if left == _TOUCH_HOURS:
        reasons.append(REASON_HOURS_START)
    if right == _TOUCH_HOURS:
        reasons.append(REASON_HOURS_END)
    return tuple(reasons)


@lru_cache(maxsize=1024)
def _score_table(
    match_score: float | None, last_therapist: bool, weights: RankWeights
) -> tuple[tuple[int, ...], tuple[tuple[str, ...], ...]]:
    """Score and reasons for each of the 16 (left side, right side) cells."""
    match = 0.5 if match_score is None else min(max(match_score, 0.0), 100.0) / 100
    continuity = 1.0 if last_therapist else 0.0
    fixed: list[str] = []
    if last_therapist:
        fixed.append(REASON_CONTINUITY)
    if match_score is not None:
        fixed.append(match_reason(match_score))
    scores, reasons = [], []
    for left in range(4):
        for right in range(4):
            compact = (_SIDE_VALUE[left] + _SIDE_VALUE[right]) / 2
            points = weights.match * match + weights.continuity * continuity + weights.compactness * compact
            scores.append(round(100 * points / weights.total))
            reasons.append((*fixed, *_compactness_reasons(left, right)))
    return tuple(scores), tuple(reasons)


def slot_score(
    *,
    match_score: float | None,
    last_therapist: bool,
    left: Literal["visit", "hours", "roomy", "fragment"],
    right: Literal["visit", "hours", "roomy", "fragment"],
    weights: RankWeights = DEFAULT_WEIGHTS,
) -> tuple[int, tuple[str, ...]]:
    """The ranking formula on its own: score and reasons for one slot's situation."""
    sides = {"visit": _TOUCH_VISIT, "hours": _TOUCH_HOURS, "roomy": _ROOMY, "fragment": _FRAGMENT}
    scores, reasons = _score_table(match_score, last_therapist, weights)
    cell = sides[left] * 4 + sides[right]
    return scores[cell], reasons[cell]


# --- The search --------------------------------------------------------------------------------

# A found start as (rank key, therapist index, room index, cell). The rank key packs
# (100 − score) above the start's epoch seconds, so plain tuple order is best first, then
# earliest, then therapist input order, and comparisons stay on one small int.
_Row = tuple[int, int, int, int]
_START_BITS = 40  # epoch seconds below 2**40: until the year 36812
_START_MASK = (1 << _START_BITS) - 1


def _start_of_row(row: _Row) -> int:
    return row[0] & _START_MASK


@dataclass(slots=True)
class _Search:
    query: SlotQuery
    low: int  # first allowed start
    high: int  # starts are before this
    duration: int
    lead: int  # duration + buffer
    step: int
    days: list[_Day]
    day_ends: list[int] = field(default_factory=list)
    day_segments: list[tuple[tuple[int, int, int], ...]] = field(default_factory=list)
    wall_cache: dict[tuple[int, dt.time], int] = field(default_factory=dict)
    hours_cache: dict[tuple[HoursTemplate, ...], Starts] = field(default_factory=dict)

    @classmethod
    def plan(cls, query: SlotQuery) -> _Search | None:
        low = max(query.window_start, query.now + query.min_notice)
        high = query.window_end
        if query.horizon is not None:
            high = min(high, query.now + query.horizon)
        if low >= high:
            return None
        # Starts are whole seconds: [low, high) keeps the same whole seconds rounded up.
        low_s, high_s = _ceil_seconds(low), _ceil_seconds(high)
        tz = zone(query.time_zone)
        first = dt.datetime.fromtimestamp(low_s, tz).date().toordinal()
        last = dt.datetime.fromtimestamp(high_s - 1, tz).date().toordinal()
        duration = query.service.duration_minutes * _MINUTE
        days = [_local_day(query.time_zone, ordinal) for ordinal in range(first, last + 1)]
        return cls(
            query=query,
            low=low_s,
            high=high_s,
            duration=duration,
            lead=duration + query.service.buffer_minutes * _MINUTE,
            step=query.step_minutes * _MINUTE,
            days=days,
            day_ends=[day.end for day in days],
            day_segments=[day.segments for day in days],
        )

    @property
    def span(self) -> tuple[int, int]:
        """Whole local days around the window, plus a day: resources are swept over this."""
        return self.days[0].start - _DAY, self.days[-1].end + _DAY

    def wall(self, day: _Day, time: dt.time) -> int:
        """A wall time on a local date as epoch seconds, as lib.zones.local_to_utc resolves it."""
        key = (day.date.toordinal(), time)
        seconds = self.wall_cache.get(key)
        if seconds is None:
            local = dt.datetime.combine(day.date, time, tzinfo=zone(self.query.time_zone))
            seconds = self.wall_cache[key] = _floor_seconds(local)
        return seconds

    def block_starts(self, hours: Sequence[HoursTemplate]) -> Starts:
        """Starts whose session lies inside one working block, over all searched days."""
        key = tuple(hours)
        cached = self.hours_cache.get(key)
        if cached is not None:  # colleagues often share a template
            return cached
        by_weekday: dict[int, list[HoursTemplate]] = {}
        for template in key:
            by_weekday.setdefault(template.weekday, []).append(template)
        out: Starts = []
        for day in self.days:
            pieces = []
            for template in by_weekday.get(day.date.weekday(), ()):
                if template.applies_on(day.date):
                    start = max(self.wall(day, template.start), day.start)
                    end = min(self.wall(day, template.end), day.end)
                    if end - self.duration >= start:
                        pieces.append((start, end - self.duration + 1))
            # The union of per-block start sets is exactly "inside one of the blocks".
            out.extend(normalise(pieces) if len(pieces) > 1 else pieces)
        self.hours_cache[key] = out
        return out

    def windows(self, therapist: TherapistCalendar) -> list[tuple[int, int, bool, bool]]:
        """The therapist's free windows of starts: (a, b, left edge is a visit, right edge is a visit).

        One sweep over the blocks and the busy spans together. The windows are not clipped to the
        query's window, so that compactness sees the real edges of the day.
        """
        blocks: Sequence[tuple[int, int]] = self.block_starts(therapist.hours)
        if therapist.time_off:
            # Time off trims the blocks: its edges rank as edges of the working hours.
            blocks = subtract(blocks, _forbidden_starts(therapist.time_off, self.lead))
        busy = _as_seconds(therapist.busy)
        shift = self.lead - 1  # a span [x, y) forbids the starts [x - shift, y)
        out = []
        j, n = 0, len(busy)
        for block_a, block_b in blocks:
            if block_b <= self.low or block_a >= self.high:
                continue
            while j < n and busy[j][1] <= block_a:
                j += 1  # ends before this block: irrelevant from now on
            cursor, after_visit = block_a, False
            k = j
            while k < n and busy[k][0] - shift < block_b:
                x, y = busy[k]
                k += 1
                if x - shift > cursor:
                    out.append((cursor, x - shift, after_visit, True))
                if y > cursor:
                    cursor, after_visit = y, True
            if cursor < block_b:
                out.append((cursor, block_b, after_visit, False))
        return out


def _patient_clip(patient_free: Starts, a: int, b: int, hint: int) -> tuple[Starts, int]:
    """[a, b) ∩ the patient's free starts, and where to start looking next time."""
    n = len(patient_free)
    while hint < n and patient_free[hint][1] <= a:
        hint += 1
    out = []
    k = hint
    while k < n and patient_free[k][0] < b:
        pa, pb = patient_free[k]
        k += 1
        pa, pb = (pa if pa > a else a), (pb if pb < b else b)
        if pa < pb:
            out.append((pa, pb))
    return out, hint


def _therapist_rows(
    search: _Search,
    windows: list[tuple[int, int, bool, bool]],
    patient_free: Starts,
    rooms: _RoomIndex,
    rank_keys: tuple[int, ...],
    t_index: int,
    rows: list[_Row],
) -> None:
    """Append a row for every aligned start in the windows that the patient and a room allow.

    The hot loop of the engine (one pass per free window): flat, with locals, on purpose.
    """
    low, high, duration, step = search.low, search.high, search.duration, search.step
    day_ends, day_segments = search.day_ends, search.day_segments
    room_starts, room_reach, room_owner = rooms.starts, rooms.reach, rooms.owner
    patient_everywhere = len(patient_free) == 1 and patient_free[0][0] <= low and patient_free[0][1] >= high
    hint = d = 0
    for win_a, win_b, left_visit, right_visit in windows:
        a = win_a if win_a > low else low
        b = win_b if win_b < high else high
        if a >= b:
            continue
        last = win_b - 1
        left_touch = _TOUCH_VISIT * 4 if left_visit else _TOUCH_HOURS * 4
        right_touch = _TOUCH_VISIT if right_visit else _TOUCH_HOURS
        if patient_everywhere:
            pieces: Sequence[tuple[int, int]] = ((a, b),)
        else:
            pieces, hint = _patient_clip(patient_free, a, b, hint)
        for ca, cb in pieces:
            while day_ends[d] <= ca:
                d += 1
            for seg_a, seg_b, shift in day_segments[d]:
                x0 = ca if ca > seg_a else seg_a
                x1 = cb if cb < seg_b else seg_b
                # The first start at or after x0 whose wall clock is a multiple of the step.
                for s in range(x0 + (-(x0 + shift)) % step, x1, step):
                    # The room index: the last record starting at or before s must reach past s.
                    i = bisect_right(room_starts, s) - 1
                    if i < 0 or room_reach[i] <= s:
                        continue  # no room free for the session and its buffer
                    left, right = s - win_a, last - s
                    cell = (
                        left_touch if left == 0 else (_ROOMY * 4 if left >= duration else _FRAGMENT * 4)
                    ) + (right_touch if right == 0 else (_ROOMY if right >= duration else _FRAGMENT))
                    rows.append((rank_keys[cell] + s, t_index, room_owner[i], cell))


def find_slots(
    query: SlotQuery,
    therapists: Sequence[TherapistCalendar],
    rooms: Sequence[RoomCalendar],
    patient_busy: Sequence[Span] = (),
    *,
    weights: RankWeights = DEFAULT_WEIGHTS,
    order: Literal["rank", "time"] = "rank",
    limit: int | None = None,
) -> list[Slot]:
    """Every offered slot (the rule is in the module docstring), best first.

    `order="time"` sorts by start, then therapist input order; `limit` keeps the first N of
    that order (only those are built).
    """
    search = _Search.plan(query)
    suitable = [room for room in rooms if query.room_features <= room.features]
    if search is None or not therapists or not suitable:
        return []
    low, high = search.span
    room_index = _RoomIndex(suitable, search.lead, low, high)
    patient_free = _free_starts(patient_busy, search.duration, low, high)

    rows: list[_Row] = []
    tables = []
    for t_index, therapist in enumerate(therapists):
        scores, reasons = _score_table(therapist.match_score, therapist.last_therapist, weights)
        tables.append((scores, reasons))
        rank_keys = tuple((100 - score) << _START_BITS for score in scores)
        _therapist_rows(search, search.windows(therapist), patient_free, room_index, rank_keys, t_index, rows)

    # Rows were appended therapist by therapist, so a stable sort on the key alone keeps
    # therapist input order among equals.
    sort_key = _first if order == "rank" else _start_of_row
    rows = heapq.nsmallest(limit, rows, key=sort_key) if limit is not None else sorted(rows, key=sort_key)
    return _materialise(rows, search, therapists, suitable, tables)


def _materialise(
    rows: list[_Row],
    search: _Search,
    therapists: Sequence[TherapistCalendar],
    rooms: Sequence[RoomCalendar],
    tables: list[tuple[tuple[int, ...], tuple[tuple[str, ...], ...]]],
) -> list[Slot]:
    # Sixty therapists share a few hundred distinct starts: build each instant once.
    instants: dict[int, tuple[dt.datetime, dt.datetime, dt.datetime]] = {}
    duration, lead = dt.timedelta(seconds=search.duration), dt.timedelta(seconds=search.lead)
    location, service = search.query.location, search.query.service.id
    therapist_ids = [therapist.id for therapist in therapists]
    room_ids = [room.id for room in rooms]
    new = tuple.__new__  # what Slot._make does, without its per-call lookups: thousands of slots
    out = []
    for key, t, room, cell in rows:
        s = key & _START_MASK
        times = instants.get(s)
        if times is None:
            start = _EPOCH + dt.timedelta(seconds=s)
            times = instants[s] = (start, start + duration, start + lead)
        scores, reasons = tables[t]
        out.append(
            new(
                Slot,
                (
                    times[0],
                    times[1],
                    therapist_ids[t],
                    room_ids[room],
                    location,
                    service,
                    scores[cell],
                    reasons[cell],
                    times[2],
                ),
            )
        )
    return out


def nearest_alternatives(
    query: SlotQuery,
    therapists: Sequence[TherapistCalendar],
    rooms: Sequence[RoomCalendar],
    patient_busy: Sequence[Span] = (),
    *,
    wanted: dt.datetime,
    count: int = 5,
    within: tuple[dt.datetime, dt.datetime] | None = None,
    weights: RankWeights = DEFAULT_WEIGHTS,
) -> list[Slot]:
    """The `count` offered starts nearest `wanted` by |Δt|, nearest first (the earlier on a tie).

    One slot per start: the best ranked there. `within` narrows the query's window, e.g.
    ``local_week(wanted, tz)`` for "the same local week" when a series occurrence conflicts.
    """
    if count <= 0:
        return []
    if within is not None:
        start, end = max(query.window_start, within[0]), min(query.window_end, within[1])
        if start >= end:
            return []
        query = replace(query, window_start=start, window_end=end)
    best_per_start: dict[dt.datetime, Slot] = {}
    for slot in find_slots(query, therapists, rooms, patient_busy, weights=weights):
        # Best first: the first slot seen at a start is the best there.
        best_per_start.setdefault(slot.start, slot)
    return heapq.nsmallest(
        count, best_per_start.values(), key=lambda slot: (abs(slot.start - wanted), slot.start)
    )


__all__ = [
    "DEFAULT_WEIGHTS",
    "HoursTemplate",
    "RankWeights",
    "RoomCalendar",
    "ServiceSpec",
    "Slot",
    "SlotQuery",
    "Span",
    "TherapistCalendar",
    "find_slots",
    "local_week",
    "nearest_alternatives",
    "slot_score",
]
