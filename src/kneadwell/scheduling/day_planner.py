"""The spot-work day planner: one location, one day, every spot-work request placed or explained.

Spot work is ~15 minutes of massage on one area, given at a chiropractor's or physical therapist's
office around the patient's visit with them (the *host visit*). For one location and one day this
module assigns each request a therapist, a room or chair and a start, or says why it cannot.

Pure: no Django. The caller computes who is eligible (licence, training, expertise) and hands in
plain, frozen inputs with aware UTC instants; `plan_spot_work` returns a `DayPlan`.

Time model
    Instants become integer minutes from `SpotWorkDay.day_start` (the local day's start, so the
    alignment step falls on the local wall clock even in zones with half-hour offsets). Rounding is
    always conservative: busy time and host visits round outwards, working time and the optional
    earliest/latest bounds round inwards. As in `scheduling.services`, a spot work holds its
    therapist and chair over [start, start + duration + buffer) and its patient over [start, end).
    It must fit inside one of the therapist's working intervals (the buffer may run past it, as a
    booking's does); breaks are either cut out of the working intervals or given as busy time.

Window rule (a clinic setting, `SpotWorkWindow`)
    Never overlapping the host visit: either it ends at most `max_wait_before` before the host visit
    starts, or it starts at most `max_wait_after` after the host visit ends (both 30 minutes by
    default; touching the host visit is allowed). The gap is the patient's waiting time.

Objective, lexicographic
    1. place as many requests as possible;
    2. then minimise the patients' total waiting beside their host visits;
    3. then minimise the number of therapists doing spot work;
    4. then (optional) honour as many preferred therapists as possible.

Why staged solves rather than one weighted objective
    A single objective with provably safe weights is possible (each weight larger than the whole
    range of every level below it: here about (n+1)·(T+1)·(n·max_wait+1), well inside 64 bits), but
    its best bound and relative gap are dominated by the first level: with one request unplaced the
    gap of the weighted sum says nothing about the waiting time. Clinics want to know how good the
    waiting is, so the planner solves the levels one after another on the same CP-SAT model: each
    stage optimises one level, then the next stage adds "this level stays at least as good" as a
    constraint and starts from the previous solution as a hint (so it never loses it). Each level
    reports its own value, bound and gap. A level not proven optimal keeps the value found, so the
    plan is then lexicographically optimal only relative to it; the status says so.

    The first stage also receives a greedy plan as its hint; if the solver finds nothing better in
    time, the greedy plan (feasible by construction) is returned.

    `DayPlan.relative_gap` is the gap of the first level not proven optimal, |bound - value| /
    max(1, |value|); `DayPlan.levels` gives every level's value and bound.

Bounds from a time-indexed linear relaxation
    CP-SAT's own relaxation of no-overlap constraints is weak on a crowded day (on the benchmark
    day it bounds the placements at 129 where the LP proves 108). So each stage first
    solves the time-indexed LP relaxation with GLOP (bundled with OR-Tools, no extra dependency):
    a fractional start per request, therapist and chair class, and at every instant each resource
    holds at most one spot work. Its bound is added to CP-SAT as an implied constraint (so CP-SAT
    stops when it reaches it) and reported. For the first level the LP also gets a tiny penalty on
    waiting, and a plan rounded from its solution (then shortened waits) often meets the bound
    outright. The LP is solved only while every level above is proven: otherwise the plan's gap
    is that of a level above anyway.

Model (OR-Tools CP-SAT)
    Per request: a start variable whose domain is already cut to the aligned starts that satisfy the
    window, the bounds, the patient's other busy time and at least one therapist and chair; a
    presence literal; one optional interval per eligible therapist and per chair (each restricting
    the start to the times when that therapist or chair is free); `add_no_overlap` per therapist,
    per chair and per patient with several requests, and a redundant cumulative over all chairs.
    Time budget: each stage may use a share of what is left (placed 60 %, waiting 70 %, therapists
    60 %, preferences the rest), and a stage proven early leaves its time to the next.

Why a request is left out
    Each request is first checked alone against each constraint family (eligibility, the window,
    the patient, the therapists' working hours, their bookings, the chairs, then all together);
    the first family that leaves no start is the reason. A request that passes every check alone
    was left out in context: the planner re-solves with that request forced in to count how many
    other requests it would displace.

Determinism: CP-SAT runs with a fixed seed; with `num_workers=1` a run that proves every level
is reproducible. A run cut short by the wall clock depends on the machine's speed and load.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import math
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

MINUTE = dt.timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def _require_aware(value: dt.datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime (got {value!r}).")


@dataclass(frozen=True)
class Interval:
    """A half-open span [start, end) between aware instants."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "Interval.start")
        _require_aware(self.end, "Interval.end")
        if self.end < self.start:
            raise ValueError(f"Interval ends before it starts: {self.start} > {self.end}.")


@dataclass(frozen=True)
class TherapistDay:
    """One therapist's day at the location.

    `working`: when the therapist works here (breaks cut out, or listed in `busy`).
    `busy`: blocked intervals already taken (appointments up to their `blocked_until`, breaks).
    """

    therapist_id: Hashable
    working: tuple[Interval, ...]
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class RoomDay:
    """A room or chair where spot work can be given, with its blocked intervals."""

    room_id: Hashable
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class SpotWorkRequest:
    """One spot work to place beside one host visit.

    `eligible_therapist_ids`: computed by the caller (licence, training, expertise for `region`).
    `duration` and `buffer`: the service's length and turnover buffer.
    `earliest_start` / `latest_end`: optional bounds on the spot work itself.
    """

    request_id: Hashable
    patient_id: Hashable
    host_visit: Interval
    region: Hashable
    eligible_therapist_ids: frozenset[Hashable]
    duration: dt.timedelta = dt.timedelta(minutes=15)
    buffer: dt.timedelta = dt.timedelta(0)
    preferred_therapist_id: Hashable | None = None
    earliest_start: dt.datetime | None = None
    latest_end: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.duration <= dt.timedelta(0):
            raise ValueError("A spot work needs a positive duration.")
        if self.buffer < dt.timedelta(0):
            raise ValueError("A turnover buffer cannot be negative.")
        for value, what in ((self.earliest_start, "earliest_start"), (self.latest_end, "latest_end")):
            if value is not None:
                _require_aware(value, what)


@dataclass(frozen=True)
class SpotWorkWindow:
    """The clinic's window rule: the longest allowed wait on each side of the host visit.

    None forbids that side (e.g. `max_wait_after=None`: spot work only before the host visit).
    """

    max_wait_before: dt.timedelta | None = dt.timedelta(minutes=30)
    max_wait_after: dt.timedelta | None = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class SpotWorkDay:
    """Everything the planner needs for one location and one day.

    `day_start`: the local day's start as an aware instant; starts are aligned to
    `day_start + k * alignment`. `patient_busy`: each patient's other commitments (other host
    visits, other appointments); the host visits of a patient's own requests are added by the
    planner.
    """

    day_start: dt.datetime
    therapists: tuple[TherapistDay, ...]
    rooms: tuple[RoomDay, ...]
    requests: tuple[SpotWorkRequest, ...]
    patient_busy: Mapping[Hashable, tuple[Interval, ...]] = field(default_factory=dict)
    window: SpotWorkWindow = SpotWorkWindow()
    alignment: dt.timedelta = dt.timedelta(minutes=5)

    def __post_init__(self) -> None:
        _require_aware(self.day_start, "SpotWorkDay.day_start")
        if self.alignment < MINUTE or self.alignment % MINUTE:
            raise ValueError("The alignment step must be a whole number of minutes.")
        ids = [r.request_id for r in self.requests]
        if len(set(ids)) != len(ids):
            raise ValueError("Request ids must be unique.")
        if len({t.therapist_id for t in self.therapists}) != len(self.therapists):
            raise ValueError("Therapist ids must be unique.")
        if len({r.room_id for r in self.rooms}) != len(self.rooms):
            raise ValueError("Room ids must be unique.")


@dataclass(frozen=True)
class SolverOptions:
    """How hard and how reproducibly to search.

    `time_limit_seconds`: wall-clock budget for the plan (all stages together).
    `explain_time_limit_seconds`: budget for counting displacements of requests left out in
    context (0 skips the count). `num_workers`: CP-SAT search workers (0 = all cores).
    `max_deterministic_time`: an optional limit in CP-SAT's deterministic time units per stage,
    for runs that must be reproducible even when they stop early.
    """

    time_limit_seconds: float = 5.0
    explain_time_limit_seconds: float = 2.0
    num_workers: int = 2
    random_seed: int = 0
    honour_preferences: bool = True
    max_deterministic_time: float | None = None


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------


class PlanStatus(enum.StrEnum):
    OPTIMAL = "optimal"  # every objective level proven optimal
    FEASIBLE = "feasible"  # a valid plan; see `relative_gap` and `levels`


class HostSide(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"


class UnplacedReason(enum.StrEnum):
    """Why a request is left out; the first seven are properties of the request alone."""

    NO_ELIGIBLE_THERAPIST = "no_eligible_therapist"
    WINDOW_CANNOT_FIT = "window_cannot_fit"
    PATIENT_BUSY = "patient_busy"
    NO_THERAPIST_WORKING = "no_therapist_working"
    THERAPISTS_BUSY = "therapists_busy"
    NO_ROOM_FREE = "no_room_free"
    NO_COMMON_TIME = "no_common_time"
    CONFLICTS_WITH_REQUESTS = "conflicts_with_requests"
    NOT_PLACED_IN_TIME = "not_placed_in_time"


_MESSAGES = {
    UnplacedReason.NO_ELIGIBLE_THERAPIST: "no eligible therapist works at this location today",
    UnplacedReason.WINDOW_CANNOT_FIT: "the window cannot fit before or after the host visit",
    UnplacedReason.PATIENT_BUSY: "the patient is busy at every start in the window",
    UnplacedReason.NO_THERAPIST_WORKING: "no eligible therapist works inside the window",
    UnplacedReason.THERAPISTS_BUSY: "every eligible therapist is already booked then",
    UnplacedReason.NO_ROOM_FREE: "every chair is busy then",
    UnplacedReason.NO_COMMON_TIME: "the patient, an eligible therapist and a chair are never free together",
    UnplacedReason.NOT_PLACED_IN_TIME: "a plan with it exists but was not found within the time limit",
}


@dataclass(frozen=True)
class Placement:
    request_id: Hashable
    patient_id: Hashable
    region: Hashable
    therapist_id: Hashable
    room_id: Hashable
    start: dt.datetime
    end: dt.datetime
    side: HostSide
    waiting_minutes: int
    preferred_therapist_honoured: bool | None  # None: the request named no preference


@dataclass(frozen=True)
class Unplaced:
    """A request left out. For CONFLICTS_WITH_REQUESTS, `displaced` counts the other requests that
    placing it would cost (`displaced_proven`: that count is proven minimal); None if not counted."""

    request_id: Hashable
    reason: UnplacedReason
    message: str
    displaced: int | None = None
    displaced_proven: bool = False


@dataclass(frozen=True)
class ObjectiveLevel:
    """One level of the lexicographic objective: the value reached and the solver's best bound."""

    name: str  # "placed", "waiting_minutes", "therapists_used", "preferences_honoured"
    sense: str  # "max" or "min"
    value: int
    bound: int  # no plan keeping the levels above at their values does better than this
    optimal: bool  # proven: value == bound

    @property
    def relative_gap(self) -> float:
        return 0.0 if self.optimal else abs(self.bound - self.value) / max(1, abs(self.value))


@dataclass(frozen=True)
class DayPlan:
    """The plan. `relative_gap` is that of the first level not proven optimal (0.0 if optimal)."""

    status: PlanStatus
    relative_gap: float
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    levels: tuple[ObjectiveLevel, ...]
    total_waiting_minutes: int
    therapists_used: int
    preferences_honoured: int
    solve_seconds: float
    explain_seconds: float


# ---------------------------------------------------------------------------------------------
# Integer minutes
# ---------------------------------------------------------------------------------------------


def _floor_minutes(instant: dt.datetime, origin: dt.datetime) -> int:
    return (instant - origin) // MINUTE


def _ceil_minutes(instant: dt.datetime, origin: dt.datetime) -> int:
    return -((origin - instant) // MINUTE)


def _outward(spans: Iterable[Interval], origin: dt.datetime) -> list[tuple[int, int]]:
    """Busy time in minutes, rounded outwards (never shrinks a commitment)."""
    out = [(_floor_minutes(i.start, origin), _ceil_minutes(i.end, origin)) for i in spans]
    return [(a, b) for a, b in out if b > a]


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of intervals; touching ones merge, so 08:00–12:00 + 12:00–16:00 is one working block."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a < end and start < b for a, b in spans)


def _inside(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


# ---------------------------------------------------------------------------------------------
# Checking each request alone
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """A request that passed every check alone, with its options in minutes."""

    index: int  # position in SpotWorkDay.requests
    request: SpotWorkRequest
    host_start: int
    host_end: int
    duration: int
    hold: int  # duration + buffer: how long therapist and chair stay blocked
    starts: tuple[int, ...]  # aligned starts with the patient, a therapist and a chair free
    therapist_starts: dict[int, frozenset[int]]  # therapist index -> allowed starts (non-empty)
    room_starts: dict[int, frozenset[int]]  # room index -> allowed starts (non-empty)

    def waiting(self, start: int) -> int:
        if start + self.duration <= self.host_start:
            return self.host_start - (start + self.duration)
        return start - self.host_end

    @property
    def max_waiting(self) -> int:
        return max(self.waiting(s) for s in self.starts)


def _aligned(lo: int, hi: int, step: int) -> range:
    first = -(-lo // step) * step
    return range(first, hi + 1, step)


def _window_starts(
    req: SpotWorkRequest, day: SpotWorkDay, host: tuple[int, int], duration: int, step: int
) -> list[int]:
    """Aligned starts allowed by the window rule and the request's own bounds."""
    origin, window = day.day_start, day.window
    host_start, host_end = host
    starts: list[int] = []
    if window.max_wait_before is not None:
        longest = window.max_wait_before // MINUTE
        starts += _aligned(host_start - duration - longest, host_start - duration, step)
    if window.max_wait_after is not None:
        longest = window.max_wait_after // MINUTE
        starts += _aligned(host_end, host_end + longest, step)
    lowest = _ceil_minutes(req.earliest_start, origin) if req.earliest_start else None
    highest = _floor_minutes(req.latest_end, origin) - duration if req.latest_end else None
    return sorted(
        {s for s in starts if (lowest is None or s >= lowest) and (highest is None or s <= highest)}
    )


@dataclass(frozen=True)
class _Resources:
    """The day's therapists, chairs and patients' commitments, in minutes."""

    working: tuple[list[tuple[int, int]], ...]
    therapist_busy: tuple[list[tuple[int, int]], ...]
    room_busy: tuple[list[tuple[int, int]], ...]
    patient_busy: dict[Hashable, list[tuple[int, int]]]
    therapist_index: dict[Hashable, int]


def _resources(day: SpotWorkDay) -> _Resources:
    origin = day.day_start
    working = tuple(
        _merged(
            (_ceil_minutes(i.start, origin), _floor_minutes(i.end, origin))
            for i in t.working
            if _floor_minutes(i.end, origin) > _ceil_minutes(i.start, origin)
        )
        for t in day.therapists
    )
    patient_busy: dict[Hashable, list[tuple[int, int]]] = {
        p: _outward(spans, origin) for p, spans in day.patient_busy.items()
    }
    # A patient's host visits are busy time for the patient's other requests.
    for req in day.requests:
        patient_busy.setdefault(req.patient_id, []).extend(_outward([req.host_visit], origin))
    return _Resources(
        working=working,
        therapist_busy=tuple(_merged(_outward(t.busy, origin)) for t in day.therapists),
        room_busy=tuple(_merged(_outward(r.busy, origin)) for r in day.rooms),
        patient_busy={p: _merged(spans) for p, spans in patient_busy.items()},
        therapist_index={t.therapist_id: i for i, t in enumerate(day.therapists)},
    )


def _check_alone(
    index: int, req: SpotWorkRequest, day: SpotWorkDay, res: _Resources
) -> _Candidate | UnplacedReason:
    """The request's options on an otherwise empty day, or the first constraint family that leaves none."""
    origin = day.day_start
    step = day.alignment // MINUTE
    duration = -(-req.duration // MINUTE)
    hold = duration + -(-req.buffer // MINUTE)
    host_start = _floor_minutes(req.host_visit.start, origin)
    host_end = _ceil_minutes(req.host_visit.end, origin)

    # Eligible therapists in the day's order, so the model is built the same way every run.
    eligible = [i for i, t in enumerate(day.therapists) if t.therapist_id in req.eligible_therapist_ids]
    if not eligible:
        return UnplacedReason.NO_ELIGIBLE_THERAPIST
    window = _window_starts(req, day, (host_start, host_end), duration, step)
    if not window:
        return UnplacedReason.WINDOW_CANNOT_FIT

    # The patient's busy time includes this request's own host visit, which the window already avoids.
    patient_busy = res.patient_busy.get(req.patient_id, [])
    patient_free = [s for s in window if not _overlaps(s, s + duration, patient_busy)]
    if not patient_free:
        return UnplacedReason.PATIENT_BUSY

    working = {t: [s for s in window if _inside(s, s + duration, res.working[t])] for t in eligible}
    if not any(working.values()):
        return UnplacedReason.NO_THERAPIST_WORKING
    therapist_free = {
        t: {s for s in starts if not _overlaps(s, s + hold, res.therapist_busy[t])}
        for t, starts in working.items()
    }
    if not any(therapist_free.values()):
        return UnplacedReason.THERAPISTS_BUSY
    room_free = {
        k: {s for s in window if not _overlaps(s, s + hold, busy)} for k, busy in enumerate(res.room_busy)
    }
    if not any(room_free.values()):
        return UnplacedReason.NO_ROOM_FREE

    any_therapist = set().union(*therapist_free.values())
    any_room = set().union(*room_free.values())
    starts = tuple(s for s in patient_free if s in any_therapist and s in any_room)
    if not starts:
        return UnplacedReason.NO_COMMON_TIME
    allowed = set(starts)
    return _Candidate(
        index=index,
        request=req,
        host_start=host_start,
        host_end=host_end,
        duration=duration,
        hold=hold,
        starts=starts,
        therapist_starts={t: frozenset(f & allowed) for t, f in therapist_free.items() if f & allowed},
        room_starts={k: frozenset(f & allowed) for k, f in room_free.items() if f & allowed},
    )


# ---------------------------------------------------------------------------------------------
# A plan in minutes, and the greedy plan that seeds the solver
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    start: int
    therapist: int
    room: int


_Assignment = dict[int, _Slot]  # candidate position -> slot


class _Occupancy:
    """Who holds what in a partial plan, to test whether one more slot fits."""

    def __init__(self) -> None:
        self.therapists: dict[int, list[tuple[int, int]]] = {}
        self.rooms: dict[int, list[tuple[int, int]]] = {}
        self.patients: dict[Hashable, list[tuple[int, int]]] = {}

    def fits(self, cand: _Candidate, slot: _Slot) -> bool:
        s = slot.start
        return not (
            _overlaps(s, s + cand.hold, self.therapists.get(slot.therapist, []))
            or _overlaps(s, s + cand.hold, self.rooms.get(slot.room, []))
            or _overlaps(s, s + cand.duration, self.patients.get(cand.request.patient_id, []))
        )

    def add(self, cand: _Candidate, slot: _Slot) -> None:
        s = slot.start
        self.therapists.setdefault(slot.therapist, []).append((s, s + cand.hold))
        self.rooms.setdefault(slot.room, []).append((s, s + cand.hold))
        self.patients.setdefault(cand.request.patient_id, []).append((s, s + cand.duration))

    def remove(self, cand: _Candidate, slot: _Slot) -> None:
        s = slot.start
        self.therapists[slot.therapist].remove((s, s + cand.hold))
        self.rooms[slot.room].remove((s, s + cand.hold))
        self.patients[cand.request.patient_id].remove((s, s + cand.duration))

    @classmethod
    def of(cls, plan: _Assignment, cands: Sequence[_Candidate]) -> _Occupancy:
        occupancy = cls()
        for i, slot in plan.items():
            occupancy.add(cands[i], slot)
        return occupancy


def _options(cand: _Candidate, therapist_order: Sequence[int]) -> Iterable[_Slot]:
    """A request's slots, least waiting first, then the given therapist order, then chair order."""
    for s in sorted(cand.starts, key=lambda s: (cand.waiting(s), s)):
        for t in therapist_order:
            if s in cand.therapist_starts.get(t, ()):
                for k in sorted(cand.room_starts):
                    if s in cand.room_starts[k]:
                        yield _Slot(s, t, k)


def _shorten_waits(plan: _Assignment, cands: Sequence[_Candidate], passes: int = 3) -> _Assignment:
    """Move placed requests, one at a time, to a free slot with less waiting (same count placed)."""
    plan = dict(plan)
    occupancy = _Occupancy.of(plan, cands)
    for _ in range(passes):
        moved = False
        for i in sorted(plan):
            cand, slot = cands[i], plan[i]
            occupancy.remove(cand, slot)
            therapist_order = sorted(cand.therapist_starts, key=lambda t: (t != slot.therapist, t))
            for better in _options(cand, therapist_order):
                if cand.waiting(better.start) >= cand.waiting(slot.start):
                    break  # options come least waiting first
                if occupancy.fits(cand, better):
                    slot, moved = better, True
                    break
            occupancy.add(cand, slot)
            plan[i] = slot
        if not moved:
            break
    return plan


def _greedy(cands: Sequence[_Candidate], therapist_ids: Sequence[Hashable]) -> _Assignment:
    """Most constrained request first; least waiting; a therapist already in use, the preferred first."""
    order = sorted(
        range(len(cands)),
        key=lambda i: (sum(len(v) for v in cands[i].therapist_starts.values()), cands[i].host_start, i),
    )
    occupancy, plan, used = _Occupancy(), _Assignment(), set[int]()
    for i in order:
        cand = cands[i]
        preferred = cand.request.preferred_therapist_id
        therapist_order = sorted(
            cand.therapist_starts, key=lambda t: (therapist_ids[t] != preferred, t not in used, t)
        )
        for slot in _options(cand, therapist_order):
            if occupancy.fits(cand, slot):
                occupancy.add(cand, slot)
                plan[i] = slot
                used.add(slot.therapist)
                break
    return plan


# ---------------------------------------------------------------------------------------------
# The CP-SAT model
# ---------------------------------------------------------------------------------------------


@dataclass
class _RequestVars:
    start: cp_model.IntVar
    present: cp_model.IntVar
    waiting: cp_model.IntVar
    therapist: dict[int, cp_model.IntVar]
    room: dict[int, cp_model.IntVar]


class _Model:
    """The day as one CP-SAT model; objectives are set stage by stage."""

    def __init__(
        self, cands: Sequence[_Candidate], n_therapists: int, room_busy: Sequence[list[tuple[int, int]]]
    ) -> None:
        self.cands = cands
        self.model = m = cp_model.CpModel()
        therapist_intervals: list[list[cp_model.IntervalVar]] = [[] for _ in range(n_therapists)]
        room_intervals: list[list[cp_model.IntervalVar]] = [[] for _ in room_busy]
        patient_intervals: dict[Hashable, list[cp_model.IntervalVar]] = {}
        all_rooms: list[cp_model.IntervalVar] = []
        self.vars: list[_RequestVars] = []
        for i, cand in enumerate(cands):
            start = m.new_int_var_from_domain(cp_model.Domain.from_values(cand.starts), f"start_{i}")
            present = m.new_bool_var(f"placed_{i}")
            waiting = m.new_int_var(0, cand.max_waiting, f"waiting_{i}")
            # Waiting is the gap on the side used: host_start - end before, start - host_end after.
            # Exactly one of the two is non-negative, so the larger one is the gap; the objective
            # presses `waiting` down onto it.
            m.add(waiting >= cand.host_start - cand.duration - start).only_enforce_if(present)
            m.add(waiting >= start - cand.host_end).only_enforce_if(present)
            rv = _RequestVars(start, present, waiting, {}, {})
            for t, allowed in cand.therapist_starts.items():
                lit = rv.therapist[t] = m.new_bool_var(f"therapist_{i}_{t}")
                self._restrict(start, allowed, cand, lit)
                therapist_intervals[t].append(
                    m.new_optional_fixed_size_interval_var(start, cand.hold, lit, f"t_{i}_{t}")
                )
            for k, allowed in cand.room_starts.items():
                lit = rv.room[k] = m.new_bool_var(f"room_{i}_{k}")
                self._restrict(start, allowed, cand, lit)
                room_intervals[k].append(
                    m.new_optional_fixed_size_interval_var(start, cand.hold, lit, f"r_{i}_{k}")
                )
            m.add(sum(rv.therapist.values()) == present)
            m.add(sum(rv.room.values()) == present)
            patient_intervals.setdefault(cand.request.patient_id, []).append(
                m.new_optional_fixed_size_interval_var(start, cand.duration, present, f"p_{i}")
            )
            all_rooms.append(m.new_optional_fixed_size_interval_var(start, cand.hold, present, f"any_{i}"))
            self.vars.append(rv)

        for group in [*therapist_intervals, *room_intervals, *patient_intervals.values()]:
            if len(group) > 1:
                m.add_no_overlap(group)
        # Redundant: at any moment, spot work plus chairs already busy cannot exceed the chair
        # count. It lets the solver reason about the chairs as a whole (and bound the placements).
        if len(room_busy) > 1 and all_rooms:
            lo = min(c.starts[0] for c in cands)
            hi = max(c.starts[-1] + c.hold for c in cands)
            fixed = [
                m.new_fixed_size_interval_var(max(a, lo), min(b, hi) - max(a, lo), f"busy_{k}_{a}")
                for k, spans in enumerate(room_busy)
                for a, b in spans
                if a < hi and lo < b
            ]
            intervals = all_rooms + fixed
            m.add_cumulative(intervals, [1] * len(intervals), len(room_busy))

        self.used = [m.new_bool_var(f"used_{t}") for t in range(n_therapists)]
        for rv in self.vars:
            for t, lit in rv.therapist.items():
                m.add_implication(lit, self.used[t])

    def _restrict(
        self, start: cp_model.IntVar, allowed: frozenset[int], cand: _Candidate, lit: cp_model.IntVar
    ) -> None:
        if len(allowed) < len(cand.starts):
            self.model.add_linear_expression_in_domain(
                start, cp_model.Domain.from_values(sorted(allowed))
            ).only_enforce_if(lit)

    # The four levels.
    def placed(self) -> cp_model.LinearExprT:
        return sum(rv.present for rv in self.vars)

    def waiting(self) -> cp_model.LinearExprT:
        return sum(rv.waiting for rv in self.vars)

    def therapists_used(self) -> cp_model.LinearExprT:
        return sum(self.used)

    def preferences(self, therapist_index: Mapping[Hashable, int]) -> cp_model.LinearExprT:
        lits = []
        for cand, rv in zip(self.cands, self.vars, strict=True):
            t = therapist_index.get(cand.request.preferred_therapist_id)
            if t is not None and t in rv.therapist:
                lits.append(rv.therapist[t])
        return sum(lits)

    def hint(self, plan: _Assignment, target: cp_model.CpModel | None = None) -> None:
        """A complete hint, so the solver starts from a known plan (on this model or a clone of it)."""
        m = target or self.model
        m.clear_hints()
        for i, (cand, rv) in enumerate(zip(self.cands, self.vars, strict=True)):
            slot = plan.get(i)
            m.add_hint(rv.present, slot is not None)
            m.add_hint(rv.start, slot.start if slot else cand.starts[0])
            m.add_hint(rv.waiting, cand.waiting(slot.start) if slot else 0)
            for t, lit in rv.therapist.items():
                m.add_hint(lit, slot is not None and slot.therapist == t)
            for k, lit in rv.room.items():
                m.add_hint(lit, slot is not None and slot.room == k)
        in_use = {slot.therapist for slot in plan.values()}
        for t, lit in enumerate(self.used):
            m.add_hint(lit, t in in_use)

    def read(self, solver: cp_model.CpSolver) -> _Assignment:
        plan = _Assignment()
        for i, rv in enumerate(self.vars):
            if solver.boolean_value(rv.present):
                therapist = next(t for t, lit in rv.therapist.items() if solver.boolean_value(lit))
                room = next(k for k, lit in rv.room.items() if solver.boolean_value(lit))
                plan[i] = _Slot(solver.value(rv.start), therapist, room)
        return plan


class _Relaxation:
    """The time-indexed linear relaxation of the day, solved with GLOP (bundled with OR-Tools).

    Variables: start s of request r (z[r][s]), with therapist t (zt) and chair k (zk), all in
    [0, 1]. Each resource holds at most one spot work at every instant; the instants to check
    are the candidate starts, since the most simultaneous intervals always include one starting
    then. CP-SAT's own relaxation of no-overlap constraints is much weaker on crowded days
    (on the benchmark day it bounds the placements at 129 where this one proves 108), so its
    bound is handed to CP-SAT as an implied constraint: the stage stops as soon as it is reached.
    """

    def __init__(
        self, cands: Sequence[_Candidate], n_therapists: int, room_busy: Sequence[list[tuple[int, int]]]
    ) -> None:
        self.cands = cands
        self.lp = lp = pywraplp.Solver.CreateSolver("GLOP")
        self.z: list[dict[int, pywraplp.Variable]] = []
        self.zt: list[dict[tuple[int, int], pywraplp.Variable]] = []
        self.used = [lp.NumVar(0, 1, f"used_{t}") for t in range(n_therapists)]
        therapist_items: list[list[tuple[int, int, pywraplp.Variable]]] = [[] for _ in range(n_therapists)]
        # Chairs with the same busy time are interchangeable: one class with their count as its
        # capacity gives the same bound with a fraction of the variables (any split of a class's
        # load over its chairs is a solution of the finer relaxation, and vice versa).
        chair_class: dict[tuple[tuple[int, int], ...], int] = {}
        class_of = [chair_class.setdefault(tuple(busy), len(chair_class)) for busy in room_busy]
        class_size = [class_of.count(c) for c in range(len(chair_class))]
        room_items: list[list[tuple[int, int, pywraplp.Variable]]] = [[] for _ in class_size]
        patient_items: dict[Hashable, list[tuple[int, int, pywraplp.Variable]]] = {}
        for i, cand in enumerate(cands):
            once = lp.Constraint(0, 1, f"once_{i}")
            z: dict[int, pywraplp.Variable] = {}
            zt: dict[tuple[int, int], pywraplp.Variable] = {}
            for s in cand.starts:
                z[s] = var = lp.NumVar(0, 1, "")
                once.SetCoefficient(var, 1)
                patient_items.setdefault(cand.request.patient_id, []).append((s, cand.duration, var))
                # Started at s means started at s with exactly one therapist and one chair.
                therapists = [t for t, allowed in cand.therapist_starts.items() if s in allowed]
                classes = sorted({class_of[k] for k, allowed in cand.room_starts.items() if s in allowed})
                for assigned, per_resource in ((therapists, therapist_items), (classes, room_items)):
                    if len(assigned) == 1:  # no choice: the start's own variable holds the resource
                        parts = [var]
                    else:
                        parts = [lp.NumVar(0, 1, "") for _ in assigned]
                        split = lp.Constraint(0, 0, "")
                        split.SetCoefficient(var, -1)
                        for part in parts:
                            split.SetCoefficient(part, 1)
                    for resource, part in zip(assigned, parts, strict=True):
                        per_resource[resource].append((s, cand.hold, part))
                        if per_resource is therapist_items:
                            zt[(s, resource)] = part
            self.z.append(z)
            self.zt.append(zt)
        for t, items in enumerate(therapist_items):
            self._at_most(items, self.used[t])
        for c, items in enumerate(room_items):
            self._at_most(items, None, class_size[c])
        for items in patient_items.values():
            if len(items) > 1:
                self._at_most(items, None)

    def _at_most(
        self,
        items: Sequence[tuple[int, int, pywraplp.Variable]],
        capacity: pywraplp.Variable | None,
        size: int = 1,
    ) -> None:
        """At every instant, the items holding the resource add up to at most its capacity."""
        points = sorted({s for s, _, _ in items})
        rows: dict[int, pywraplp.Constraint] = {}
        for s, length, var in items:
            for point in points[bisect.bisect_left(points, s) : bisect.bisect_left(points, s + length)]:
                row = rows.get(point)
                if row is None:
                    upper = size if capacity is None else 0
                    row = rows[point] = self.lp.Constraint(-self.lp.infinity(), upper, "")
                    if capacity is not None:
                        row.SetCoefficient(capacity, -1)
                row.SetCoefficient(var, 1)

    def _terms(
        self, name: str, therapist_index: Mapping[Hashable, int]
    ) -> list[tuple[pywraplp.Variable, int]]:
        if name == "placed":
            return [(var, 1) for z in self.z for var in z.values()]
        if name == "waiting_minutes":
            return [
                (var, cand.waiting(s))
                for cand, z in zip(self.cands, self.z, strict=True)
                for s, var in z.items()
            ]
        if name == "therapists_used":
            return [(var, 1) for var in self.used]
        terms = []
        for cand, zt in zip(self.cands, self.zt, strict=True):
            preferred = therapist_index.get(cand.request.preferred_therapist_id)
            terms += [(var, 1) for (_, t), var in zt.items() if t == preferred]
        return terms

    def bound(self, level: _Level, therapist_index: Mapping[Hashable, int], seconds: float) -> int | None:
        """The relaxation's bound on one level (given the levels fixed so far), or None if not solved."""
        objective = self.lp.Objective()
        objective.Clear()
        terms: list[tuple[pywraplp.Variable, float]] = [*self._terms(level.name, therapist_index)]
        slack = 0.0
        if level.name == "placed":
            # Nudge the relaxation towards short waits, by less than one placement in all, so the
            # plan rounded from it waits little too. For any plan, placed - eps * waiting <= value,
            # hence placed <= value + eps * (the most waiting possible): still a valid bound.
            most_waiting = sum(cand.max_waiting for cand in self.cands)
            eps = 1 / (2 * (most_waiting + 1))
            terms = [
                (var, 1 - eps * cand.waiting(s))
                for cand, z in zip(self.cands, self.z, strict=True)
                for s, var in z.items()
            ]
            slack = eps * most_waiting
        for var, coeff in terms:
            objective.SetCoefficient(var, coeff)
        if level.sense == "max":
            objective.SetMaximization()
        else:
            objective.SetMinimization()
        self.lp.SetTimeLimit(max(1, int(seconds * 1000)))
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        value = objective.Value() + slack
        # A little slack for floating point: a bound must never cut off a real plan.
        return math.floor(value + 1e-6) if level.sense == "max" else math.ceil(value - 1e-6)

    def rounded(self) -> _Assignment:
        """A plan read off the last solved relaxation: the surest requests first, each at the
        start, therapist and chair the relaxation weighs most, where still free. On crowded days
        it starts the search far above the plain greedy plan (144 against 139 of 150)."""
        weight = [{s: var.solution_value() for s, var in z.items()} for z in self.z]
        therapist_weight = [{key: var.solution_value() for key, var in zt.items()} for zt in self.zt]
        order = sorted(range(len(self.cands)), key=lambda i: (-max(weight[i].values()), i))
        occupancy, plan = _Occupancy(), _Assignment()
        for i in order:
            cand = self.cands[i]
            slots = sorted(
                _options(cand, sorted(cand.therapist_starts)),
                key=lambda slot: (
                    -weight[i][slot.start],
                    -therapist_weight[i].get((slot.start, slot.therapist), 0.0),
                    cand.waiting(slot.start),
                ),
            )
            for slot in slots:
                if occupancy.fits(cand, slot):
                    occupancy.add(cand, slot)
                    plan[i] = slot
                    break
        return plan

    def fix(self, level: _Level, therapist_index: Mapping[Hashable, int], value: int) -> None:
        """Later levels keep this one at least as good as the plan found."""
        infinity = self.lp.infinity()
        row = (
            self.lp.Constraint(value, infinity)
            if level.sense == "max"
            else self.lp.Constraint(-infinity, value)
        )
        for var, coeff in self._terms(level.name, therapist_index):
            row.SetCoefficient(var, coeff)


def _solver(options: SolverOptions, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    solver.parameters.num_workers = options.num_workers
    solver.parameters.random_seed = options.random_seed
    if options.max_deterministic_time is not None:
        solver.parameters.max_deterministic_time = options.max_deterministic_time
    return solver


# ---------------------------------------------------------------------------------------------
# Staged solve
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Level:
    name: str
    sense: str  # "max" / "min"
    share: float  # share of the remaining time this stage may use


def _level_value(name: str, plan: _Assignment, cands: Sequence[_Candidate], day: SpotWorkDay) -> int:
    """A level's value computed from the plan itself, not from the solver's variables."""
    if name == "placed":
        return len(plan)
    if name == "waiting_minutes":
        return sum(cands[i].waiting(slot.start) for i, slot in plan.items())
    if name == "therapists_used":
        return len({slot.therapist for slot in plan.values()})
    return sum(
        1
        for i, slot in plan.items()
        if day.therapists[slot.therapist].therapist_id == cands[i].request.preferred_therapist_id
    )


def _solve_levels(
    model: _Model,
    relaxation: _Relaxation,
    levels: Sequence[_Level],
    plan: _Assignment,
    day: SpotWorkDay,
    res: _Resources,
    options: SolverOptions,
    deadline: float,
) -> tuple[_Assignment, list[ObjectiveLevel]]:
    m, cands = model.model, model.cands
    results: list[ObjectiveLevel] = []
    for level in levels:
        expr = {
            "placed": model.placed,
            "waiting_minutes": model.waiting,
            "therapists_used": model.therapists_used,
            "preferences_honoured": lambda: model.preferences(res.therapist_index),
        }[level.name]()
        stage_end = time.monotonic() + (deadline - time.monotonic()) * level.share
        # The relaxation costs a second or so on a crowded day: worth it only while every level
        # above is proven, since otherwise the plan's gap is that of a level above.
        lp_bound = None
        if all(r.optimal for r in results):
            lp_bound = relaxation.bound(level, res.therapist_index, stage_end - time.monotonic())
            if lp_bound is not None and level.name == "placed":
                rounded = _shorten_waits(relaxation.rounded(), cands)
                if _placed_then_waiting(rounded, cands) > _placed_then_waiting(plan, cands):
                    plan = rounded
        current = _level_value(level.name, plan, cands, day)
        if lp_bound is not None:
            # Implied by the model, so it cuts off no plan; CP-SAT stops once it reaches it.
            m.add(expr <= lp_bound) if level.sense == "max" else m.add(expr >= lp_bound)
        # What is known without search (e.g. the therapists the placed requests need), likewise implied.
        known = _trivial_bound(level, cands, day, current, len(plan))
        m.add(expr <= known) if level.sense == "max" else m.add(expr >= known)
        if current in (lp_bound, known):
            status, solver = cp_model.OPTIMAL, None  # the plan in hand already meets a bound
        else:
            if level.sense == "max":
                m.maximize(expr)
            else:
                m.minimize(expr)
            model.hint(plan)
            solver = _solver(options, stage_end - time.monotonic())
            status = solver.solve(m)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = model.read(solver)
                # Keep the previous plan unless the stage really improved on it.
                if _better(level, _level_value(level.name, found, cands, day), current):
                    plan = found
            elif status != cp_model.UNKNOWN:
                # INFEASIBLE or MODEL_INVALID cannot happen: the hinted plan satisfies every constraint.
                raise RuntimeError(f"CP-SAT returned {solver.status_name(status)} at level {level.name}.")
        value = _level_value(level.name, plan, cands, day)
        bounds = [b for b in (lp_bound,) if b is not None]
        if solver is not None and status == cp_model.FEASIBLE:
            # Only a search that found a solution reports a meaningful bound.
            cp_bound = _bound(level, solver.best_objective_bound)
            if cp_bound is not None:
                bounds.append(cp_bound)
        bounds.append(known)
        bound = value if status == cp_model.OPTIMAL else _tightest(level, bounds, value)
        results.append(ObjectiveLevel(level.name, level.sense, value, bound, bound == value))
        # Later stages may not make this level worse.
        m.add(expr >= value) if level.sense == "max" else m.add(expr <= value)
        relaxation.fix(level, res.therapist_index, value)
    return plan, results


def _placed_then_waiting(plan: _Assignment, cands: Sequence[_Candidate]) -> tuple[int, int]:
    return len(plan), -sum(cands[i].waiting(slot.start) for i, slot in plan.items())


def _tightest(level: _Level, bounds: Sequence[int], value: int) -> int:
    """The best of the valid bounds, never past the value reached."""
    if level.sense == "max":
        return max(value, min(bounds))
    return min(value, max(bounds))


def _trivial_bound(
    level: _Level, cands: Sequence[_Candidate], day: SpotWorkDay, value: int, placed: int
) -> int:
    """What is known without search: every request placed, every preference that can be honoured."""
    if level.name == "placed":
        return len(cands)
    if level.name == "preferences_honoured":
        index = {t.therapist_id: i for i, t in enumerate(day.therapists)}
        return sum(1 for c in cands if index.get(c.request.preferred_therapist_id, -1) in c.therapist_starts)
    if level.name == "therapists_used":
        return _therapists_needed(cands, placed) if value > 0 else 0
    return 0


def _therapists_needed(cands: Sequence[_Candidate], placed: int) -> int:
    """A lower bound on the therapists any plan placing `placed` requests must use.

    Each therapist's placements are disjoint holds inside the union of the holds open to them, each at
    least as long as the shortest such hold: so they give at most that union's length divided by it, and
    no more than the requests open to them. The fewest therapists whose capacities reach `placed` bound
    the level from below (valid because the earlier stage fixed at least `placed` placements).
    """
    capacity: dict[int, int] = {}
    for t in {t for c in cands for t in c.therapist_starts}:
        spans = sorted((s, s + c.hold) for c in cands for s in c.therapist_starts.get(t, ()))
        shortest = min(c.hold for c in cands if t in c.therapist_starts)
        covered, reach = 0, -1
        for lo, hi in spans:
            if hi > reach:
                covered += hi - max(lo, reach)
                reach = hi
        eligible = sum(1 for c in cands if t in c.therapist_starts)
        capacity[t] = min(eligible, covered // shortest) if shortest > 0 else eligible
    total, needed = 0, 0
    for cap in sorted(capacity.values(), reverse=True):
        if total >= placed:
            break
        total += cap
        needed += 1
    return max(1, needed)


def _bound(level: _Level, raw: float) -> int | None:
    """The solver's bound as an integer, if it has one."""
    if not math.isfinite(raw):
        return None
    return math.floor(raw + 1e-6) if level.sense == "max" else math.ceil(raw - 1e-6)


def _better(level: _Level, value: int, current: int) -> bool:
    return value > current if level.sense == "max" else value < current


# ---------------------------------------------------------------------------------------------
# Explaining requests left out in context
# ---------------------------------------------------------------------------------------------


def _forced_hint(cand_i: int, cands: Sequence[_Candidate], plan: _Assignment) -> _Assignment:
    """The plan with request `cand_i` forced in at the slot that evicts the fewest others."""
    cand = cands[cand_i]
    best: tuple[int, _Slot, _Assignment] | None = None
    for slot in _options(cand, sorted(cand.therapist_starts)):
        kept = _Assignment()
        occupancy = _Occupancy()
        occupancy.add(cand, slot)
        for j, other in sorted(plan.items()):
            if occupancy.fits(cands[j], other):
                occupancy.add(cands[j], other)
                kept[j] = other
        evicted = len(plan) - len(kept)
        if best is None or evicted < best[0]:
            best = (evicted, slot, kept)
        if evicted == 0:
            break
    assert best is not None  # a candidate has at least one slot by construction
    forced = dict(best[2])
    forced[cand_i] = best[1]
    return forced


def _explain_in_context(
    cands: Sequence[_Candidate],
    n_therapists: int,
    res: _Resources,
    plan: _Assignment,
    placed_level: ObjectiveLevel,
    options: SolverOptions,
) -> dict[int, Unplaced]:
    left_out = [i for i in range(len(cands)) if i not in plan]
    explained: dict[int, Unplaced] = {}
    deadline = time.monotonic() + options.explain_time_limit_seconds
    # A fresh model (the main one carries the stage constraints, which exclude these requests),
    # cloned per request: variables are addressed by index, so the same handles serve every clone.
    base = _Model(cands, n_therapists, res.room_busy) if left_out else None
    for n, i in enumerate(left_out):
        req = cands[i].request
        seconds = (deadline - time.monotonic()) / (len(left_out) - n)
        if seconds <= 0.005:
            explained[i] = Unplaced(
                req.request_id,
                UnplacedReason.CONFLICTS_WITH_REQUESTS,
                "conflicts with other requests",
            )
            continue
        assert base is not None
        forced_model = base.model.clone()
        forced_model.add(base.vars[i].present == 1)
        forced_model.maximize(base.placed())
        forced = _forced_hint(i, cands, plan)
        base.hint(forced, target=forced_model)
        solver = _solver(options, seconds)
        status = solver.solve(forced_model)
        hint_count = len(forced)
        found = len(base.read(solver)) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0
        with_it = max(found, hint_count)
        others_kept = with_it - 1
        displaced = len(plan) - others_kept
        if displaced <= 0:
            explained[i] = Unplaced(
                req.request_id,
                UnplacedReason.NOT_PLACED_IN_TIME,
                _MESSAGES[UnplacedReason.NOT_PLACED_IN_TIME],
            )
            continue
        proven = status == cp_model.OPTIMAL and placed_level.optimal
        noun = "other" if displaced == 1 else "others"
        qualifier = "" if proven else "up to "
        explained[i] = Unplaced(
            req.request_id,
            UnplacedReason.CONFLICTS_WITH_REQUESTS,
            f"conflicts with other requests: placing it would displace {qualifier}{displaced} {noun}",
            displaced=displaced,
            displaced_proven=proven,
        )
    return explained


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


_LEVELS = (
    _Level("placed", "max", 0.6),
    _Level("waiting_minutes", "min", 0.7),
    _Level("therapists_used", "min", 0.6),
    _Level("preferences_honoured", "max", 1.0),
)


def plan_spot_work(day: SpotWorkDay, options: SolverOptions | None = None) -> DayPlan:
    """Assign every spot-work request of the day a therapist, a chair and a start, or explain why not.

    Every returned placement respects every hard constraint (window rule, alignment, bounds,
    eligibility, working hours, therapists', chairs' and patients' busy time, turnover buffers, no
    two placements overlapping on a therapist, chair or patient), whatever the time limit.
    """
    options = options or SolverOptions()
    began = time.monotonic()
    res = _resources(day)
    cands: list[_Candidate] = []
    unplaced: dict[int, Unplaced] = {}
    for index, req in enumerate(day.requests):
        checked = _check_alone(index, req, day, res)
        if isinstance(checked, UnplacedReason):
            unplaced[index] = Unplaced(req.request_id, checked, _MESSAGES[checked])
        else:
            cands.append(checked)

    therapist_ids = [t.therapist_id for t in day.therapists]
    plan = _greedy(cands, therapist_ids)
    wants_preferences = options.honour_preferences and any(
        c.request.preferred_therapist_id is not None for c in cands
    )
    levels = [lv for lv in _LEVELS if lv.name != "preferences_honoured" or wants_preferences]
    results: list[ObjectiveLevel]
    if cands:
        model = _Model(cands, len(day.therapists), res.room_busy)
        relaxation = _Relaxation(cands, len(day.therapists), res.room_busy)
        plan, results = _solve_levels(
            model, relaxation, levels, plan, day, res, options, deadline=began + options.time_limit_seconds
        )
    else:
        results = [ObjectiveLevel(lv.name, lv.sense, 0, 0, True) for lv in levels]
    solve_seconds = time.monotonic() - began

    explain_began = time.monotonic()
    if len(plan) < len(cands):
        for i, why in _explain_in_context(cands, len(day.therapists), res, plan, results[0], options).items():
            unplaced[cands[i].index] = why
    explain_seconds = time.monotonic() - explain_began

    placements = tuple(_placement(cands[i], slot, day) for i, slot in sorted(plan.items()))
    first_open = next((lv for lv in results if not lv.optimal), None)
    return DayPlan(
        status=PlanStatus.OPTIMAL if first_open is None else PlanStatus.FEASIBLE,
        relative_gap=0.0 if first_open is None else first_open.relative_gap,
        placements=placements,
        unplaced=tuple(unplaced[i] for i in sorted(unplaced)),
        levels=tuple(results),
        total_waiting_minutes=sum(p.waiting_minutes for p in placements),
        therapists_used=len({p.therapist_id for p in placements}),
        preferences_honoured=sum(1 for p in placements if p.preferred_therapist_honoured),
        solve_seconds=solve_seconds,
        explain_seconds=explain_seconds,
    )


def _placement(cand: _Candidate, slot: _Slot, day: SpotWorkDay) -> Placement:
    req = cand.request
    therapist_id = day.therapists[slot.therapist].therapist_id
    start = day.day_start + slot.start * MINUTE
    return Placement(
        request_id=req.request_id,
        patient_id=req.patient_id,
        region=req.region,
        therapist_id=therapist_id,
        room_id=day.rooms[slot.room].room_id,
        start=start.astimezone(dt.UTC),
        end=(start + cand.duration * MINUTE).astimezone(dt.UTC),
        side=HostSide.BEFORE if slot.start + cand.duration <= cand.host_start else HostSide.AFTER,
        waiting_minutes=cand.waiting(slot.start),
        preferred_therapist_honoured=(
            None if req.preferred_therapist_id is None else therapist_id == req.preferred_therapist_id
        ),
    )
