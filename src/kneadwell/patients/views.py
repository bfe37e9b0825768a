"""Patient pages: the patient's own home, the patient page staff and carers open, and the name search."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render

from kneadwell.accounts.models import AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.lib.clock import now
from kneadwell.referrals.selectors import referral_scope
from kneadwell.scheduling.models import AppointmentStatus
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.views import AuthenticatedRequest, role_required

from .models import Patient
from .selectors import patient_scope

UPCOMING_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
PAST_LIMIT = 20
SEARCH_LIMIT = 50


def _split_appointments(appointments):  # type: ignore[no-untyped-def]
    """(upcoming in time order, the most recent past ones first)."""
    current = now()
    upcoming = [a for a in appointments if a.status in UPCOMING_STATUSES and a.end >= current]
    past = [a for a in reversed(appointments) if a not in upcoming][:PAST_LIMIT]
    return upcoming, past


@role_required(Role.PATIENT)
def patient_home(request: AuthenticatedRequest) -> HttpResponse:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        return render(request, "patients/home.html", {"patient": None})
    appointments = list(appointment_scope(request.user).filter(patient=patient).order_by("start"))
    upcoming, past = _split_appointments(appointments)
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="patient",
        object_id=patient.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": "patient-home"},
    )
    context = {
        "patient": patient,
        "next_appointment": upcoming[0] if upcoming else None,
        "later_appointments": upcoming[1:],
        "past_appointments": past,
    }
    return render(request, "patients/home.html", context)


@role_required(*Role)
def patient_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = get_in_scope_or_404(patient_scope(request.user), public_id)
    appointments = list(appointment_scope(request.user).filter(patient=patient).order_by("start"))
    upcoming, past = _split_appointments(appointments)
    referrals = list(referral_scope(request.user).filter(patient=patient).order_by("-received_on"))
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="patient",
        object_id=patient.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": "patient-detail"},
    )
    context = {
        "patient": patient,
        "upcoming_appointments": upcoming,
        "past_appointments": past,
        "referrals": referrals,
    }
    return render(request, "patients/detail.html", context)


@role_required(Role.FRONT_DESK, Role.CLINIC_ADMIN)
def patient_search(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    results: list[Patient] = []
    if query:
        condition = Q()
        for term in query.split()[:4]:
            condition &= Q(given_name__icontains=term) | Q(family_name__icontains=term)
        results = list(
            patient_scope(request.user).filter(condition).order_by("family_name", "given_name")[:SEARCH_LIMIT]
        )
        if results:
            audit_record(
                actor=request.user,
                action=AuditAction.READ,
                object_type="patient",
                patient_ids=[p.public_id for p in results],
                channel="web",
                request=request,
                detail={"view": "patient-search"},
            )
    context = {"query": query, "results": results, "limit": SEARCH_LIMIT}
    template = "patients/search.html#results" if getattr(request, "htmx", False) else "patients/search.html"
    return render(request, template, context)
