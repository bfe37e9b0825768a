"""After a transactional test's flush, put back the rows migrations made (the default services).

A transactional test (its own connections, e.g. concurrent writers) ends by
emptying every table; the next transactional test elsewhere builds the cast
and expects the services migration clinic/0002 adds. tests/browser/conftest.py
does the same for the browser tests; the conftests of the folders with such
tests use this hook.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator
from typing import Any

import pytest


def _add_default_services() -> None:
    from django.apps import apps

    migration = importlib.import_module("kneadwell.clinic.migrations.0002_default_services")
    migration.add_services(apps, None)


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.hookimpl(wrapper=True)
def restore_migration_rows_after_transactional_tests(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, Any, Any]:
    try:
        return (yield)
    finally:
        if nextitem is not None and _transactional(item):
            from pytest_django.plugin import blocking_manager_key

            with item.config.stash[blocking_manager_key].unblock():
                _add_default_services()
