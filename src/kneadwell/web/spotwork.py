"""The location's spot-work board for a day (issue 10): host visits (entered or imported), spot-work
requests, the day plan's preview with the reason for each request left out, and "apply"."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from kneadwell.accounts.models import STAFF_ROLES, AuditAction
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location
from kneadwell.clinic.selectors import local_day_of, location_today
from kneadwell.knowledge.catalogue import regions
from kneadwell.lib.errors import DomainError, FieldErrors
from kneadwell.lib.zones import local_day_bounds, local_to_utc
from kneadwell.patients.selectors import patient_scope
from kneadwell.scheduling.gates import SPOT_WORK_LOCATION_KINDS
from kneadwell.spotwork.models import HostVisit, SpotWorkStatus
from kneadwell.spotwork.presenters import plan_out
from kneadwell.spotwork.selectors import host_visit_scope, spot_work_request_scope
from kneadwell.spotwork.services import (
    PlanApplyFailed,
    host_visit_create,
    host_visits_import,
    spot_work_plan,
    spot_work_request_create,
)
from kneadwell.therapists.models import Therapist
from kneadwell.web.base import AuthenticatedRequest, day_nav, role_required

MAX_UPLOAD = 1_000_000


def _locations() -> list[Location]:
    return list(
        Location.objects.filter(active=True, kind__in=sorted(SPOT_WORK_LOCATION_KINDS)).order_by("name")
    )


def _default_day(location: Location) -> dt.date:
    """Today, or the next day with host visits here (the board opens where the work is)."""
    today = location_today(location)
    lo, _ = local_day_bounds(today, location.time_zone)
    upcoming = HostVisit.objects.filter(location=location, end__gt=lo).order_by("start").first()
    if upcoming is None:
        return today
    return max(today, local_day_of(upcoming.start, location))


def _wall(day: dt.date, text: str, location: Location, field: str) -> dt.datetime:
    try:
        wall = dt.time.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("Enter a time as HH:MM.", field=field) from None
    return local_to_utc(day, wall, location.time_zone)


def _board(
    request: AuthenticatedRequest,
    location: Location,
    day: dt.date,
    *,
    plan: dict[str, object] | None = None,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    lo, hi = local_day_bounds(day, location.time_zone)
    visits = list(host_visit_scope(request.user).filter(location=location, start__lt=hi, end__gt=lo))
    requests = list(
        spot_work_request_scope(request.user)
        .filter(host_visit__location=location, host_visit__start__lt=hi, host_visit__end__gt=lo)
        .select_related("appointment__therapist", "appointment__room")
    )
    patients = list(patient_scope(request.user).order_by("family_name", "given_name")[:1000])
    shown = {v.patient.public_id for v in visits}
    if shown:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="host_visit",
            patient_ids=sorted(shown, key=str),
            channel="web",
            request=request,
            detail={"view": "spot-work-board", "location": str(location.public_id), "date": day.isoformat()},
        )
    requested = {r.host_visit_id for r in requests if r.status != SpotWorkStatus.CANCELLED}
    context = {
        "locations": _locations(),
        "location": location,
        "visits": visits,
        "visits_without_request": [v for v in visits if v.pk not in requested],
        "spot_requests": requests,
        "booked": [r for r in requests if r.status == SpotWorkStatus.BOOKED],
        "open_count": sum(1 for r in requests if r.status == SpotWorkStatus.OPEN),
        "patients": patients,
        "regions": sorted(((k, r.name) for k, r in regions().items()), key=lambda kr: kr[1]),
        "region_names": {k: r.name for k, r in regions().items()},
        "therapists": list(Therapist.objects.filter(active=True, locations=location).order_by("family_name")),
        "plan": plan,
        "errors": errors or {},
        "values": values or {},
        **day_nav(day, location_today(location)),
    }
    return render(request, "spotwork/board.html", context, status=status)


@role_required(*STAFF_ROLES)
def spot_work_board(request: AuthenticatedRequest) -> HttpResponse:
    locations = _locations()
    by_id = {str(loc.public_id): loc for loc in locations}
    asked = request.GET.get("location") or request.POST.get("location") or ""
    location = by_id.get(asked) or (locations[0] if locations else None)
    if location is None:
        return render(request, "spotwork/board.html", {"locations": [], "location": None})
    raw_day = request.GET.get("date") or request.POST.get("date") or ""
    try:
        day = dt.date.fromisoformat(raw_day) if raw_day else _default_day(location)
    except ValueError:
        day = _default_day(location)
    if request.method != "POST":
        return _board(request, location, day)

    action = request.POST.get("action", "")
    values = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    back = redirect(f"{request.path}?location={location.public_id}&date={day.isoformat()}")
    try:
        if action == "host_visit":
            patient = get_in_scope_or_404(patient_scope(request.user), request.POST.get("patient", ""))
            host_visit_create(
                actor=request.user,
                patient=patient,
                location=location,
                start=_wall(day, request.POST.get("start", ""), location, "start"),
                end=_wall(day, request.POST.get("end", ""), location, "end"),
                provider_name=request.POST.get("provider_name", ""),
                request=request,
            )
            messages.success(request, f"Host visit recorded for {patient}.")
            return back
        if action == "import":
            upload = request.FILES.get("file")
            if upload is None or upload.size is None or upload.size == 0:
                raise DomainError("Choose a CSV or iCalendar file.", field="file")
            if upload.size > MAX_UPLOAD:
                raise DomainError("The file is larger than 1 MB.", field="file")
            name = (upload.name or "").lower()
            kind = "ics" if name.endswith((".ics", ".ical")) else "csv"
            try:
                content = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise DomainError("The file is not UTF-8 text.", field="file") from None
            imported = host_visits_import(
                actor=request.user, location=location, content=content, kind=kind, request=request
            )
            messages.success(request, f"{len(imported)} host visits imported.")
            return back
        if action == "request":
            visit = get_in_scope_or_404(host_visit_scope(request.user), request.POST.get("host_visit", ""))
            preferred = request.POST.get("preferred_therapist", "")
            therapist = (
                Therapist.objects.filter(public_id=preferred, active=True).first() if preferred else None
            )
            if preferred and therapist is None:
                raise DomainError("Choose a therapist from the list.", field="preferred_therapist")
            spot_work_request_create(
                actor=request.user,
                host_visit=visit,
                region=request.POST.get("region", ""),
                preferred_therapist=therapist,
                request=request,
            )
            messages.success(request, f"Spot work requested for {visit.patient}.")
            return back
        if action in ("preview", "apply"):
            outcome = spot_work_plan(
                actor=request.user, location=location, day=day, dry_run=action == "preview", request=request
            )
            if outcome.applied:
                messages.success(request, f"{len(outcome.bookings)} spot-work sessions booked.")
            return _board(request, location, day, plan=plan_out(outcome))
        raise DomainError("Unknown action.", field="action")
    except PlanApplyFailed as exc:
        return _board(request, location, day, errors={"plan": [exc.message]}, values=values, status=409)
    except FieldErrors as exc:
        return _board(
            request,
            location,
            day,
            errors={f"{action}:{k}": v for k, v in exc.errors.items()} | {action: [exc.message]},
            values=values,
            status=422,
        )
    except DomainError as exc:
        return _board(
            request, location, day, errors={action: [exc.message]}, values=values, status=exc.status_code
        )
