"""Audit helpers the pages share (the trail itself: accounts.audit)."""

from __future__ import annotations

from collections.abc import Iterable

from kneadwell.accounts.models import AuditAction
from kneadwell.accounts.services import audit_record
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment
from kneadwell.web.base import AuthenticatedRequest


def audit_appointments_read(
    request: AuthenticatedRequest, appointments: Iterable[Appointment], view: str, **detail: str
) -> None:
    """One read event naming every patient whose appointments a page shows; none when it shows none."""
    patient_ids = sorted({str(a.patient.public_id) for a in appointments})
    if patient_ids:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="appointment",
            patient_ids=patient_ids,
            channel="web",
            request=request,
            detail={"view": view, **detail},
        )


def audit_patients_read(request: AuthenticatedRequest, patients: Iterable[Patient | None], view: str) -> None:
    """One read event naming each patient a page shows (the patient as its object when it shows one);
    none when it shows none."""
    ids = list(dict.fromkeys(str(p.public_id) for p in patients if p is not None))
    if ids:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="patient",
            object_id=ids[0] if len(ids) == 1 else "",
            patient_ids=ids,
            channel="web",
            request=request,
            detail={"view": view},
        )
