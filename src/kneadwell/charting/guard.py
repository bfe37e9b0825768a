"""The database's own refusal to change a signed note (DESIGN §5 invariant 4): triggers.

What the triggers refuse, whoever asks (the ORM, raw SQL, a database client):

- UPDATE of a signed version (``charting_noteversion`` with status 'signed'), on SQLite and PostgreSQL;
- UPDATE of a work line, feedback event or body mark of a signed version, on both;
- DELETE of any of those, on PostgreSQL.

Signing is the one UPDATE allowed: a draft becomes signed (OLD.status is 'draft').

Two deliberate gaps, each covered elsewhere:

- DELETE on SQLite: Django's `flush` (and so the test runner between transactional tests) empties
  SQLite tables with DELETE, which a trigger cannot tell from a targeted delete. The models refuse
  `delete()` of signed rows in Python, and no service deletes notes. On PostgreSQL flush uses
  TRUNCATE, which row triggers do not see: a whole-database wipe is not a quiet change of history.
- INSERT of a line under a signed version: refused by the services (the only writers). A trigger
  would also refuse it during `pg_restore`, which loads tables in name order (lines after versions).
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

MESSAGE = "a signed note version cannot be changed"
CHILD_TABLES = ("charting_workline", "charting_feedbackevent", "charting_bodymark")

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS charting_version_signed_no_update BEFORE UPDATE ON charting_noteversion
    WHEN OLD.status = 'signed'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    # Constant SQL from the module's own table names (no input reaches it).
    *(
        """
        CREATE TRIGGER IF NOT EXISTS TABLE_signed_no_update BEFORE UPDATE ON TABLE
        WHEN (SELECT status FROM charting_noteversion WHERE id = OLD.version_id) = 'signed'
          OR (SELECT status FROM charting_noteversion WHERE id = NEW.version_id) = 'signed'
        BEGIN SELECT RAISE(ABORT, 'MESSAGE'); END
        """.replace("TABLE", table).replace("MESSAGE", MESSAGE)
        for table in CHILD_TABLES
    ),
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS charting_version_signed_no_update",
    *(f"DROP TRIGGER IF EXISTS {table}_signed_no_update" for table in CHILD_TABLES),
]

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION kneadwell_signed_version_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER charting_version_signed_guard BEFORE UPDATE OR DELETE ON charting_noteversion
    FOR EACH ROW EXECUTE FUNCTION kneadwell_signed_version_guard()
    """,
    """
    CREATE OR REPLACE FUNCTION kneadwell_signed_child_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM charting_noteversion WHERE id = OLD.version_id AND status = 'signed')
           OR (TG_OP = 'UPDATE' AND EXISTS (
                SELECT 1 FROM charting_noteversion WHERE id = NEW.version_id AND status = 'signed')) THEN
            RAISE EXCEPTION 'MESSAGE: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END
    $$
    """.replace("MESSAGE", MESSAGE),
    *(
        f"""
        CREATE TRIGGER {table}_signed_guard BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION kneadwell_signed_child_guard()
        """
        for table in CHILD_TABLES
    ),
]
POSTGRES_REMOVE = [
    *(f"DROP TRIGGER IF EXISTS {table}_signed_guard ON {table}" for table in CHILD_TABLES),
    "DROP TRIGGER IF EXISTS charting_version_signed_guard ON charting_noteversion",
    "DROP FUNCTION IF EXISTS kneadwell_signed_child_guard()",
    "DROP FUNCTION IF EXISTS kneadwell_signed_version_guard()",
]


def install_sql(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRES_INSTALL}.get(vendor, [])


def remove_sql(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_REMOVE, "postgresql": POSTGRES_REMOVE}.get(vendor, [])


class InstallSignedNoteGuard(migrations.operations.base.Operation):
    """Migration operation: the triggers for whichever database is migrated (one history for both)."""

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
        return "Make signed note versions and their lines refuse changes (database triggers)"
