from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import time_machine

from kneadwell.notifications.sms import MemorySmsProvider
from kneadwell.notifications.worker import run_worker
from tests.transactional import restore_migration_rows_after_transactional_tests as pytest_runtest_teardown

from .backends import DownBackend, FlakyBackend

__all__ = ["pytest_runtest_teardown"]

# A Monday noon in New York, the day before the cast's appointments (Tue 1 Dec 2026, 10:00 and 12:00 EST).
NOW = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient_email(cast):  # type: ignore[no-untyped-def]
    """Pat with an e-mail address (the cast has none)."""
    cast.pat.email = "pat@example.org"
    cast.pat.save(update_fields=["email"])
    return cast.pat


@pytest.fixture(autouse=True)
def _reset_backends(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    FlakyBackend.calls = 0
    FlakyBackend.failures = 2
    DownBackend.calls = 0
    MemorySmsProvider.outbox.clear()
    settings.KNEADWELL_SMS_PROVIDER = "kneadwell.notifications.sms.MemorySmsProvider"
    yield
    MemorySmsProvider.outbox.clear()


@pytest.fixture
def work(capsys, monkeypatch, request) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    """Run the worker once: the periodic jobs, then every task that is ready now.

    Inside a test's transaction the worker must not close the connection between tasks (it does so
    in real life, where each task runs in autocommit); transactional tests keep the real behaviour.
    """
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        monkeypatch.setattr(
            "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
        )

    def run() -> None:
        run_worker(once=True)
        capsys.readouterr()

    return run


@pytest.fixture
def admin_mfa(cast):  # type: ignore[no-untyped-def]
    """The cast's clinic admin with an authenticator app, so the MFA requirement lets them through."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(cast.admin, generate_totp_secret())
    return cast.admin
