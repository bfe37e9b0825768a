"""`kneadwell worker`: django-tasks-db's worker, plus the periodic jobs (reminders, watchdog, pruning).

The periodic jobs run on a thread beside the worker loop, every KNEADWELL_NOTIFY_TICK_SECONDS. Every
job is idempotent and every send is claimed (notifications/delivery.py), so any number of workers
may run, on one machine or several; each runs the jobs, and nothing goes out twice.

Started beside the demo server (`kneadwell demo`), the worker is told its parent's process id and
stops when that process is gone, so no orphan is left sending mail after the server stops.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
from typing import TextIO

import django.dispatch
from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections, connection

from kneadwell.lib.clock import now

from .delivery import periodic

logger = logging.getLogger("kneadwell.notifications")

# Set by `kneadwell demo` on the worker it starts: the worker stops when this process is gone.
PARENT_ENV = "KNEADWELL_WORKER_PARENT"
# Finished task rows (the messages keep their own log) are deleted after this long.
TASK_RESULTS_KEPT = dt.timedelta(days=7)
PRUNE_EVERY = dt.timedelta(hours=1)

# Sent on every tick (and by `--once`) with `at`: apps above this one hang their own periodic jobs on it
# (the waitlist expires offers and offers the time on). A receiver's error is logged, never fatal.
tick = django.dispatch.Signal()


def _tick_receivers(at: dt.datetime) -> None:
    for receiver, result in tick.send_robust(sender=None, at=at):
        if isinstance(result, Exception):
            logger.error("A periodic job (%s) failed: %r", getattr(receiver, "__name__", receiver), result)


def prune_task_results(*, at: dt.datetime | None = None) -> int:
    """Delete finished task rows older than TASK_RESULTS_KEPT (the message rows are the log)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    at = at or now()
    deleted, _ = DBTaskResult.objects.filter(
        status__in=(TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED),
        finished_at__lt=at - TASK_RESULTS_KEPT,
    ).delete()
    return deleted


class Ticker(threading.Thread):
    """Runs the periodic jobs every `every` seconds until stopped; an error is logged, never fatal."""

    def __init__(self, *, every: float, parent: int | None, out: TextIO) -> None:
        super().__init__(name="kneadwell-ticker", daemon=True)
        self.every = every
        self.parent = parent
        self.out = out
        self.stopped = threading.Event()
        self.last_prune: dt.datetime | None = None

    def run(self) -> None:
        while not self.stopped.is_set():
            if self.parent is not None and os.getppid() != self.parent:
                logger.warning("The process that started this worker is gone; stopping.")
                os.kill(os.getpid(), signal.SIGTERM)
                return
            self.tick()
            self.stopped.wait(self.every)

    def tick(self) -> None:
        try:
            close_old_connections()
            at = now()
            report = periodic(at=at)
            _tick_receivers(at)
            if report.reminders or report.recovered or report.woken:
                self.out.write(
                    f"Reminders written: {report.reminders}; sends recovered: {report.recovered}; "
                    f"overdue messages woken: {report.woken}\n"
                )
                self.out.flush()
            if self.last_prune is None or at - self.last_prune >= PRUNE_EVERY:
                prune_task_results(at=at)
                self.last_prune = at
        except Exception:
            logger.exception("The periodic message jobs failed; trying again next time.")
        finally:
            # This thread's own connection: closed between ticks, so SQLite is not held open.
            connection.close()


def run_worker(
    *, once: bool = False, interval: float = 1.0, tick: float | None = None, out: TextIO | None = None
) -> int:
    """Run the worker until stopped (SIGINT/SIGTERM), or with `once`: the periodic jobs, then every task
    that is ready, then exit (for a cron job, and for tests)."""
    out = out or sys.stdout
    if once:
        report = periodic()
        _tick_receivers(now())
        out.write(
            f"Reminders written: {report.reminders}; sends recovered: {report.recovered}; "
            f"overdue messages woken: {report.woken}\n"
        )
        call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0, verbosity=0)
        return 0
    raw_parent = os.environ.get(PARENT_ENV, "")
    parent = int(raw_parent) if raw_parent.isdigit() else None
    every = tick if tick is not None else float(settings.KNEADWELL_NOTIFY_TICK_SECONDS)
    ticker = Ticker(every=every, parent=parent, out=out)
    ticker.start()
    out.write(f"Kneadwell worker: tasks every {interval:g} s, reminders and watchdog every {every:g} s.\n")
    out.flush()
    try:
        call_command("db_worker", interval=interval, reload=False, verbosity=1)
    finally:
        ticker.stopped.set()
    return 0
