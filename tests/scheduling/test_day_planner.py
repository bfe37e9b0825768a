"""The spot-work day planner (pure, no database).

Optimality is checked against an exhaustive search written here from the rules, not from the
planner's code; every hard constraint is checked on every plan by an independent validator.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest

from kneadwell.scheduling import day_planner as engine
from kneadwell.scheduling.day_planner import (
    DayPlan,
    HostSide,
    Interval,
    PlanStatus,
    RoomDay,
    SolverOptions,
    SpotWorkDay,
    SpotWorkRequest,
    SpotWorkWindow,
    TherapistDay,
    UnplacedReason,
    plan_spot_work,
)

# Local midnight of a UTC-6 clinic; every time below is "minutes after local midnight".
ORIGIN = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
ONE_WORKER = SolverOptions(time_limit_seconds=20, explain_time_limit_seconds=20, num_workers=1)


def at(minutes: int) -> dt.datetime:
    return ORIGIN + minutes * MIN


def span(start: int, end: int) -> Interval:
    return Interval(at(start), at(end))


def hm(hours: int, minutes: int = 0) -> int:
    return hours * 60 + minutes


def request(
    rid: str,
    host: tuple[int, int],
    *,
    patient: str | None = None,
    eligible: Sequence[str] = ("ann",),
    **kw: Any,
) -> SpotWorkRequest:
    return SpotWorkRequest(
        request_id=rid,
        patient_id=patient or f"patient-{rid}",
        host_visit=span(*host),
        region="neck",
        eligible_therapist_ids=frozenset(eligible),
        **kw,
    )


def one_day(
    *requests: SpotWorkRequest,
    therapists: Sequence[TherapistDay] = (TherapistDay("ann", (span(hm(7), hm(19)),)),),
    rooms: Sequence[RoomDay] = (RoomDay("chair-1"),),
    **kw: Any,
) -> SpotWorkDay:
    return SpotWorkDay(
        day_start=ORIGIN,
        therapists=tuple(therapists),
        rooms=tuple(rooms),
        requests=tuple(requests),
        **kw,
    )


def solve(day: SpotWorkDay, options: SolverOptions = ONE_WORKER) -> DayPlan:
    plan = plan_spot_work(day, options)
    assert_valid(day, plan)
    return plan


def minutes(instant: dt.datetime) -> int:
    return (instant - ORIGIN) // MIN


def reason_of(plan: DayPlan, rid: str) -> UnplacedReason:
    return next(u.reason for u in plan.unplaced if u.request_id == rid)


# ---------------------------------------------------------------------------------------------
# An independent validator of every hard constraint
# ---------------------------------------------------------------------------------------------


def _overlap(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def assert_valid(day: SpotWorkDay, plan: DayPlan) -> None:
    by_id = {r.request_id: r for r in day.requests}
    therapists = {t.therapist_id: t for t in day.therapists}
    rooms = {r.room_id: r for r in day.rooms}
    seen = [p.request_id for p in plan.placements] + [u.request_id for u in plan.unplaced]
    assert sorted(map(str, seen)) == sorted(map(str, by_id)), "every request is placed or explained once"
    holds: list[
        tuple[Hashable, Hashable, str, tuple[dt.datetime, dt.datetime], tuple[dt.datetime, dt.datetime]]
    ] = []
    for p in plan.placements:
        req = by_id[p.request_id]
        host = req.host_visit
        assert p.start.tzinfo is not None
        assert p.end - p.start == req.duration
        assert (p.start - day.day_start) % day.alignment == dt.timedelta(0), "aligned start"
        # Window rule: never overlapping the host visit, within the allowed wait on either side.
        if p.end <= host.start:
            assert day.window.max_wait_before is not None
            assert host.start - p.end <= day.window.max_wait_before
            assert p.side is HostSide.BEFORE
            assert p.waiting_minutes == (host.start - p.end) // MIN
        else:
            assert p.start >= host.end, "spot work overlaps its host visit"
            assert day.window.max_wait_after is not None
            assert p.start - host.end <= day.window.max_wait_after
            assert p.side is HostSide.AFTER
            assert p.waiting_minutes == (p.start - host.end) // MIN
        if req.earliest_start:
            assert p.start >= req.earliest_start
        if req.latest_end:
            assert p.end <= req.latest_end
        assert p.therapist_id in req.eligible_therapist_ids
        therapist = therapists[p.therapist_id]
        assert any(w.start <= p.start and p.end <= w.end for w in therapist.working), "inside working hours"
        hold = (p.start, p.end + req.buffer)
        for busy in therapist.busy:
            assert not _overlap(hold, (busy.start, busy.end)), "therapist already busy"
        for busy in rooms[p.room_id].busy:
            assert not _overlap(hold, (busy.start, busy.end)), "chair already busy"
        patient_busy = [*day.patient_busy.get(req.patient_id, ())]
        patient_busy += [r.host_visit for r in day.requests if r.patient_id == req.patient_id]
        for busy in patient_busy:
            assert not _overlap((p.start, p.end), (busy.start, busy.end)), "patient busy"
        holds.append((p.therapist_id, p.room_id, str(req.patient_id), hold, (p.start, p.end)))
    for a, b in itertools.combinations(holds, 2):
        if a[0] == b[0]:
            assert not _overlap(a[3], b[3]), "two spot works on one therapist at once (buffer included)"
        if a[1] == b[1]:
            assert not _overlap(a[3], b[3]), "two spot works in one chair at once (buffer included)"
        if a[2] == b[2]:
            assert not _overlap(a[4], b[4]), "one patient in two places"
    # The reported totals are those of the placements.
    assert plan.total_waiting_minutes == sum(p.waiting_minutes for p in plan.placements)
    assert plan.therapists_used == len({p.therapist_id for p in plan.placements})
    if plan.status is PlanStatus.OPTIMAL:
        assert plan.relative_gap == 0.0
        assert all(level.value == level.bound for level in plan.levels)


# ---------------------------------------------------------------------------------------------
# Window rule, buffer, preferences
# ---------------------------------------------------------------------------------------------

HOST = (hm(10), hm(10, 30))


@pytest.mark.parametrize(
    ("bounds", "placed_at", "waiting"),
    [
        ({"latest_end": at(hm(9, 30))}, hm(9, 15), 30),  # ends exactly 30 minutes before: allowed
        ({"latest_end": at(hm(9, 25))}, None, None),  # 35 minutes before: not
        ({"earliest_start": at(hm(11))}, hm(11), 30),  # starts exactly 30 minutes after: allowed
        ({"earliest_start": at(hm(11, 5))}, None, None),  # 35 minutes after: not
    ],
)
def test_window_boundaries(bounds: dict[str, Any], placed_at: int | None, waiting: int | None) -> None:
    plan = solve(one_day(request("r", HOST, **bounds)))
    if placed_at is None:
        assert plan.placements == ()
        assert reason_of(plan, "r") is UnplacedReason.WINDOW_CANNOT_FIT
    else:
        (placement,) = plan.placements
        assert minutes(placement.start) == placed_at
        assert placement.waiting_minutes == waiting


def test_touching_the_host_visit_is_allowed_and_preferred() -> None:
    plan = solve(one_day(request("r", HOST)))
    (placement,) = plan.placements
    assert placement.waiting_minutes == 0
    assert placement.end == at(HOST[0]) or placement.start == at(HOST[1])


def test_overlapping_the_host_visit_is_never_allowed() -> None:
    # Bounds that leave only starts overlapping the host visit by 5 minutes on either side.
    plan = solve(one_day(request("r", HOST, earliest_start=at(hm(9, 50)), latest_end=at(hm(10, 40)))))
    assert plan.placements == ()
    assert reason_of(plan, "r") is UnplacedReason.WINDOW_CANNOT_FIT


def test_a_closed_side_of_the_window_is_not_used() -> None:
    window = SpotWorkWindow(max_wait_before=None)
    plan = solve(one_day(request("r", HOST), window=window))
    (placement,) = plan.placements
    assert placement.side is HostSide.AFTER
    assert minutes(placement.start) == HOST[1]


def test_a_custom_window_is_honoured() -> None:
    window = SpotWorkWindow(max_wait_before=dt.timedelta(minutes=10), max_wait_after=None)
    assert solve(one_day(request("r", HOST, latest_end=at(hm(9, 50))), window=window)).placements
    plan = solve(one_day(request("r", HOST, latest_end=at(hm(9, 45))), window=window))
    assert reason_of(plan, "r") is UnplacedReason.WINDOW_CANNOT_FIT


@pytest.mark.parametrize(("buffer", "second_start"), [(0, hm(10, 45)), (10, hm(10, 55))])
def test_turnover_buffer_between_spot_works(buffer: int, second_start: int) -> None:
    # One therapist, one chair, two patients whose host visits end at 10:30; after only.
    window = SpotWorkWindow(max_wait_before=None)
    kw: dict[str, Any] = {"buffer": dt.timedelta(minutes=buffer)}
    plan = solve(one_day(request("a", HOST, **kw), request("b", HOST, **kw), window=window))
    starts = sorted(minutes(p.start) for p in plan.placements)
    assert starts == [hm(10, 30), second_start]
    assert plan.total_waiting_minutes == second_start - hm(10, 30)


def test_turnover_buffer_against_existing_bookings() -> None:
    # After the host visit only. The therapist is booked from 10:45: a 10:30 spot work fits
    # without a buffer, but with a 5-minute one it would hold her until 10:50.
    ann = TherapistDay("ann", (span(hm(7), hm(19)),), (span(hm(10, 45), hm(12)),))
    after_only = SpotWorkWindow(max_wait_before=None)
    free = solve(one_day(request("r", HOST), therapists=[ann], window=after_only))
    assert minutes(free.placements[0].start) == hm(10, 30)
    buffered = request("r", HOST, buffer=dt.timedelta(minutes=5))
    plan = solve(one_day(buffered, therapists=[ann], window=after_only))
    assert reason_of(plan, "r") is UnplacedReason.THERAPISTS_BUSY


ANN = TherapistDay("ann", (span(hm(7), hm(19)),))
BOB = TherapistDay("bob", (span(hm(7), hm(19)),))


def test_preferred_therapist_breaks_ties() -> None:
    for preferred in ("ann", "bob"):
        r = request("r", HOST, eligible=("ann", "bob"), preferred_therapist_id=preferred)
        plan = solve(one_day(r, therapists=[ANN, BOB]))
        assert plan.placements[0].therapist_id == preferred
        assert plan.placements[0].preferred_therapist_honoured is True
        assert plan.preferences_honoured == 1


def test_preference_yields_to_waiting_time() -> None:
    # Bob is busy right after the host visit and right before it: honouring him costs waiting.
    bob = TherapistDay("bob", BOB.working, (span(hm(9, 30), hm(11)),))
    r = request("r", HOST, eligible=("ann", "bob"), preferred_therapist_id="bob")
    plan = solve(one_day(r, therapists=[ANN, bob]))
    assert plan.placements[0].therapist_id == "ann"
    assert plan.placements[0].waiting_minutes == 0


def test_preference_yields_to_fewer_therapists() -> None:
    # Ann must do the first request; the second prefers Bob, but one therapist is enough for both.
    first = request("a", HOST, eligible=("ann",))
    second = request("b", (hm(14), hm(14, 30)), eligible=("ann", "bob"), preferred_therapist_id="bob")
    plan = solve(one_day(first, second, therapists=[ANN, BOB]))
    assert {p.therapist_id for p in plan.placements} == {"ann"}
    assert plan.preferences_honoured == 0
    ignored = solve(
        one_day(first, second, therapists=[ANN, BOB]), replace(ONE_WORKER, honour_preferences=False)
    )
    assert [level.name for level in ignored.levels] == ["placed", "waiting_minutes", "therapists_used"]


def test_fewer_therapists_when_waiting_is_equal() -> None:
    requests = [request(f"r{i}", (hm(9 + i), hm(9 + i, 30)), eligible=("ann", "bob")) for i in range(3)]
    plan = solve(one_day(*requests, therapists=[ANN, BOB]))
    assert plan.therapists_used == 1
    assert plan.total_waiting_minutes == 0


# ---------------------------------------------------------------------------------------------
# Every reason a request can be left out
# ---------------------------------------------------------------------------------------------


def test_reason_no_eligible_therapist() -> None:
    plan = solve(one_day(request("r", HOST, eligible=("zed",))))
    assert reason_of(plan, "r") is UnplacedReason.NO_ELIGIBLE_THERAPIST


def test_reason_patient_busy() -> None:
    busy = {"patient-r": (span(hm(9), hm(10)), span(hm(10, 30), hm(12)))}
    plan = solve(one_day(request("r", HOST), patient_busy=busy))
    assert reason_of(plan, "r") is UnplacedReason.PATIENT_BUSY


def test_reason_patient_busy_with_another_host_visit() -> None:
    # Only the before side is allowed, and the same patient's PT visit fills it.
    chiro = request("chiro", HOST, patient="pat", latest_end=at(hm(10)))
    pt_visit = request("pt", (hm(9, 10), hm(10)), patient="pat", earliest_start=at(hm(13)))
    plan = solve(one_day(chiro, pt_visit))
    assert reason_of(plan, "chiro") is UnplacedReason.PATIENT_BUSY


def test_reason_no_therapist_works_inside_the_window() -> None:
    late = TherapistDay("ann", (span(hm(14), hm(19)),))
    plan = solve(one_day(request("r", HOST), therapists=[late]))
    assert reason_of(plan, "r") is UnplacedReason.NO_THERAPIST_WORKING


def test_reason_every_eligible_therapist_is_booked() -> None:
    booked = TherapistDay("ann", (span(hm(7), hm(19)),), (span(hm(9), hm(12)),))
    plan = solve(one_day(request("r", HOST), therapists=[booked]))
    assert reason_of(plan, "r") is UnplacedReason.THERAPISTS_BUSY


def test_reason_every_chair_is_busy() -> None:
    rooms = [RoomDay("chair-1", (span(hm(9), hm(12)),)), RoomDay("chair-2", (span(hm(8), hm(11, 30)),))]
    plan = solve(one_day(request("r", HOST), rooms=rooms))
    assert reason_of(plan, "r") is UnplacedReason.NO_ROOM_FREE


def test_reason_never_free_together() -> None:
    # Ann is free only before the host visit, the only chair only after it.
    ann = TherapistDay("ann", (span(hm(7), hm(10)),))
    chair = RoomDay("chair-1", (span(hm(8), hm(10)),))
    plan = solve(one_day(request("r", HOST), therapists=[ann], rooms=[chair]))
    assert reason_of(plan, "r") is UnplacedReason.NO_COMMON_TIME


def test_reason_conflicts_with_other_requests_counts_the_displaced() -> None:
    # A can only take 10:00–10:15; B (09:50–10:05) and C (10:10–10:25) each overlap it but not
    # each other. One chair: placing A would displace both.
    a = request("a", (hm(10, 30), hm(11)), earliest_start=at(hm(10)), latest_end=at(hm(10, 15)))
    b = request("b", (hm(10, 5), hm(10, 30)), earliest_start=at(hm(9, 50)), latest_end=at(hm(10, 5)))
    c = request("c", (hm(9, 30), hm(10, 10)), earliest_start=at(hm(10, 10)), latest_end=at(hm(10, 25)))
    plan = solve(one_day(a, b, c))
    assert {p.request_id for p in plan.placements} == {"b", "c"}
    (left_out,) = plan.unplaced
    assert left_out.reason is UnplacedReason.CONFLICTS_WITH_REQUESTS
    assert left_out.displaced == 2
    assert left_out.displaced_proven
    assert left_out.message == "conflicts with other requests: placing it would displace 2 others"


def test_reason_conflicts_with_the_same_patients_other_request() -> None:
    # Two regions for one patient, both only possible at 10:15–10:30: one of them cannot be had.
    kw: dict[str, Any] = {"patient": "pat", "earliest_start": at(hm(10, 15))}
    neck = request("neck", (hm(10, 30), hm(11)), **kw)
    back = request("back", (hm(10, 30), hm(11)), **kw)
    two_chairs = [RoomDay("chair-1"), RoomDay("chair-2")]
    plan = solve(
        one_day(
            neck, back, therapists=[ANN, BOB], rooms=two_chairs, window=SpotWorkWindow(max_wait_after=None)
        )
    )
    assert len(plan.placements) == 1
    (left_out,) = plan.unplaced
    assert left_out.reason is UnplacedReason.CONFLICTS_WITH_REQUESTS
    assert left_out.displaced == 1


# ---------------------------------------------------------------------------------------------
# Random small days against exhaustive search
# ---------------------------------------------------------------------------------------------


def random_day(seed: int, max_requests: int = 5) -> SpotWorkDay:
    rng = random.Random(seed)
    names = ["ann", "bob"]
    therapists = []
    for name in names:
        working = rng.choice(
            [
                [(hm(8), hm(18))],
                [(hm(8), hm(10))],
                [(hm(9, 30), hm(18))],
                [(hm(8), hm(9, 45)), (hm(10, 15), hm(12))],
            ]
        )
        busy = []
        if rng.random() < 0.4:
            start = rng.randrange(hm(9), hm(11), 5)
            busy.append(span(start, start + rng.choice((15, 30, 60))))
        therapists.append(TherapistDay(name, tuple(span(*w) for w in working), tuple(busy)))
    rooms = []
    for k in range(rng.choice((1, 2))):
        busy = []
        if rng.random() < 0.3:
            start = rng.randrange(hm(9), hm(11), 5)
            busy.append(span(start, start + rng.choice((15, 30))))
        rooms.append(RoomDay(f"chair-{k + 1}", tuple(busy)))
    requests = []
    for i in range(rng.randint(min(2, max_requests), max_requests)):
        host_start = rng.randrange(hm(9, 30), hm(10, 30), 5)
        eligible = rng.choice(
            [("ann",), ("bob",), *[("ann", "bob")] * 3, ()]
            if i == 0
            else [("ann",), ("bob",), ("ann", "bob")]
        )
        requests.append(
            SpotWorkRequest(
                request_id=f"r{i}",
                patient_id=f"p{rng.randrange(4)}",
                host_visit=span(host_start, host_start + rng.choice((15, 30))),
                region=rng.choice(("neck", "low_back")),
                eligible_therapist_ids=frozenset(eligible),
                duration=dt.timedelta(minutes=rng.choice((15, 15, 20))),
                buffer=dt.timedelta(minutes=rng.choice((0, 5))),
                preferred_therapist_id=rng.choice(eligible) if eligible and rng.random() < 0.4 else None,
            )
        )
    patient_busy = {}
    if rng.random() < 0.3:
        start = rng.randrange(hm(9), hm(11), 5)
        patient_busy["p0"] = (span(start, start + 20),)
    wait = dt.timedelta(minutes=rng.choice((10, 15)))
    return one_day(
        *requests,
        therapists=therapists,
        rooms=rooms,
        patient_busy=patient_busy,
        window=SpotWorkWindow(wait, wait),
    )


@dataclass(frozen=True)
class Option:
    start: int
    therapist: str
    rooms: tuple[str, ...]
    waiting: int


def alone_options(day: SpotWorkDay, req: SpotWorkRequest) -> list[Option]:
    """Every (aligned start, therapist) with its free chairs, for the request on an otherwise empty day."""
    d, hold = req.duration // MIN, (req.duration + req.buffer) // MIN
    hs, he = minutes(req.host_visit.start), minutes(req.host_visit.end)
    assert day.window.max_wait_before
    assert day.window.max_wait_after
    before, after = day.window.max_wait_before // MIN, day.window.max_wait_after // MIN
    patient_busy = [*day.patient_busy.get(req.patient_id, ())]
    patient_busy += [r.host_visit for r in day.requests if r.patient_id == req.patient_id]
    out = []
    for s in range(0, 24 * 60, day.alignment // MIN):
        if s + d <= hs and hs - (s + d) <= before:
            waiting = hs - (s + d)
        elif s >= he and s - he <= after:
            waiting = s - he
        else:
            continue
        if any(s < minutes(b.end) and minutes(b.start) < s + d for b in patient_busy):
            continue
        rooms = tuple(
            str(r.room_id)
            for r in day.rooms
            if not any(s < minutes(b.end) and minutes(b.start) < s + hold for b in r.busy)
        )
        for t in day.therapists:
            if t.therapist_id not in req.eligible_therapist_ids:
                continue
            if not any(minutes(w.start) <= s and s + d <= minutes(w.end) for w in t.working):
                continue
            if any(s < minutes(b.end) and minutes(b.start) < s + hold for b in t.busy):
                continue
            if rooms:
                out.append(Option(s, str(t.therapist_id), rooms, waiting))
    return out


def exhaustive_best(day: SpotWorkDay, forced: str | None = None) -> tuple[int, int, int, int] | None:
    """The lexicographically best (placed, waiting, therapists used, preferences) by enumeration."""
    reqs = list(day.requests)
    options = [alone_options(day, r) for r in reqs]
    best: tuple[int, int, int, int] | None = None
    chosen: list[tuple[SpotWorkRequest, Option]] = []

    def rooms_assignable(i: int, used: list[tuple[str, int, int]]) -> bool:
        if i == len(chosen):
            return True
        req, opt = chosen[i]
        end = opt.start + (req.duration + req.buffer) // MIN
        return any(
            all(not (r == room and s < end and opt.start < e) for r, s, e in used)
            and rooms_assignable(i + 1, [*used, (room, opt.start, end)])
            for room in opt.rooms
        )

    def visit(i: int) -> None:
        nonlocal best
        if i == len(reqs):
            if not rooms_assignable(0, []):
                return
            key = (
                len(chosen),
                -sum(o.waiting for _, o in chosen),
                -len({o.therapist for _, o in chosen}),
                sum(1 for r, o in chosen if r.preferred_therapist_id == o.therapist),
            )
            if best is None or key > best:
                best = key
            return
        req = reqs[i]
        if req.request_id != forced:
            visit(i + 1)
        for opt in options[i]:
            hold = (opt.start, opt.start + (req.duration + req.buffer) // MIN)
            own = (opt.start, opt.start + req.duration // MIN)
            clash = False
            for other, o in chosen:
                other_hold = (o.start, o.start + (other.duration + other.buffer) // MIN)
                if (o.therapist == opt.therapist and hold[0] < other_hold[1] and other_hold[0] < hold[1]) or (
                    other.patient_id == req.patient_id
                    and own[0] < o.start + other.duration // MIN
                    and o.start < own[1]
                ):
                    clash = True
                if clash:
                    break
            if not clash:
                chosen.append((req, opt))
                visit(i + 1)
                chosen.pop()

    visit(0)
    if best is None:
        return None
    placed, waiting, used, prefs = best
    return placed, -waiting, -used, prefs


@pytest.mark.parametrize("seed", range(60))
def test_optimal_against_exhaustive_search(seed: int) -> None:
    day = random_day(seed)
    plan = solve(day)
    assert plan.status is PlanStatus.OPTIMAL
    best = exhaustive_best(day)
    assert best is not None
    found = (
        len(plan.placements),
        plan.total_waiting_minutes,
        plan.therapists_used,
        plan.preferences_honoured,
    )
    assert found == best
    # The preferences level is solved only when some request names a preferred therapist.
    assert [level.value for level in plan.levels] == list(best)[: len(plan.levels)]

    # Reasons: "alone" reasons only for requests that truly have no option alone; displacement
    # counts match the exhaustive search with the request forced in.
    for left_out in plan.unplaced:
        req = next(r for r in day.requests if r.request_id == left_out.request_id)
        alone = alone_options(day, req)
        if left_out.reason is UnplacedReason.CONFLICTS_WITH_REQUESTS:
            assert alone, "a request that fits alone"
            assert left_out.displaced_proven
            with_it = exhaustive_best(day, forced=str(req.request_id))
            assert with_it is not None
            assert left_out.displaced == best[0] - (with_it[0] - 1)
        else:
            assert not alone, f"{left_out.reason} for a request that fits alone"


@pytest.mark.parametrize("seed", range(40))
def test_hard_constraints_hold_on_busier_days(seed: int) -> None:
    rng = random.Random(seed)
    base = random_day(seed, max_requests=1)
    requests = []
    for i in range(rng.randint(6, 16)):
        host_start = rng.randrange(hm(8, 30), hm(12), 15)
        requests.append(
            replace(
                random_day(seed * 100 + i, max_requests=1).requests[0],
                request_id=f"r{i}",
                host_visit=span(host_start, host_start + 30),
            )
        )
    day = replace(base, requests=tuple(requests), window=SpotWorkWindow())
    # Short limits on purpose: a plan cut short must still be valid.
    plan = solve(day, SolverOptions(time_limit_seconds=0.5, explain_time_limit_seconds=0.2, num_workers=1))
    for level in plan.levels:
        assert (level.bound >= level.value) if level.sense == "max" else (level.bound <= level.value)


def test_same_input_same_plan() -> None:
    day = random_day(7)
    assert solve(day).placements == solve(day).placements


def test_an_empty_day_is_optimal() -> None:
    plan = solve(one_day())
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.placements == ()
    assert plan.unplaced == ()


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Interval(dt.datetime(2026, 3, 2, 9), dt.datetime(2026, 3, 2, 10))


def test_starts_follow_the_alignment_from_the_day_start() -> None:
    # A day that starts at :02 UTC (a zone with an odd offset): starts fall on its 5-minute marks.
    odd = ORIGIN + dt.timedelta(minutes=2)
    day = replace(one_day(request("r", HOST)), day_start=odd)
    (placement,) = solve(day).placements
    assert (placement.start - odd) % dt.timedelta(minutes=5) == dt.timedelta(0)
    assert placement.start >= at(HOST[1]) or placement.end <= at(HOST[0])


# ---------------------------------------------------------------------------------------------
# The bound on therapists used (what lets the third level be proven on a crowded day)
# ---------------------------------------------------------------------------------------------


def _candidates(day: SpotWorkDay) -> list[Any]:
    res = engine._resources(day)
    checked = [engine._check_alone(i, r, day, res) for i, r in enumerate(day.requests)]
    return [c for c in checked if not isinstance(c, UnplacedReason)]


@pytest.mark.parametrize("seed", range(60))
def test_the_therapist_bound_never_passes_the_exhaustive_optimum(seed: int) -> None:
    day = random_day(seed)
    best = exhaustive_best(day)
    assert best is not None
    placed, _, used, _ = best
    if placed:
        assert engine._therapists_needed(_candidates(day), placed) <= used


def test_a_saturated_day_proves_every_therapist_is_needed() -> None:
    # Three therapists with one quarter-hour each, three patients whose host visits start at 9:15.
    shifts = [TherapistDay(name, (span(hm(9), hm(9, 15)),)) for name in ("ann", "bob", "cy")]
    requests = [request(f"r{i}", (hm(9, 15), hm(9, 45)), eligible=("ann", "bob", "cy")) for i in range(3)]
    day = one_day(*requests, therapists=shifts, rooms=[RoomDay(f"chair-{i}") for i in range(3)])

    assert engine._therapists_needed(_candidates(day), 3) == 3
    assert engine._therapists_needed(_candidates(day), 2) == 2
    plan = solve(day)
    assert plan.therapists_used == 3
    assert plan.levels[2].optimal
