"""Transactional tests here (the live-server races) empty every table when they end: put the rows the
migrations promise (the default services) back, before and after, for whichever test comes next."""

from __future__ import annotations

import importlib

import pytest


def add_default_services() -> None:
    """The rows migration clinic/0002 adds (get_or_create: safe to repeat)."""
    from django.apps import apps

    migration = importlib.import_module("kneadwell.clinic.migrations.0002_default_services")
    migration.add_services(apps, None)


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return marker is not None and bool(marker.kwargs.get("transaction"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):  # type: ignore[no-untyped-def]
    try:
        return (yield)
    finally:
        if nextitem is not None and _transactional(item):
            from pytest_django.plugin import blocking_manager_key

            with item.config.stash[blocking_manager_key].unblock():
                add_default_services()
