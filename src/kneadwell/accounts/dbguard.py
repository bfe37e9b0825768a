"""The database's own refusal to change the audit trail: triggers on SQLite and PostgreSQL.

The model and its queryset already refuse `save()` on an existing row,
`update()` and `delete()`; but `_base_manager`, `QuerySet(model=AuditEvent)`,
`_raw_delete()` and any SQL client bypass Python. These triggers make the
database itself refuse UPDATE and DELETE on `accounts_auditevent`, whoever asks.

One UPDATE is allowed: setting `actor_id` to NULL and nothing else, which is
what deleting a user does (on_delete=SET_NULL). `actor_username`, which the
hash covers, keeps who it was.

On PostgreSQL TRUNCATE is refused too. The guard is not a security boundary
against the table's owner (who may drop a trigger): production runs as a role
that does not own the tables and has no UPDATE, DELETE or TRUNCATE on this
table (docs/operations.md). `kneadwell manage flush`, which wipes every table,
lifts the guard for the wipe only (accounts/management/commands/flush.py).

SQLite caveat: a migration that alters this table makes SQLite rebuild it,
which drops its triggers; such a migration must run `install_sql` again.
`guard_installed()` tells, and `kneadwell audit verify` reports it.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

TABLE = "accounts_auditevent"
MESSAGE = "accounts_auditevent is append-only"

# Every column but actor_id must stay the same for the one allowed UPDATE.
_SQLITE_UNCHANGED = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in (
        "id",
        "seq",
        "at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "channel",
        "ip",
        "path",
        "detail",
        "prev_hash",
        "hash",
    )
)

SQLITE_TRIGGERS = ("accounts_auditevent_no_update", "accounts_auditevent_no_delete")
SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS accounts_auditevent_no_update BEFORE UPDATE ON {TABLE}
    WHEN NOT (OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL AND {_SQLITE_UNCHANGED})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS accounts_auditevent_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]
SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]

# PostgreSQL compares whole rows as JSON minus actor_id, so a column added later is covered too.
POSTGRES_TRIGGERS = ("accounts_auditevent_append_only", "accounts_auditevent_no_truncate")
POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION kneadwell_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    f"""
    CREATE TRIGGER accounts_auditevent_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION kneadwell_audit_append_only()
    """,
    f"""
    CREATE TRIGGER accounts_auditevent_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION kneadwell_audit_append_only()
    """,
]
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS kneadwell_audit_append_only()",
]


def install_sql(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRES_INSTALL}.get(vendor, [])


def remove_sql(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_REMOVE, "postgresql": POSTGRES_REMOVE}.get(vendor, [])


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: BaseDatabaseWrapper) -> None:
    _run(connection, install_sql(connection.vendor))


def remove(connection: BaseDatabaseWrapper) -> None:
    _run(connection, remove_sql(connection.vendor))


def guard_installed(connection: BaseDatabaseWrapper) -> bool:
    """Whether every guard trigger is in place on this database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            expected = set(SQLITE_TRIGGERS)
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgenabled <> 'D'",
                [TABLE],
            )
            expected = set(POSTGRES_TRIGGERS)
        else:  # pragma: no cover - settings accept SQLite and PostgreSQL only
            return False
        return expected <= {row[0] for row in cursor.fetchall()}


class InstallAuditGuard(migrations.operations.base.Operation):
    """Migration operation: create the triggers for whichever database is being migrated.

    Like lib/migrations_ops.PostgresOnlySQL, one migration history serves both
    databases; here each gets its own SQL.
    """

    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in install_sql(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in remove_sql(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    def describe(self) -> str:
        return "Make the audit table refuse UPDATE and DELETE (database triggers)"
