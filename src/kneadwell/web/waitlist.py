"""The waitlist's pages: the front desk's ranked list, and the patient's own (join, answer an offer).

Thin: the ranking comes from `waitlist.selectors.ranked_requests` (the one assembler), every write from
`waitlist.services`; single objects are fetched through the scope functions (404 outside them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404, parse_public_id
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Service
from kneadwell.clinic.selectors import location_list, service_list
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.errors import DomainError
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.referrals.selectors import referral_scope
from kneadwell.therapists.selectors import therapist_scope
from kneadwell.waitlist.models import OPEN_REQUEST_STATUSES, WEEKDAY_NAMES, OfferStatus, Urgency
from kneadwell.waitlist.selectors import offer_scope, ranked_requests, request_scope
from kneadwell.waitlist.services import offer_accept, offer_decline, request_cancel, request_create
from kneadwell.web.base import AuthenticatedRequest, role_required

WEEKDAYS = [(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)]


def _audit(request: AuthenticatedRequest, patients: list[Patient], view: str) -> None:
    if patients:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="waitlist_request",
            patient_ids=sorted({str(p.public_id) for p in patients}),
            channel="web",
            request=request,
            detail={"view": view},
        )


@role_required(*STAFF_ROLES)
def desk_waitlist(request: AuthenticatedRequest) -> HttpResponse:
    """Every open request in clinical-priority order with its reasons, and each open offer's expiry."""
    ranked = ranked_requests(request_scope(request.user).filter(status__in=OPEN_REQUEST_STATUSES))
    _audit(request, [r.request.patient for r in ranked], "desk-waitlist")
    return render(request, "waitlist/desk.html", {"ranked": ranked, "now": clock_now()})


@require_POST
@role_required(*STAFF_ROLES, Role.PATIENT)
def request_cancel_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    item = get_in_scope_or_404(request_scope(request.user), public_id, request=request)
    try:
        request_cancel(actor=request.user, item=item, request=request)
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, f"{item.patient.full_name} is off the waitlist for {item.service.name}.")
    return redirect("desk-waitlist" if request.user.role in STAFF_ROLES else "patient-waitlist")


def _own_patient(request: AuthenticatedRequest) -> Patient:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise PermissionDenied("Your login is not linked to a patient record.")
    return patient


def _read_join(request: AuthenticatedRequest, patient: Patient) -> dict[str, Any]:
    """The join form's fields as the service wants them; DomainError naming the field otherwise."""
    post = request.POST
    location_id = parse_public_id(post.get("location", ""))
    location = Location.objects.filter(public_id=location_id, active=True).first() if location_id else None
    if location is None:
        raise DomainError("Choose a location.", field="location")
    service = Service.objects.filter(code=post.get("service", ""), active=True).first()
    if service is None:
        raise DomainError("Choose a service.", field="service")
    values: dict[str, Any] = {"patient": patient, "service": service, "location": location}
    for name, parse, label in (
        ("first_day", dt.date.fromisoformat, "a first day"),
        ("last_day", dt.date.fromisoformat, "a last day"),
        ("earliest_time", dt.time.fromisoformat, "an earliest time"),
        ("latest_time", dt.time.fromisoformat, "a latest time"),
    ):
        try:
            values[name] = parse(post.get(name, ""))
        except ValueError:
            raise DomainError(f"Give {label}.", field=name) from None
    try:
        values["weekdays"] = [int(d) for d in post.getlist("weekdays")]
    except ValueError:
        raise DomainError("Choose weekdays from the list.", field="weekdays") from None
    chosen = [t for t in post.getlist("therapists") if t]
    values["therapists"] = list(therapist_scope(request.user).filter(public_id__in=chosen)) if chosen else []
    return values


def _join_context(request: AuthenticatedRequest, errors: dict[str, str]) -> dict[str, Any]:
    """What the join form needs, for the portal and the front desk alike."""
    posted = request.method == "POST"
    form = request.POST
    return {
        "errors": errors,
        "form": form,
        "locations": location_list(),
        "services": service_list(),
        "therapists": therapist_scope(request.user),
        "weekday_choices": WEEKDAYS,
        "checked_days": [d for d in form.getlist("weekdays") if d.isdigit()]
        if posted
        else ["0", "1", "2", "3", "4"],
    }


@role_required(*STAFF_ROLES)
def desk_waitlist_add(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The front desk puts a patient on the waitlist (a caller on the phone), with urgency and referral."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    referrals = referral_scope(request.user).filter(patient=patient).select_related("provider")
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            values = _read_join(request, patient)
            urgency = request.POST.get("urgency", Urgency.ROUTINE)
            if urgency not in Urgency.values:
                raise DomainError("Choose an urgency from the list.", field="urgency")
            referral = None
            if request.POST.get("referral"):
                referral_id = parse_public_id(request.POST["referral"])
                referral = referrals.filter(public_id=referral_id).first() if referral_id else None
                if referral is None:
                    raise DomainError("Choose one of this patient's referrals.", field="referral")
            request_create(actor=request.user, request=request, urgency=urgency, referral=referral, **values)
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            messages.success(request, f"{patient.full_name} is on the waitlist for {values['service'].name}.")
            return redirect("desk-waitlist")
    context = {
        "patient": patient,
        "referrals": referrals,
        "urgency_choices": Urgency.choices,
        "staff": True,
        **_join_context(request, errors),
    }
    return render(request, "waitlist/desk_join.html", context, status=422 if errors else 200)


@role_required(Role.PATIENT)
def patient_waitlist(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's waitlist: the times offered to them (accept or decline), their requests, and a form to join."""
    patient = _own_patient(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            values = _read_join(request, patient)
            request_create(actor=request.user, request=request, **values)
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            messages.success(
                request, "You are on the waitlist. We will write when a time you asked for is free."
            )
            return redirect("patient-waitlist")
    mine = list(request_scope(request.user).filter(patient=patient).order_by("-created_at"))
    offers = list(offer_scope(request.user).filter(status=OfferStatus.OPEN, expires_at__gt=clock_now()))
    _audit(request, [patient], "patient-waitlist")
    context = {"patient": patient, "requests": mine, "offers": offers, **_join_context(request, errors)}
    return render(request, "waitlist/portal.html", context, status=422 if errors else 200)


@require_POST
@role_required(*STAFF_ROLES, Role.PATIENT)
def offer_answer_view(request: AuthenticatedRequest, public_id: str, answer: str) -> HttpResponse:
    offer = get_in_scope_or_404(offer_scope(request.user), public_id, request=request)
    try:
        if answer == "accept":
            offer_accept(actor=request.user, offer=offer, request=request)
            messages.success(request, "Booked. The time is yours; a confirmation is on its way.")
        else:
            offer_decline(actor=request.user, offer=offer, request=request)
            messages.success(request, "Declined. You stay on the waitlist for another time.")
    except DomainError as exc:
        messages.warning(request, exc.message)
    if request.user.role in STAFF_ROLES:
        return redirect("desk-waitlist")
    return redirect("patient-home" if answer == "accept" else "patient-waitlist")
