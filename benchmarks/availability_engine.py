"""Time the pure availability engine on the shared benchmark dataset (no database).

Builds the engine's input straight from ../shared/bench/dataset.py (one location in
America/New_York, one room per therapist, a 60-minute service without buffer, Mon-Fri 09:00-17:00),
searches the 28 local days from the dataset's anchor and prints one JSON line:

    .venv/bin/python benchmarks/availability_engine.py [--therapists 60] [--per-day 5] [--repeat 7]

Figures: `slots_step60` (must be 20 working days x 3 free hours x therapists = 3,600 at the
defaults), `slots_step5` (the clinic default alignment), best-of-N seconds for each, the same with
busy spans given as aware datetimes instead of epoch seconds (what an ORM fetch would hand over),
and the interval algebra on integers versus datetimes (why the engine runs on integers inside).
Machines here are shared and noisy: compare figures from one run, not across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kneadwell.lib import intervals
from kneadwell.lib.zones import local_day_bounds, local_to_utc
from kneadwell.scheduling.availability import (
    HoursTemplate,
    RoomCalendar,
    ServiceSpec,
    SlotQuery,
    Span,
    TherapistCalendar,
    find_slots,
)


def find_dataset() -> Path:
    """../shared/bench/dataset.py from the repository, wherever the checkout sits below /work."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "bench" / "dataset.py"
        if candidate.exists():
            return candidate
    raise SystemExit("shared/bench/dataset.py not found: pass --dataset")


ZONE = "America/New_York"
SEARCH_DAYS = 28


def load_dataset_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("bench_dataset", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_input(
    data: dict[str, Any], *, as_datetimes: bool
) -> tuple[list[TherapistCalendar], list[RoomCalendar], dt.datetime, dt.datetime]:
    """The engine's input as a selector would assemble it: only appointments in the window."""
    anchor: dt.date = data["anchor"]
    window_start, _ = local_day_bounds(anchor, ZONE)
    window_end, _ = local_day_bounds(anchor + dt.timedelta(days=SEARCH_DAYS), ZONE)
    work = data["work"]
    hours = [
        HoursTemplate(
            weekday=weekday,
            start=dt.time(work["start"]),
            end=dt.time(work["end"]),
            effective_from=anchor - dt.timedelta(days=3650),
        )
        for weekday in work["weekdays"]
    ]
    busy: dict[str, list[Span]] = {name: [] for name in data["therapists"]}
    for therapist, day, hour in data["appointments"]:
        start = local_to_utc(day, dt.time(hour), ZONE)
        if not window_start <= start < window_end:
            continue
        end = start + dt.timedelta(hours=1)
        if as_datetimes:
            busy[therapist].append((start, end))
        else:
            busy[therapist].append((int(start.timestamp()), int(end.timestamp())))
    # In start order, as a selector's ORDER BY start (served by the (resource, start) index) gives them.
    for spans in busy.values():
        spans.sort(key=lambda span: span[0])
    therapists = [TherapistCalendar(id=name, hours=hours, busy=spans) for name, spans in busy.items()]
    # One room per therapist, busy exactly when its therapist is.
    rooms = [RoomCalendar(id=f"R{name[1:]}", busy=spans) for name, spans in busy.items()]
    return therapists, rooms, window_start, window_end


def best_of(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def interval_algebra_timings(repeat: int) -> dict[str, float]:
    """Union and subtraction of 6,000 one-hour spans, and shifting them, on integers and on datetimes."""
    base = 1_800_000_000
    ints_a = [(base + i * 5400, base + i * 5400 + 3600) for i in range(6000)]
    ints_b = [(base + i * 7200 + 1800, base + i * 7200 + 5400) for i in range(6000)]

    def to_dt(spans: list[tuple[int, int]]) -> list[tuple[dt.datetime, dt.datetime]]:
        return [
            (dt.datetime.fromtimestamp(a, dt.UTC), dt.datetime.fromtimestamp(b, dt.UTC)) for a, b in spans
        ]

    dts_a, dts_b = to_dt(ints_a), to_dt(ints_b)
    # The arithmetic the engine does around the algebra: shift every span by a session's length.
    lead_seconds, lead = 3600, dt.timedelta(hours=1)
    return {
        "shift_ints_seconds": round(
            best_of(repeat, lambda: [(a - lead_seconds + 1, b) for a, b in ints_a]), 6
        ),
        "shift_datetimes_seconds": round(best_of(repeat, lambda: [(a - lead, b) for a, b in dts_a]), 6),
        "ints_seconds": round(
            best_of(repeat, lambda: intervals.subtract(intervals.union(ints_a), intervals.union(ints_b))), 6
        ),
        "datetimes_seconds": round(
            best_of(repeat, lambda: intervals.subtract(intervals.union(dts_a), intervals.union(dts_b))), 6
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--therapists", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dataset", type=Path, default=None)
    args = parser.parse_args(argv)

    dataset = load_dataset_module(args.dataset or find_dataset())
    data = dataset.generate(
        n_therapists=args.therapists, per_day=args.per_day, past_days=7, future_days=SEARCH_DAYS + 7
    )
    print(f"dataset: anchor {data['anchor']}, {len(data['appointments'])} appointments", file=sys.stderr)
    therapists, rooms, window_start, window_end = build_input(data, as_datetimes=False)
    therapists_dt, rooms_dt, _, _ = build_input(data, as_datetimes=True)
    busy_rows = sum(len(t.busy) for t in therapists)
    service = ServiceSpec(id="massage-60", duration_minutes=60)

    def query(step: int) -> SlotQuery:
        return SlotQuery(
            service=service,
            location="L1",
            time_zone=ZONE,
            window_start=window_start,
            window_end=window_end,
            now=window_start - dt.timedelta(days=1),
            step_minutes=step,
        )

    q60, q5 = query(60), query(5)
    result: dict[str, Any] = {
        "benchmark": "availability_engine",
        "therapists": args.therapists,
        "rooms": len(rooms),
        "busy_rows_in_window": busy_rows,
        "days": SEARCH_DAYS,
        "slots_step60": len(find_slots(q60, therapists, rooms)),
        "slots_step5": len(find_slots(q5, therapists, rooms)),
        "seconds_step60": round(best_of(args.repeat, lambda: find_slots(q60, therapists, rooms)), 6),
        "seconds_step5": round(best_of(args.repeat, lambda: find_slots(q5, therapists, rooms)), 6),
        "seconds_step60_time_order": round(
            best_of(args.repeat, lambda: find_slots(q60, therapists, rooms, order="time")), 6
        ),
        "seconds_step60_top10": round(
            best_of(args.repeat, lambda: find_slots(q60, therapists, rooms, limit=10)), 6
        ),
        "seconds_step60_datetime_spans": round(
            best_of(args.repeat, lambda: find_slots(q60, therapists_dt, rooms_dt)), 6
        ),
        "interval_algebra_6000": interval_algebra_timings(args.repeat),
        "repeat": args.repeat,
    }
    if args.therapists == 60 and args.per_day == 5 and result["slots_step60"] != 3600:
        print(f"expected 3,600 slots at step 60, got {result['slots_step60']}", file=sys.stderr)
        result["error"] = "slot count"
    print(json.dumps(result))
    if "error" in result:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
