"""Browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_name):  # type: ignore[no-untyped-def]
    # Only Chromium is pointed at the Debian binary; another --browser keeps Playwright's own.
    if browser_name not in (None, "chromium"):
        return browser_type_launch_args
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium (make chromium) to run the browser tests."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


def _add_default_services() -> None:
    """The rows migration clinic/0002 adds (get_or_create: safe to repeat)."""
    from django.apps import apps

    migration = importlib.import_module("kneadwell.clinic.migrations.0002_default_services")
    migration.add_services(apps, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):  # type: ignore[no-untyped-def]
    """After a browser test's flush, put the migration-made services back for the tests that follow.

    A transactional test empties every table when it ends; the next
    transactional test elsewhere (e.g. the concurrent-booking race) builds
    the cast and expects the services the migrations promise. The cache (a
    database table the flush does not empty) is cleared too: every browser
    test signs in from 127.0.0.1, and allauth's per-address sign-in limit
    would otherwise count one test's sign-ins against the next. Skipped after
    the last test, when the test database is already gone.
    """
    try:
        return (yield)
    finally:
        if nextitem is not None:
            from django.core.cache import cache
            from pytest_django.plugin import blocking_manager_key

            with item.config.stash[blocking_manager_key].unblock():
                _add_default_services()
                cache.clear()


@pytest.fixture
def live_cast(transactional_db):  # type: ignore[no-untyped-def]
    """The shared cast, committed so the live server's thread sees it."""
    from tests.cast import build_cast

    # An earlier transactional test elsewhere may have flushed them.
    _add_default_services()
    return build_cast()
