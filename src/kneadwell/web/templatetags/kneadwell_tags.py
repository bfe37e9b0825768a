"""Template helpers shared by every Kneadwell page: local times, status chips, the location switcher."""

from __future__ import annotations

import datetime as dt

from django import template
from django.templatetags.tz import do_timezone
from django.utils.html import format_html

from kneadwell.clinic.selectors import location_list

register = template.Library()

# Session key of the location a staff member is working at (see scheduling.views.selected_location).
LOCATION_SESSION_KEY = "kneadwell.location"


@register.filter
def in_zone(value: dt.datetime | None, tz_name: str) -> dt.datetime | str:
    """An aware instant shown on the wall clock of `tz_name`.

    Delegates to Django's own `timezone` filter, whose result is marked so
    that `date`/`time` filters do not convert it back to UTC.
    """
    if value is None or value == "":
        return ""
    return do_timezone(value, tz_name)


@register.simple_tag
def chip(key: str, label: str) -> str:
    """A status shown as a word in a tinted chip, never by colour alone."""
    css_key = str(key).replace("_", "-")
    return format_html('<span class="chip chip-{}">{}</span>', css_key, label)


@register.inclusion_tag("includes/location_switcher.html", takes_context=True)
def location_switcher(context: template.Context) -> dict[str, object]:
    request = context.get("request")
    # The page may already hold the list (the Today page does): reuse it rather than query again.
    locations = context.get("locations")
    if locations is None:
        locations = list(location_list())
    selected = context.get("location")
    selected_id = str(selected.public_id) if selected is not None else ""
    if not selected_id and request is not None:
        selected_id = request.session.get(LOCATION_SESSION_KEY, "")
    if not selected_id and locations:
        selected_id = str(locations[0].public_id)
    return {"locations": locations, "selected_id": selected_id, "request": request}
