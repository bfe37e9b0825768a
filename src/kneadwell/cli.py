"""The `kneadwell` command: demo, serve, token, manage.

    kneadwell demo [--no-serve] [--port N]        migrate, load the demo clinic, serve it
    kneadwell serve [--port N] [--workers N] [--threads N] [--host H]
    kneadwell worker [--once]                     send messages: background tasks, reminders, watchdog
    kneadwell token create --user NAME [--name LABEL]
    kneadwell token list --user NAME
    kneadwell token revoke PREFIX
    kneadwell audit verify                        check the audit trail's hash chain
    kneadwell backup [--output DIR]               a verified backup of the database and uploads
    kneadwell restore BACKUP_DIR [--yes]          restore one, and check it against its manifest
    kneadwell manage <django command> [args...]

Configuration comes from the environment, as in settings.py: PORT (overridden
by --port), DATABASE_URL, KNEADWELL_DATA_DIR, SECRET_KEY and the rest.
Django is set up only by the subcommands that need it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # the models load after Django is set up, inside each command
    from django.db.models import Model

    from kneadwell.accounts.models import User
    from kneadwell.backups import Target
    from kneadwell.clinic.models import Service
    from kneadwell.intake.screening.types import ScreeningResult
    from kneadwell.patients.models import Patient
    from kneadwell.planning.tailoring import SessionPlan
    from kneadwell.therapists.models import Therapist

M = TypeVar("M", bound="Model")

SETTINGS_MODULE = "kneadwell.settings"
DEFAULT_PORT = 8000
DEFAULT_HOST = "127.0.0.1"
EXIT_USAGE = 2
EXIT_FAILED = 1

# gunicorn defaults (each overridable by the environment, see docs/operations.md).
DEFAULT_THREADS = 4
DEFAULT_MAX_REQUESTS = 2000
DEFAULT_TIMEOUT = 60


class CommandError(Exception):
    """A problem the user can fix: printed on stderr, exit code 2."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()


def _port(value: int | None) -> int:
    if value is not None:
        return value
    raw = os.environ.get("PORT", "")
    if not raw:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        raise CommandError(f"PORT={raw!r} is not a port number.") from None
    if not 0 < port < 65536:
        raise CommandError(f"PORT={raw!r} is not a port number.")
    return port


# --------------------------------------------------------------------------- serve


def _env_count(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CommandError(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise CommandError(f"{name} must be at least {minimum}.")
    return value


def default_workers() -> int:
    """One process per CPU core, at least 2 (a slow request never blocks everyone), at most 8.

    Each worker holds its own copy of what it imports (about 150–250 MB); past
    8 on one machine, memory and the database's connection count matter more
    than cores. Threads (below) give each process more concurrent requests.
    """
    return max(2, min(os.cpu_count() or 1, 8))


def gunicorn_argv(
    *,
    port: int | None = None,
    host: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
) -> list[str]:
    """The gunicorn command line `kneadwell serve` runs (built separately so it can be tested)."""
    if workers is None:
        workers = _env_count("WEB_CONCURRENCY", default_workers())
    if threads is None:
        threads = _env_count("KNEADWELL_THREADS", DEFAULT_THREADS)
    max_requests = _env_count("KNEADWELL_MAX_REQUESTS", DEFAULT_MAX_REQUESTS, minimum=0)
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "kneadwell.wsgi:application",
        "--bind",
        f"{host or DEFAULT_HOST}:{_port(port)}",
        "--workers",
        str(workers),
        # Threads in each worker: most of a request's time is spent waiting on the database.
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        # Load the application (and warm it up: wsgi.py) once in the master before forking,
        # so a worker takes traffic with the ICD-10-CM code set and catalogue loaded.
        "--preload",
        # Recycle each worker after about this many requests (jittered, so they do not all
        # restart together): bounds the growth of a slow leak.
        "--max-requests",
        str(max_requests),
        "--max-requests-jitter",
        str(max_requests // 10),
        "--timeout",
        str(_env_count("KNEADWELL_TIMEOUT", DEFAULT_TIMEOUT)),
        "--graceful-timeout",
        "30",
        # gunicorn 27 otherwise opens a control socket under ~/.gunicorn.
        "--no-control-socket",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
    ]


def _serve(*, port: int | None, host: str | None, workers: int | None, threads: int | None = None) -> int:
    argv = gunicorn_argv(port=port, host=host, workers=workers, threads=threads)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.db import connections

    # The server process opens its own connections; hand over nothing half-used.
    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)  # noqa: S606 (our own interpreter, fixed arguments)
    return 0  # not reached


def cmd_serve(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers must be at least 1.")
    if args.threads is not None and args.threads < 1:
        raise CommandError("--threads must be at least 1.")
    # Set up Django first so a configuration error (no SECRET_KEY, a bad
    # DATABASE_URL) is reported here, once, instead of by every worker.
    _setup_django()
    return _serve(port=args.port, host=args.host, workers=args.workers, threads=args.threads)


# --------------------------------------------------------------------------- demo


def _demo_env() -> None:
    value = os.environ.get("KNEADWELL_DEMO", "").strip().lower()
    if value in {"0", "false", "no", "off"}:
        raise CommandError("`kneadwell demo` runs only with KNEADWELL_DEMO=true (or unset).")
    # Before Django reads its settings: the demo gets its local secret key and
    # relaxed cookie/MFA defaults only through this switch.
    os.environ["KNEADWELL_DEMO"] = "true"


def cmd_demo(args: argparse.Namespace) -> int:
    _demo_env()
    port = _port(args.port)
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from kneadwell import demo

    if not settings.DEMO:
        raise CommandError("These settings have DEMO off; the demo clinic is not loaded.")
    print(f"Database: {_describe_database()}", file=sys.stderr)
    print("Applying migrations…", file=sys.stderr)
    call_command("migrate", interactive=False, verbosity=0)
    print("Collecting static files…", file=sys.stderr)
    call_command("collectstatic", interactive=False, verbosity=0)
    if demo.demo_loaded():
        summary = demo.demo_summary(created=False)
        print("Demo clinic already loaded.", file=sys.stderr)
    else:
        print("Loading the demo clinic (takes a few seconds)…", file=sys.stderr)
        summary = demo.load_demo()
    for line in summary.lines():
        print(f"  {line}")
    print()
    print(f"Kneadwell demo: http://127.0.0.1:{port}/")
    print("Logins (demo only):")
    for username, role in demo.DEMO_LOGINS:
        print(f"  {username:<10} {role.label:<20} password: {demo.DEMO_PASSWORD}")
    print()
    if args.no_serve:
        return 0
    if not args.no_worker:
        _start_worker_beside()
    return _serve(port=port, host=None, workers=args.workers)


def _start_worker_beside() -> None:
    """`kneadwell worker` in the background, for the demo: it stops when this process (about to
    become the web server) is gone."""
    import subprocess

    from kneadwell.notifications.worker import PARENT_ENV

    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    subprocess.Popen([sys.executable, "-m", "kneadwell.cli", "worker"], env=env)
    print("Message worker started beside the server (kneadwell worker).", file=sys.stderr)


# --------------------------------------------------------------------------- worker


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from kneadwell.notifications.worker import run_worker

    return run_worker(once=args.once, interval=args.interval)


def _describe_database() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite {db['NAME']}"
    return f"PostgreSQL {db.get('NAME', '')} on {db.get('HOST') or 'localhost'}"


# --------------------------------------------------------------------------- token


def _user(username: str) -> User:
    from kneadwell.accounts.models import User

    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup_django()
    from kneadwell.accounts.services import token_create

    user = _user(args.user)
    if not user.is_active:
        raise CommandError(f"User {user.username!r} is inactive; a token for them would not work.")
    issued = token_create(user=user, name=args.name)
    # Only the secret on stdout, so TOKEN=$(kneadwell token create --user ...) works.
    print(issued.secret)
    print(
        f"Token {issued.token.prefix}… for {user.username} ({user.get_role_display()}). "
        "Shown once: store it now. Use it as 'Authorization: Bearer <token>'.",
        file=sys.stderr,
    )
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    _setup_django()
    user = _user(args.user)
    tokens = list(user.api_tokens.all())
    if not tokens:
        print(f"{user.username} has no API tokens.", file=sys.stderr)
        return 0
    print(f"{'PREFIX':<12} {'STATE':<8} {'CREATED (UTC)':<17} {'LAST USED (UTC)':<17} NAME")
    for token in tokens:
        state = "revoked" if token.revoked_at else "active"
        last = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        print(f"{token.prefix:<12} {state:<8} {token.created_at:%Y-%m-%d %H:%M} {last:<17} {token.name}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _setup_django()
    from kneadwell.accounts.models import ApiToken
    from kneadwell.accounts.services import TOKEN_PREFIX, digest_secret, token_revoke

    given = args.prefix.strip().rstrip("…").rstrip(".")
    prefix_length = len(TOKEN_PREFIX) + 6
    if len(given) > prefix_length:
        # The whole secret: match it exactly.
        matches = list(ApiToken.objects.select_related("user").filter(digest=digest_secret(given)))
    else:
        matches = list(ApiToken.objects.select_related("user").filter(prefix=given))
    if args.user:
        matches = [t for t in matches if t.user.username == args.user]
    active = [t for t in matches if t.revoked_at is None]
    if not matches:
        raise CommandError(f"No token matches {given!r}.")
    if not active:
        print(f"Token {given} was already revoked.", file=sys.stderr)
        return 0
    if len(active) > 1:
        owners = ", ".join(sorted({t.user.username for t in active}))
        raise CommandError(f"{len(active)} active tokens start with {given!r} ({owners}); add --user NAME.")
    token = token_revoke(token=active[0])
    print(f"Revoked {token.prefix}… ({token.user.username}).", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- plan


def _find(model: type[M], value: str, label: str, name_fields: tuple[str, str]) -> M:
    """One row by public id, or by "Given Family" name (case-insensitive); a clear error otherwise."""
    from kneadwell.accounts.scoping import parse_public_id

    parsed = parse_public_id(value)
    if parsed is not None:
        rows = list(model._default_manager.filter(public_id=parsed))
    else:
        given, _, family = value.strip().partition(" ")
        rows = list(
            model._default_manager.filter(
                **{f"{name_fields[0]}__iexact": given, f"{name_fields[1]}__iexact": family}
            )
        )
    if not rows:
        raise CommandError(f"No {label} matches {value!r}.")
    if len(rows) > 1:
        ids = ", ".join(str(getattr(r, "public_id", r.pk)) for r in rows)
        raise CommandError(f"{len(rows)} {label}s are called {value!r}; give the id: {ids}.")
    return rows[0]


def plan_text(
    *,
    patient: Patient,
    service: Service,
    therapist: Therapist,
    on: dt.date,
    plan: SessionPlan,
    screening: ScreeningResult,
) -> str:
    """The session plan as a person reads it: what, where, how long, how firm, and why."""
    from kneadwell.knowledge import catalogue

    regions, techniques = catalogue.regions(), catalogue.techniques()
    lines = [
        f"Session plan for {patient.full_name}: {service.name} with {therapist.full_name} on {on:%A %d %B %Y}",
        f"Screening: {screening.decision.value.replace('_', ' ')}",
    ]
    if plan.blocked:
        lines.append("No session: " + " ".join(plan.reasons))
        return "\n".join(lines) + "\n"
    for reason in plan.reasons:
        lines.append(f"Note: {reason}")
    lines.append("")
    for segment in plan.segments:
        where = regions[segment.region].name
        if segment.side:
            where = f"{where} ({segment.side})"
        names = ", ".join(techniques[t].name for t in segment.techniques) or "no technique: see notes"
        lines.append(f"  {segment.minutes:>3} min  {where:<28} {segment.role:<8} {names}")
    if plan.pressure:
        lines.append(f"\nPressure: {plan.pressure[0].value} to {plan.pressure[1].value}")
    if plan.instructions:
        lines.append("Tell the patient: " + ", ".join(i.replace("_", " ") for i in plan.instructions))
    ambience = ", ".join(f"{k} {v}" for k, v in plan.ambience.items() if v)
    if ambience:
        lines.append(f"Room: {ambience}")
    for finding in plan.precautions:
        lines.append(f"Precaution: {finding.message_staff} [{', '.join(finding.sources)}]")
    lines.append("\nWhy:")
    for item in plan.rationale:
        source = f" [{item.source}]" if item.source else ""
        lines.append(f"  - {item.text}{source}")
    return "\n".join(lines) + "\n"


def cmd_plan(args: argparse.Namespace) -> int:
    _setup_django()
    from kneadwell.clinic.models import Service
    from kneadwell.clinic.selectors import location_today
    from kneadwell.patients.models import Patient
    from kneadwell.planning.selectors import current_therapist, screened_session_plan
    from kneadwell.scheduling.selectors import visit_history
    from kneadwell.therapists.models import Therapist

    patient = _find(Patient, args.patient, "patient", ("given_name", "family_name"))
    service = Service.objects.filter(code=args.service, active=True).first()
    if service is None:
        codes = ", ".join(Service.objects.filter(active=True).values_list("code", flat=True))
        raise CommandError(f"No active service {args.service!r}; use one of: {codes}.")
    therapist = (
        _find(Therapist, args.therapist, "therapist", ("given_name", "family_name"))
        if args.therapist
        else current_therapist(patient, visit_history(patient))
    )
    if therapist is None:
        raise CommandError(f"{patient.full_name} has no current therapist; name one with --therapist.")
    location = therapist.locations.order_by("name").first()
    on = args.date or location_today(location)
    try:
        plan, screening = screened_session_plan(
            patient=patient, service=service, therapist=therapist, on=on, history=visit_history(patient)
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    from kneadwell.accounts.models import AuditAction
    from kneadwell.accounts.services import audit_record

    audit_record(
        actor=None,
        action=AuditAction.READ,
        object_type="session_plan",
        object_id=patient.public_id,
        patient_ids=[patient.public_id],
        channel="cli",
        # The command line has no Kneadwell login: record who ran it on the server.
        detail={"os_user": getpass.getuser()},
    )
    sys.stdout.write(
        plan_text(
            patient=patient, service=service, therapist=therapist, on=on, plan=plan, screening=screening
        )
    )
    return 0


# --------------------------------------------------------------------------- audit


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup_django()
    from django.db import connection

    from kneadwell.accounts.audit import verify_chain
    from kneadwell.accounts.dbguard import guard_installed

    report = verify_chain()
    guard = guard_installed(connection)
    if report.ok:
        print(f"Audit trail: {report.count} events, every link intact.")
    else:
        print(f"Audit trail BROKEN at {report.problem}.")
        print(f"The {report.count} events before it are intact.")
    print(f"Head: seq {report.head_seq}, hash {report.head_hash}")
    print(
        "Guard: the database refuses UPDATE and DELETE on the audit table."
        if guard
        else "Guard MISSING: the audit table's triggers are not installed (re-run migrations; see docs)."
    )
    return 0 if report.ok and guard else EXIT_FAILED


# --------------------------------------------------------------------------- backup


def _backup_target() -> Target:
    from django.db import connection

    from kneadwell.backups import Target

    return Target.from_django(connection.settings_dict)


def cmd_backup(args: argparse.Namespace) -> int:
    _setup_django()
    from pathlib import Path

    from django.conf import settings

    from kneadwell.backups import BackupError, backup

    output = Path(
        args.output or os.environ.get("KNEADWELL_BACKUP_DIR") or Path(settings.DATA_DIR) / "backups"
    )
    try:
        directory, manifest = backup(
            _backup_target(), media_root=Path(settings.MEDIA_ROOT), output_dir=output
        )
    except BackupError as exc:
        print(f"kneadwell: backup failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    snap = manifest.snapshot
    print(directory)
    print(
        f"Backed up {sum(snap.tables.values())} rows in {len(snap.tables)} tables; audit chain of "
        f"{snap.audit_count} events verified (head {snap.audit_head_hash[:16]}…).",
        file=sys.stderr,
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup_django()
    from pathlib import Path

    from django.conf import settings
    from django.db import connections

    from kneadwell.backups import BackupError, restore, target_has_data

    target = _backup_target()
    connections.close_all()
    if target_has_data(target) and not args.yes:
        raise CommandError(
            "The database already holds data; restoring replaces all of it. Stop the server, then "
            "run again with --yes."
        )
    try:
        restored = restore(Path(args.backup), target, media_root=Path(settings.MEDIA_ROOT))
    except BackupError as exc:
        print(f"kneadwell: restore failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Restored {sum(restored.tables.values())} rows in {len(restored.tables)} tables; row counts and "
        f"the audit chain ({restored.audit_count} events) match the backup.",
        file=sys.stderr,
    )
    return 0


# --------------------------------------------------------------------------- manage


def cmd_manage(args: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["kneadwell manage", *args])
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kneadwell",
        description="Kneadwell: clinical massage therapy practice system.",
        epilog="Environment: PORT, DATABASE_URL, KNEADWELL_DATA_DIR, SECRET_KEY (see docs/operations.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="migrate, load the demo clinic and serve it (KNEADWELL_DEMO=true)")
    demo.add_argument("--no-serve", action="store_true", help="prepare the demo, then exit")
    demo.add_argument("--port", type=int, help="port to serve on (default: $PORT or 8000)")
    demo.add_argument("--workers", type=int, help="gunicorn worker processes (default: one per core, 2–8)")
    demo.add_argument("--no-worker", action="store_true", help="do not start the message worker beside it")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the web server (gunicorn)")
    serve.add_argument("--port", type=int, help="port (default: $PORT or 8000)")
    serve.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--workers", type=int, help="worker processes (default: $WEB_CONCURRENCY, else one per core, 2–8)"
    )
    serve.add_argument("--threads", type=int, help="threads per worker (default: $KNEADWELL_THREADS or 4)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="send messages: background tasks, reminders and the watchdog")
    worker.add_argument("--once", action="store_true", help="run what is due now, then exit (cron, tests)")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls of the task queue")
    worker.set_defaults(func=cmd_worker)

    token = sub.add_parser("token", help="create, list and revoke API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_sub.add_parser("create", help="make a token; prints only the secret on stdout")
    create.add_argument("--user", required=True, help="username the token acts as")
    create.add_argument("--name", default="", help="a label to tell tokens apart")
    create.set_defaults(func=cmd_token_create)
    listing = token_sub.add_parser("list", help="list a user's tokens")
    listing.add_argument("--user", required=True)
    listing.set_defaults(func=cmd_token_list)
    revoke = token_sub.add_parser("revoke", help="revoke a token by its prefix (or the whole secret)")
    revoke.add_argument("prefix", help="the prefix shown by `token list`, e.g. kw_AbC123")
    revoke.add_argument("--user", help="only that user's token (when prefixes collide)")
    revoke.set_defaults(func=cmd_token_revoke)

    plan = sub.add_parser("plan", help="print a patient's tailored session plan, with the reasons")
    plan.add_argument("--patient", required=True, help='public id, or "Given Family"')
    plan.add_argument("--service", required=True, help="service code, e.g. therapeutic-60")
    plan.add_argument("--therapist", help='public id, or "Given Family" (default: the current therapist)')
    plan.add_argument("--date", type=dt.date.fromisoformat, help="local date YYYY-MM-DD (default: today)")
    plan.set_defaults(func=cmd_plan)

    audit = sub.add_parser("audit", help="check the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_sub.add_parser("verify", help="walk the hash chain; exit 1 at the first broken link")
    verify.set_defaults(func=cmd_audit_verify)

    backup = sub.add_parser("backup", help="a verified backup of the database and uploads")
    backup.add_argument(
        "--output",
        help="directory to put it in (default: $KNEADWELL_BACKUP_DIR or $KNEADWELL_DATA_DIR/backups)",
    )
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="restore a backup (replaces the database and uploads)")
    restore.add_argument("backup", help="the directory `kneadwell backup` printed")
    restore.add_argument("--yes", action="store_true", help="replace a database that holds data")
    restore.set_defaults(func=cmd_restore)

    # Parsed by hand in main() so that every argument reaches Django untouched.
    sub.add_parser("manage", help="run a Django management command: kneadwell manage <command> [args]")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] == "manage":
            return cmd_manage(args_list[1:])
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help, or a usage error already printed by argparse
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return int(args.func(args))
    except CommandError as exc:
        print(f"kneadwell: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ImproperlyConfigured as exc:
        print(f"kneadwell: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
