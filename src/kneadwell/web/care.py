"""The clinical part of the patient page and its actions: session plan, plan of care, hand-off and
clearance requests, for therapists and clinic staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from kneadwell.accounts.models import CARE_ROLES, STAFF_ROLES, AuditAction, Role, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.charting.selectors import plan_inputs
from kneadwell.lib.errors import DomainError, FieldErrors
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.planning.services import care_plan_approve, care_plan_draft, care_plan_update, handoff_create
from kneadwell.referrals.models import ReferringProvider
from kneadwell.referrals.services import NewProvider, care_team_add, clearance_request
from kneadwell.scheduling.overview import care_overview
from kneadwell.therapists.models import Therapist
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.intake_forms import parse_area
from kneadwell.web.presenters import care_sections


def care_context(
    request: AuthenticatedRequest,
    patient: Patient,
    *,
    service_code: str = "",
    errors: dict[str, dict[str, list[str]]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The clinical sections of the patient page, in words for the template."""
    overview = care_overview(
        patient=patient,
        viewer=request.user,
        service_code=service_code,
        **plan_inputs(patient),
    )
    return {
        **care_sections(overview),
        "form_errors": errors or {},
        "form_values": values or {},
    }


def _patient(request: AuthenticatedRequest, public_id: str) -> Patient:
    return get_in_scope_or_404(patient_scope(request.user), public_id, request=request)


def _audit(
    request: AuthenticatedRequest, patient: Patient, action: str, object_type: str, obj: Any, view: str
) -> None:
    audit_record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", obj),
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": view},
    )


def _rerender(
    request: AuthenticatedRequest, patient: Patient, form: str, exc: DomainError, values: dict[str, str]
) -> HttpResponse:
    # 422 for input to fix; 409 (a Conflict) when the state changed under the request, e.g. a
    # plan of care someone else has just approved.
    return _rerender_fields(
        request, patient, form, {exc.field or "general": [exc.message]}, values, status=exc.status_code
    )


def _rerender_fields(
    request: AuthenticatedRequest,
    patient: Patient,
    form: str,
    errors: dict[str, list[str]],
    values: dict[str, str],
    *,
    status: int = 422,
) -> HttpResponse:
    """The patient page again with the form's errors by field and what was typed (422, or 409)."""
    from kneadwell.web.patients import patient_detail_response  # the patient page includes these sections

    return patient_detail_response(
        request, patient, errors={form: errors}, values={form: values}, status=status
    )


@role_required(*CARE_ROLES)
def session_plan_partial(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The next-session plan for another service (htmx swaps the section; without JS the whole page reloads)."""
    patient = _patient(request, public_id)
    if not getattr(request, "htmx", False):
        url = f"{request.path.rsplit('session-plan/', 1)[0]}?care=1&service={request.GET.get('service', '')}#plan-heading"
        return redirect(url)
    context = care_context(request, patient, service_code=request.GET.get("service", ""))
    _audit(request, patient, AuditAction.READ, "session_plan", patient, "session-plan")
    return render(
        request, "patients/includes/care_sections.html#session-plan", {"patient": patient, **context}
    )


@role_required(*CARE_ROLES)
def care_plan_create(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {k: request.POST.get(k, "").strip() for k in ("frequency_per_week", "weeks", "notes")}
    try:
        numbers: dict[str, int | None] = {}
        for name in ("frequency_per_week", "weeks"):
            numbers[name] = None
            if values[name]:
                if not values[name].isdigit():
                    raise DomainError("Enter a whole number.", field=name)
                numbers[name] = int(values[name])
        # One draft at a time: new numbers edit the open draft rather than pile up drafts.
        draft = patient.care_plans.filter(status=CarePlanStatus.DRAFT).order_by("-created_at", "-id").first()
        if draft is not None:
            plan = care_plan_update(
                actor=request.user,
                plan=draft,
                notes=values["notes"][:4000],
                frequency_per_week=numbers["frequency_per_week"],
                weeks=numbers["weeks"],
            )
        else:
            plan = care_plan_draft(
                actor=request.user,
                patient=patient,
                notes=values["notes"][:4000],
                frequency_per_week=numbers["frequency_per_week"],
                weeks=numbers["weeks"],
            )
    except DomainError as exc:
        return _rerender(request, patient, "care_plan", exc, values)
    except ValidationError as exc:  # a model validator (e.g. 9 sessions a week) answers as a field error
        field, message = next(iter(exc.message_dict.items()))
        return _rerender(request, patient, "care_plan", DomainError(message[0], field=field), values)
    _audit(request, patient, AuditAction.CREATE, "care_plan", plan, "care-plan-draft")
    messages.success(request, "Plan of care drafted. Check it and approve it when it is right.")
    return redirect(f"/patients/{patient.public_id}/#care-plan-heading")


@role_required(Role.THERAPIST)
def care_plan_approve_view(request: AuthenticatedRequest, public_id: str, plan_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    plan = get_in_scope_or_404(CarePlan.objects.filter(patient=patient), plan_id, request=request)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    try:
        care_plan_approve(actor=request.user, plan=plan)
    except DomainError as exc:
        return _rerender(request, patient, "care_plan", exc, {})
    _audit(request, patient, AuditAction.UPDATE, "care_plan", plan, "care-plan-approve")
    messages.success(request, "Plan of care approved: it is now the patient's active plan.")
    return redirect(f"/patients/{patient.public_id}/#care-plan-heading")


@role_required(Role.THERAPIST)
def handoff_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {
        "to_therapist": request.POST.get("to_therapist", ""),
        "note": request.POST.get("note", "")[:2000],
    }
    try:
        colleague = Therapist.objects.filter(active=True, public_id=_uuid(values["to_therapist"])).first()
        if colleague is None:
            raise DomainError("Choose a colleague from the list.", field="to_therapist")
        # The reasons shown when handing off, recomputed here rather than trusted from the form.
        overview = care_overview(patient=patient, viewer=request.user, **plan_inputs(patient))
        offered = (care_sections(overview)["handoff"] or {}).get("colleagues", [])
        reasons: list[str] = next((c["reasons"] for c in offered if c["id"] == str(colleague.public_id)), [])
        handoff = handoff_create(
            actor=request.user, patient=patient, to_therapist=colleague, note=values["note"], reasons=reasons
        )
    except DomainError as exc:
        return _rerender(request, patient, "handoff", exc, values)
    _audit(request, patient, AuditAction.CREATE, "handoff", handoff, "handoff")
    messages.success(request, f"{patient.full_name} is handed to {colleague.full_name}, with your note.")
    return redirect("patient-detail", patient.public_id)


def _uuid(value: str) -> Any:
    from kneadwell.accounts.scoping import parse_public_id

    return parse_public_id(value)


@role_required(*CARE_ROLES)
def clearance_request_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {k: request.POST.get(k, "").strip() for k in ("provider", "scope", "area", "note", "flag")}
    try:
        # The service refuses a provider outside the patient's care team; this only resolves the id.
        provider = ReferringProvider.objects.filter(public_id=_uuid(values["provider"])).first()
        if provider is None:
            raise DomainError("Choose the provider to ask.", field="provider")
        area = None
        if values["area"]:
            try:
                area = parse_area(values["area"])
            except Exception as exc:
                raise DomainError(str(exc).splitlines()[-1], field="area") from exc
        clearance = clearance_request(
            actor=request.user,
            patient=patient,
            provider=provider,
            scope=values["scope"],
            area=area,
            note=values["note"][:2000],
            flag=values["flag"][:60],
        )
    except DomainError as exc:
        return _rerender(request, patient, "clearance", exc, values)
    _audit(request, patient, AuditAction.CREATE, "clearance", clearance, "clearance-request")
    messages.success(request, f"Asked {provider.name} for the clearance; it waits in their portal.")
    return redirect("patient-detail", patient.public_id)


NEW_PROVIDER_FIELDS = ("name", "kind", "organisation", "phone", "fax", "email", "npi")


@role_required(*STAFF_ROLES)
def care_team_add_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Add a referring or treating provider (e.g. the surgeon) to the patient's care team."""
    patient = _patient(request, public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {k: request.POST.get(k, "").strip()[:200] for k in ("provider", "role", "note")}
    values |= {f"new_{k}": request.POST.get(f"new_{k}", "").strip()[:150] for k in NEW_PROVIDER_FIELDS}
    try:
        provider = None
        if values["provider"]:
            provider = ReferringProvider.objects.filter(public_id=_uuid(values["provider"])).first()
            if provider is None:
                raise DomainError("Choose a provider from the list.", field="provider")
        new = None
        if provider is None and values["new_name"]:
            new = NewProvider(**{k: values[f"new_{k}"] for k in NEW_PROVIDER_FIELDS})
        member = care_team_add(
            actor=request.user,
            patient=patient,
            role=values["role"],
            provider=provider,
            new_provider=new,
            note=values["note"],
        )
    except FieldErrors as exc:
        return _rerender_fields(request, patient, "care_team", exc.errors, values)
    except DomainError as exc:
        return _rerender(request, patient, "care_team", exc, values)
    _audit(request, patient, AuditAction.CREATE, "care_team_member", member.provider, "care-team-add")
    messages.success(request, f"{member.provider.name} is on {patient.full_name}'s care team.")
    return redirect(f"/patients/{patient.public_id}/?care=1#care-team-heading")


def user_is_care_staff(user: User) -> bool:
    return getattr(user, "role", None) in CARE_ROLES
