"""Writes for intakes: the front desk's first call and the patient's online form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from kneadwell.accounts.models import CARE_ROLES, Role, User
from kneadwell.knowledge import catalogue
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.clock import latest_possible_today
from kneadwell.lib.errors import DomainError, FieldErrors
from kneadwell.patients.models import Patient
from kneadwell.patients.services import PREFERENCE_FIELDS, patient_create, patient_update
from kneadwell.referrals.models import Referral

from .models import InflammationCheck, Intake, IntakeChannel
from .schemas import HealthAnswersIn
from .selectors import screening_gate


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


# --- The clinical gate -------------------------------------------------------------------------


def require_clear(*, patient: Patient, on: dt.date, what: str = "The visit", field: str = "patient") -> None:
    """Refuse (422) anything that needs the visit on the local date `on` to go ahead, while screening holds it.

    The one check the plan of care's approval and the booking service make (the session plan asks the
    same gate itself): a referral out, a deferral or a clearance the whole visit waits for. The message
    says what holds it and what would unblock it.
    """
    try:
        gate = screening_gate(patient, on)
    except ValueError as exc:  # stored data that cannot be screened for that date
        raise DomainError(str(exc), field=field) from exc
    if not gate.clear:
        raise DomainError(gate.message(what), field=field, code="screening_hold")


# --- Clinician's examination of an acute injury --------------------------------------------------


@transaction.atomic
def inflammation_check_record(
    *,
    actor: User,
    patient: Patient,
    area: AreaIn,
    checked_on: dt.date,
    clinician_name: str,
    reason: str,
) -> InflammationCheck:
    """Record that a clinician examined an acute injury and found no signs of inflammation.

    It lifts the first-72-hours hold at that area (issue 7). The clinician's name and the reason are
    required (422 naming the field otherwise); nothing is written unless every field is valid.
    """
    # The care roles (therapists, front desk, clinic admins): the desk may enter a doctor's note. A
    # named `rules` permission (accounts/rules.py) can replace this check when one is added there.
    if actor.role not in CARE_ROLES:
        raise PermissionDenied("You do not have permission to record an examination: the clinic does that.")
    clinician_name, reason = clinician_name.strip(), reason.strip()
    if not clinician_name:
        raise DomainError("Name the clinician who examined the area.", field="clinician_name")
    if len(clinician_name) > 150:
        raise DomainError("The clinician's name is at most 150 characters.", field="clinician_name")
    if not reason:
        raise DomainError(
            "Say what the examination found (for example: no heat, redness or swelling).", field="reason"
        )
    if len(reason) > 2000:
        raise DomainError("The reason is at most 2000 characters.", field="reason")
    if checked_on > latest_possible_today():
        raise DomainError("The examination date cannot be in the future.", field="checked_on")
    check = InflammationCheck(
        patient=patient,
        region=area.region,
        side=area.side or "",
        checked_on=checked_on,
        clinician_name=clinician_name,
        reason=reason,
        recorded_by=actor,
    )
    check.full_clean(exclude=["patient", "recorded_by"])
    check.save()
    return check
