"""A clinician's examination of a fresh injury, recorded from the patient page (issue 7, item 5)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from kneadwell.accounts.models import AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.selectors import clinic_today
from kneadwell.intake.services import inflammation_check_record
from kneadwell.lib.errors import DomainError
from kneadwell.patients.selectors import patient_scope
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.intake_forms import parse_area

FORM = "inflammation"


@role_required(Role.THERAPIST, Role.FRONT_DESK, Role.CLINIC_ADMIN)
def inflammation_check_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Record that a clinician found no inflammation signs at an area held by the first-72-hours rule."""
    from kneadwell.web.patients import patient_detail_response

    patient = get_in_scope_or_404(patient_scope(request.user), public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {k: request.POST.get(k, "").strip() for k in ("area", "clinician_name", "reason")}
    try:
        try:
            area = parse_area(values["area"])
        except ValueError as exc:
            raise DomainError(str(exc).splitlines()[-1], field="area") from exc
        check = inflammation_check_record(
            actor=request.user,
            patient=patient,
            area=area,
            checked_on=clinic_today(),
            clinician_name=values["clinician_name"],
            reason=values["reason"],
        )
    except DomainError as exc:
        errors = {FORM: {exc.field or "general": [exc.message]}}
        return patient_detail_response(request, patient, errors=errors, values={FORM: values}, status=422)
    audit_record(
        actor=request.user,
        action=AuditAction.CREATE,
        object_type="inflammation_check",
        object_id=check.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": "inflammation-check"},
    )
    messages.success(request, f"Recorded: {check.clinician_name} found no inflammation signs.")
    return redirect(f"/patients/{patient.public_id}/#inflammation-heading")
