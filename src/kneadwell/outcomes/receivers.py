"""Outcomes listens to charting: a signed note may make a progress report due (every N visits)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kneadwell.charting.signals import note_signed


@receiver(note_signed)
def report_when_due(sender: Any, note: Any, version: Any, actor: Any, **kwargs: Any) -> None:
    from .reports import report_if_due

    report_if_due(patient=note.patient, actor=actor)
