"""`kneadwell worker`, the worker beside the demo server, and the periodic thread."""

from __future__ import annotations

import io
import signal

import pytest
from django.core import mail

from kneadwell import cli, demo
from kneadwell.notifications import worker
from kneadwell.notifications.models import MessageStatus
from kneadwell.notifications.services import appointment_booked


def test_worker_once_sends_what_is_due_and_exits(cast, patient_email, clock, monkeypatch, capsys):
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    (message,) = appointment_booked(cast.pat_appointment)
    clock.shift(300)  # the enqueue was lost with the test's transaction: the watchdog wakes it
    assert cli.main(["worker", "--once"]) == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1
    assert "overdue messages woken: 1" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "started"), [([], True), (["--no-worker"], False)])
def test_the_demo_starts_a_worker_beside_the_server(db, settings, monkeypatch, capsys, argv, started):
    settings.DEMO = True
    monkeypatch.setenv("KNEADWELL_DEMO", "")
    monkeypatch.setattr("django.core.management.call_command", lambda name, **kwargs: None)
    monkeypatch.setattr(demo, "demo_loaded", lambda: True)
    spawned: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr("subprocess.Popen", lambda args, env: spawned.append((args, env)))
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: None)

    assert cli.main(["demo", "--port", "8766", *argv]) == 0

    if started:
        ((args, env),) = spawned
        assert args[-3:] == ["-m", "kneadwell.cli", "worker"]
        assert env[worker.PARENT_ENV] == str(cli.os.getpid())
    else:
        assert spawned == []


def test_the_worker_stops_when_the_server_that_started_it_is_gone(monkeypatch):
    killed: list[tuple[int, int]] = []
    monkeypatch.setattr(worker.os, "getppid", lambda: 1)  # re-parented: the server is gone
    monkeypatch.setattr(worker.os, "kill", lambda pid, sig: killed.append((pid, sig)))
    ticker = worker.Ticker(every=0.01, parent=4242, out=io.StringIO())
    ticker.run()
    assert killed == [(worker.os.getpid(), signal.SIGTERM)]


def test_a_failing_periodic_job_is_logged_and_the_ticker_goes_on(monkeypatch, caplog):
    def broken(**kwargs: object) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(worker, "periodic", broken)
    ticker = worker.Ticker(every=60, parent=None, out=io.StringIO())
    ticker.tick()
    assert "periodic message jobs failed" in caplog.text
