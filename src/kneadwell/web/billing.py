"""The superbill of a visit: page and PDF (clinic staff and therapists)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from kneadwell.accounts.models import CARE_ROLES, AuditAction
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.billing.superbill import SEVENTH_RULE, superbill_for, superbill_pdf
from kneadwell.lib.errors import Conflict
from kneadwell.scheduling.models import Appointment
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.web.base import AuthenticatedRequest, role_required


def _audit(request: AuthenticatedRequest, appointment: Appointment) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="superbill",
        object_id=appointment.public_id,
        patient_ids=[appointment.patient.public_id],
        channel="web",
        request=request,
    )


@role_required(*CARE_ROLES)
def superbill_page(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    appointment = get_in_scope_or_404(appointment_scope(request.user), public_id, request=request)
    try:
        bill = superbill_for(appointment)
    except Conflict as exc:
        return render(
            request, "billing/superbill.html", {"appointment": appointment, "error": exc.message}, status=409
        )
    _audit(request, appointment)
    return render(
        request,
        "billing/superbill.html",
        {"appointment": appointment, "bill": bill, "seventh_rule": SEVENTH_RULE},
    )


@role_required(*CARE_ROLES)
def superbill_pdf_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    appointment = get_in_scope_or_404(appointment_scope(request.user), public_id, request=request)
    try:
        bill = superbill_for(appointment)
    except Conflict as exc:
        return render(
            request, "billing/superbill.html", {"appointment": appointment, "error": exc.message}, status=409
        )
    _audit(request, appointment)
    response = HttpResponse(superbill_pdf(bill), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="superbill-{bill.day}.pdf"'
    return response
