"""The demo clinic with years of history behind it, at a chosen scale, in a database of its own.

    .venv/bin/python benchmarks/history.py --scale 10                 # SQLite: var/bench/history.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kw_bench_history \\
        .venv/bin/python benchmarks/history.py --scale 100            # PostgreSQL (dropped and recreated)

Scale 1 is the demo clinic itself (`kneadwell demo`: 141 patients, about 1,500 appointments from six
weeks back to four weeks ahead, referrals, intakes, notes, the audit trail its building wrote),
booked through the booking service. Scale N adds N - 1 earlier "generations" of the clinic: copy k is
the demo's patients (new records: a new public id, no login, a birth date k days off so they are not
taken for duplicates), their appointments, referrals, intakes and notes (with their versions), moved
k × 11 weeks back in local calendar time (the demo spans ten weeks and a day, so the copies never overlap one
another or the demo: the overlap invariants hold), every visit of a copy in the past and so
completed unless it was cancelled or missed; plus the audit rows such a history leaves (booking, the
desk's and the therapist's reads, the note's writes), about 8,000 per copy, chained like real ones.
×100 is about 14,000 patients, 150,000 appointments, 2,000 referrals and 800,000 audit rows.

Everything after the demo is bulk-inserted (`bulk_create`, thousands of rows per statement), so ×100
builds in minutes. `extend(from_scale, to_scale)` adds the copies between two scales to a database
already at the first: `benchmarks/pages.py` measures ×1, grows to ×10, measures, grows to ×100.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COPY_WEEKS = (
    11  # the demo spans 6 weeks back and 4 ahead (71 days): each earlier copy sits 11 weeks further back
)
BATCH = 2000


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def prepare_environment(name: str = "history") -> str:
    """Point Django at a database of the benchmark's own, made afresh; return its vendor.

    SQLite: var/bench/<name>.sqlite3. PostgreSQL: the database DATABASE_URL names, which must contain
    "bench" (it is dropped and recreated)."""
    data_dir = ROOT / "var" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KNEADWELL_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kneadwell.settings"
    # The demo's safety switch: the demo clinic loads only with it (and admins skip the second factor).
    os.environ["KNEADWELL_DEMO"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        path = data_dir / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return "sqlite"
    parsed = urllib.parse.urlparse(url)
    db = parsed.path.lstrip("/")
    if not parsed.scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must be a postgres:// URL (or unset for SQLite).")
    if "bench" not in db:
        raise SystemExit(f"The history is built into a database of its own: {db!r} must contain 'bench'.")
    import psycopg

    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    return "postgresql"


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    say("migrating")
    call_command("migrate", verbosity=0)
    # The pages' static names come from the manifest, as `kneadwell serve` and `kneadwell demo` make it.
    call_command("collectstatic", interactive=False, verbosity=0)


def build_demo() -> None:
    from kneadwell.demo import load_demo

    began = time.perf_counter()
    summary = load_demo()
    say(f"×1: the demo clinic in {time.perf_counter() - began:.1f} s: {'; '.join(summary.lines())}")


class Template:
    """The demo's rows (scale 1), read once, that every copy repeats."""

    def __init__(self, scale: int = 1) -> None:
        from kneadwell.charting.models import Note, NoteVersion
        from kneadwell.intake.models import Intake
        from kneadwell.patients.models import Patient
        from kneadwell.referrals.models import Referral
        from kneadwell.scheduling.models import Appointment

        # Only the demo's own rows: a database at `scale` holds the demo's patients (the lowest ids) and
        # scale - 1 copies of them, so the first 1/scale of them is the demo's generation. Copying the
        # whole grown database instead would make ×10 → ×100 a ×910.
        current = Patient.objects.filter(merged_into__isnull=True)
        per_generation, rest = divmod(current.count(), scale)
        if rest:
            raise SystemExit(f"This database does not hold {scale} generations of the demo clinic.")
        self.patients = list(current.order_by("id")[:per_generation])
        first = {p.pk for p in self.patients}
        self.appointments = list(
            Appointment.objects.filter(patient_id__in=first).select_related("location").order_by("id")
        )
        self.referrals = list(Referral.objects.filter(patient_id__in=first).order_by("id"))
        self.intakes = list(Intake.objects.filter(patient_id__in=first).order_by("id"))
        self.notes = list(Note.objects.filter(patient_id__in=first).order_by("id"))
        self.versions = list(NoteVersion.objects.filter(note__in=[n.pk for n in self.notes]).order_by("id"))
        from kneadwell.accounts.models import Role, User

        self.desk = User.objects.filter(role=Role.FRONT_DESK).order_by("id").first()
        self.therapist_users = dict(
            User.objects.filter(role=Role.THERAPIST, therapist__isnull=False).values_list(
                "therapist__id", "username"
            )
        )


def _clone(row: Any, **changes: Any) -> Any:
    """An unsaved copy of `row` with a new public id and `changes` applied."""
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}
    if "public_id" in values:
        values["public_id"] = uuid.uuid4()
    values.update(changes)
    return type(row)(**values)


def _shift(value: Any, seconds: float) -> Any:
    return None if value is None else value + dt.timedelta(seconds=seconds)


def add_copy(template: Template, k: int) -> dict[str, int]:
    """Copy k of the demo, k × 11 weeks back: patients, appointments, referrals, intakes, notes, audit."""
    from django.db import transaction

    from kneadwell.accounts.audit import append
    from kneadwell.accounts.models import AuditAction, AuditEvent
    from kneadwell.charting.models import Note, NoteVersion
    from kneadwell.intake.models import Intake
    from kneadwell.lib.zones import local_to_utc, zone
    from kneadwell.patients.models import Patient
    from kneadwell.referrals.models import Referral
    from kneadwell.scheduling.models import Appointment, AppointmentStatus

    days = COPY_WEEKS * 7 * k
    delta = dt.timedelta(days=days)
    with transaction.atomic():
        patients = Patient.objects.bulk_create(
            [
                _clone(
                    p,
                    user_id=None,
                    suspected_duplicate_of_id=None,
                    merged_into_id=None,
                    birth_date=p.birth_date - dt.timedelta(days=k),
                )
                for p in template.patients
            ],
            batch_size=BATCH,
        )
        patient_of = {old.pk: new for old, new in zip(template.patients, patients, strict=True)}

        referrals = Referral.objects.bulk_create(
            [
                _clone(r, patient_id=patient_of[r.patient_id].pk, received_on=r.received_on - delta)
                for r in template.referrals
            ],
            batch_size=BATCH,
        )
        referral_of = {old.pk: new.pk for old, new in zip(template.referrals, referrals, strict=True)}

        rows = []
        for a in template.appointments:
            tz = a.location.time_zone
            local = a.start.astimezone(zone(tz))
            moved = local_to_utc(local.date() - delta, local.time().replace(tzinfo=None), tz)
            seconds = (moved - a.start).total_seconds()
            status = a.status
            if status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
                status = AppointmentStatus.COMPLETED
            rows.append(
                _clone(
                    a,
                    patient_id=patient_of[a.patient_id].pk,
                    start=moved,
                    end=_shift(a.end, seconds),
                    blocked_until=_shift(a.blocked_until, seconds),
                    checked_in_at=_shift(a.checked_in_at, seconds),
                    completed_at=_shift(a.completed_at or a.end, seconds)
                    if status == AppointmentStatus.COMPLETED
                    else None,
                    cancelled_at=_shift(a.cancelled_at, seconds),
                    status=status,
                    idempotency_key="",
                    idempotency_fingerprint="",
                    series_id=None,
                    series_index=None,
                )
            )
        appointments = Appointment.objects.bulk_create(rows, batch_size=BATCH)
        appointment_of = {old.pk: new for old, new in zip(template.appointments, appointments, strict=True)}

        Intake.objects.bulk_create(
            [
                _clone(
                    i,
                    patient_id=patient_of[i.patient_id].pk,
                    referral_id=referral_of.get(i.referral_id) if i.referral_id else None,
                )
                for i in template.intakes
            ],
            batch_size=BATCH,
        )
        notes = Note.objects.bulk_create(
            [
                _clone(
                    n,
                    patient_id=patient_of[n.patient_id].pk,
                    appointment_id=appointment_of[n.appointment_id].pk,
                    appointment_start=appointment_of[n.appointment_id].start,
                )
                for n in template.notes
            ],
            batch_size=BATCH,
        )
        note_of = {old.pk: new.pk for old, new in zip(template.notes, notes, strict=True)}
        NoteVersion.objects.bulk_create(
            [
                _clone(v, note_id=note_of[v.note_id], signed_at=_shift(v.signed_at, -days * 86400))
                for v in template.versions
            ],
            batch_size=BATCH,
        )

        # The audit rows this history leaves: the booking, the desk's and the therapist's reads of the
        # visit and the patient, and a note's writes; chained at the trail's tail like any others.
        events: list[AuditEvent] = []
        desk = template.desk
        desk_name = desk.username if desk else "frontdesk"
        for old, new in zip(template.appointments, appointments, strict=True):
            pid = str(patient_of[old.patient_id].public_id)
            therapist_user = template.therapist_users.get(new.therapist_id, "therapist")
            for action, who, object_type, minutes in (
                (AuditAction.CREATE, desk_name, "appointment", -7 * 24 * 60),
                (AuditAction.READ, desk_name, "patient", -60),
                (AuditAction.READ, therapist_user, "patient", -10),
                (AuditAction.READ, therapist_user, "appointment", 0),
                (AuditAction.UPDATE, therapist_user, "note", 70),
            ):
                events.append(
                    AuditEvent(
                        at=new.start + dt.timedelta(minutes=minutes),
                        actor_username=who,
                        action=str(action),
                        object_type=object_type,
                        object_id=str(new.public_id) if object_type == "appointment" else pid,
                        patient_id=pid,
                        channel="web",
                        path="",
                        detail={"history": k},
                    )
                )
        for start in range(0, len(events), 10_000):
            append(events[start : start + 10_000])
    return {
        "patients": len(patients),
        "appointments": len(appointments),
        "referrals": len(referrals),
        "notes": len(notes),
        "audit": len(events),
    }


def extend(from_scale: int, to_scale: int) -> dict[str, Any]:
    """Grow a database holding the clinic at `from_scale` to `to_scale` (copies from_scale .. to_scale-1)."""
    from django.db import connection

    template = Template(from_scale)
    began = time.perf_counter()
    totals: dict[str, int] = {}
    for k in range(from_scale, to_scale):
        for key, n in add_copy(template, k).items():
            totals[key] = totals.get(key, 0) + n
        if k % 10 == 0 or k == to_scale - 1:
            say(f"  copy {k} of {to_scale - 1}: {time.perf_counter() - began:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - began
    say(f"×{from_scale} → ×{to_scale}: added {totals} in {seconds:.0f} s")
    return {"seconds": round(seconds, 1), **totals}


def counts() -> dict[str, int]:
    from kneadwell.accounts.models import AuditEvent
    from kneadwell.charting.models import Note
    from kneadwell.intake.models import Intake
    from kneadwell.patients.models import Patient
    from kneadwell.referrals.models import Referral
    from kneadwell.scheduling.models import Appointment

    return {
        "patients": Patient.objects.count(),
        "appointments": Appointment.objects.count(),
        "referrals": Referral.objects.count(),
        "intakes": Intake.objects.count(),
        "notes": Note.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="1 (the demo), 10, 100, …")
    parser.add_argument("--name", default="history", help="SQLite file name under var/bench")
    args = parser.parse_args(argv)
    vendor = prepare_environment(args.name)
    setup_django()
    say(f"building the demo clinic ×{args.scale} into {vendor}")
    began = time.perf_counter()
    build_demo()
    if args.scale > 1:
        extend(1, args.scale)
    say(f"built in {time.perf_counter() - began:.0f} s: {counts()}")


if __name__ == "__main__":
    main()
