"""Benchmark: the spot-work day planner on a realistic, seeded busy day.

150 spot-work requests beside chiropractic and PT visits spread over 08:00–18:00 (15-minute
granularity), 8 therapists on staggered shifts with a lunch break and some booked sessions,
4 chairs (one with a booked hour). Solves with a 5-second limit and prints one JSON line:
status, the relative gap of the first level not proven optimal, placed/unplaced, total waiting,
therapists used, each level's value and bound, and the seconds spent planning and explaining.

    .venv/bin/python benchmarks/day_planner.py [--seed N] [--buffer MIN] [--workers N] [--seconds S]

With `--buffer 5` the day is overloaded (4 chairs x ~12 h / 20 min < 150), which makes "how many
can be placed at all" a hard packing question: a stress test, not the everyday case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time

from kneadwell.lib.zones import local_day_bounds, local_to_utc
from kneadwell.scheduling.day_planner import (
    Interval,
    RoomDay,
    SolverOptions,
    SpotWorkDay,
    SpotWorkRequest,
    TherapistDay,
    plan_spot_work,
)

ZONE = "America/Chicago"
DAY = dt.date(2026, 3, 10)
REGIONS = ("neck", "upper_back", "low_back", "shoulder", "hip", "forearm")


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(DAY, dt.time(hour, minute), ZONE)


def _span(start_minutes: int, length: int) -> Interval:
    start = _at(0) + dt.timedelta(minutes=start_minutes)
    return Interval(start, start + dt.timedelta(minutes=length))


def build_day(
    seed: int, n_requests: int = 150, n_therapists: int = 8, n_chairs: int = 4, buffer_minutes: int = 0
) -> SpotWorkDay:
    rng = random.Random(seed)  # noqa: S311 - a reproducible synthetic day, not a secret
    therapists = []
    expertise: dict[str, set[str]] = {}
    for t in range(n_therapists):
        tid = f"therapist-{t + 1}"
        # Staggered shifts: 07:30–16:00, 08:00–16:30, … so the desk is covered 07:30–19:00.
        shift_start = 7 * 60 + 30 + 30 * (t % 4) + 60 * (t // 4)
        shift_end = min(shift_start + 8 * 60 + 30, 19 * 60)
        lunch = shift_start + rng.choice((210, 240, 270))
        busy = [_span(lunch, rng.choice((30, 45)))]
        # A few booked 60-minute sessions with their 15-minute turnover.
        for _ in range(rng.randint(0, 3)):
            start = rng.randrange(shift_start, shift_end - 75, 15)
            busy.append(_span(start, 75))
        therapists.append(TherapistDay(tid, (_span(shift_start, shift_end - shift_start),), tuple(busy)))
        expertise[tid] = set(rng.sample(REGIONS, k=rng.randint(3, 6)))

    rooms = [RoomDay(f"chair-{k + 1}") for k in range(n_chairs)]
    rooms[-1] = RoomDay(rooms[-1].room_id, (_span(12 * 60, 60),))  # booked for a staff meeting

    requests = []
    patient = 0
    while len(requests) < n_requests:
        patient += 1
        host_start = rng.randrange(8 * 60, 18 * 60, 15)
        host_length = rng.choice((15, 15, 30, 30, 45, 60))  # chiropractic adjustments and PT visits
        regions = rng.sample(REGIONS, k=2 if rng.random() < 0.08 else 1)  # a few want two areas
        for region in regions[: n_requests - len(requests)]:
            eligible = frozenset(tid for tid, areas in expertise.items() if region in areas)
            preferred = rng.choice(sorted(eligible)) if eligible and rng.random() < 0.2 else None
            requests.append(
                SpotWorkRequest(
                    request_id=f"req-{len(requests) + 1}",
                    patient_id=f"patient-{patient}",
                    host_visit=_span(host_start, host_length),
                    region=region,
                    eligible_therapist_ids=eligible,
                    duration=dt.timedelta(minutes=15),
                    buffer=dt.timedelta(minutes=buffer_minutes),
                    preferred_therapist_id=preferred,
                )
            )
    return SpotWorkDay(
        day_start=local_day_bounds(DAY, ZONE)[0],
        therapists=tuple(therapists),
        rooms=tuple(rooms),
        requests=tuple(requests),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--explain-seconds", type=float, default=2.0)
    parser.add_argument(
        "--buffer",
        type=int,
        default=0,
        help="chair turnover in minutes (0: back-to-back 15-minute chair work; 5 overloads the day)",
    )
    args = parser.parse_args()
    day = build_day(args.seed, buffer_minutes=args.buffer)
    began = time.monotonic()
    plan = plan_spot_work(
        day,
        SolverOptions(
            time_limit_seconds=args.seconds,
            explain_time_limit_seconds=args.explain_seconds,
            num_workers=args.workers,
            random_seed=0,
        ),
    )
    seconds = time.monotonic() - began
    reasons: dict[str, int] = {}
    for u in plan.unplaced:
        reasons[u.reason.value] = reasons.get(u.reason.value, 0) + 1
    print(
        json.dumps(
            {
                "seed": args.seed,
                "buffer": args.buffer,
                "status": plan.status.value,
                "gap": round(plan.relative_gap, 5),
                "placed": len(plan.placements),
                "unplaced": len(plan.unplaced),
                "total_waiting": plan.total_waiting_minutes,
                "therapists_used": plan.therapists_used,
                "preferences_honoured": plan.preferences_honoured,
                "levels": [
                    {"name": lv.name, "value": lv.value, "bound": lv.bound, "optimal": lv.optimal}
                    for lv in plan.levels
                ],
                "unplaced_reasons": reasons,
                "solve_seconds": round(plan.solve_seconds, 3),
                "explain_seconds": round(plan.explain_seconds, 3),
                "seconds": round(seconds, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
