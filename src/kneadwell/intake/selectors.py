"""Reads for intakes, and the one place a patient's screening input is assembled."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.referrals.models import Clearance, ClearanceStatus, Referral, ReferralStatus

from .models import Intake
from .schemas import AreaIn, DiagnosisIn, HealthAnswersIn
from .screening import types as t

# Referrals that still describe the patient's care.
OPEN_REFERRAL_STATUSES = (
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.SCHEDULED,
    ReferralStatus.IN_CARE,
)


def intake_scope(user) -> QuerySet[Intake]:  # type: ignore[no-untyped-def]
    return Intake.objects.filter(patient__in=patient_scope(user)).select_related("patient", "recorded_by")


def latest_intake(patient: Patient) -> Intake | None:
    return patient.intakes.order_by("-created_at", "-id").first()


def _diagnoses(patient: Patient, intake: Intake | None) -> list[DiagnosisIn]:
    """Diagnoses from the latest intake and the open referrals, one per (condition, side), intake first."""
    raw: list[dict] = list(intake.diagnoses) if intake else []
    referrals = Referral.objects.filter(patient=patient, status__in=OPEN_REFERRAL_STATUSES).order_by(
        "-received_on"
    )
    for referral in referrals:
        raw.extend(referral.diagnoses)
    seen: set[tuple[str, str | None]] = set()
    out: list[DiagnosisIn] = []
    for item in raw:
        diagnosis = DiagnosisIn.model_validate(item)
        key = (diagnosis.condition, diagnosis.side)
        if key not in seen:
            seen.add(key)
            out.append(diagnosis)
    return out


def _areas(patient: Patient, intake: Intake | None, diagnoses: list[DiagnosisIn]) -> list[t.Area]:
    raw: list[dict] = list(intake.areas) if intake else []
    if not raw:
        referral = Referral.objects.filter(patient=patient, status__in=OPEN_REFERRAL_STATUSES).first()
        raw = list(referral.areas) if referral else []
    areas = [AreaIn.model_validate(a).to_engine() for a in raw]
    for diagnosis in diagnoses:
        areas.extend(a.to_engine() for a in diagnosis.areas)
    return list(dict.fromkeys(areas))  # unique, in priority order


def clearance_grants(patient: Patient) -> tuple[t.ClearanceGrant, ...]:
    rows = Clearance.objects.filter(patient=patient, status=ClearanceStatus.GRANTED, granted_on__isnull=False)
    return tuple(
        t.ClearanceGrant(
            scope=c.scope,
            area=t.Area(c.region, c.side or None) if c.region else None,
            granted=c.granted_on,  # type: ignore[arg-type]
            expires=c.expires_on,
        )
        for c in rows
    )


def screening_input_for(patient: Patient, on: dt.date) -> t.ScreeningInput:
    """Everything the screening rules need to know about `patient` for a session on `on` (local date)."""
    intake = latest_intake(patient)
    diagnoses = _diagnoses(patient, intake)
    answers = (
        HealthAnswersIn.model_validate(intake.answers) if intake and intake.answers else HealthAnswersIn()
    )
    return t.ScreeningInput(
        on=on,
        birth_date=patient.birth_date,
        diagnoses=tuple(d.to_engine() for d in diagnoses),
        areas=tuple(_areas(patient, intake, diagnoses)),
        answers=answers.to_engine(),
        clearances=clearance_grants(patient),
    )


def screening_for(patient: Patient, on: dt.date) -> t.ScreeningResult:
    """The screening decision for a session with `patient` on the local date `on`."""
    from .screening import screen

    return screen(screening_input_for(patient, on))
