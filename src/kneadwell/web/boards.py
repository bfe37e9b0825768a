"""The front desk's day board (rooms × time), the therapist's week, and the plan of care's series dialog."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from kneadwell.accounts.models import STAFF_ROLES, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.clinic.models import Location, Room, Service
from kneadwell.clinic.selectors import clinic_time_zone, location_list, location_today
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.clock import today_in
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import local_day_bounds, local_to_utc, zone
from kneadwell.patients.selectors import patient_scope
from kneadwell.planning.models import CarePlan
from kneadwell.scheduling.gates import BookingBlocked
from kneadwell.scheduling.models import ACTIVE_STATUSES, Appointment, SeriesMode
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.scheduling.series import SeriesResult, WeeklyTime, series_book
from kneadwell.therapists.models import Therapist
from kneadwell.therapists.selectors import therapist_scope
from kneadwell.web.audit import audit_appointments_read, audit_patients_read
from kneadwell.web.base import AuthenticatedRequest, day_nav, requested_day, role_required
from kneadwell.web.call import offered_services
from kneadwell.web.days import selected_location
from kneadwell.web.visits import AHEAD, visit_cards

# --- The day board --------------------------------------------------------------------------------

CELL_MINUTES = 5  # one column: the clinic's default alignment, so every start falls on a column
CELLS_PER_HOUR = 60 // CELL_MINUTES
FIRST_HOUR, LAST_HOUR = 7, 20  # the board's default span, widened to every visit of the day


@dataclass
class Cell:
    span: int
    appointment: Appointment | None = None


@dataclass
class BoardRow:
    room: Room
    cells: list[Cell] = field(default_factory=list)


def _free(cells: list[Cell], start: int, end: int) -> None:
    """Free columns from `start` to `end`, broken on the hour so the hour lines stay straight."""
    while start < end:
        stop = min(end, (start // CELLS_PER_HOUR + 1) * CELLS_PER_HOUR)
        cells.append(Cell(span=stop - start))
        start = stop


def board_rows(
    rooms: list[Room], appointments: list[Appointment], grid_start: dt.datetime, columns: int
) -> list[BoardRow]:
    """Each room's row: its active visits placed by local time (a cancelled visit or no-show is listed
    apart, since it holds nothing and a new booking may take its place)."""
    rows = {room.pk: BoardRow(room=room) for room in rooms}
    cursor = {room.pk: 0 for room in rooms}
    for appt in sorted(appointments, key=lambda a: a.start):
        if appt.status not in ACTIVE_STATUSES:
            continue
        if appt.room_id not in rows:
            rows[appt.room_id] = BoardRow(room=appt.room)
            cursor[appt.room_id] = 0
        first = int((appt.start - grid_start).total_seconds() // (CELL_MINUTES * 60))
        span = max(1, math.ceil((appt.end - appt.start).total_seconds() / (CELL_MINUTES * 60)))
        first = max(first, cursor[appt.room_id])
        span = min(span, columns - first)
        if span <= 0:
            continue
        row = rows[appt.room_id]
        _free(row.cells, cursor[appt.room_id], first)
        row.cells.append(Cell(span=span, appointment=appt))
        cursor[appt.room_id] = first + span
    for pk, row in rows.items():
        _free(row.cells, cursor[pk], columns)
    return sorted(rows.values(), key=lambda r: r.room.name)


def _grid_hours(appointments: list[Appointment], tz: str) -> tuple[int, int]:
    first, last = FIRST_HOUR, LAST_HOUR
    for appt in appointments:
        start = appt.start.astimezone(zone(tz))
        end = appt.end.astimezone(zone(tz))
        first = min(first, start.hour)
        last = max(last, end.hour + (1 if end.minute else 0) if end.date() == start.date() else 24)
    return first, min(last, 24)


@role_required(*STAFF_ROLES)
def day_board(request: AuthenticatedRequest) -> HttpResponse:
    """A location's day: rooms down the side, time across, each visit placed with its status and actions."""
    locations = list(location_list())
    location = selected_location(request, locations)
    context: dict[str, Any] = {"locations": locations, "location": location}
    if location is None:
        return render(request, "scheduling/day_board.html", context)
    tz = location.time_zone
    today = location_today(location)
    day = requested_day(request, today)
    day_start, day_end = local_day_bounds(day, tz)
    appointments = list(
        appointment_scope(request.user)
        .filter(location=location, start__gte=day_start, start__lt=day_end)
        .order_by("start")
    )
    rooms = list(Room.objects.filter(location=location, active=True).order_by("name"))
    first_hour, last_hour = _grid_hours(appointments, tz)
    # Columns are elapsed time from the first hour's instant (on a DST day the header's hours are the
    # wall clock's until the change; the cells stay true to each visit's length).
    grid_start = local_to_utc(day, dt.time(first_hour), tz)
    columns = (last_hour - first_hour) * CELLS_PER_HOUR
    audit_appointments_read(
        request, appointments, "desk-board", location=str(location.public_id), date=day.isoformat()
    )
    context.update(
        day_nav(day, today),
        rows=board_rows(rooms, appointments, grid_start, columns),
        hours=[f"{h:02d}:00" for h in range(first_hour, last_hour)],
        cells_per_hour=CELLS_PER_HOUR,
        off_board=[a for a in appointments if a.status not in ACTIVE_STATUSES],
        now=clock_now(),
        here=request.get_full_path(),
    )
    return render(request, "scheduling/day_board.html", context)


# --- The therapist's week -------------------------------------------------------------------------


@role_required(Role.THERAPIST)
def therapist_week(request: AuthenticatedRequest) -> HttpResponse:
    therapist = Therapist.objects.filter(user=request.user).prefetch_related("locations").first()
    if therapist is None:
        return render(request, "scheduling/therapist_week.html", {"therapist": None})
    home = min(therapist.locations.all(), key=lambda loc: loc.name, default=None)
    tz = home.time_zone if home is not None else clinic_time_zone()
    today = today_in(tz)
    day = requested_day(request, today)
    monday = day - dt.timedelta(days=day.weekday())
    start, _ = local_day_bounds(monday, tz)
    _, end = local_day_bounds(monday + dt.timedelta(days=6), tz)
    appointments = list(
        appointment_scope(request.user)
        .filter(therapist=therapist, start__gte=start, start__lt=end)
        .order_by("start")
    )
    cards = visit_cards(appointments, planned=AHEAD)
    days = []
    for offset in range(7):
        date = monday + dt.timedelta(days=offset)
        days.append(
            {
                "date": date,
                "is_today": date == today,
                "cards": [c for c in cards if c.appointment.start.astimezone(zone(tz)).date() == date],
            }
        )
    audit_appointments_read(request, appointments, "therapist-week", week=monday.isoformat())
    context = {
        "therapist": therapist,
        "tz_name": tz,
        "days": days,
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "prev_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "this_week": today,
        "session_count": sum(1 for a in appointments if a.status in ACTIVE_STATUSES),
    }
    return render(request, "scheduling/therapist_week.html", context)


# --- The series dialog ----------------------------------------------------------------------------

CADENCES = [(1, "Every week"), (2, "Every 2 weeks"), (3, "Every 3 weeks"), (4, "Every 4 weeks")]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class SeriesForm:
    locations: list[Location]
    location: Location | None
    services: list[Service]
    service: Service | None
    therapists: list[Therapist]
    therapist: Therapist | None
    times: list[dict[str, str]]
    weeks: str
    every_weeks: str
    starts_on: str
    mode: str
    errors: dict[str, str] = field(default_factory=dict)


def _series_form(request: AuthenticatedRequest, plan: CarePlan, data: QueryDict | None) -> SeriesForm:
    errors: dict[str, str] = {}
    get = (data or QueryDict()).get
    locations = list(location_list())
    by_id = {str(loc.public_id): loc for loc in locations}
    location = by_id.get(get("location", "") or "") or (locations[0] if locations else None)
    services = offered_services(location)
    by_code = {s.code: s for s in services}
    service = (
        by_code.get(get("service", "") or "")
        or by_code.get("therapeutic-60")
        or (services[0] if services else None)
    )
    therapists = list(
        therapist_scope(request.user)
        .filter(locations=location)
        .prefetch_related(None)
        .order_by("family_name")
    )
    asked = get("therapist", "") or (str(plan.therapist.public_id) if plan.therapist else "")
    therapist = next((t for t in therapists if str(t.public_id) == asked), None)
    if data is not None and therapist is None:
        errors["therapist"] = "Choose a therapist who works at this location."
    times = [
        {"weekday": get(f"weekday_{i}", "") or str(min(i * 2, 6)), "time": get(f"time_{i}", "") or "17:00"}
        for i in range(plan.frequency_per_week)
    ]
    today = location_today(location)
    return SeriesForm(
        locations=locations,
        location=location,
        services=services,
        service=service,
        therapists=therapists,
        therapist=therapist,
        times=times,
        weeks=get("weeks", "") or str(plan.weeks),
        every_weeks=get("every_weeks", "") or "1",
        starts_on=get("starts_on", "") or max(plan.starts_on, today).isoformat(),
        mode=get("mode", "") or SeriesMode.ALL_OR_NOTHING,
        errors=errors,
    )


def _pattern(form: SeriesForm) -> tuple[list[WeeklyTime], int, int, dt.date]:
    pattern = []
    for i, entry in enumerate(form.times):
        try:
            weekday = int(entry["weekday"])
            if not 0 <= weekday <= 6:
                raise ValueError
        except ValueError:
            raise DomainError("Choose a weekday.", field=f"weekday_{i}") from None
        try:
            wall = dt.time.fromisoformat(entry["time"])
        except ValueError:
            raise DomainError("Give the time as HH:MM.", field=f"time_{i}") from None
        pattern.append(WeeklyTime(weekday, wall))
    try:
        weeks = int(form.weeks)
        if not 1 <= weeks <= 52:
            raise ValueError
    except ValueError:
        raise DomainError("Give a number of visits from 1 to 52.", field="weeks") from None
    try:
        every = int(form.every_weeks)
    except ValueError:
        raise DomainError("Choose how often.", field="every_weeks") from None
    try:
        starts_on = dt.date.fromisoformat(form.starts_on)
    except ValueError:
        raise DomainError("Give the first date as YYYY-MM-DD.", field="starts_on") from None
    if form.mode not in SeriesMode.values:
        raise DomainError("Choose all or nothing, or book what fits.", field="mode")
    return pattern, weeks, every, starts_on


def _occurrence_rows(result: SeriesResult, tz: str) -> list[dict[str, Any]]:
    return [
        {
            "number": o.index + 1,
            "start": o.start,
            "status": o.status,
            "label": {"free": "Free", "conflict": "Conflict", "booked": "Booked"}[o.status],
            "reason": o.reason,
            "room": o.room.name if o.room else "",
            "alternatives": [
                f"{a.start.astimezone(zone(tz)):%a %-d %b %H:%M} with {a.therapist.name}"
                for a in o.alternatives
            ],
        }
        for o in result.occurrences
    ]


@role_required(*STAFF_ROLES, Role.THERAPIST)
def series_dialog(request: AuthenticatedRequest, public_id: str, plan_id: str) -> HttpResponse:
    """Book a plan of care's visits as a series: a dry run shows every occurrence, then book."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    plan = get_in_scope_or_404(
        CarePlan.objects.filter(patient=patient).select_related("therapist", "patient"),
        plan_id,
        request=request,
    )
    form = _series_form(request, plan, request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {
        "patient": patient,
        "plan": plan,
        "form": form,
        "weekdays": list(enumerate(WEEKDAYS)),
        "cadences": CADENCES,
    }
    if request.method != "POST":
        audit_patients_read(request, [patient], "series-dialog")
        return render(request, "scheduling/series.html", context)
    dry_run = request.POST.get("action") != "book"
    status = 200
    try:
        if form.errors:
            name, message = next(iter(form.errors.items()))
            raise DomainError(message, field=name)
        if form.location is None or form.service is None or form.therapist is None:
            raise DomainError("Choose a location, a service and a therapist.", field="service")
        pattern, weeks, every, starts_on = _pattern(form)
        result = series_book(
            actor=request.user,
            care_plan=plan,
            service=form.service,
            location=form.location,
            therapist=form.therapist,
            pattern=pattern,
            starts_on=starts_on,
            weeks=weeks,
            mode=form.mode,
            dry_run=dry_run,
            every_weeks=every,
            request=request,
        )
    except DomainError as exc:
        field_name = exc.field or "service"
        if field_name == "times":
            field_name = "weekday_0"
        form.errors[field_name if not field_name.startswith("times[") else "weekday_0"] = exc.message
        context.update(error=exc.message, blocked=isinstance(exc, BookingBlocked))
        return render(request, "scheduling/series.html", context, status=exc.status_code)
    assert form.location is not None
    context.update(
        result=result,
        rows=_occurrence_rows(result, form.location.time_zone),
        conflicts=len(result.conflicts),
        dry_run=dry_run,
    )
    if not dry_run:
        if result.series is None:
            status = 409
            context["error"] = "Nothing was booked: see each conflict and its nearest free times."
        else:
            context["booked_count"] = len(result.booked)
    return render(request, "scheduling/series.html", context, status=status)
