"""Reads for intakes, and the one place a patient's screening input is assembled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Exists, OuterRef, QuerySet
from pydantic import BaseModel

from kneadwell.accounts.models import Viewer
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import in_patient_scope
from kneadwell.referrals.models import Clearance, ClearanceStatus, Referral, ReferralStatus

from .models import InflammationCheck, Intake
from .schemas import HealthAnswersIn
from .screening import GateResult, screen, visit_gate
from .screening import types as t

S = TypeVar("S", bound=BaseModel)

# Referrals that still describe the patient's care.
OPEN_REFERRAL_STATUSES = (
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.SCHEDULED,
    ReferralStatus.IN_CARE,
)


@dataclass(frozen=True)
class StoredRecords:
    """Which kinds of stored record `screening_input` reads the patient has at all.

    A caller that already asked (with `stored_records_exist()`, folded into a query of its own, as the
    booking gate does) passes this so that the kinds the patient has none of are not read: a new
    client costs no query here. The default reads every kind.
    """

    intake: bool = True
    referrals: bool = True
    clearances: bool = True
    inflammation_checks: bool = True


def stored_records_exist() -> dict[str, Exists]:
    """Annotations for a Patient queryset: whether each kind of record `screening_input` reads exists
    (the same filters as the reads below), named `has_` + a `StoredRecords` field."""
    patient = OuterRef("pk")
    return {
        "has_intake": Exists(Intake.objects.filter(patient=patient)),
        "has_referrals": Exists(Referral.objects.filter(patient=patient, status__in=OPEN_REFERRAL_STATUSES)),
        "has_clearances": Exists(
            Clearance.objects.filter(
                patient=patient, status=ClearanceStatus.GRANTED, granted_on__isnull=False
            )
        ),
        "has_inflammation_checks": Exists(InflammationCheck.objects.filter(patient=patient)),
    }


def intake_scope(user: Viewer) -> QuerySet[Intake]:
    return Intake.objects.filter(in_patient_scope(user)).select_related("patient", "recorded_by")


def latest_intake(patient: Patient) -> Intake | None:
    return patient.intakes.order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class PendingIntake:
    """What a caller has entered but not saved yet (the first-call script, as the desk types).

    It stands in for the patient's latest stored intake; the referral it is about, if any, is put first.
    """

    diagnoses: tuple[DiagnosisIn, ...] = ()
    areas: tuple[AreaIn, ...] = ()
    answers: HealthAnswersIn = field(default_factory=HealthAnswersIn)
    referral: Referral | None = None


def open_referrals(patient: Patient | None, *, first: Referral | None = None) -> list[Referral]:
    """The patient's referrals that still describe their care, newest first (`first` ahead of the rest)."""
    if patient is None:
        return [first] if first is not None else []
    found = list(
        Referral.objects.filter(patient=patient, status__in=OPEN_REFERRAL_STATUSES)
        .select_related("provider")
        .order_by("-received_on", "-id")
    )
    if first is not None:
        found = [first, *[r for r in found if r.pk != first.pk]]
    return found


def _valid(schema: type[S], raw: object) -> S | None:
    # Stored JSON was validated on the way in; a row from an older catalogue never breaks screening.
    try:
        return schema.model_validate(raw)
    except ValueError:
        return None


def merged_diagnoses(
    intake_diagnoses: Iterable[DiagnosisIn], referrals: Iterable[Referral]
) -> list[DiagnosisIn]:
    """One diagnosis per (condition, side): the intake's first, then the referrals' in order.

    A later mention of the same condition fills what the earlier one left out: the patient's own form
    names "whiplash" without a code, and the referral's ICD-10-CM code and onset must not be lost.
    """
    merged: dict[tuple[str, str | None], DiagnosisIn] = {}
    candidates = [*intake_diagnoses]
    for referral in referrals:
        candidates += [d for d in (_valid(DiagnosisIn, raw) for raw in referral.diagnoses) if d is not None]
    for diagnosis in candidates:
        key = (diagnosis.condition, diagnosis.side)
        known = merged.get(key)
        if known is None:
            merged[key] = diagnosis
            continue
        merged[key] = known.model_copy(
            update={
                "icd10": known.icd10 or diagnosis.icd10,
                "onset": known.onset or diagnosis.onset,
                "areas": known.areas or diagnosis.areas,
            }
        )
    return list(merged.values())


def screening_input(
    *,
    patient: Patient | None,
    on: dt.date,
    pending: PendingIntake | None = None,
    birth_date: dt.date | None = None,
    stored_records: StoredRecords | None = None,
) -> t.ScreeningInput:
    """Everything the screening rules need for a session on the local date `on`: the one assembler.

    From what is stored (the latest intake, the open referrals' diagnoses and areas, the clearances in
    force) plus what the caller has not saved yet (`pending` replaces the latest intake). `patient` is
    None for a new caller, whose `birth_date` is given. `stored_records` (see `StoredRecords`) skips the
    reads of kinds the patient has none of.
    """
    has = stored_records or StoredRecords()
    stored = latest_intake(patient) if patient is not None and pending is None and has.intake else None
    if pending is None:
        pending = PendingIntake(
            diagnoses=tuple(d for d in (_valid(DiagnosisIn, r) for r in stored.diagnoses) if d)
            if stored
            else (),
            areas=tuple(a for a in (_valid(AreaIn, r) for r in stored.areas) if a) if stored else (),
            answers=(_valid(HealthAnswersIn, stored.answers) or HealthAnswersIn())
            if stored and stored.answers
            else HealthAnswersIn(),
            referral=stored.referral if stored else None,
        )
    referrals = open_referrals(patient if has.referrals else None, first=pending.referral)
    diagnoses = merged_diagnoses(pending.diagnoses, referrals)
    areas = [a.to_engine() for a in pending.areas]
    if not areas and referrals:
        areas = [a.to_engine() for a in (_valid(AreaIn, r) for r in referrals[0].areas) if a]
    for diagnosis in diagnoses:
        areas += [a.to_engine() for a in diagnosis.areas]
    return t.ScreeningInput(
        on=on,
        birth_date=patient.birth_date if patient is not None else birth_date,
        diagnoses=tuple(d.to_engine() for d in diagnoses),
        areas=tuple(dict.fromkeys(areas)),  # unique, in priority order
        answers=pending.answers.to_engine(),
        clearances=clearance_grants(patient) if patient is not None and has.clearances else (),
        inflammation_checks=inflammation_checks(patient)
        if patient is not None and has.inflammation_checks
        else (),
    )


def clearance_grants(patient: Patient) -> tuple[t.ClearanceGrant, ...]:
    rows = Clearance.objects.filter(
        patient=patient, status=ClearanceStatus.GRANTED, granted_on__isnull=False
    ).select_related("provider")
    return tuple(
        t.ClearanceGrant(
            scope=c.scope,
            area=t.Area(c.region, c.side or None) if c.region else None,
            granted=c.granted_on,  # type: ignore[arg-type]  # not None: filtered on granted_on__isnull=False
            expires=c.expires_on,
            flag=c.flag,
            provider=c.provider.name,
            note=c.note,
        )
        for c in rows
    )


def inflammation_checks(patient: Patient) -> tuple[t.InflammationCheck, ...]:
    """The clinicians' recorded examinations of the patient's acute injuries (no inflammation signs)."""
    return tuple(
        t.InflammationCheck(
            area=t.Area(c.region, c.side or None),
            on=c.checked_on,
            clinician=c.clinician_name,
            reason=c.reason,
        )
        for c in InflammationCheck.objects.filter(patient=patient)
    )


def screening_for(patient: Patient, on: dt.date) -> t.ScreeningResult:
    """The screening decision for a session with `patient` on the local date `on`, from what is stored."""
    return screen(screening_input(patient=patient, on=on))


def screening_gate(patient: Patient, on: dt.date) -> GateResult:
    """Whether a visit with `patient` on the local date `on` may go ahead at all, from what is stored.

    Raises ValueError when the stored data cannot be screened for that date (an onset after it).
    """
    return visit_gate(screening_for(patient, on))
