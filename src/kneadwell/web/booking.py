"""Booking pages: find a time for a patient (desk and portal), confirm, book, move, cancel, status changes.

Every write goes through `scheduling.services` (the same rules as the API); this module reads the form,
calls the selector or the service and renders its answer: a DomainError is a 422 naming the field, a
Conflict a 409 (a taken slot comes back with the nearest free times), a screening hold a 422 that says
why and what unblocks it, with no slots. Objects are fetched through the scopes (outside them: 404).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Service
from kneadwell.clinic.selectors import location_list, location_today
from kneadwell.intake.selectors import latest_intake
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import local_to_utc, zone
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.scheduling.gates import BookingBlocked
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel
from kneadwell.scheduling.policy import BookingPolicy
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.scheduling.series import series_cancel
from kneadwell.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
)
from kneadwell.scheduling.slots import OfferedSlot, availability, nearest_free_slots
from kneadwell.therapists.models import Therapist
from kneadwell.therapists.selectors import therapist_scope
from kneadwell.web.audit import audit_patients_read
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.call import offered_services

SLOTS_SHOWN = 30
ALTERNATIVES_SHOWN = 5
PATIENT_BOOKING_ROLES = (*STAFF_ROLES, Role.PATIENT)


@dataclass
class Search:
    """What the find-a-time form asks for, read from the query string (bad values become `errors`)."""

    locations: list[Location]
    location: Location | None
    services: list[Service]
    service: Service | None
    therapists: list[Therapist]
    therapist: Therapist | None
    week: dt.date
    today: dt.date
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, str]:
        out = {"week": self.week.isoformat()}
        if self.location is not None:
            out["location"] = str(self.location.public_id)
        if self.service is not None:
            out["service"] = self.service.code
        if self.therapist is not None:
            out["therapist"] = str(self.therapist.public_id)
        return out

    def week_query(self, week: dt.date) -> str:
        q = QueryDict(mutable=True)
        q.update({**self.query, "week": week.isoformat()})
        return q.urlencode()


def _read_search(
    request: AuthenticatedRequest, data: QueryDict, *, appointment: Appointment | None = None
) -> Search:
    errors: dict[str, str] = {}
    locations = list(location_list())
    if appointment is not None:
        location: Location | None = appointment.location  # a move stays at the visit's location
    else:
        by_id = {str(loc.public_id): loc for loc in locations}
        asked = data.get("location", "")
        if asked and asked not in by_id:
            errors["location"] = "Choose one of the clinic's locations."
        location = by_id.get(asked) or (locations[0] if locations else None)
    services = offered_services(location)
    by_code = {s.code: s for s in services}
    asked_service = data.get("service", "")
    if appointment is not None:
        service: Service | None = appointment.service
    else:
        if asked_service and asked_service not in by_code:
            errors["service"] = "Choose a service offered at this location."
        service = (
            by_code.get(asked_service) or by_code.get("therapeutic-60") or (services[0] if services else None)
        )
    therapists = (
        list(
            therapist_scope(request.user)
            .filter(locations=location)
            .prefetch_related(None)
            .order_by("family_name")
        )
        if location is not None
        else []
    )
    therapist = None
    asked_therapist = data.get("therapist", "")
    if asked_therapist:
        therapist = next((t for t in therapists if str(t.public_id) == asked_therapist), None)
        if therapist is None:
            errors["therapist"] = "Choose a therapist who works at this location, or any therapist."
    today = location_today(location)
    week = today
    raw_week = data.get("week", "")
    if raw_week:
        try:
            week = dt.date.fromisoformat(raw_week)
        except ValueError:
            errors["week"] = f"“{raw_week[:20]}” is not a date: use YYYY-MM-DD."
    return Search(locations, location, services, service, therapists, therapist, week, today, errors)


def _audit_availability(request: AuthenticatedRequest, patient: Patient, view: str) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="availability",
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": view},
    )


def _slots(
    request: AuthenticatedRequest, patient: Patient, search: Search, *, for_patient: bool
) -> tuple[list[OfferedSlot], bool, str, int]:
    """(slots, has more, the gate's message or "", status) for the search's week."""
    if search.errors or search.location is None or search.service is None:
        return [], False, "", 400 if search.errors else 200
    tz = search.location.time_zone
    now = clock_now()
    policy = BookingPolicy.current()
    start = max(local_to_utc(search.week, dt.time(0), tz), now)
    end = min(local_to_utc(search.week + dt.timedelta(days=7), dt.time(0), tz), policy.latest_start(now))
    if end <= start:
        search.errors["week"] = (
            "That week is over: choose a week from today."
            if end <= now
            else f"Sessions are booked at most {policy.horizon.days} days ahead."
        )
        return [], False, "", 422
    try:
        found = availability(
            service=search.service,
            location=search.location,
            patient=patient,
            start=start,
            end=end,
            therapist=search.therapist,
            limit=SLOTS_SHOWN,
            for_patient=for_patient,
            policy=policy,
        )
    except BookingBlocked as exc:
        return [], False, exc.message, 422
    except DomainError as exc:
        search.errors[exc.field or "service"] = exc.message
        return [], False, "", 422
    _audit_availability(request, patient, "find-time")
    return found.slots, found.has_more, "", 200


@dataclass(frozen=True)
class SlotRow:
    """One offered time as the page shows it, with the link that chooses it."""

    start: dt.datetime
    end: dt.datetime
    tz: str
    therapist: str
    room: str
    score: int
    reasons: tuple[str, ...]
    url: str


def slot_rows(slots: list[OfferedSlot], search: Search, action_url: str) -> list[SlotRow]:
    rows = []
    for slot in slots:
        q = QueryDict(mutable=True)
        q.update(
            {
                **search.query,
                "location": str(slot.location.public_id),
                "service": slot.service.code,
                "therapist": str(slot.therapist.public_id),
                "start": slot.start.isoformat(),
            }
        )
        rows.append(
            SlotRow(
                start=slot.start,
                end=slot.end,
                tz=slot.location.time_zone,
                therapist=slot.therapist.name,
                room=slot.room.name,
                score=slot.score,
                reasons=slot.reasons,
                url=f"{action_url}?{q.urlencode()}",
            )
        )
    return rows


def _parse_start(raw: str) -> dt.datetime:
    try:
        start = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise DomainError("Choose a time from the list.", field="start") from None
    if start.utcoffset() is None:
        raise DomainError("The start time must include a time zone offset.", field="start")
    return start.astimezone(dt.UTC)


def _is_patient(request: AuthenticatedRequest) -> bool:
    return request.user.role == Role.PATIENT


def _find_context(
    request: AuthenticatedRequest,
    patient: Patient,
    search: Search,
    *,
    appointment: Appointment | None,
    action_url: str,
) -> tuple[dict[str, Any], int]:
    for_patient = _is_patient(request)
    context: dict[str, Any] = {
        "patient": patient,
        "search": search,
        "appointment": appointment,
        "action_url": action_url,
        "for_patient": for_patient,
        "prev_week": search.week_query(search.week - dt.timedelta(days=7)),
        "next_week": search.week_query(search.week + dt.timedelta(days=7)),
        "this_week": search.week_query(search.today),
        "week_end": search.week + dt.timedelta(days=6),
    }
    if for_patient and latest_intake(patient) is None:
        context["needs_intake"] = True
        return context, 200
    slots, has_more, blocked, status = _slots(request, patient, search, for_patient=for_patient)
    context.update(slots=slot_rows(slots, search, action_url), has_more=has_more, blocked=blocked)
    return context, status


def _confirm_context(search: Search, start: dt.datetime) -> dict[str, Any]:
    assert search.location is not None
    return {
        "start": start,
        "start_value": start.isoformat(),
        "key": uuid.uuid4().hex,
    }


def _page(
    request: AuthenticatedRequest,
    patient: Patient,
    *,
    appointment: Appointment | None,
    action_url: str,
) -> HttpResponse:
    """GET: the week's ranked slots, or the confirmation step when a `start` is chosen."""
    search = _read_search(request, request.GET, appointment=appointment)
    if request.GET.get("start") and not search.errors and search.location is not None:
        try:
            start = _parse_start(request.GET["start"])
        except DomainError as exc:
            search.errors["start"] = exc.message
        else:
            context = {
                "patient": patient,
                "search": search,
                "appointment": appointment,
                "action_url": action_url,
                "for_patient": _is_patient(request),
                **_confirm_context(search, start),
            }
            return render(request, "scheduling/book_confirm.html", context)
    context, status = _find_context(request, patient, search, appointment=appointment, action_url=action_url)
    return render(request, "scheduling/find_time.html", context, status=status)


def _refused(
    request: AuthenticatedRequest,
    patient: Patient,
    search: Search,
    *,
    appointment: Appointment | None,
    action_url: str,
    exc: DomainError,
    alternatives: list[OfferedSlot],
    start: dt.datetime | None,
) -> HttpResponse:
    """A refused booking or move: the confirmation page again, with the message and the alternatives."""
    context: dict[str, Any] = {
        "patient": patient,
        "search": search,
        "appointment": appointment,
        "action_url": action_url,
        "for_patient": _is_patient(request),
        "error": exc.message,
        "error_field": exc.field or "",
        "alternatives": slot_rows(alternatives, search, action_url),
        "blocked": exc.message if isinstance(exc, BookingBlocked) else "",
    }
    if start is not None and search.location is not None:
        context.update(_confirm_context(search, start))
    return render(request, "scheduling/book_confirm.html", context, status=exc.status_code)


def _book_post(request: AuthenticatedRequest, patient: Patient, action_url: str) -> HttpResponse:
    search = _read_search(request, request.POST)
    start: dt.datetime | None = None
    try:
        if search.errors:
            name, message = next(iter(search.errors.items()))
            raise DomainError(message, field=name)
        if search.location is None or search.service is None:
            raise DomainError("Choose a location and a service.", field="service")
        if search.therapist is None:
            raise DomainError("Choose a time from the list (it names the therapist).", field="therapist")
        start = _parse_start(request.POST.get("start", ""))
        booked = appointment_book(
            actor=request.user,
            patient=patient,
            service=search.service,
            location=search.location,
            therapist=search.therapist,
            start=start,
            channel=Channel.ONLINE if _is_patient(request) else Channel.PHONE,
            idempotency_key=request.POST.get("key", "")[:100],
            request=request,
        )
    except Conflict as exc:
        assert search.location is not None
        assert search.service is not None
        assert start is not None
        alternatives = nearest_free_slots(
            patient=patient,
            service=search.service,
            location=search.location,
            wanted=start,
            count=ALTERNATIVES_SHOWN,
        )
        return _refused(
            request, patient, search, appointment=None, action_url=action_url, exc=exc,
            alternatives=alternatives, start=start,
        )  # fmt: skip
    except DomainError as exc:
        return _refused(
            request, patient, search, appointment=None, action_url=action_url, exc=exc,
            alternatives=[], start=start,
        )  # fmt: skip
    return redirect("appointment-booked", public_id=booked.appointment.public_id)


@role_required(*STAFF_ROLES)
def patient_book(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The front desk finds a time for this patient and books it (from the patient page or the call)."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    action_url = reverse("patient-book", args=[patient.public_id])
    if request.method == "POST":
        return _book_post(request, patient, action_url)
    return _page(request, patient, appointment=None, action_url=action_url)


def own_patient(request: AuthenticatedRequest) -> Patient:
    patient = patient_scope(request.user).first()
    if patient is None:
        raise Http404("Your login is not linked to a patient record.")
    return patient


@role_required(Role.PATIENT)
def my_book(request: AuthenticatedRequest) -> HttpResponse:
    """The patient finds a time and books their own visit (after their intake; screening may hold it)."""
    patient = own_patient(request)
    action_url = reverse("my-book")
    if request.method == "POST":
        return _book_post(request, patient, action_url)
    return _page(request, patient, appointment=None, action_url=action_url)


def _appointment(request: AuthenticatedRequest, public_id: str) -> Appointment:
    return get_in_scope_or_404(
        appointment_scope(request.user).select_related("series"), public_id, request=request
    )


def _back_to(request: AuthenticatedRequest, appointment: Appointment) -> str:
    if _is_patient(request):
        return reverse("patient-home")
    return reverse("patient-detail", args=[appointment.patient.public_id])


@role_required(*PATIENT_BOOKING_ROLES)
def appointment_move(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Reschedule: pick a new slot for the same service and location; moved atomically by the service."""
    appointment = _appointment(request, public_id)
    patient = appointment.patient
    action_url = reverse("appointment-move", args=[appointment.public_id])
    if request.method != "POST":
        return _page(request, patient, appointment=appointment, action_url=action_url)
    search = _read_search(request, request.POST, appointment=appointment)
    start: dt.datetime | None = None
    try:
        if search.errors:
            name, message = next(iter(search.errors.items()))
            raise DomainError(message, field=name)
        start = _parse_start(request.POST.get("start", ""))
        moved = appointment_reschedule(
            appointment=appointment,
            actor=request.user,
            start=start,
            therapist=search.therapist,
            reason=request.POST.get("reason", "")[:500],
            override_reason="" if _is_patient(request) else request.POST.get("override_reason", "")[:500],
            request=request,
        )
    except Conflict as exc:
        alternatives = (
            nearest_free_slots(
                patient=patient,
                service=appointment.service,
                location=appointment.location,
                wanted=start,
                therapist=search.therapist or appointment.therapist,
                ignore_appointment_ids=(appointment.pk,),
                count=ALTERNATIVES_SHOWN,
            )
            if exc.code == "slot_taken" and start is not None
            else []
        )
        return _refused(
            request, patient, search, appointment=appointment, action_url=action_url, exc=exc,
            alternatives=alternatives, start=start,
        )  # fmt: skip
    except DomainError as exc:
        return _refused(
            request, patient, search, appointment=appointment, action_url=action_url, exc=exc,
            alternatives=[], start=start,
        )  # fmt: skip
    local = moved.start.astimezone(zone(moved.location.time_zone))
    messages.success(request, f"Moved to {local:%A %-d %B, %H:%M}.")
    return redirect("appointment-booked", public_id=moved.public_id)


@role_required(*PATIENT_BOOKING_ROLES)
def appointment_booked(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The confirmation: what was booked, where, and the calendar file."""
    appointment = _appointment(request, public_id)
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="appointment",
        object_id=appointment.public_id,
        patient_ids=[appointment.patient.public_id],
        channel="web",
        request=request,
        detail={"view": "appointment-booked"},
    )
    return render(
        request,
        "scheduling/booked.html",
        {
            "appointment": appointment,
            "back_url": _back_to(request, appointment),
            "for_patient": _is_patient(request),
        },
    )


def _late_words(appointment: Appointment, policy: BookingPolicy, *, for_patient: bool) -> str:
    """What the clinic's late-cancellation policy means for this visit now ("" outside the window)."""
    if appointment.status != AppointmentStatus.BOOKED or not policy.is_late(appointment.start, clock_now()):
        return ""
    hours = int(policy.late_window.total_seconds() // 3600)
    if for_patient:
        if policy.refuses_late_cancellations:
            return (
                f"Your visit is less than {hours} hours away: the clinic does not accept changes online this "
                "close to a visit. Please call the clinic."
            )
        return (
            f"Your visit is less than {hours} hours away: you can still cancel, and the clinic records it as "
            "a late cancellation."
        )
    if policy.refuses_late_cancellations:
        return (
            f"This visit is less than {hours} hours away: the clinic's policy refuses a patient's late "
            "cancellation. Override it only with a reason."
        )
    return f"This visit is less than {hours} hours away: a patient's cancellation is recorded as late."


@role_required(*PATIENT_BOOKING_ROLES)
def appointment_cancel_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Cancel with a reason; the late-cancellation policy said up front; staff may override with a reason,
    and cancel a series from this visit onward."""
    appointment = _appointment(request, public_id)
    for_patient = _is_patient(request)
    policy = BookingPolicy.current()
    context: dict[str, Any] = {
        "appointment": appointment,
        "for_patient": for_patient,
        "late_words": _late_words(appointment, policy, for_patient=for_patient),
        "back_url": _back_to(request, appointment),
        "values": request.POST if request.method == "POST" else {},
    }
    if request.method != "POST":
        audit_patients_read(request, [appointment.patient], "appointment-cancel")
        return render(request, "scheduling/cancel.html", context)
    reason = request.POST.get("reason", "").strip()[:500]
    override = "" if for_patient else request.POST.get("override_reason", "").strip()[:500]
    by_patient = None if for_patient else request.POST.get("asked_by", "patient") != "clinic"
    try:
        if not reason:
            raise DomainError("Say why the visit is cancelled.", field="reason")
        if not for_patient and request.POST.get("whole_series") == "on" and appointment.series is not None:
            cancelled = series_cancel(
                series=appointment.series,
                actor=request.user,
                from_appointment=appointment,
                reason=reason,
                by_patient=by_patient,
                override_reason=override,
                request=request,
            )
            messages.success(request, f"Cancelled {len(cancelled)} visit(s) of the series from this one on.")
        else:
            done = appointment_cancel(
                appointment=appointment,
                actor=request.user,
                reason=reason,
                by_patient=by_patient,
                override_reason=override,
                request=request,
            )
            messages.success(
                request,
                "Cancelled, recorded as a late cancellation." if done.late_cancellation else "Cancelled.",
            )
    except DomainError as exc:  # Conflict included: a refused late cancellation, a visit already settled
        appointment.refresh_from_db()
        context.update(error=exc.message, error_field=exc.field or "")
        return render(request, "scheduling/cancel.html", context, status=exc.status_code)
    return redirect(_back_to(request, appointment))


STATUS_ACTIONS = {
    "check_in": (appointment_check_in, "Checked in"),
    "no_show": (appointment_no_show, "Marked as a no-show"),
    "complete": (appointment_complete, "Completed"),
}


@require_POST
@role_required(*STAFF_ROLES, Role.THERAPIST)
def appointment_status_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Check in, no-show or complete from the Today page, the day board or the therapist's day."""
    appointment = _appointment(request, public_id)
    action = request.POST.get("action", "")
    if action not in STATUS_ACTIONS:
        return render(
            request,
            "scheduling/action_refused.html",
            {
                "message": "Choose check in, no-show or complete.",
                "field": "action",
                "back_url": _next(request),
            },
            status=422,
        )
    change, done = STATUS_ACTIONS[action]
    try:
        change(appointment=appointment, actor=request.user, request=request)
    except PermissionDenied:
        raise
    except DomainError as exc:
        return render(
            request,
            "scheduling/action_refused.html",
            {"message": exc.message, "field": exc.field or "", "back_url": _next(request)},
            status=exc.status_code,
        )
    messages.success(request, f"{done}: {appointment.patient.full_name}.")
    return redirect(_next(request))


def _next(request: AuthenticatedRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=False
    ):
        return target
    return reverse("therapist-day" if request.user.role == Role.THERAPIST else "desk-today")
