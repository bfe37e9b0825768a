"""Receivers for what the booking service announces (scheduling.signals) that the notes must follow."""

from __future__ import annotations

from typing import Any

from kneadwell.scheduling.models import Appointment

from .models import Note


def on_moved(sender: Any, *, appointment: Appointment, **kwargs: Any) -> None:
    # A note may be started before its visit, which may then move: the note's copy of the start
    # moves in the same transaction (GET /api/v1/notes orders by it).
    Note.objects.filter(appointment=appointment).exclude(appointment_start=appointment.start).update(
        appointment_start=appointment.start
    )
