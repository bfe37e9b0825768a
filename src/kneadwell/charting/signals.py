"""Signals the charting app sends, for the apps above it (outcomes sends a progress report when due)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a note version is signed, inside the signing transaction: kwargs `note`, `version`, `actor`.
note_signed = Signal()
