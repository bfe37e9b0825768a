"""`kneadwell backup` and `kneadwell restore`: a consistent copy of the database and uploads, verified.

A backup is a directory (owner-only) holding:

- `database.sqlite3` (SQLite, copied with SQLite's online backup API: one
  consistent snapshot while the site keeps writing) or `database.dump`
  (PostgreSQL, `pg_dump --format=custom` of an exported snapshot);
- `uploads.tar`, the uploaded files (clearance letters), taken after the
  database snapshot, so every file a row of the snapshot names is in it;
- `manifest.json`: when, which database, the row count of every table and
  the audit chain's length and head hash *as of the snapshot*, and the
  SHA-256 of each file.

Verification, at backup time: SQLite's `integrity_check` on the copy; the
audit chain of the snapshot checked link by link; the guard triggers
present; for PostgreSQL, `pg_restore --list` reads the archive back. At
restore time: file checksums, then after restoring, every table's row count
and the audit chain's head must equal the manifest's.

Everything here talks to databases through plain DB-API connections
(`sqlite3`, `psycopg`), not Django's, so a backup can be checked or restored
into a scratch database the running site knows nothing about.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kneadwell.accounts.audit import chain_rows
from kneadwell.accounts.auditchain import verify_rows
from kneadwell.accounts.dbguard import POSTGRES_TRIGGERS, SQLITE_TRIGGERS, TABLE

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
UPLOADS_FILE = "uploads.tar"


class BackupError(Exception):
    """A backup or restore that cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Target:
    """A database to back up or restore into: SQLite by path, PostgreSQL by connection settings."""

    vendor: str  # "sqlite" or "postgresql"
    name: str  # file path or database name
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_django(cls, settings_dict: Mapping[str, Any]) -> Target:
        engine = str(settings_dict["ENGINE"])
        vendor = "sqlite" if engine.endswith("sqlite3") else "postgresql"
        return cls(
            vendor=vendor,
            name=str(settings_dict["NAME"]),
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
        )

    def pg_env(self) -> dict[str, str]:
        """libpq environment for pg_dump/pg_restore: the password never appears on a command line."""
        env = dict(os.environ)
        for key, value in (
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGDATABASE", self.name),
        ):
            if value:
                env[key] = value
        return env

    def connect(self) -> Any:
        if self.vendor == "sqlite":
            return sqlite3.connect(self.name, timeout=20)
        import psycopg
        from psycopg.conninfo import make_conninfo

        parts = {
            "dbname": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
        }
        return psycopg.connect(make_conninfo(**{k: v for k, v in parts.items() if v}))


@dataclass
class Snapshot:
    """What a database held at one instant: row counts, audit chain, guard."""

    tables: dict[str, int]
    audit_count: int
    audit_head_seq: int
    audit_head_hash: str
    audit_ok: bool
    audit_problem: str
    guard: bool

    def problems(self) -> list[str]:
        out = []
        if not self.audit_ok:
            out.append(f"audit chain broken: {self.audit_problem}")
        if not self.guard:
            out.append("the audit table's guard triggers are missing")
        return out


@dataclass
class Manifest:
    format: int
    created_at: str
    vendor: str
    snapshot: Snapshot
    files: dict[str, str] = field(default_factory=dict)

    def write(self, directory: Path) -> None:
        _write_private(directory / MANIFEST, json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        try:
            raw = json.loads((directory / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise BackupError(f"{directory} has no readable {MANIFEST}: {exc}") from None
        if raw.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {raw.get('format')!r}.")
        return cls(
            format=raw["format"],
            created_at=raw["created_at"],
            vendor=raw["vendor"],
            snapshot=Snapshot(**raw["snapshot"]),
            files=raw["files"],
        )


# --------------------------------------------------------------------------- helpers


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables(conn: Any, vendor: str) -> list[str]:
    cursor = conn.cursor()
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    names = sorted(row[0] for row in cursor.fetchall())
    cursor.close()
    return names


def _count(conn: Any, vendor: str, table: str) -> int:
    cursor = conn.cursor()
    if vendor == "sqlite":
        cursor.execute(f'SELECT COUNT(*) FROM "{table.replace(chr(34), "")}"')  # noqa: S608 (names from sqlite_master)
    else:
        from psycopg import sql

        cursor.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table)))
    (count,) = cursor.fetchone()
    cursor.close()
    return int(count)


def _guard(conn: Any, vendor: str) -> bool:
    cursor = conn.cursor()
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [TABLE])
        expected = set(SQLITE_TRIGGERS)
    else:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgenabled <> 'D'", [TABLE]
        )
        expected = set(POSTGRES_TRIGGERS)
    found = {row[0] for row in cursor.fetchall()}
    cursor.close()
    return expected <= found


def snapshot_of(conn: Any, vendor: str) -> Snapshot:
    """Row counts, audit chain and guard, read on `conn` (inside one snapshot for PostgreSQL)."""
    tables = {name: _count(conn, vendor, name) for name in _tables(conn, vendor)}
    if TABLE in tables:
        report = verify_rows(chain_rows(conn))
        audit = (report.count, report.head_seq, report.head_hash, report.ok, str(report.problem or ""))
    else:
        audit = (0, 0, "", False, f"no {TABLE} table")
    return Snapshot(tables, *audit, guard=_guard(conn, vendor))


def _tar_uploads(media_root: Path, destination: Path) -> None:
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(media_root)), recursive=False)


# --------------------------------------------------------------------------- backup


def backup(target: Target, *, media_root: Path, output_dir: Path) -> tuple[Path, Manifest]:
    """Take a verified backup of `target` and `media_root` into a new directory under `output_dir`."""
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    directory = output_dir / f"kneadwell-backup-{stamp}"
    directory.mkdir(mode=0o700)
    directory.chmod(0o700)
    try:
        if target.vendor == "sqlite":
            snapshot = _backup_sqlite(target, directory / SQLITE_FILE)
            files = [SQLITE_FILE]
        else:
            snapshot = _backup_postgres(target, directory / POSTGRES_FILE)
            files = [POSTGRES_FILE]
        # After the database snapshot: every file its rows name already exists.
        _tar_uploads(media_root, directory / UPLOADS_FILE)
        with tarfile.open(directory / UPLOADS_FILE) as tar:
            tar.getmembers()  # reads the archive back
        files.append(UPLOADS_FILE)
        problems = snapshot.problems()
        if problems:
            raise BackupError("The backup was taken but is not sound: " + "; ".join(problems))
        manifest = Manifest(
            format=FORMAT,
            created_at=dt.datetime.now(dt.UTC).isoformat(),
            vendor=target.vendor,
            snapshot=snapshot,
            files={name: _sha256(directory / name) for name in files},
        )
        manifest.write(directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return directory, manifest


def _backup_sqlite(target: Target, destination: Path) -> Snapshot:
    source = sqlite3.connect(target.name, timeout=20)
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    copy = sqlite3.connect(destination)
    try:
        # pages=-1: the whole database in one step, i.e. under one read transaction of the
        # source — a consistent snapshot, while writers carry on in the WAL.
        source.backup(copy, pages=-1)
        # A self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        (result,) = copy.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise BackupError(f"integrity_check on the copy says: {result}")
        return snapshot_of(copy, "sqlite")
    finally:
        copy.close()
        source.close()


def _backup_postgres(target: Target, destination: Path) -> Snapshot:
    """pg_dump of an exported snapshot, counted and checked inside that same snapshot."""
    _require_tool("pg_dump")
    from psycopg import IsolationLevel

    conn = target.connect()
    try:
        # The first statement opens the transaction with these: one snapshot for everything below.
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        (snapshot_id,) = conn.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = snapshot_of(conn, "postgresql")
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        # The exported snapshot stays valid while this transaction is open.
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", "--file", str(destination)],
            env=target.pg_env(),
        )
        conn.rollback()
    finally:
        conn.close()
    _run(["pg_restore", "--list", str(destination)], env=target.pg_env())
    return snapshot


def _require_tool(name: str) -> None:
    if shutil.which(name) is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")


def _run(argv: list[str], *, env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


# --------------------------------------------------------------------------- restore


def check_files(directory: Path) -> Manifest:
    """The manifest, after checking every file against its recorded SHA-256."""
    manifest = Manifest.read(directory)
    for name, expected in manifest.files.items():
        path = directory / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from {directory}.")
        if _sha256(path) != expected:
            raise BackupError(f"{name} does not match its checksum: the backup is damaged.")
    return manifest


def target_has_data(target: Target) -> bool:
    try:
        conn = target.connect()
    except Exception:
        return False
    try:
        if "accounts_user" not in _tables(conn, target.vendor):
            return False
        return _count(conn, target.vendor, "accounts_user") > 0
    finally:
        conn.close()


def restore(directory: Path, target: Target, *, media_root: Path) -> Snapshot:
    """Restore a backup into `target` and `media_root`, then check the result against the manifest.

    Raises BackupError when anything differs: a table's row count, the audit
    chain's head, a missing guard. Stop the web server first.
    """
    manifest = check_files(directory)
    if manifest.vendor != target.vendor:
        raise BackupError(f"This is a {manifest.vendor} backup; the target is {target.vendor}.")
    if target.vendor == "sqlite":
        _restore_sqlite(directory / SQLITE_FILE, target)
    else:
        _require_tool("pg_restore")
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                target.name,
                str(directory / POSTGRES_FILE),
            ],
            env=target.pg_env(),
        )
    _restore_uploads(directory / UPLOADS_FILE, media_root)
    conn = target.connect()
    try:
        restored = snapshot_of(conn, target.vendor)
    finally:
        conn.close()
    compare(manifest.snapshot, restored)
    return restored


def compare(expected: Snapshot, actual: Snapshot) -> None:
    """BackupError naming every difference between the manifest's snapshot and a restored database."""
    problems = actual.problems()
    for table, count in sorted(expected.tables.items()):
        got = actual.tables.get(table)
        if got != count:
            problems.append(f"{table}: {got} rows, the backup had {count}")
    if (actual.audit_count, actual.audit_head_hash) != (expected.audit_count, expected.audit_head_hash):
        problems.append(
            f"audit chain: {actual.audit_count} events ending {actual.audit_head_hash[:12]}, "
            f"the backup had {expected.audit_count} ending {expected.audit_head_hash[:12]}"
        )
    if problems:
        raise BackupError("The restored database differs from the backup: " + "; ".join(problems))


def _restore_sqlite(backup_file: Path, target: Target) -> None:
    path = Path(target.name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = sqlite3.connect(backup_file)
    destination = sqlite3.connect(path, timeout=20)
    try:
        # The online backup API writes into the target page by page under its write lock,
        # so a WAL-mode target stays consistent (no stale -wal file to delete by hand).
        source.backup(destination, pages=-1)
        destination.execute("PRAGMA journal_mode=WAL")
    finally:
        destination.close()
        source.close()


@contextmanager
def _staging(media_root: Path) -> Iterator[Path]:
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".uploads-restore-", dir=media_root.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _restore_uploads(archive: Path, media_root: Path) -> None:
    """Unpack into a fresh directory beside MEDIA_ROOT, then swap it in; the old one is kept aside."""
    with _staging(media_root) as staging:
        unpacked = staging / "uploads"
        unpacked.mkdir(mode=0o700)
        with tarfile.open(archive) as tar:
            # The "data" filter refuses absolute paths, "..", links out of the tree, devices.
            tar.extractall(unpacked, filter="data")
        if media_root.exists():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            media_root.rename(media_root.with_name(f"{media_root.name}.before-restore-{stamp}"))
        unpacked.rename(media_root)
        media_root.chmod(0o700)
