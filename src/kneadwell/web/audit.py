"""Audit helpers the pages share (the trail itself: accounts.audit)."""

from __future__ import annotations

from collections.abc import Iterable

from kneadwell.accounts.models import AuditAction
from kneadwell.accounts.services import audit_record
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
