"""Reads that bring the care pathway together for one patient: matches and session plans."""

from __future__ import annotations

import datetime as dt

from kneadwell.clinic.models import Location, Service
from kneadwell.intake.selectors import screening_input_for
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.therapists.matching import MatchRequest, MatchResult, match
from kneadwell.therapists.models import Therapist
from kneadwell.therapists.selectors import therapist_profiles

from .models import CarePlan, CarePlanStatus


def current_therapist(patient: Patient) -> Therapist | None:
    """The therapist of the active plan of care, else of the most recent appointment that was not cancelled."""
    plan = (
        CarePlan.objects.filter(patient=patient, status=CarePlanStatus.ACTIVE, therapist__isnull=False)
        .select_related("therapist")
        .order_by("-approved_at", "-id")
        .first()
    )
    if plan is not None:
        return plan.therapist
    appointment = (
        Appointment.objects.filter(patient=patient)
        .exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW))
        .select_related("therapist")
        .order_by("-start")
        .first()
    )
    return appointment.therapist if appointment else None


def patient_matches(
    *, patient: Patient, service: Service, location: Location, on: dt.date, needs_intraoral: bool = False
) -> MatchResult:
    """Therapists for this patient's conditions at `location` on `on`, best first, with the excluded and why."""
    inp = screening_input_for(patient, on)
    current = current_therapist(patient)
    required_gender = (
        patient.therapist_gender if patient.therapist_gender_required and patient.therapist_gender else None
    )
    request = MatchRequest(
        location_id=str(location.public_id),
        jurisdiction=location.jurisdiction,
        on=on,
        service_family=service.family,
        diagnoses=inp.diagnoses,
        needs_intraoral=needs_intraoral,
        required_gender=required_gender,
        current_therapist_id=str(current.public_id) if current else None,
    )
    return match(request, therapist_profiles(patient_id=patient.pk))
