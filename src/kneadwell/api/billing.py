"""The superbill of a visit (issue 11, item 7): JSON, or a PDF with `Accept: application/pdf`."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from kneadwell.accounts.models import AuditAction, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.billing.superbill import SEVENTH_RULE, Superbill, superbill_for, superbill_pdf
from kneadwell.scheduling.selectors import appointment_scope

from .outcomes import PDF, PDF_CONTENT, wants_pdf
from .schemas import DETAIL_ERRORS, ErrorOut

router = Router(tags=["billing"])


class SuperbillCodeOut(Schema):
    code: str
    label: str
    minutes: int
    units: int


class SuperbillDiagnosisOut(Schema):
    code: str
    title: str
    note: str


class SuperbillLicenceOut(Schema):
    title: str
    jurisdiction: str
    number: str
    expires: dt.date


class ProviderOut(Schema):
    name: str
    npi: str | None


class SuperbillOut(Schema):
    appointment_id: UUID
    date: dt.date
    patient: str
    patient_birth_date: dt.date
    location: str
    rendering_therapist: str
    licence: SuperbillLicenceOut | None
    referring_provider: ProviderOut | None
    payer: str
    rule: Literal["cms_8_minute", "cpt_midpoint"]
    codes: list[SuperbillCodeOut]
    total_timed_minutes: int
    total_treatment_minutes: int
    total_units: int
    steps: list[str]
    diagnoses: list[SuperbillDiagnosisOut]
    seventh_character_rule: str
    cautions: list[str]
    note_version: int


def superbill_out(bill: Superbill) -> SuperbillOut:
    a = bill.appointment
    lic = bill.licence
    ref = bill.referral
    return SuperbillOut(
        appointment_id=a.public_id,
        date=bill.day,
        patient=a.patient.full_name,
        patient_birth_date=a.patient.birth_date,
        location=a.location.name,
        rendering_therapist=a.therapist.full_name,
        licence=SuperbillLicenceOut(
            title=lic.title, jurisdiction=lic.jurisdiction, number=lic.number, expires=lic.expires
        )
        if lic
        else None,
        referring_provider=ProviderOut(name=ref.provider.name, npi=ref.provider.npi or None) if ref else None,
        payer=bill.payer,
        rule=bill.rule.value,
        codes=[
            SuperbillCodeOut(code=c.code, label=c.label, minutes=c.minutes, units=c.units) for c in bill.codes
        ],
        total_timed_minutes=bill.result.total_timed_minutes,
        total_treatment_minutes=bill.total_treatment_minutes,
        total_units=bill.total_units,
        steps=list(bill.result.steps),
        diagnoses=[SuperbillDiagnosisOut(code=d.code, title=d.title, note=d.note) for d in bill.diagnoses],
        seventh_character_rule=SEVENTH_RULE,
        cautions=bill.cautions,
        note_version=bill.version.number,
    )


@router.get(
    "/appointments/{id}/superbill",
    response={200: SuperbillOut, 403: ErrorOut, 409: ErrorOut, **DETAIL_ERRORS},
    openapi_extra={"responses": PDF_CONTENT},
    summary="The visit's superbill: CPT units by the payer's rule, ICD-10-CM codes, licence, referrer (staff, therapists)",
)
def get_superbill(request: HttpRequest, id: UUID) -> HttpResponse | SuperbillOut:
    appointment = get_in_scope_or_404(appointment_scope(request.user), id, request=request)
    if not request.user.has_perm("billing.view_superbill", appointment):
        raise PermissionDenied("You do not have permission to see superbills: they are for the clinic.")
    bill = superbill_for(appointment)
    audit_record(
        actor=request.user if isinstance(request.user, User) else None,
        action=AuditAction.READ,
        object_type="superbill",
        object_id=appointment.public_id,
        patient_ids=[appointment.patient.public_id],
        channel="api",
        request=request,
    )
    if wants_pdf(request):
        response = HttpResponse(superbill_pdf(bill), content_type=PDF)
        response["Content-Disposition"] = f'inline; filename="superbill-{appointment.public_id}.pdf"'
        return response
    return superbill_out(bill)
