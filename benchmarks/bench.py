"""`make bench`: the scheduling benchmark of ../shared/bench/README.md, one JSON line per measurement.

    make bench                                   # SQLite, in var/bench/bench.sqlite3 (made afresh)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kw_bench make bench     # PostgreSQL
    make bench-peer                              # the same, then ../shared/bench/peer/run.sh
    .venv/bin/python benchmarks/bench.py --help  # sizes, repeats, what to skip
    make bench BENCH_ARGS=--pages                # pages and API reads at ×1, ×10, ×100 (benchmarks/pages.py)

The database is the benchmark's own: on SQLite a file under var/bench, recreated each run; on PostgreSQL
the database named in DATABASE_URL, dropped and recreated each run, so its name must contain "bench"
(never the demo's or a user's). Progress goes to stderr, figures to stdout:

- `load`: the shared dataset (dataset.generate(), 163,200 appointments by default) bulk-loaded.
- `availability`: free 60-minute slots for all therapists over the 28 local days from the anchor through
  `scheduling.slots.availability` (what GET /api/v1/availability calls: settings, gate, selector,
  engine), on the hour (`slots` must be the peer's 3,600) and on the clinic's 5 minutes; best of 3; the
  SQL statements of one search; the floor: best of 5 of the one raw SQL fetch of the same busy intervals.
- `growth`: p50/p95 of the same search over 10k, 100k and 1M appointments (more history behind the
  same four weeks), each size loaded on top of the last.
- `http`: p50/p95 through a real server (gunicorn, 2 gthread workers, persistent database
  connections as docs/operations.md advises) of GET /healthz, availability for one therapist over
  7 days, and for the whole location over one day (up to 500 slots in the answer).
- `booking` (PostgreSQL): bookings per second through POST /api/v1/appointments with 16 concurrent
  clients, raw psycopg single-row insert transactions into the same table with 16 connections, and the
  overlaps found afterwards.
Machines here are shared and noisy: compare figures from one run, not across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ZONE = "America/New_York"
SEARCH_DAYS = 28
GROWTH_SIZES = (10_000, 100_000, 1_000_000)


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def find_shared() -> Path:
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "bench"
        if (candidate / "dataset.py").exists():
            return candidate
    raise SystemExit("shared/bench/dataset.py not found")


def load_dataset_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("bench_dataset", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- The benchmark's own database ----------------------------------------------------------------


def prepare_environment() -> str:
    """Point Django at the benchmark's own database (made afresh) and return its vendor."""
    data_dir = ROOT / "var" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KNEADWELL_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kneadwell.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        path = data_dir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return "sqlite"
    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    if not parsed.scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must be a postgres:// URL (or unset for SQLite).")
    if "bench" not in name:
        raise SystemExit(
            f"The benchmark drops and recreates its database: {name!r} does not look like one made for it "
            "(use a name containing 'bench', e.g. kw_bench)."
        )
    import psycopg

    server = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql"


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    say("migrating the benchmark database")
    call_command("migrate", verbosity=0)
    # The in-process searches run in a process prepared as a server worker is (wsgi.py): warmed up, and
    # what is loaded frozen out of garbage collection.
    from kneadwell.serving import prepare_worker

    prepare_worker()


# --- Loading ------------------------------------------------------------------------------------


class Clinic:
    """The benchmark clinic: one location, one room per therapist, a 60-minute service without buffer."""

    def __init__(self, data: dict[str, Any]) -> None:
        from kneadwell.accounts.models import Role, User
        from kneadwell.accounts.services import token_create
        from kneadwell.clinic.models import Location, LocationKind, Room, Service, ServiceFamily
        from kneadwell.patients.models import Patient
        from kneadwell.therapists.models import Licence, Therapist, WorkingHours

        self.anchor: dt.date = data["anchor"]
        self.location = Location.objects.create(
            name="Benchmark Clinic", kind=LocationKind.MASSAGE_CLINIC, time_zone=ZONE, jurisdiction="US-NY"
        )
        self.service = Service.objects.create(
            code="bench-60",
            name="Therapeutic massage, 60 min (benchmark)",
            family=ServiceFamily.THERAPEUTIC,
            duration_minutes=60,
            buffer_minutes=0,
            location_kinds=[LocationKind.MASSAGE_CLINIC],
        )
        work = data["work"]
        since = self.anchor - dt.timedelta(days=6000)
        self.therapists: dict[str, Any] = {}
        self.rooms: dict[str, Any] = {}
        self.regulars: dict[str, Any] = {}
        for name in data["therapists"]:
            therapist = Therapist.objects.create(given_name=name, family_name="Bench")
            therapist.locations.add(self.location)
            Licence.objects.create(
                therapist=therapist,
                jurisdiction="US-NY",
                number=f"B-{name}",
                title="LMT",
                issued=since,
                expires=self.anchor + dt.timedelta(days=3650),
                verified=True,
            )
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    therapist=therapist,
                    location=self.location,
                    weekday=weekday,
                    start_time=dt.time(work["start"]),
                    end_time=dt.time(work["end"]),
                    effective_from=since,
                )
                for weekday in work["weekdays"]
            )
            self.therapists[name] = therapist
            self.rooms[name] = Room.objects.create(location=self.location, name=f"Room {name}")
            # One patient per therapist holds that therapist's visits: they never overlap.
            self.regulars[name] = Patient.objects.create(
                given_name=name, family_name="Regular", birth_date=dt.date(1980, 1, 1)
            )
        self.patient = Patient.objects.create(
            given_name="Searching", family_name="Bench", birth_date=dt.date(1990, 1, 1)
        )
        self.desk = User.objects.create_user(
            username="bench-desk", password=secrets.token_urlsafe(16), role=Role.FRONT_DESK
        )
        self.token = token_create(user=self.desk, name="bench").secret

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        from kneadwell.lib.zones import local_day_bounds

        return (
            local_day_bounds(self.anchor, ZONE)[0],
            local_day_bounds(self.anchor + dt.timedelta(days=SEARCH_DAYS), ZONE)[0],
        )


def insert_appointments(clinic: Clinic, rows: Iterable[tuple[str, dt.date, int]], today: dt.date) -> int:
    """Bulk-insert (therapist, day, hour) rows straight into the table, 5,000 per statement batch."""
    from django.db import connection, transaction

    from kneadwell.lib.zones import local_to_utc
    from kneadwell.scheduling.models import Appointment

    fields = [f for f in Appointment._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {Appointment._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 (model metadata)
    stamp = dt.datetime.now(dt.UTC)
    instants: dict[tuple[dt.date, int], dt.datetime] = {}
    ids = {
        name: (clinic.therapists[name].pk, clinic.rooms[name].pk, clinic.regulars[name].pk)
        for name in clinic.therapists
    }
    by_field = {f.attname: f for f in fields}

    def prep(attname: str, value: Any) -> Any:
        return by_field[attname].get_db_prep_save(value, connection)

    count = 0
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        batch.clear()

    for name, day, hour in rows:
        start = instants.get((day, hour))
        if start is None:
            start = instants[(day, hour)] = local_to_utc(day, dt.time(hour), ZONE)
        end = start + dt.timedelta(hours=1)
        therapist_id, room_id, patient_id = ids[name]
        values = {
            "public_id": uuid.uuid4(),
            "created_at": stamp,
            "updated_at": stamp,
            "patient_id": patient_id,
            "therapist_id": therapist_id,
            "room_id": room_id,
            "location_id": clinic.location.pk,
            "service_id": clinic.service.pk,
            "start": start,
            "end": end,
            "blocked_until": end,
            "status": "completed" if day < today else "booked",
            "channel": "phone",
            "booked_by_id": None,
            "idempotency_key": "",
            "idempotency_fingerprint": "",
            "series_id": None,
            "series_index": None,
            "checked_in_at": None,
            "completed_at": None,
            "cancelled_at": None,
            "cancellation_reason": "",
            "cancelled_by_patient": False,
            "late_cancellation": False,
            "policy_override": "",
            "hold_expires_at": None,
        }
        batch.append(tuple(prep(f.attname, values[f.attname]) for f in fields))
        count += 1
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return count


# --- Timing helpers -----------------------------------------------------------------------------


def best_of(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def timed(repeat: int, run: Callable[[], object]) -> list[float]:
    run()  # warm: caches, the first query plan
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        out.append(time.perf_counter() - began)
    return out


# --- Availability -------------------------------------------------------------------------------


def search(clinic: Clinic, step: int) -> Any:
    from kneadwell.scheduling.slots import availability

    start, end = clinic.window()
    return availability(
        service=clinic.service,
        location=clinic.location,
        patient=clinic.patient,
        start=start,
        end=end,
        step_minutes=step,
        order="time",
    )


def floor_fetch(clinic: Clinic, *, epoch: bool = False) -> int:
    """One raw SQL fetch of the same busy intervals from Kneadwell's own table, as the peer's floor is one
    of its own: the location's active appointments over the searched local days, columns as stored (the
    driver builds the datetimes), or with `epoch` the selector's own form of the query (whole epoch
    seconds computed in SQL, no datetime built): the cheapest way to read them, so the stricter floor."""
    from django.db import connection

    from kneadwell.lib.zones import local_day_bounds

    start, _ = local_day_bounds(clinic.anchor, ZONE)
    end, _ = local_day_bounds(clinic.anchor + dt.timedelta(days=SEARCH_DAYS), ZONE)
    if not epoch:
        columns = "therapist_id, room_id, start, blocked_until"
    elif connection.vendor == "postgresql":
        columns = "therapist_id, room_id, floor(extract(epoch from start))::bigint, ceil(extract(epoch from blocked_until))::bigint"
    else:
        columns = "therapist_id, room_id, unixepoch(start), unixepoch(blocked_until)"
    sql = (
        f"SELECT {columns} FROM scheduling_appointment WHERE location_id = %s "  # noqa: S608 (constants)
        "AND status IN ('booked', 'checked_in', 'completed') "
        "AND start < %s AND blocked_until > %s AND start >= %s ORDER BY start"
    )
    params = [clinic.location.pk, end, start, start - dt.timedelta(minutes=300)]
    if connection.vendor == "sqlite":
        params = [clinic.location.pk, *(connection.ops.adapt_datetimefield_value(p) for p in params[1:])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def measure_availability(clinic: Clinic, appointments: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hourly = search(clinic, 60)
    with CaptureQueriesContext(connection) as captured:
        search(clinic, 60)
    seconds = best_of(3, lambda: search(clinic, 60))
    busy_rows = floor_fetch(clinic)
    floor = best_of(5, lambda: floor_fetch(clinic))
    floor_epoch = best_of(5, lambda: floor_fetch(clinic, epoch=True))
    five = search(clinic, 5)
    seconds_step5 = best_of(3, lambda: search(clinic, 5))
    return {
        "benchmark": "availability",
        "database": connection.vendor,
        "therapists": len(clinic.therapists),
        "days": SEARCH_DAYS,
        "appointments": appointments,
        "busy_rows": busy_rows,
        "slots": len(hourly.slots),
        "seconds": round(seconds, 4),
        "queries": len(captured.captured_queries),
        "floor_seconds": round(floor, 4),
        "ratio_to_floor": round(seconds / floor, 2),
        "floor_epoch_seconds": round(floor_epoch, 4),
        "ratio_to_epoch_floor": round(seconds / floor_epoch, 2),
        "slots_step5": len(five.slots),
        "seconds_step5": round(seconds_step5, 4),
        "target_ratio_to_floor": 3,
    }


def measure_growth(data_module: Any, repeat: int, sizes: tuple[int, ...], n_therapists: int) -> None:
    """The same 28-day search with more and more history behind it, on one clinic."""
    from django.db import connection

    from kneadwell.lib.clock import today_in

    per_weekday = n_therapists * 5
    future_days = SEARCH_DAYS
    future_rows = per_weekday * 20  # four whole weeks of weekdays
    largest = max(sizes)
    past_weekdays = max(0, (largest - future_rows) // per_weekday) + 2
    past_days = past_weekdays * 7 // 5 + 7
    data = data_module.generate(n_therapists=n_therapists, past_days=past_days, future_days=future_days)
    clinic = Clinic(data)
    rows = sorted(data["appointments"], key=lambda r: r[1], reverse=True)  # newest first
    today = today_in(ZONE)
    loaded = 0
    first: dict[str, float] | None = None
    for size in sizes:
        began = time.perf_counter()
        loaded += insert_appointments(clinic, rows[loaded:size], today)
        say(f"growth: {loaded} appointments loaded in {time.perf_counter() - began:.1f} s")
        samples = timed(repeat, lambda: search(clinic, 60))
        # The best run too: on a shared machine p95 mostly measures the neighbours.
        figures = {**percentiles(samples), "best_ms": round(min(samples) * 1000, 2)}
        first = first or figures
        emit(
            {
                "benchmark": "growth",
                "database": connection.vendor,
                "appointments": loaded,
                "slots": len(search(clinic, 60).slots),
                "runs": repeat,
                **figures,
                "p95_vs_smallest": round(figures["p95_ms"] / first["p95_ms"], 2),
                "target_p95_vs_smallest": 1.3,
            }
        )


# --- Through a real server ----------------------------------------------------------------------


class Server:
    """gunicorn serving the project on the benchmark database."""

    def __init__(self, workers: int, threads: int) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.process = subprocess.Popen(  # noqa: S603 (our own server)
            [
                gunicorn,
                "kneadwell.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            # Persistent database connections, as docs/operations.md advises for PostgreSQL.
            env={"DATABASE_CONN_MAX_AGE": "60", **os.environ},
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _ = self.get("/healthz")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the benchmark server did not start")

    def connection(self) -> Any:
        import http.client

        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def get(self, path: str, token: str = "", conn: Any = None) -> tuple[int, bytes]:
        own = conn is None
        conn = conn or self.connection()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if own:
            conn.close()
        return response.status, body

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def measure_http(clinic: Clinic, server: Server, repeat: int) -> None:
    from django.db import connection

    from kneadwell.lib.zones import local_day_bounds

    def iso(instant: dt.datetime) -> str:
        return urllib.parse.quote(instant.isoformat())

    first = next(iter(clinic.therapists.values()))
    week_start, _ = local_day_bounds(clinic.anchor, ZONE)
    week_end, _ = local_day_bounds(clinic.anchor + dt.timedelta(days=7), ZONE)
    day_end, _ = local_day_bounds(clinic.anchor + dt.timedelta(days=1), ZONE)
    base = (
        f"/api/v1/availability?service={clinic.service.code}&location={clinic.location.public_id}"
        f"&patient={clinic.patient.public_id}&order=time&limit=500"
    )
    cases = {
        "healthz": "/healthz",
        "availability_one_therapist_7_days": f"{base}&therapist={first.public_id}&start={iso(week_start)}&end={iso(week_end)}",
        "availability_location_1_day": f"{base}&start={iso(week_start)}&end={iso(day_end)}",
    }
    conn = server.connection()
    for name, path in cases.items():
        status, body = server.get(path, clinic.token, conn)
        if status != 200:
            raise SystemExit(f"{name}: HTTP {status}: {body[:300]!r}")
        samples = timed(repeat, lambda path=path: server.get(path, clinic.token, conn))
        items = len(json.loads(body).get("items", [])) if name != "healthz" else None
        emit(
            {
                "benchmark": "http",
                "database": connection.vendor,
                "case": name,
                "slots": items,
                "requests": repeat,
                **percentiles(samples),
            }
        )
    conn.close()


def free_slots(clinic: Clinic, count: int) -> list[tuple[Any, Any, dt.datetime]]:
    """Free hourly starts after the searched weeks (untouched by the availability measurements)."""
    from kneadwell.lib.zones import local_day_bounds
    from kneadwell.scheduling.slots import availability

    start, _ = local_day_bounds(clinic.anchor + dt.timedelta(days=SEARCH_DAYS), ZONE)
    end, _ = local_day_bounds(clinic.anchor + dt.timedelta(days=SEARCH_DAYS + 30), ZONE)
    found = availability(
        service=clinic.service,
        location=clinic.location,
        patient=clinic.patient,
        start=start,
        end=end,
        step_minutes=60,
        order="time",
    ).slots
    therapists = {t.pk: t for t in clinic.therapists.values()}
    rooms = {r.pk: r for r in clinic.rooms.values()}
    return [(therapists[s.therapist.pk], rooms[s.room.pk], s.start) for s in found[:count]]


def measure_booking(clinic: Clinic, server: Server, clients: int, per_side: int) -> None:
    """Bookings/s over HTTP against raw single-row insert transactions, then the overlaps (PostgreSQL)."""
    import queue

    import psycopg
    from django.db import connection

    from kneadwell.patients.models import Patient
    from kneadwell.scheduling.models import Appointment

    slots = free_slots(clinic, per_side * 2)
    if len(slots) < per_side * 2:
        raise SystemExit(f"only {len(slots)} free slots for the booking measurement")
    patients = Patient.objects.bulk_create(
        Patient(given_name=f"B{i}", family_name="Booker", birth_date=dt.date(1990, 1, 1))
        for i in range(per_side * 2)
    )
    # Clients book different times at once, as real ones do: the free slots in a fixed shuffled order.
    random.Random(7).shuffle(slots)  # noqa: S311 (a fixed order, not a secret)
    http_side, raw_side = slots[:per_side], slots[per_side:]

    work: queue.Queue[tuple[int, Any, Any, dt.datetime]] = queue.Queue()
    for i, (therapist, room, start) in enumerate(http_side):
        work.put((i, therapist, room, start))
    statuses: list[int] = []
    lock = threading.Lock()

    def http_client() -> None:
        conn = server.connection()
        while True:
            try:
                i, therapist, _room, start = work.get_nowait()
            except queue.Empty:
                break
            # What a booking page sends: the therapist and start it was offered; the clinic picks the
            # room (the engine names a free room per slot independently, so two offers at one start
            # may name the same one).
            body = json.dumps(
                {
                    "patient": str(patients[i].public_id),
                    "service": clinic.service.code,
                    "location": str(clinic.location.public_id),
                    "therapist": str(therapist.public_id),
                    "start": start.isoformat(),
                }
            )
            conn.request(
                "POST",
                "/api/v1/appointments",
                body=body,
                headers={
                    "Authorization": f"Bearer {clinic.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"bench-{i}",
                },
            )
            response = conn.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=http_client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    http_seconds = time.perf_counter() - began

    room_of = {t.pk: clinic.rooms[name].pk for name, t in clinic.therapists.items()}
    url = os.environ["DATABASE_URL"]
    raw_work: queue.Queue[tuple[int, Any, dt.datetime]] = queue.Queue()
    for i, (therapist, _room, start) in enumerate(raw_side):
        raw_work.put((per_side + i, therapist, start))
    raw_errors: list[str] = []

    def raw_client() -> None:
        with psycopg.connect(url) as conn:
            while True:
                try:
                    i, therapist, start = raw_work.get_nowait()
                except queue.Empty:
                    break
                end = start + dt.timedelta(hours=1)
                now = dt.datetime.now(dt.UTC)
                try:
                    with conn.transaction():
                        conn.execute(
                            "INSERT INTO scheduling_appointment (public_id, created_at, updated_at, patient_id, "
                            'therapist_id, room_id, location_id, service_id, start, "end", blocked_until, status, '
                            "channel, idempotency_key, idempotency_fingerprint, cancellation_reason, "
                            "cancelled_by_patient, late_cancellation, policy_override) VALUES "
                            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'booked', 'api', '', '', '', false, false, '')",
                            (
                                uuid.uuid4(),
                                now,
                                now,
                                patients[i].pk,
                                therapist.pk,
                                room_of[therapist.pk],
                                clinic.location.pk,
                                clinic.service.pk,
                                start,
                                end,
                                end,
                            ),
                        )
                except psycopg.Error as exc:
                    with lock:
                        raw_errors.append(type(exc).__name__)

    began = time.perf_counter()
    threads = [threading.Thread(target=raw_client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    raw_seconds = time.perf_counter() - began

    overlaps = count_overlaps()
    http_rate = sum(s == 201 for s in statuses) / http_seconds
    raw_rate = (per_side - len(raw_errors)) / raw_seconds
    emit(
        {
            "benchmark": "booking",
            "database": connection.vendor,
            "clients": clients,
            "http_bookings": len(statuses),
            "http_status": {str(s): statuses.count(s) for s in sorted(set(statuses))},
            "http_per_second": round(http_rate, 1),
            "raw_inserts": per_side,
            "raw_errors": len(raw_errors),
            "raw_per_second": round(raw_rate, 1),
            "ratio_to_raw": round(http_rate / raw_rate, 3),
            "overlaps": overlaps,
            "appointments_after": Appointment.objects.count(),
            "target_ratio_to_raw": 0.25,
        }
    )


def count_overlaps() -> int:
    """Pairs of active appointments holding one therapist, room or patient at once (must be 0)."""
    from django.db import connection

    sql = """
        SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
          ON a.id < b.id
         AND a.status IN ('booked', 'checked_in', 'completed') AND b.status IN ('booked', 'checked_in', 'completed')
         AND ((a.therapist_id = b.therapist_id AND a.start < b.blocked_until AND b.start < a.blocked_until)
           OR (a.room_id = b.room_id AND a.start < b.blocked_until AND b.start < a.blocked_until)
           OR (a.patient_id = b.patient_id AND a.start < b."end" AND b.start < a."end"))
        WHERE a.start >= %s
    """
    from kneadwell.lib.clock import now

    with connection.cursor() as cursor:
        cursor.execute(sql, [now() - dt.timedelta(days=1)])
        return int(cursor.fetchone()[0])


def run_peer(shared: Path) -> dict[str, Any] | None:
    say("peer: ../shared/bench/peer/run.sh (django-appointment 3.12, its own venv)")
    # The peer is its own Django project: none of this process's settings may leak into it.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "LOG_LEVEL")
        and not k.startswith("KNEADWELL_")
    }
    result = subprocess.run(  # noqa: S603 (the shared peer script)
        ["bash", str(shared / "peer" / "run.sh")],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    line = (result.stdout.strip().splitlines() or [""])[-1]
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        say(f"peer failed: {result.stdout[-500:]} {result.stderr[-500:]}")
        return None
    emit({"benchmark": "peer", **record})
    return record


# --- Main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    args_in = sys.argv[1:] if argv is None else argv
    if "--pages" in args_in:
        # The pages and API at ×1, ×10, ×100 of history (benchmarks/pages.py; its options follow).
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import pages

        pages.main([a for a in args_in if a != "--pages"])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", action="store_true", help="also run ../shared/bench/peer/run.sh")
    parser.add_argument("--therapists", type=int, default=60)
    parser.add_argument("--growth-sizes", default=",".join(str(s) for s in GROWTH_SIZES))
    parser.add_argument("--growth-runs", type=int, default=30)
    parser.add_argument("--http-requests", type=int, default=40)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--bookings", type=int, default=800, help="per side: HTTP and raw inserts")
    parser.add_argument("--skip", default="", help="comma list of: growth, http, booking")
    parser.add_argument("--peer-only", action="store_true", help="only run the peer, print its line")
    args = parser.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    shared = find_shared()
    if args.peer_only:
        run_peer(shared)
        return
    data_module = load_dataset_module(shared / "dataset.py")
    vendor = prepare_environment()
    sys.path.insert(0, str(ROOT / "src"))
    setup_django()

    from django.db import connection

    from kneadwell.lib.clock import today_in

    say(f"loading the shared dataset ({args.therapists} therapists) into {vendor}")
    data = data_module.generate(n_therapists=args.therapists)
    began = time.perf_counter()
    clinic = Clinic(data)
    count = insert_appointments(clinic, data["appointments"], today_in(ZONE))
    emit(
        {
            "benchmark": "load",
            "database": connection.vendor,
            "appointments": count,
            "anchor": clinic.anchor.isoformat(),
            "seconds": round(time.perf_counter() - began, 1),
        }
    )
    say("availability")
    result = measure_availability(clinic, count)
    emit(result)
    kneadwell_search = result["seconds"]

    if "http" not in skip or "booking" not in skip:
        server = Server(workers=2, threads=max(8, args.clients // 2))
        try:
            if "http" not in skip:
                say("http")
                measure_http(clinic, server, args.http_requests)
            if "booking" not in skip:
                if vendor == "postgresql":
                    say("booking")
                    measure_booking(clinic, server, args.clients, args.bookings)
                else:
                    say("booking: measured on PostgreSQL only (set DATABASE_URL)")
        finally:
            server.stop()

    if "growth" not in skip:
        say("growth: a fresh clinic, history added in stages")
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
        sizes = tuple(int(s) for s in args.growth_sizes.split(",") if s)
        measure_growth(data_module, args.growth_runs, sizes, args.therapists)

    if args.peer:
        peer = run_peer(shared)
        if peer is not None:
            emit(
                {
                    "benchmark": "compare",
                    "kneadwell_search_seconds": kneadwell_search,
                    "peer_search_seconds": peer.get("search_s_min"),
                    # How many times faster Kneadwell's search is than the peer's, on the same data.
                    "kneadwell_speedup": round(peer["search_s_min"] / kneadwell_search, 1)
                    if peer.get("search_s_min")
                    else None,
                    "kneadwell_slots": result["slots"],
                    "peer_slots": peer.get("slots"),
                }
            )


if __name__ == "__main__":
    main()
