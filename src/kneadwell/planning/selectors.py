"""Reads that bring the care pathway together for one patient: matches and session plans."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fractions import Fraction

from kneadwell.clinic.models import ClinicSettings, Location, Service
from kneadwell.intake.screening import screen
from kneadwell.intake.screening.types import Area, Pressure, ScreeningInput, ScreeningResult
from kneadwell.intake.selectors import screening_input_for
from kneadwell.knowledge import catalogue
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.therapists.matching import MatchRequest, MatchResult, match
from kneadwell.therapists.models import Therapist
from kneadwell.therapists.selectors import therapist_profiles

from .models import CarePlan, CarePlanStatus
from .settings import DEFAULT_SETTINGS, TailoringSettings
from .tailoring import PlanRequest, SessionPlan, plan_session


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


def avoid_area(text: str) -> Area | None:
    """A patient's "area to avoid" as a region, when the text names exactly one ("left calf", "abdomen").

    Only a whole region, optionally with a side, is read: "right shoulder
    incision" names a spot inside a region, not the region, so it stays text
    that the therapist reads on the patient's page and works around.
    """
    words = text.lower().replace("-", " ").replace("_", " ").split()
    side = next((s for s in ("bilateral", "left", "right") if s in words), None)
    rest = " ".join(w for w in words if w not in ("bilateral", "left", "right", "both"))
    for region in catalogue.regions().values():
        names = {region.key.replace("_", " "), region.name.lower(), region.patient_name.lower()}
        if rest in names:
            return Area(region.key, (side or "bilateral") if region.paired else None)
    return None


def session_plan_for(*, patient: Patient, service: Service, therapist: Therapist, on: dt.date) -> SessionPlan:
    """The tailored plan for `patient`'s next session of `service` with `therapist` on the local date `on`."""
    return session_plan_and_screening(patient=patient, service=service, therapist=therapist, on=on)[0]


def session_plan_and_screening(
    *, patient: Patient, service: Service, therapist: Therapist, on: dt.date
) -> tuple[SessionPlan, ScreeningResult]:
    """The plan and the screening it was built on, from one screening run (for callers that show both)."""
    inp = screening_input_for(patient, on)
    screening = screen(inp)
    plan = plan_for_screening(
        patient=patient, service=service, therapist=therapist, inp=inp, screening=screening
    )
    return plan, screening


def plan_for_screening(
    *,
    patient: Patient,
    service: Service,
    therapist: Therapist,
    inp: ScreeningInput,
    screening: ScreeningResult,
) -> SessionPlan:
    """The plan for a screening the caller has already run on `inp`."""
    first_visit = not Appointment.objects.filter(patient=patient, status=AppointmentStatus.COMPLETED).exists()
    avoid = tuple(a for a in (avoid_area(text) for text in patient.areas_to_avoid) if a is not None)
    request = PlanRequest(
        service_family=service.family,
        hands_on_minutes=service.hands_on,
        diagnoses=inp.diagnoses,
        areas=inp.areas,
        screening=screening,
        therapist_trainings=frozenset(therapist.trainings.values_list("technique", flat=True)),
        pressure_preference=Pressure(patient.pressure) if patient.pressure else None,
        lighting=patient.lighting,
        music=patient.music,
        first_visit=first_visit,
        avoid_areas=avoid,
        settings=tailoring_settings(),
    )
    return plan_session(request)


def tailoring_settings() -> TailoringSettings:
    """The tailoring defaults with the clinic's own allocation settings (Clinic settings in the admin)."""
    clinic = ClinicSettings.current()
    return replace(
        DEFAULT_SETTINGS,
        focus_share=Fraction(clinic.focus_share.strip()),
        min_segment_minutes=clinic.min_segment_minutes,
    )
