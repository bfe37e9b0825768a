"""`flush` (delete every row of every table), lifting the audit guard for the wipe only.

Django's flush empties tables with DELETE on SQLite, which the audit table's
trigger refuses, and with TRUNCATE on PostgreSQL, which its statement
trigger refuses. Wiping the whole database is not changing history quietly:
this command (and the test runner, which flushes between transactional
tests) drops the guard, flushes, and puts the guard back, whatever happens.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from kneadwell.accounts import dbguard


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        table_exists = dbguard.TABLE in connection.introspection.table_names()
        if table_exists:
            dbguard.remove(connection)
        try:
            super().handle(**options)
        finally:
            if table_exists:
                dbguard.install(connection)
