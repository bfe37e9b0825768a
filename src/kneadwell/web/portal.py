"""The patient's own pages: home (next visit, instructions, plan of care) and the health form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from kneadwell.accounts.models import Role
from kneadwell.charting.selectors import appointment_session_plan as appointment_plan
from kneadwell.intake.models import IntakeChannel
from kneadwell.intake.questions import relevant_questions
from kneadwell.intake.selectors import latest_intake
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.errors import DomainError
from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.web.audit import audit_patients_read
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.bodymap import body_map_context
from kneadwell.web.call import audit_intake, form_field, prefs_values, questions_context, record_intake
from kneadwell.web.intake_forms import (
    PREFERENCE_CHOICES,
    FormData,
    IntakeInput,
    intake_form_data,
    read_intake,
)
from kneadwell.web.patients import split_appointments
from kneadwell.web.presenters import INSTRUCTION_WORDS, condition_choices, plan_conditions


@role_required(Role.PATIENT)
def patient_home(request: AuthenticatedRequest) -> HttpResponse:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        return render(request, "patients/home.html", {"patient": None})
    # A waitlist hold is an offer, shown on the waitlist page (and announced here), not an appointment yet:
    # the visit lists leave holds out (web.patients._visits).
    upcoming, past, _ = split_appointments(request, patient)
    audit_patients_read(request, [patient], "patient-home")
    next_appointment = upcoming[0] if upcoming else None
    context = {
        "patient": patient,
        "next_appointment": next_appointment,
        "later_appointments": upcoming[1:],
        "past_appointments": past,
        **_patient_care(patient, next_appointment),
        "held_for_you": appointment_scope(request.user)
        .filter(patient=patient, status=AppointmentStatus.HELD, hold_expires_at__gt=clock_now())
        .count(),
    }
    return render(request, "patients/home.html", context)


def _patient_care(patient: Patient, next_appointment: Appointment | None) -> dict[str, object]:
    """The patient's plan of care in plain words and what to do for the next visit."""
    plan = (
        CarePlan.objects.filter(patient=patient, status=CarePlanStatus.ACTIVE)
        .prefetch_related("goals")
        .order_by("-approved_at", "-id")
        .first()
    )
    instructions: list[str] = []
    if next_appointment is not None:
        try:
            session, _ = appointment_plan(next_appointment)
        except ValueError:
            session = None
        if session is not None and not session.blocked:
            instructions = [INSTRUCTION_WORDS.get(i, i) for i in session.instructions]
    return {
        "care_plan": plan,
        "care_plan_conditions": plan_conditions(plan),
        "care_plan_goals": [g.description or g.measure for g in plan.goals.all()] if plan else [],
        "has_intake": patient.intakes.exists(),
        "visit_instructions": instructions,
    }


def _own_patient(request: AuthenticatedRequest) -> Patient:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404("Your login is not linked to a patient record.")
    return patient


def _patient_form_context(patient: Patient, data: FormData, parsed: IntakeInput) -> dict[str, Any]:
    relevant = relevant_questions(parsed.conditions, parsed.areas, data)
    return {
        "patient": patient,
        "parsed": parsed,
        "data": data,
        "errors": parsed.errors,
        **questions_context(parsed, relevant, data, patient_words=True),
        **body_map_context(parsed.area_tokens, patient=True),
        "conditions": condition_choices(patient=True),
        "preference_choices": PREFERENCE_CHOICES,
        "prefs": prefs_values(parsed, patient),
    }


@role_required(Role.PATIENT)
def patient_intake(request: AuthenticatedRequest) -> HttpResponse:
    patient = _own_patient(request)
    if request.method != "POST":
        # A returning patient starts from their last answers; the first time, from a blank form.
        last = latest_intake(patient)
        data = intake_form_data(last) if last is not None and not request.GET else request.GET
        parsed = read_intake(data, require_complaint=False)
        parsed.errors.clear()
        return render(request, "intake/patient_form.html", _patient_form_context(patient, data, parsed))
    parsed = read_intake(request.POST)
    if request.POST.get("action") != "save" or parsed.errors:
        status = 422 if request.POST.get("action") == "save" else 200
        if status == 200:
            parsed.errors.clear()
        return render(
            request,
            "intake/patient_form.html",
            _patient_form_context(patient, request.POST, parsed),
            status=status,
        )
    try:
        intake = record_intake(request, patient, parsed, None, IntakeChannel.ONLINE)
    except DomainError as exc:
        parsed.errors.setdefault(form_field(exc.field), []).append(exc.message)
        return render(
            request,
            "intake/patient_form.html",
            _patient_form_context(patient, request.POST, parsed),
            status=422,
        )
    audit_intake(request, patient, intake, "patient-intake")
    messages.success(
        request, "Thank you. Your answers are saved; your therapist will read them before your visit."
    )
    return redirect("patient-home")


@role_required(Role.PATIENT)
def patient_intake_questions(request: AuthenticatedRequest) -> HttpResponse:
    """The health questions for the patient's answers so far (htmx; only when they change)."""
    patient = _own_patient(request)
    if request.method != "POST":
        return redirect("patient-intake")
    parsed = read_intake(request.POST, require_complaint=False)
    context = _patient_form_context(patient, request.POST, parsed)
    if request.POST.get("qkey", "") == context["qkey"]:
        return HttpResponse(status=204)
    context["errors"] = {}
    return render(request, "intake/includes/health_questions.html", context)
