"""Backups taken while the clinic keeps writing restore to exactly the snapshot: row counts and audit chain.

Runs on whichever database the suite runs on (SQLite, or PostgreSQL with pg_dump installed); the
backup is restored into a scratch database, never over the test database.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, connections

from kneadwell import cli
from kneadwell.accounts import dbguard
from kneadwell.accounts.models import AuditAction, AuditEvent
from kneadwell.accounts.services import audit_record
from kneadwell.backups import MANIFEST, BackupError, Manifest, Target, backup, restore
from kneadwell.clinic.models import Location, LocationKind

pytestmark = pytest.mark.django_db(transaction=True)


def live_target() -> Target:
    return Target.from_django(connection.settings_dict)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Target]:
    """An empty database of the same kind to restore into."""
    live = live_target()
    if live.vendor == "sqlite":
        yield Target(vendor="sqlite", name=str(tmp_path / "restored.sqlite3"))
        return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed")
    import psycopg
    from psycopg import sql

    name = f"{live.name}_restore"
    admin = Target(
        vendor="postgresql",
        name="postgres",
        host=live.host,
        port=live.port,
        user=live.user,
        password=live.password,
    )
    with admin.connect() as conn:
        conn.autocommit = True
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield Target(
        vendor="postgresql", name=name, host=live.host, port=live.port, user=live.user, password=live.password
    )
    with admin.connect() as conn:
        conn.autocommit = True
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    del psycopg


@pytest.fixture
def media(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "uploads"
    (root / "clearances").mkdir(parents=True)
    (root / "clearances" / "letter.pdf").write_bytes(b"%PDF-1.7 a letter")
    settings.MEDIA_ROOT = root
    return root


class Writers:
    """Threads that keep writing (audit events and locations) until stopped, like a busy clinic."""

    def __init__(self, cast, count: int = 3) -> None:  # type: ignore[no-untyped-def]
        self.cast = cast
        self.stop = threading.Event()
        self.written = 0
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._write, args=(n,)) for n in range(count)]

    def _write(self, n: int) -> None:
        try:
            i = 0
            while not self.stop.is_set():
                i += 1
                audit_record(
                    actor=self.cast.desk,
                    action=AuditAction.READ,
                    object_type="patient",
                    patient_ids=[self.cast.pat.public_id],
                    channel="web",
                )
                Location.objects.create(
                    name=f"Writer {n} site {i}",
                    kind=LocationKind.HOSPITAL,
                    time_zone="America/New_York",
                    jurisdiction="US-NY",
                )
                self.written += 1
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
        finally:
            connections.close_all()

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        while self.written < 10 and not self.errors:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def test_a_backup_taken_under_concurrent_writes_restores_to_its_snapshot(cast, media, scratch, tmp_path):
    with Writers(cast) as writers:
        directory, manifest = backup(live_target(), media_root=media, output_dir=tmp_path / "backups")
        written_during = writers.written
        time.sleep(0.2)
    assert writers.errors == []
    assert writers.written > written_during  # the clinic kept writing after the snapshot

    snapshot = manifest.snapshot
    assert snapshot.audit_ok
    assert snapshot.guard
    assert snapshot.audit_count == snapshot.tables["accounts_auditevent"] > 0
    assert AuditEvent.objects.count() > snapshot.audit_count  # the live database moved on

    restored_media = tmp_path / "restored-uploads"
    restored = restore(directory, scratch, media_root=restored_media)
    assert restored.tables == snapshot.tables
    assert (restored.audit_count, restored.audit_head_hash, restored.audit_ok) == (
        snapshot.audit_count,
        snapshot.audit_head_hash,
        True,
    )
    assert restored.guard
    assert (restored_media / "clearances" / "letter.pdf").read_bytes() == b"%PDF-1.7 a letter"


def test_the_backup_directory_and_files_are_owner_only(cast, media, tmp_path):
    directory, manifest = backup(live_target(), media_root=media, output_dir=tmp_path / "backups")
    assert directory.stat().st_mode & 0o077 == 0
    for name in [*manifest.files, MANIFEST]:
        assert (directory / name).stat().st_mode & 0o077 == 0, name


def test_a_damaged_backup_is_refused_before_anything_is_restored(cast, media, scratch, tmp_path):
    directory, manifest = backup(live_target(), media_root=media, output_dir=tmp_path / "backups")
    database = next(directory / name for name in manifest.files if name.startswith("database"))
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="checksum"):
        restore(directory, scratch, media_root=tmp_path / "restored-uploads")
    assert not (tmp_path / "restored-uploads").exists()


def test_a_broken_audit_chain_fails_the_backup(cast, media, tmp_path):
    for _ in range(3):
        audit_record(actor=cast.desk, action=AuditAction.READ, object_type="patient", channel="web")
    dbguard.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_auditevent SET path = '/forged' WHERE seq = 2")
        with pytest.raises(BackupError, match="audit chain broken"):
            backup(live_target(), media_root=media, output_dir=tmp_path / "backups")
    finally:
        # Put history back as it was, for the flush at the end of this test.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_auditevent SET path = '' WHERE seq = 2")
        dbguard.install(connection)
    assert not list((tmp_path / "backups").iterdir())


def test_the_manifest_reads_back(cast, media, tmp_path):
    directory, manifest = backup(live_target(), media_root=media, output_dir=tmp_path / "backups")
    assert Manifest.read(directory) == manifest


def test_kneadwell_backup_prints_the_directory_and_restore_asks_before_replacing(
    cast, media, tmp_path, capsys
):
    assert cli.main(["backup", "--output", str(tmp_path / "backups")]) == 0
    directory = Path(capsys.readouterr().out.strip())
    assert (directory / MANIFEST).is_file()
    assert cli.main(["restore", str(directory)]) == 2  # the database holds data: --yes needed
    assert "--yes" in capsys.readouterr().err
