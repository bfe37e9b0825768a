"""The patient page staff and carers open (with the clinical sections for care staff), and the search."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kneadwell.accounts.models import CARE_ROLES, STAFF_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.lib.clock import now
from kneadwell.lib.errors import DomainError
from kneadwell.patients.merging import patient_merge, patient_unmerge, record_parts
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import merged_patient_scope, patient_scope, recent_patients
from kneadwell.planning.models import CarePlanStatus
from kneadwell.referrals.selectors import referral_scope
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.web.audit import audit_patients_read
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.care import care_context, user_is_care_staff

UPCOMING_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


PAST_LIMIT = 20
UPCOMING_LIMIT = 20
VISITS_PAGE = 50


SEARCH_LIMIT = 50
RECENT_LIMIT = 12


def _visits(
    request: AuthenticatedRequest, patient: Patient
) -> tuple[QuerySet[Appointment], QuerySet[Appointment]]:
    """(upcoming in time order, past ones most recent first): both bounded by the caller, each one query
    on the (patient, start) index however long the patient's history."""
    current = now()
    # A waitlist hold is an offer until the patient takes it, not a visit: the lists leave it out.
    mine = appointment_scope(request.user).filter(patient=patient).exclude(status=AppointmentStatus.HELD)
    is_upcoming = Q(status__in=UPCOMING_STATUSES, end__gte=current)
    return mine.filter(is_upcoming).order_by("start", "id"), mine.exclude(is_upcoming).order_by(
        "-start", "-id"
    )


def split_appointments(
    request: AuthenticatedRequest, patient: Patient
) -> tuple[list[Appointment], list[Appointment], bool]:
    """(the next upcoming visits, the most recent past ones, whether there are more of either)."""
    upcoming_qs, past_qs = _visits(request, patient)
    upcoming = list(upcoming_qs[: UPCOMING_LIMIT + 1])
    past = list(past_qs[: PAST_LIMIT + 1])
    more = len(upcoming) > UPCOMING_LIMIT or len(past) > PAST_LIMIT
    return upcoming[:UPCOMING_LIMIT], past[:PAST_LIMIT], more


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
    upcoming, past, more_visits = split_appointments(request, patient)
    referrals = list(referral_scope(request.user).filter(patient=patient).order_by("-received_on"))
    audit_patients_read(request, [patient], "patient-detail")
    context: dict[str, object] = {
        "patient": patient,
        "upcoming_appointments": upcoming,
        "past_appointments": past,
        "more_visits": more_visits,
        "referrals": referrals,
    }
    if request.user.role in STAFF_ROLES:
        suspects = _suspected_duplicates(patient)
        if suspects:
            audit_record(
                actor=request.user,
                action=AuditAction.READ,
                object_type="patient",
                patient_ids=[p.public_id for p in suspects],
                channel="web",
                request=request,
                detail={"view": "patient-detail-duplicates"},
            )
        context.update(can_merge=True, can_book=True, suspects=_merge_links(patient, suspects))
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


@role_required(*Role)
def patient_visits(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """All of one patient's visits, upcoming then past, a page at a time (the patient page shows the
    nearest ones and links here)."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    which = "upcoming" if request.GET.get("which") == "upcoming" else "past"
    upcoming_qs, past_qs = _visits(request, patient)
    page = Paginator(upcoming_qs if which == "upcoming" else past_qs, VISITS_PAGE).get_page(
        request.GET.get("page")
    )
    audit_patients_read(request, [patient], "patient-visits")
    return render(request, "patients/visits.html", {"patient": patient, "which": which, "page": page})


@role_required(*CARE_ROLES)
def patient_care_sections(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The clinical sections of the patient page on their own (loaded by htmx after the page)."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    context = {
        "patient": patient,
        **care_context(request, patient, service_code=request.GET.get("service", "")),
    }
    audit_patients_read(request, [patient], "patient-care")
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


# --- Duplicate records: compare, merge, undo ---------------------------------------------------------


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _suspected_duplicates(patient: Patient) -> list[Patient]:
    """Current records held as possible duplicates of `patient`, and the one `patient` may repeat (one query)."""
    related = Q(suspected_duplicate_of=patient)
    if patient.suspected_duplicate_of_id is not None:
        related |= Q(pk=patient.suspected_duplicate_of_id)
    return list(Patient.objects.filter(related, merged_into__isnull=True).order_by("created_at", "id"))


def _merge_links(patient: Patient, suspects: list[Patient]) -> list[dict[str, object]]:
    """Each possible duplicate with the merge that settles it: the newer, held record into the original."""
    links = []
    for other in suspects:
        original, held = (
            (other, patient) if other.pk == patient.suspected_duplicate_of_id else (patient, other)
        )
        url = f"{reverse('patient-merge', args=[original.public_id])}?source={held.public_id}"
        links.append({"patient": other, "url": url})
    return links


def _side(request: AuthenticatedRequest, patient: Patient) -> dict[str, object]:
    """One record in the side-by-side check: who, contact, what it holds, what is coming up."""
    upcoming, _, _ = split_appointments(request, patient)
    return {
        "patient": patient,
        "parts": record_parts(patient),
        "upcoming": upcoming,
        "active_plan": patient.care_plans.filter(status=CarePlanStatus.ACTIVE).exists(),
        "has_login": patient.user_id is not None,
    }


def _merge_warnings(target: dict[str, object], source: dict[str, object]) -> list[str]:
    """What the desk should know before merging these two (a merge is undone from the audit trail)."""
    warnings = []
    if target["has_login"] and source["has_login"]:
        warnings.append("Both records have a portal login: deactivate the one not used before merging.")
    if target["active_plan"] and source["active_plan"]:
        warnings.append(
            "Both records have an active plan of care. After the merge the newer one is shown; "
            "ask the therapist to approve one plan for the patient."
        )
    clashes = [
        (a, b)
        for a in source["upcoming"]  # type: ignore[attr-defined]  # a list of appointments built by the merge preview
        for b in target["upcoming"]  # type: ignore[attr-defined]  # a list of appointments built by the merge preview
        if a.start < b.end and b.start < a.end
    ]
    for a, _ in clashes:
        warnings.append(
            f"Both records are booked at {_day(a.start)} {a.start:%H:%M} UTC: cancel the duplicate booking first."
        )
    return warnings


@role_required(*STAFF_ROLES)
def patient_merge_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Merge another record of the same person into this one: find it, compare side by side, merge.

    The merge moves every row of the other record here and is recorded in the audit trail, from
    which it can be undone on this page ("Records merged into this one").
    """
    target = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    data = request.POST if request.method == "POST" else request.GET
    source = None
    if data.get("source"):
        source = get_in_scope_or_404(patient_scope(request.user), data.get("source"), request=request)
    error, status = "", 200
    if request.method == "POST":
        if source is None:
            error, status = "Choose the record to merge into this one.", 422
        else:
            try:
                result = patient_merge(
                    actor=request.user, source=source, target=target, request=request, channel="web"
                )
            except DomainError as exc:
                error = exc.message
                status = exc.status_code
            else:
                moved = sum(result.moved.values())
                messages.success(
                    request,
                    f"{source.full_name}'s record (born {_day(source.birth_date)}) is merged into this one: "
                    f"{moved} item{'s' if moved != 1 else ''} moved. It can be undone from “Merge a duplicate record”.",
                )
                return redirect("patient-detail", target.public_id)
    query = (data.get("q") or "").strip()[:100]
    results: list[Patient] = []
    if query:
        condition = Q()
        for term in query.split()[:4]:
            condition &= (
                Q(given_name__icontains=term) | Q(family_name__icontains=term) | Q(phone__icontains=term)
            )
        results = list(
            patient_scope(request.user).filter(condition).exclude(pk=target.pk).order_by("family_name")[:20]
        )
    suspects = _suspected_duplicates(target)
    merged = list(merged_patient_scope(request.user).filter(merged_into=target).order_by("-updated_at"))
    sides = None
    if source is not None and source.pk != target.pk:
        sides = {"target": _side(request, target), "source": _side(request, source)}
    shown = [target, *results, *suspects, *merged, *([source] if source else [])]
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="patient",
        patient_ids=list(dict.fromkeys(p.public_id for p in shown)),
        channel="web",
        request=request,
        detail={"view": "patient-merge"},
    )
    context = {
        "patient": target,
        "source": source,
        "query": query,
        "results": results,
        "suspects": _merge_links(target, suspects),
        "merged": merged,
        "sides": sides,
        "warnings": _merge_warnings(sides["target"], sides["source"]) if sides else [],
        "error": error,
    }
    return render(request, "patients/merge.html", context, status=status)


@role_required(*STAFF_ROLES)
def patient_unmerge_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Undo the merge of a record (POST): its rows go back to it, as the audit trail recorded them."""
    source = get_in_scope_or_404(merged_patient_scope(request.user), public_id, request=request)
    target = source.merged_into
    if request.method != "POST":
        return redirect("patient-merge", target.public_id) if target else redirect("patient-search")
    try:
        result = patient_unmerge(actor=request.user, source=source, request=request, channel="web")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("patient-merge", target.public_id) if target else redirect("patient-search")
    messages.success(
        request,
        f"The merge is undone: {result.source.full_name}'s record is separate again "
        f"({sum(result.moved.values())} items moved back).",
    )
    return redirect("patient-detail", result.source.public_id)
