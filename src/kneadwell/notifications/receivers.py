"""Receivers for what the booking service announces (scheduling.signals): each queues the patient's message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kneadwell.accounts.models import User
from kneadwell.scheduling.models import Appointment

from . import services


def on_booked(sender: Any, *, appointment: Appointment, actor: User | None = None, **kwargs: Any) -> None:
    services.appointment_booked(appointment, actor=actor)


def on_changed(
    sender: Any,
    *,
    appointment: Appointment,
    previous_start: dt.datetime | None,
    actor: User | None = None,
    **kwargs: Any,
) -> None:
    if previous_start is not None and previous_start != appointment.start:
        services.appointment_changed(appointment, previous_start, actor=actor)


def on_cancelled(sender: Any, *, appointment: Appointment, actor: User | None = None, **kwargs: Any) -> None:
    services.appointment_cancelled(appointment, actor=actor)
