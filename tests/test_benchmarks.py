"""The benchmarks' own loaders keep up with the models (a new column must not break `make bench`)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

from kneadwell.scheduling.models import Appointment

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("kneadwell_bench", BENCHMARKS / "bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("kneadwell_bench", module)
    spec.loader.exec_module(module)
    return module


def test_the_scheduling_benchmark_bulk_loads_appointments_into_every_column(db):
    bench = _bench()
    anchor = dt.date(2026, 3, 2)
    clinic = bench.Clinic(
        {
            "anchor": anchor,
            "therapists": ["T01", "T02"],
            "work": {"start": 9, "end": 17, "weekdays": [0, 1, 2, 3, 4]},
        }
    )
    rows = [("T01", anchor, 9), ("T02", anchor, 9), ("T01", anchor - dt.timedelta(days=1), 10)]
    assert bench.insert_appointments(clinic, rows, today=anchor) == 3
    statuses = sorted(Appointment.objects.values_list("status", flat=True))
    assert statuses == ["booked", "booked", "completed"]
