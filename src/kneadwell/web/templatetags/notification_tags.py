"""Template includes for messages and calendars, so the pages they sit on (the patient page, the portal,
the therapist's day) need only one line each and no change to their views."""

from __future__ import annotations

from typing import Any

from django import template

from kneadwell.accounts.models import STAFF_ROLES
from kneadwell.notifications.selectors import active_feeds
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Therapist

register = template.Library()


@register.inclusion_tag("notifications/includes/patient_panel.html", takes_context=True)
def patient_notifications(context: template.Context, patient: Patient) -> dict[str, Any]:
    """Clinic staff on the patient page: a placeholder that loads the messages panel after the page
    (htmx), so the page itself costs no query more; a plain link without JavaScript."""
    request = context.get("request")
    return {"show": getattr(getattr(request, "user", None), "role", None) in STAFF_ROLES, "patient": patient}


@register.inclusion_tag("notifications/includes/portal_panel.html", takes_context=True)
def portal_calendar(context: template.Context, patient: Patient) -> dict[str, Any]:
    """The patient in the portal: their calendar file and feed, and a link to their message choices."""
    return {
        "patient": patient,
        "feeds": active_feeds(patient=patient),
        "next_appointment": context.get("next_appointment"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.inclusion_tag("notifications/includes/therapist_panel.html", takes_context=True)
def therapist_calendar(context: template.Context, therapist: Therapist) -> dict[str, Any]:
    """The therapist's own calendar feed on their day page."""
    return {
        "therapist": therapist,
        "feeds": active_feeds(therapist=therapist),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
