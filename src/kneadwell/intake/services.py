"""Writes for intakes: the front desk's first call and the patient's online form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from kneadwell.accounts.models import Role, User
from kneadwell.knowledge import catalogue
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.clock import latest_possible_today
from kneadwell.lib.errors import DomainError, FieldErrors
from kneadwell.patients.models import Patient
from kneadwell.patients.services import PREFERENCE_FIELDS, patient_create, patient_update
from kneadwell.referrals.models import Referral

from .models import Intake, IntakeChannel
from .schemas import HealthAnswersIn


def _whole_body(diagnoses: Sequence[DiagnosisIn]) -> bool:
    """Every condition is worked on the whole body (relaxation): there is no area of concern to mark."""
    conditions = catalogue.conditions()
    return bool(diagnoses) and all(conditions[d.condition].regions_scope == "whole_body" for d in diagnoses)


@dataclass(frozen=True)
class NewPatient:
    """A first caller's details, as the front desk takes them down."""

    given_name: str
    family_name: str
    birth_date: dt.date | None
    phone: str = ""
    email: str = ""


@transaction.atomic
def intake_record(
    *,
    actor: User,
    patient: Patient | None,
    new_patient: NewPatient | None = None,
    channel: str,
    chief_complaint: str,
    areas: Sequence[AreaIn] = (),
    diagnoses: Sequence[DiagnosisIn] = (),
    referral_reason: str = "",
    onset: dt.date | None = None,
    prior_treatments: str = "",
    goals: str = "",
    answers: HealthAnswersIn | None = None,
    preferences: Mapping[str, object] | None = None,
    referral: Referral | None = None,
) -> Intake:
    """Record an intake and, when given, the preferences it captured (pressure, lighting, music, gender).

    The front desk records calls for any patient; a patient fills their own form. A first call from
    someone who is not a patient yet registers them (`new_patient`) in the same
    transaction: both are saved, or neither.
    """
    if patient is None:
        if new_patient is None:
            raise DomainError("Choose the patient, or register a new one.", field="patient")
        try:
            patient = patient_create(
                actor=actor,
                given_name=new_patient.given_name,
                family_name=new_patient.family_name,
                birth_date=new_patient.birth_date,
                phone=new_patient.phone,
                email=new_patient.email,
            )
        except ValidationError as exc:
            raise FieldErrors(
                "The new patient's details need fixing.",
                errors={f"new_{name}": msgs for name, msgs in exc.message_dict.items()},
            ) from exc
    if not actor.has_perm("intake.add_intake", patient):
        raise PermissionDenied("You do not have permission to record this intake.")
    if actor.role == Role.PATIENT:
        channel = IntakeChannel.ONLINE
    if not chief_complaint.strip():
        raise DomainError("Say what should be worked on.", field="chief_complaint")
    if not areas and not any(d.areas for d in diagnoses) and not _whole_body(diagnoses):
        raise DomainError("Mark at least one area to work on.", field="areas")
    if referral is not None and referral.patient_id != patient.pk:
        raise DomainError("That referral is for another patient.", field="referral")
    if onset is not None and onset > latest_possible_today():
        raise DomainError("The onset date cannot be in the future.", field="onset")
    if preferences:
        unknown = sorted(set(preferences) - set(PREFERENCE_FIELDS))
        if unknown:
            raise DomainError(f"Not a preference: {', '.join(unknown)}.", field=f"preferences.{unknown[0]}")
        patient_update(actor=actor, patient=patient, data=dict(preferences))
    intake = Intake(
        patient=patient,
        referral=referral,
        channel=channel,
        recorded_by=actor,
        chief_complaint=chief_complaint,
        referral_reason=referral_reason,
        areas=[a.model_dump(mode="json") for a in areas],
        diagnoses=[d.model_dump(mode="json") for d in diagnoses],
        onset=onset,
        prior_treatments=prior_treatments,
        goals=goals,
        answers=(answers or HealthAnswersIn()).model_dump(mode="json"),
    )
    intake.full_clean(exclude=["patient", "referral", "recorded_by"])
    intake.save()
    return intake
