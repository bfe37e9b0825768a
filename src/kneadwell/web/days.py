"""Day views: the front desk's Today per location and the therapist's My day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.shortcuts import render

from kneadwell.accounts.models import STAFF_ROLES, Role
from kneadwell.clinic.models import Location, Room
from kneadwell.clinic.selectors import clinic_time_zone, location_list, location_today
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.clock import today_in
from kneadwell.lib.zones import local_day_bounds
from kneadwell.referrals.selectors import NEW_REFERRALS_CAP, new_referral_count
from kneadwell.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.therapists.models import Therapist
from kneadwell.web.audit import audit_appointments_read
from kneadwell.web.base import AuthenticatedRequest, day_nav, requested_day, role_required
from kneadwell.web.delivery import failed_panel_context
from kneadwell.web.templatetags.kneadwell_tags import LOCATION_SESSION_KEY
from kneadwell.web.visits import visit_cards

# A free stretch between two sessions in a room shorter than this is turnover, not a gap worth showing.
MIN_GAP = dt.timedelta(minutes=15)


def selected_location(request: AuthenticatedRequest, locations: list[Location]) -> Location | None:
    """The location chosen with `?location=<public_id>`, remembered in the session; else the first active one."""
    by_id = {str(location.public_id): location for location in locations}
    asked = request.GET.get("location", "")
    if asked in by_id:
        if request.session.get(LOCATION_SESSION_KEY) != asked:
            request.session[LOCATION_SESSION_KEY] = asked
        return by_id[asked]
    remembered = request.session.get(LOCATION_SESSION_KEY, "")
    if remembered in by_id:
        return by_id[remembered]
    return locations[0] if locations else None


@dataclass
class Gap:
    start: dt.datetime
    end: dt.datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass
class RoomDay:
    room: Room
    rows: list[Appointment | Gap] = field(default_factory=list)
    gaps: int = 0


def _room_days(rooms: list[Room], appointments: list[Appointment]) -> list[RoomDay]:
    """Appointments grouped by room in time order, with the free gaps between active ones."""
    days = {room.pk: RoomDay(room=room) for room in rooms}
    for appt in appointments:
        days.setdefault(appt.room_id, RoomDay(room=appt.room))
    busy_until: dict[int, dt.datetime] = {}
    for appt in appointments:
        day = days[appt.room_id]
        if appt.status in ACTIVE_STATUSES:
            previous_end = busy_until.get(appt.room_id)
            if previous_end is not None and appt.start - previous_end >= MIN_GAP:
                day.rows.append(Gap(start=previous_end, end=appt.start))
                day.gaps += 1
            busy_until[appt.room_id] = max(appt.blocked_until, previous_end or appt.blocked_until)
        day.rows.append(appt)
    return sorted(days.values(), key=lambda d: d.room.name)


def _template(request: AuthenticatedRequest, name: str, partial: str) -> str:
    # htmx day navigation swaps only the day view; a normal request gets the whole page.
    return f"{name}#{partial}" if getattr(request, "htmx", False) else name


@role_required(*STAFF_ROLES)
def desk_today(request: AuthenticatedRequest) -> HttpResponse:
    locations = list(location_list())
    location = selected_location(request, locations)
    context: dict[str, object] = {"locations": locations, "location": location}
    if location is None:
        return render(request, "scheduling/desk_today.html", context)

    today = location_today(location)
    day = requested_day(request, today)
    start, end = local_day_bounds(day, location.time_zone)
    appointments = list(
        appointment_scope(request.user)
        .filter(location=location, start__gte=start, start__lt=end)
        .order_by("start", "room__name")
    )
    rooms = list(Room.objects.filter(location=location, active=True).select_related("location"))
    room_days = _room_days(rooms, appointments)
    audit_appointments_read(
        request, appointments, "desk-today", location=str(location.public_id), date=day.isoformat()
    )
    context.update(
        day_nav(day, today),
        room_days=room_days,
        appointment_count=sum(1 for a in appointments if a.status != AppointmentStatus.CANCELLED),
        new_referral_count=new_referral_count(),
        new_referrals_cap=NEW_REFERRALS_CAP,
        gap_count=sum(d.gaps for d in room_days),
        now=clock_now(),
        here=request.get_full_path(),
        # Messages that did not go out stay here until someone retries them or marks them handled.
        **failed_panel_context(request),
    )
    return render(request, _template(request, "scheduling/desk_today.html", "day-view"), context)


@role_required(Role.THERAPIST)
def therapist_day(request: AuthenticatedRequest) -> HttpResponse:
    therapist = Therapist.objects.filter(user=request.user).prefetch_related("locations").first()
    if therapist is None:
        return render(request, "scheduling/therapist_day.html", {"therapist": None})
    # The day follows the therapist's first location; each card shows its own location's local time.
    home = min(therapist.locations.all(), key=lambda loc: loc.name, default=None)
    tz_name = home.time_zone if home is not None else clinic_time_zone()
    today = today_in(tz_name)
    day = requested_day(request, today)
    start, end = local_day_bounds(day, tz_name)
    appointments = list(
        appointment_scope(request.user)
        .filter(therapist=therapist, start__gte=start, start__lt=end)
        .order_by("start")
    )
    audit_appointments_read(request, appointments, "therapist-day", date=day.isoformat())
    context = {
        "therapist": therapist,
        "tz_name": tz_name,
        "appointments": appointments,
        "cards": visit_cards(appointments),
        "now": clock_now(),
        "here": request.get_full_path(),
        "active_count": sum(1 for a in appointments if a.status in ACTIVE_STATUSES),
        **day_nav(day, today),
    }
    return render(request, _template(request, "scheduling/therapist_day.html", "day-view"), context)
