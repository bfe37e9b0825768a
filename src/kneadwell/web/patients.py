"""The patient page staff and carers open (with the clinical sections for care staff), and the search."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render

from kneadwell.accounts.models import CARE_ROLES, STAFF_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope, recent_patients
from kneadwell.referrals.selectors import referral_scope
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.care import care_context, user_is_care_staff

UPCOMING_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


PAST_LIMIT = 20


SEARCH_LIMIT = 50
RECENT_LIMIT = 12


def _audit_read(request: AuthenticatedRequest, patient: Patient, view: str) -> None:
    """One read of one patient's page (or part of it), in the audit trail."""
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="patient",
        object_id=patient.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": view},
    )


def _split_appointments(appointments: list[Appointment]) -> tuple[list[Appointment], list[Appointment]]:
    """(upcoming in time order, the most recent past ones first)."""
    current = now()
    upcoming = [a for a in appointments if a.status in UPCOMING_STATUSES and a.end >= current]
    past = [a for a in reversed(appointments) if a not in upcoming][:PAST_LIMIT]
    return upcoming, past


@role_required(*Role)
def patient_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    return patient_detail_response(request, patient, service_code=request.GET.get("service", ""))


def patient_detail_response(
    request: AuthenticatedRequest,
    patient: Patient,
    *,
    service_code: str = "",
    errors: dict[str, dict[str, list[str]]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The patient page; therapists and clinic staff also get the clinical sections (screening, plans, hand-off)."""
    appointments = list(appointment_scope(request.user).filter(patient=patient).order_by("start"))
    upcoming, past = _split_appointments(appointments)
    referrals = list(referral_scope(request.user).filter(patient=patient).order_by("-received_on"))
    _audit_read(request, patient, "patient-detail")
    context: dict[str, object] = {
        "patient": patient,
        "upcoming_appointments": upcoming,
        "past_appointments": past,
        "referrals": referrals,
    }
    if user_is_care_staff(request.user):
        # The therapist's page shows the clinical sections at once; the front desk's page stays light and
        # loads them after the page (htmx), or inline when asked for (`?care=1`, no JavaScript) or on an error.
        inline = request.user.role == Role.THERAPIST or bool(errors) or request.GET.get("care") == "1"
        if inline:
            context.update(
                care_context(request, patient, service_code=service_code, errors=errors, values=values)
            )
        else:
            context["care_lazy"] = True
    return render(request, "patients/detail.html", context, status=status)


@role_required(*CARE_ROLES)
def patient_care_sections(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The clinical sections of the patient page on their own (loaded by htmx after the page)."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    context = {
        "patient": patient,
        **care_context(request, patient, service_code=request.GET.get("service", "")),
    }
    _audit_read(request, patient, "patient-care")
    return render(request, "patients/includes/care_block.html", context)


@role_required(*STAFF_ROLES)
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
    recent: list[Patient] = []
    if not query:
        recent = recent_patients(request.user, limit=RECENT_LIMIT)
        if recent:
            audit_record(
                actor=request.user,
                action=AuditAction.READ,
                object_type="patient",
                patient_ids=[p.public_id for p in recent],
                channel="web",
                request=request,
                detail={"view": "patient-search-recent"},
            )
    context = {"query": query, "results": results, "limit": SEARCH_LIMIT, "recent": recent}
    template = "patients/search.html#results" if getattr(request, "htmx", False) else "patients/search.html"
    return render(request, template, context)
