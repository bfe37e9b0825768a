"""The audit trail is a hash chain the database guards: edits are detected, UPDATE and DELETE refused."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from kneadwell import cli
from kneadwell.accounts import dbguard
from kneadwell.accounts.audit import verify_chain
from kneadwell.accounts.auditchain import GENESIS, row_digest
from kneadwell.accounts.middleware import AuditMiddleware
from kneadwell.accounts.models import AuditAction, AuditEvent
from kneadwell.accounts.services import audit_record


def record(cast, n: int = 1, **extra) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        audit_record(
            actor=cast.desk,
            action=AuditAction.READ,
            object_type="patient",
            object_id=cast.pat.public_id,
            patient_ids=[cast.pat.public_id],
            channel="web",
            **extra,
        )


@pytest.fixture
def unguarded():  # type: ignore[no-untyped-def]
    """Lift the triggers for a test that plays the attacker with full control of the database."""
    dbguard.remove(connection)
    yield
    dbguard.install(connection)


def test_events_are_numbered_and_linked(cast):
    record(cast, 3)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    report = verify_chain()
    assert report.ok
    assert (report.count, report.head_hash) == (3, events[-1].hash)


def test_the_hash_survives_the_database_round_trip(cast, rf):
    # An IPv6 client, non-ASCII text and a UUID in the detail: read back, they must hash the same.
    request = rf.get("/patients/ü/", REMOTE_ADDR="2001:0db8:0000:0000:0000:0000:0000:0001")
    record(cast, request=request, detail={"note": "Ünïcödé ✓", "id": cast.pat.public_id, "n": 1.5})
    assert verify_chain().ok


def test_an_edited_row_breaks_the_chain_at_that_row(cast, unguarded, capsys):
    record(cast, 4)
    target = AuditEvent.objects.get(seq=3)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_auditevent SET actor_username = 'someone-else' WHERE id = %s", [target.pk]
        )
    report = verify_chain()
    assert not report.ok
    assert report.problem is not None
    assert report.problem.seq == 3
    assert "changed" in report.problem.reason
    assert report.count == 2


def test_a_deleted_row_leaves_a_gap(cast, unguarded):
    record(cast, 4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE seq = 2")
    report = verify_chain()
    assert report.problem is not None
    assert report.problem.seq == 3
    assert "missing" in report.problem.reason


def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(cast, unguarded):
    record(cast, 3)
    row = AuditEvent.objects.get(seq=2)
    forged = {f: getattr(row, f) for f in ("seq", "at", "action", "object_type", "object_id", "patient_id")}
    forged.update(actor_username="nobody", channel=row.channel, ip=row.ip, path=row.path, detail=row.detail)
    new_hash = row_digest(row.prev_hash, forged)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_auditevent SET actor_username = 'nobody', hash = %s WHERE id = %s",
            [new_hash, row.pk],
        )
    report = verify_chain()
    assert report.problem is not None
    assert report.problem.seq == 3
    assert "prev_hash" in report.problem.reason


def test_kneadwell_audit_verify_reports_the_first_broken_link(cast, unguarded, capsys):
    record(cast, 3)
    assert cli.main(["audit", "verify"]) == 1  # the guard is off in this test: that alone fails
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditevent SET path = '/elsewhere' WHERE seq = 2")
    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN at row seq=2" in out
    assert "Guard MISSING" in out


def test_kneadwell_audit_verify_passes_an_intact_chain(cast, capsys):
    record(cast, 2)
    assert cli.main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "2 events, every link intact" in out
    assert "refuses UPDATE and DELETE" in out


# ---------------------------------------------------------------------------------- the guard


def _refused(attempt) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError), transaction.atomic():
        attempt()


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(
            lambda: AuditEvent._base_manager.all().update(action="delete"), id="base-manager-update"
        ),
        pytest.param(lambda: QuerySet(model=AuditEvent).update(path="/x"), id="plain-queryset-update"),
        pytest.param(lambda: AuditEvent._base_manager.all().delete(), id="base-manager-delete"),
        pytest.param(lambda: QuerySet(model=AuditEvent).all()._raw_delete(connection.alias), id="raw-delete"),
        pytest.param(
            lambda: AuditEvent._base_manager.filter(seq=1).update(actor=None, path="/x"),
            id="null-actor-and-more",
        ),
    ],
)
def test_the_database_refuses_to_change_history_through_the_orm(cast, attempt):
    record(cast, 2)
    _refused(attempt)
    assert AuditEvent.objects.count() == 2
    assert verify_chain().ok


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditevent SET action = 'delete'",
        "UPDATE accounts_auditevent SET hash = '0'",
        "DELETE FROM accounts_auditevent",
        "DELETE FROM accounts_auditevent WHERE seq = 1",
    ],
)
def test_the_database_refuses_to_change_history_through_sql(cast, sql):
    record(cast, 2)

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    _refused(run)
    assert AuditEvent.objects.count() == 2
    assert verify_chain().ok


def test_postgresql_refuses_truncate(cast):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    record(cast)

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE accounts_auditevent")

    _refused(run)
    assert AuditEvent.objects.count() == 1


def test_deleting_a_user_keeps_their_events_and_the_chain(cast):
    record(cast, 2)
    cast.desk.delete()
    assert set(AuditEvent.objects.values_list("actor_id", "actor_username")) == {(None, "desk")}
    assert verify_chain().ok


def test_the_guard_is_installed_by_the_migrations(db):
    assert dbguard.guard_installed(connection)


# ---------------------------------------------------------------------------------- writing


def test_a_request_writes_its_events_in_one_insert(cast, rf):
    def view(request):  # type: ignore[no-untyped-def]
        for patient in (cast.pat, cast.paula, cast.pat):
            record(cast, request=request, detail={"shown": str(patient.public_id)})
        return HttpResponse("ok")

    request = rf.get("/somewhere/")
    with CaptureQueriesContext(connection) as queries:
        AuditMiddleware(view)(request)
    # One statement for the three rows (run for many rows at once: Django logs it as "3 times: INSERT …").
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"].upper()]
    assert len(inserts) == 1
    assert inserts[0].startswith("3 times: ")
    assert AuditEvent.objects.count() == 3
    assert verify_chain().ok


def test_events_of_a_request_that_failed_are_still_written(cast, rf):
    def view(request):  # type: ignore[no-untyped-def]
        record(cast, request=request)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        AuditMiddleware(view)(rf.get("/"))
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(cast):
    writers, per_writer = 6, 8
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write() -> None:
        try:
            start.wait()
            for _ in range(per_writer):
                record(cast)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(
        range(1, writers * per_writer + 1)
    )
    assert verify_chain().ok
