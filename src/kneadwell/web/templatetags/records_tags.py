"""Template helpers for the session-record pages: lookups, consent names, and the overdue-notes panel."""

from __future__ import annotations

from typing import Any

from django import template

from kneadwell.charting.consent_texts import CURRENT
from kneadwell.charting.models import RecordsSettings
from kneadwell.charting.selectors import OVERDUE_WINDOW, overdue_notes

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


@register.filter
def consent_label(kind: str) -> str:
    text = CURRENT.get(kind)
    return text.title if text else kind


@register.inclusion_tag("charting/includes/overdue.html", takes_context=True)
def overdue_notes_panel(context: template.Context) -> dict[str, Any]:
    """Sessions still without a signed note past the clinic's number of hours (therapist's and desk's pages)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = overdue_notes(user) if user is not None else []
    return {
        "overdue": rows,
        "hours": RecordsSettings.current().unsigned_note_hours,
        "window_days": OVERDUE_WINDOW.days,
        "request": request,
    }
