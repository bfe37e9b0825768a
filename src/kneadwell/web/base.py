"""The web interface's glue: the root page that sends each role home, the role guard for pages, and the day navigation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kneadwell.accounts.models import Role, User
from kneadwell.lib.zones import FIRST_DAY, LAST_DAY, clamp_day, within_calendar


class AuthenticatedRequest(HttpRequest):
    """The request a `role_required` view receives: its user is signed in."""

    user: User


ROLE_HOMES: dict[str, str] = {
    Role.FRONT_DESK: "desk-today",
    Role.THERAPIST: "therapist-day",
    Role.PATIENT: "patient-home",
    Role.REFERRER: "referrer-home",
    Role.CLINIC_ADMIN: "admin-home",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    target = ROLE_HOMES.get(str(getattr(request.user, "role", "")))
    if target is None:
        raise PermissionDenied("This account has no role with a home page.")
    return redirect(target)


def role_required(*roles: Role) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed-in users of `roles` only: anonymous → login, any other role → 403.

    Object-level access is separate: views fetch single objects through the
    scope functions, so an object outside the user's scope is a 404.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "role", None) not in roles:
                raise PermissionDenied("This page is not available for your role.")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def requested_day(request: HttpRequest, today: dt.date) -> dt.date:
    """The day named by `?date=YYYY-MM-DD`, or `today` when absent or unreadable.

    A day outside the calendar pages work with (lib/zones.py: 1900 to 9998) shows the nearest
    one it has, with a note, rather than failing on the day after 9999-12-31.
    """
    raw = request.GET.get("date", "")
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            messages.warning(request, f"“{raw[:20]}” is not a date (use YYYY-MM-DD); showing today.")
            return today
        if not within_calendar(day):
            day = clamp_day(day)
            messages.warning(request, f"{raw[:10]} is outside the calendar; showing {day.isoformat()}.")
        return day
    return today


def day_nav(day: dt.date, today: dt.date) -> dict[str, object]:
    """Context for the previous/today/next day links (none past either end of the calendar)."""
    prev_day = day - dt.timedelta(days=1) if day > FIRST_DAY else None
    next_day = day + dt.timedelta(days=1) if day < LAST_DAY else None
    return {
        "day": day,
        "today": today,
        "is_today": day == today,
        "prev_day": prev_day,
        "next_day": next_day,
    }
