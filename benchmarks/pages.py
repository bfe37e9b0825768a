"""`make bench BENCH_ARGS=--pages`: every role's pages and every API read at ×1, ×10 and ×100 of history.

    .venv/bin/python benchmarks/pages.py                          # SQLite, var/bench/pages.sqlite3, ×1 ×10 ×100
    .venv/bin/python benchmarks/pages.py --scales 1,10            # a shorter run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kw_bench_pages .venv/bin/python benchmarks/pages.py

One database of its own (benchmarks/history.py): the demo clinic (×1) is built and measured, then
grown in place to each next scale and measured again. For each case: the SQL statements of one
request, and p50/p95 of `--requests` requests through Django's test client in this process (the
whole stack: middleware, sessions, token, scopes, templates or JSON, the audit insert), the first
request not counted. Then, per scale, a real server (gunicorn, as bench.py starts it) under 8
concurrent clients: requests per second for `/healthz` (the floor), `GET /api/v1/patients` and
`GET /api/v1/appointments`. Last, the table: query counts per scale, p50/p95 per scale, the growth
p95(largest)/p95(×1), and the targets met or not. JSON lines on stdout as they come, the table after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import history

GROWTH_TARGET = 1.5
LOAD_TARGET = 0.30
LOAD_CLIENTS = 8


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered) * 1000, 1), round(p95 * 1000, 1)


class Cast:
    """The demo's logins and the rows the cases name (all from the demo itself, so the same at any scale)."""

    def __init__(self) -> None:
        from django.db.models import Count

        from kneadwell.accounts.models import Role, User
        from kneadwell.accounts.services import token_create
        from kneadwell.charting.models import Note, NoteVersion, VersionStatus
        from kneadwell.clinic.models import Location, Service
        from kneadwell.patients.models import Patient
        from kneadwell.referrals.models import Referral
        from kneadwell.scheduling.models import Appointment, Series
        from kneadwell.therapists.models import Therapist

        self.users = {role: User.objects.filter(role=role).order_by("id").first() for role in Role}
        self.tokens = {
            role: token_create(user=user, name="bench").secret for role, user in self.users.items() if user
        }
        therapist = Therapist.objects.get(user=self.users[Role.THERAPIST])
        # The therapist's patient with the most visits in the demo.
        self.patient = (
            Patient.objects.filter(appointments__therapist=therapist)
            .annotate(n=Count("appointments"))
            .order_by("-n", "id")
            .first()
        )
        signed = NoteVersion.objects.filter(status=VersionStatus.SIGNED).order_by("id").first()
        self.note = signed.note if signed else Note.objects.order_by("id").first()
        self.appointment = self.note.appointment if self.note else Appointment.objects.order_by("id").first()
        self.referral = Referral.objects.order_by("id").first()
        self.series = Series.objects.order_by("id").first()
        self.therapist = therapist
        self.location = Location.objects.order_by("id").first()
        self.service = Service.objects.filter(active=True).order_by("id").first()

    def api_cases(self) -> list[tuple[str, Any, str]]:
        """Every GET operation of the API, its path parameters filled from the demo (front desk's token,
        the role that sees everything; the lists that depend on a scope also as the therapist)."""
        from kneadwell.accounts.models import Role
        from kneadwell.api.v1 import api

        ids = {
            "appointments": self.appointment.public_id if self.appointment else None,
            "notes": self.note.public_id if self.note else None,
            "patients": self.patient.public_id,
            "referrals": self.referral.public_id if self.referral else None,
            "series": self.series.public_id if self.series else None,
            "therapists": self.therapist.public_id,
        }
        paths: set[str] = set()
        for prefix, router in api._routers:
            for path, view in router.path_operations.items():
                if any("GET" in op.methods for op in view.operations):
                    paths.add((prefix + path).replace("//", "/"))
        cases: list[tuple[str, Any, str]] = []
        for path in sorted(paths):
            first = path.strip("/").split("/")[0]
            url = path.replace("{id}", str(ids.get(first))).replace("{number}", "1")
            if "None" in url:
                continue
            if path == "/availability":
                url += (
                    f"?service={self.service.code}&location={self.location.public_id}"
                    f"&patient={self.patient.public_id}"
                )
            if path == "/patients/{id}/matches":
                url += f"?service={self.service.code}&location={self.location.public_id}"
            if path == "/patients/{id}/session-plan":
                url += f"?service={self.service.code}&therapist={self.therapist.public_id}"
            cases.append((f"GET {path}", Role.FRONT_DESK, "/api/v1" + url))
        cases.append(("GET /patients (therapist)", Role.THERAPIST, "/api/v1/patients"))
        cases.append(("GET /appointments (therapist)", Role.THERAPIST, "/api/v1/appointments"))
        return cases

    def page_cases(self) -> list[tuple[str, Any, str]]:
        from django.urls import reverse

        from kneadwell.accounts.models import Role

        pid = self.patient.public_id
        return [
            ("page: front desk home (today's board)", Role.FRONT_DESK, reverse("desk-today")),
            ("page: therapist home (day board)", Role.THERAPIST, reverse("therapist-day")),
            ("page: patient home", Role.PATIENT, reverse("patient-home")),
            ("page: referrer home", Role.REFERRER, reverse("referrer-home")),
            ("page: admin home", Role.CLINIC_ADMIN, reverse("admin-home")),
            ("page: referral inbox", Role.FRONT_DESK, reverse("referral-inbox")),
            ("page: patient search", Role.FRONT_DESK, reverse("patient-search")),
            ("page: patient detail (front desk)", Role.FRONT_DESK, reverse("patient-detail", args=[pid])),
            ("page: patient detail (therapist)", Role.THERAPIST, reverse("patient-detail", args=[pid])),
            ("page: patient visits (front desk)", Role.FRONT_DESK, reverse("patient-visits", args=[pid])),
            ("page: audit log", Role.CLINIC_ADMIN, reverse("audit-log")),
            *[
                (f"admin: {label}", Role.CLINIC_ADMIN, reverse(f"admin:{name}_changelist"))
                for label, name in (
                    ("appointments", "scheduling_appointment"),
                    ("patients", "patients_patient"),
                    ("referrals", "referrals_referral"),
                    ("notes", "charting_note"),
                    ("intakes", "intake_intake"),
                    ("audit events", "accounts_auditevent"),
                )
            ],
        ]


def measure(cast: Cast, scale: int, requests: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kneadwell.accounts.models import Role

    clients: dict[Any, Client] = {}
    for role, user in cast.users.items():
        if user is None:
            continue
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        clients[role] = client
    results: dict[str, dict[str, Any]] = {}
    for name, role, url in cast.page_cases() + cast.api_cases():
        client = clients[role]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {cast.tokens[role]}"} if url.startswith("/api/") else {}
        if role == Role.CLINIC_ADMIN and url.startswith("/api/"):
            continue
        client.get(url, **headers)  # warm: the first request of a case fills caches
        # A full log (9,000 entries, e.g. after building the clinic) would read as no queries at all.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **headers)
        # Read now: the next request's start empties the connection's log (django.db.reset_queries).
        queries = len(captured.captured_queries)
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            client.get(url, **headers)
            samples.append(time.perf_counter() - began)
        p50, p95 = percentiles(samples)
        record = {
            "case": name,
            "scale": scale,
            "status": response.status_code,
            "queries": queries,
            "p50_ms": p50,
            "p95_ms": p95,
        }
        results[name] = record
        emit({"benchmark": "pages", **record})
    return results


def measure_load(cast: Cast, scale: int, requests: int) -> dict[str, float]:
    """Requests per second with 8 concurrent clients through gunicorn: /healthz, /patients, /appointments."""
    import bench

    from kneadwell.accounts.models import Role

    server = bench.Server(workers=2, threads=4)
    token = cast.tokens[Role.FRONT_DESK]
    rates: dict[str, float] = {}
    try:
        for name, path in (
            ("healthz", "/healthz"),
            ("patients", "/api/v1/patients"),
            ("appointments", "/api/v1/appointments"),
        ):
            # Warm every worker and thread (imports, first queries) before the clock starts.
            for _ in range(4 * LOAD_CLIENTS):
                status, _ = server.get(path, token)
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status}")
            per_client = max(1, requests // LOAD_CLIENTS)
            errors: list[int] = []

            def client(path: str = path, per_client: int = per_client, errors: list[int] = errors) -> None:
                conn = server.connection()
                for _ in range(per_client):
                    code, _ = server.get(path, token, conn)
                    if code != 200:
                        errors.append(code)
                conn.close()

            threads = [threading.Thread(target=client) for _ in range(LOAD_CLIENTS)]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rates[name] = round(per_client * LOAD_CLIENTS / (time.perf_counter() - began), 1)
            if errors:
                say(f"{path}: {len(errors)} errors {sorted(set(errors))}")
    finally:
        server.stop()
    record = {
        "benchmark": "load",
        "scale": scale,
        "clients": LOAD_CLIENTS,
        **{f"{k}_per_second": v for k, v in rates.items()},
        "patients_vs_healthz": round(rates["patients"] / rates["healthz"], 3),
        "appointments_vs_healthz": round(rates["appointments"] / rates["healthz"], 3),
        "target": LOAD_TARGET,
    }
    emit(record)
    return record


def table(by_scale: dict[int, dict[str, dict[str, Any]]], loads: dict[int, dict[str, Any]]) -> str:
    scales = sorted(by_scale)
    first, last = scales[0], scales[-1]
    head = (
        "| case | queries "
        + " / ".join(f"×{s}" for s in scales)
        + " | "
        + " | ".join(f"p50 / p95 ×{s} (ms)" for s in scales)
        + f" | growth p95 ×{last}/×{first} | met |"
    )
    lines = [head, "|" + "---|" * (4 + len(scales))]
    for name in by_scale[first]:
        rows = [by_scale[s].get(name) for s in scales]
        if any(r is None for r in rows):
            continue
        queries = [r["queries"] for r in rows]  # type: ignore[index]
        growth = rows[-1]["p95_ms"] / max(rows[0]["p95_ms"], 0.1)  # type: ignore[index]
        flat = len(set(queries)) == 1
        statuses = {r["status"] for r in rows}  # type: ignore[index]
        met = "yes" if flat and growth <= GROWTH_TARGET else ("queries" if not flat else "no")
        if statuses != {200}:
            met += f" (HTTP {'/'.join(str(s) for s in sorted(statuses))})"
        lines.append(
            f"| {name} | {' / '.join(str(q) for q in queries)} | "
            + " | ".join(f"{r['p50_ms']} / {r['p95_ms']}" for r in rows)  # type: ignore[index]
            + f" | {growth:.2f} | {met} |"
        )
    if loads:
        lines += [
            "",
            "| 8 concurrent clients | " + " | ".join(f"×{s}" for s in sorted(loads)) + " | target |",
        ]
        lines.append("|---|" + "---|" * (len(loads) + 1))
        for key, label in (
            ("healthz_per_second", "/healthz, requests/s (the floor)"),
            ("patients_per_second", "GET /api/v1/patients, requests/s"),
            ("appointments_per_second", "GET /api/v1/appointments, requests/s"),
            ("patients_vs_healthz", "/patients ÷ floor"),
            ("appointments_vs_healthz", "/appointments ÷ floor"),
        ):
            target = f"≥ {LOAD_TARGET}" if key.endswith("vs_healthz") else ""
            lines.append(
                f"| {label} | " + " | ".join(str(loads[s][key]) for s in sorted(loads)) + f" | {target} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="comma list, ascending, starting at 1")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case and scale")
    parser.add_argument("--load-requests", type=int, default=240, help="requests per path under load")
    parser.add_argument("--no-load", action="store_true", help="skip the concurrent-clients measurement")
    parser.add_argument(
        "--table-from", metavar="FILE", help="only print the table of an earlier run's JSON lines"
    )
    args = parser.parse_args(argv)
    if args.table_from:
        by: dict[int, dict[str, dict[str, Any]]] = {}
        done: dict[int, dict[str, Any]] = {}
        for line in Path(args.table_from).read_text().splitlines():
            record = json.loads(line) if line.startswith("{") else {}
            if record.get("benchmark") == "pages":
                by.setdefault(record["scale"], {})[record["case"]] = record
            elif record.get("benchmark") == "load" and "error" not in record:
                done[record["scale"]] = record
        print(table(by, done))
        return
    scales = [int(s) for s in args.scales.split(",") if s]
    if scales[0] != 1 or scales != sorted(scales):
        raise SystemExit("--scales must start at 1 and ascend (e.g. 1,10,100)")
    vendor = history.prepare_environment("pages")
    history.setup_django()
    say(f"pages at ×{', ×'.join(map(str, scales))} on {vendor}")
    history.build_demo()
    cast = Cast()
    by_scale: dict[int, dict[str, dict[str, Any]]] = {}
    loads: dict[int, dict[str, Any]] = {}
    current = 1
    for scale in scales:
        if scale > current:
            built = history.extend(current, scale)
            emit({"benchmark": "history", "scale": scale, "build": built, "rows": history.counts()})
            current = scale
        say(f"×{scale}: measuring {history.counts()}")
        by_scale[scale] = measure(cast, scale, args.requests)
        if not args.no_load:
            try:
                loads[scale] = measure_load(cast, scale, args.load_requests)
            except SystemExit as exc:  # the server did not start in time (a loaded machine): say so, go on
                say(f"×{scale}: load not measured: {exc}")
                emit({"benchmark": "load", "scale": scale, "error": str(exc)})
    print(table(by_scale, loads), flush=True)


if __name__ == "__main__":
    main()
