"""The front desk's first-call script: find or register the caller, what to work on and why, the health
questions that matter, preferences; beside it, live, the screening, matches and a preview plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render

from kneadwell.accounts.models import STAFF_ROLES, AuditAction
from kneadwell.accounts.scoping import get_in_scope_or_404, parse_public_id
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Service, ServiceFamily
from kneadwell.clinic.selectors import location_list, location_today, service_list
from kneadwell.intake.models import Intake, IntakeChannel
from kneadwell.intake.questions import AREA_PROBLEMS, AREA_SIGNS, PREGNANCY_CHOICES, relevant_questions
from kneadwell.intake.screening.engine import screen
from kneadwell.intake.selectors import (
    OPEN_REFERRAL_STATUSES,
    PendingIntake,
    intake_scope,
    merged_diagnoses,
    screening_input,
)
from kneadwell.intake.services import NewPatient, intake_record
from kneadwell.lib.errors import DomainError, FieldErrors
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.patients.services import DuplicatePatient, patient_create
from kneadwell.planning.selectors import (
    Preferences,
    patient_matches,
    session_plan,
    therapist_trainings,
)
from kneadwell.referrals.models import Referral
from kneadwell.referrals.selectors import referral_scope
from kneadwell.scheduling.selectors import visit_history
from kneadwell.therapists.models import Therapist
from kneadwell.web.audit import audit_patients_read
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.bodymap import body_map_context
from kneadwell.web.intake_forms import (
    PREFERENCE_CHOICES,
    FormData,
    IntakeInput,
    questions_key,
    read_date,
    read_intake,
)
from kneadwell.web.presenters import (
    area_choices,
    area_select_choices,
    area_token,
    area_words,
    condition_choices,
    decision_view,
    diagnosis_rows,
    intake_said,
    match_view,
    plan_view,
)
from kneadwell.web.templatetags.kneadwell_tags import LOCATION_SESSION_KEY

SEARCH_LIMIT = 20


NEW_PATIENT_FIELDS = ("given_name", "family_name", "birth_date", "phone", "email")


def audit_intake(request: AuthenticatedRequest, patient: Patient, intake: Intake, view: str) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.CREATE,
        object_type="intake",
        object_id=intake.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": view},
    )


def _location(request: AuthenticatedRequest, data: FormData, locations: list[Location]) -> Location | None:
    by_id = {str(loc.public_id): loc for loc in locations}
    asked = data.get("location") or ""
    if asked in by_id:
        return by_id[asked]
    remembered = request.session.get(LOCATION_SESSION_KEY, "")
    return by_id.get(remembered) or (locations[0] if locations else None)


def offered_services(location: Location | None) -> list[Service]:
    """The services bookable at `location`: the same rule as booking (no spot work at a hospital)."""
    return [s for s in service_list() if location is None or s.offered_at(location)]


def _service(data: FormData, services: list[Service]) -> Service | None:
    by_code = {s.code: s for s in services}
    return (
        by_code.get(data.get("service") or "")
        or by_code.get("therapeutic-60")
        or (services[0] if services else None)
    )


def _search(request: AuthenticatedRequest, query: str) -> list[Patient]:
    if not query:
        return []
    condition = Q()
    for term in query.split()[:4]:
        condition &= Q(given_name__icontains=term) | Q(family_name__icontains=term) | Q(phone__icontains=term)
    return list(
        patient_scope(request.user).filter(condition).order_by("family_name", "given_name")[:SEARCH_LIMIT]
    )


def live_results(
    *,
    patient: Patient | None,
    birth_date: dt.date | None,
    parsed: IntakeInput,
    selected_referral: Referral | None,
    location: Location | None,
    service: Service | None,
    for_patient: bool = False,
) -> dict[str, Any]:
    """Screening, matches and the top match's preview plan for the answers so far (nothing saved).

    Built by the same assemblers as every other page, so the preview is the plan the session will get.
    """
    on = location_today(location)
    pending = PendingIntake(
        diagnoses=(parsed.diagnosis,) if parsed.diagnosis else (),
        areas=tuple(parsed.areas),
        answers=parsed.answers,
        referral=selected_referral,
    )
    out: dict[str, Any] = {"live_on": on, "live_location": location, "live_service": service}
    try:
        inp = screening_input(patient=patient, on=on, pending=pending, birth_date=birth_date)
        result = screen(inp)
    except ValueError as exc:
        out["live_error"] = str(exc)
        return out
    out["decision"] = decision_view(result, for_patient=for_patient)
    out["patient_messages"] = list(
        dict.fromkeys(f.message_patient for f in result.findings if f.severity != "proceed")
    )
    if location is None or service is None:
        return out
    if not inp.diagnoses and not inp.areas and service.family != ServiceFamily.RELAXATION:
        # Nothing is known yet: a score of 0/100 for everyone would read as a verdict.
        out["matches_pending"] = True
        return out
    history = visit_history(patient)
    prefs = Preferences.of(patient, parsed.preferences)
    try:
        matches = patient_matches(
            patient=patient, service=service, location=location, inp=inp, history=history, preferences=prefs
        )
    except ValueError as exc:
        out["live_error"] = str(exc)
        return out
    out["matches"] = match_view(matches)
    if matches.matches:
        top = matches.matches[0]
        therapist = Therapist.objects.filter(public_id=top.therapist_id).first()
        plan = None
        if therapist is not None:
            try:
                plan = session_plan(
                    patient=patient,
                    service=service,
                    trainings=therapist_trainings(therapist),
                    inp=inp,
                    screening=result,
                    history=history,
                    preferences=prefs,
                )
            except ValueError:
                plan = None
        out["preview"] = plan_view(plan)
        out["preview_therapist"] = top.name
    return out


def _call_state(
    request: AuthenticatedRequest, data: FormData, *, require_complaint: bool = False
) -> dict[str, Any]:
    user = request.user
    query = (data.get("q") or "").strip()[:100]
    # "use_patient": the desk took the existing record offered for a new patient who matched it.
    choice = (data.get("use_patient") or data.get("patient") or "").strip()
    patient: Patient | None = None
    if choice and choice != "new":
        patient = get_in_scope_or_404(patient_scope(user), choice, request=request)
    results = _search(request, query)
    if patient is not None and patient not in results:
        results.insert(0, patient)
    new = {name: (data.get(f"new_{name}") or "").strip()[:200] for name in NEW_PATIENT_FIELDS}
    errors: dict[str, list[str]] = {}
    birth_date = patient.birth_date if patient else read_date(new["birth_date"], "new_birth_date", {})

    referrals: list[Referral] = []
    if patient is not None:
        referrals = list(
            referral_scope(user)
            .filter(patient=patient, status__in=OPEN_REFERRAL_STATUSES)
            .order_by("-received_on")
        )
    wanted = (data.get("referral") or "").strip()
    selected = next((r for r in referrals if str(r.public_id) == wanted), None)
    extra = [d.condition for d in merged_diagnoses((), referrals)]
    parsed = read_intake(data, extra_conditions=extra, require_complaint=require_complaint)
    errors.update(parsed.errors)
    locations = list(location_list())
    location = _location(request, data, locations)
    services = offered_services(location)
    service = _service(data, services)
    relevant = relevant_questions([*parsed.conditions, *extra], parsed.areas, data)
    return {
        "query": query,
        "results": results,
        "choice": "new" if choice == "new" else (str(patient.public_id) if patient else ""),
        "patient": patient,
        "new": new,
        "referrals": referrals,
        "referral_items": [
            {"referral": r, "diagnoses": diagnosis_rows(r), "areas": area_words(r.areas)} for r in referrals
        ],
        "selected_referral": selected,
        "referral_key": str(patient.public_id) if patient else choice,
        "parsed": parsed,
        "data": data,
        "errors": errors,
        "locations": locations,
        "location": location,
        "services": services,
        "service": service,
        "birth_date": birth_date,
        **questions_context(parsed, relevant, data, patient_words=False),
        **body_map_context(parsed.area_tokens),
        "conditions": condition_choices(),
        "preference_choices": PREFERENCE_CHOICES,
        "prefs": prefs_values(parsed, patient),
    }


def prefs_values(parsed: IntakeInput, patient: Patient | None) -> dict[str, object]:
    values: dict[str, object] = {
        "pressure": patient.pressure if patient else "medium",
        "lighting": patient.lighting if patient else "",
        "music": patient.music if patient else "",
        "therapist_gender": patient.therapist_gender if patient else "",
        "therapist_gender_required": patient.therapist_gender_required if patient else False,
    }
    values.update(parsed.preferences)
    return values


def questions_context(
    parsed: IntakeInput, relevant: list[Any], data: FormData, *, patient_words: bool
) -> dict[str, Any]:
    labels = {c.token: (c.patient_label if patient_words else c.label) for c in area_choices()}
    marked = []
    for a in parsed.areas:
        token = area_token(a.region, a.side)
        cells = [
            {"name": name, "label": label, "checked": token in parsed.checked.get(name, [])}
            for name, label in (*AREA_SIGNS, *AREA_PROBLEMS)
        ]
        marked.append({"token": token, "label": labels.get(token, a.region), "cells": cells})
    answered = {q.id for q in relevant if data.get(q.id)}
    return {
        "questions": relevant,
        "answered": answered,
        "marked_areas": marked,
        "area_signs": AREA_SIGNS,
        "area_problems": AREA_PROBLEMS,
        "area_checked": parsed.checked,
        "pregnancy_choices": PREGNANCY_CHOICES,
        "pregnancy": data.get("pregnancy") or "no",
        "surgery_date": data.get("surgery_date") or "",
        "surgery_area": data.get("surgery_area") or "",
        "surgery_areas": area_select_choices(),
        "qkey": questions_key(relevant, parsed.areas),
        "patient_words": patient_words,
    }


def _live(state: dict[str, Any]) -> dict[str, Any]:
    return live_results(
        patient=state["patient"],
        birth_date=state["birth_date"],
        parsed=state["parsed"],
        selected_referral=state["selected_referral"],
        location=state["location"],
        service=state["service"],
    )


def _initial_data(request: AuthenticatedRequest) -> Any:
    """A GET: the patient and referral named in the URL (from the referral inbox), prefilled from the referral."""
    data = request.GET.copy()
    wanted = data.get("referral", "")
    if wanted and data.get("patient"):
        parsed_id = parse_public_id(wanted)
        referral = referral_scope(request.user).filter(public_id=parsed_id).first() if parsed_id else None
        if referral is not None:
            if not data.get("referral_reason"):
                data["referral_reason"] = referral.reason
            if not data.getlist("area"):
                data.setlist(
                    "area",
                    [
                        area_token(a.get("region", ""), a.get("side"))
                        for a in referral.areas
                        if a.get("region")
                    ],
                )
            first = next(iter(referral.diagnoses), None)
            if first and not data.get("condition"):
                # The referral's first diagnosis as written: condition, code and onset.
                data["condition"] = first.get("condition", "")
                data["icd10"] = first.get("icd10") or ""
                if first.get("onset") and not data.get("onset"):
                    data["onset"] = first["onset"]
    return data


@role_required(*STAFF_ROLES)
def desk_call(request: AuthenticatedRequest) -> HttpResponse:
    if request.method != "POST":
        state = _call_state(request, _initial_data(request))
        if state["patient"] is not None:
            audit_patients_read(request, [state["patient"]], "desk-call")
        return render(request, "intake/call.html", {**state, **_live(state)})
    action = request.POST.get("action", "check")
    if "use_patient" in request.POST or "confirm_new" in request.POST:
        action = "save"  # an answer to "already a patient?" saves the call
    state = _call_state(request, request.POST, require_complaint=action == "save")
    if state["patient"] is not None or state["results"]:
        audit_patients_read(request, [state["patient"], *state["results"]], "desk-call")
    if action != "save":
        return render(request, "intake/call.html", {**state, **_live(state)})
    return _save_call(request, state)


def _save_call(request: AuthenticatedRequest, state: dict[str, Any]) -> HttpResponse:
    errors: dict[str, list[str]] = state["errors"]
    new = state["new"]
    new_patient: NewPatient | None = None
    if state["patient"] is None and state["choice"] != "new":
        errors.setdefault("patient", []).append("Choose the caller from the list, or register a new patient.")
    if state["choice"] == "new":
        for name in ("given_name", "family_name", "birth_date"):
            if not new[name]:
                errors.setdefault(f"new_{name}", []).append("Required for a new patient.")
        new_patient = NewPatient(
            given_name=new["given_name"],
            family_name=new["family_name"],
            birth_date=read_date(new["birth_date"], "new_birth_date", errors),
            phone=new["phone"],
            email=new["email"],
        )
    if errors:
        return _call_failed(request, state)
    try:
        with transaction.atomic():
            patient = state["patient"]
            if new_patient is not None and request.POST.get("confirm_new"):
                # The desk has checked that the caller is not the patient offered: register them
                # (intake_record would stop at the match again), then the intake; both or neither.
                patient, new_patient = _register_confirmed(request, new_patient), None
            intake = record_intake(
                request,
                patient,
                state["parsed"],
                state["selected_referral"],
                IntakeChannel.PHONE,
                new_patient=new_patient,
            )
    except DuplicatePatient as exc:
        # "This looks like <name>, born …: use this record?" (the desk sees every patient anyway).
        audit_patients_read(request, list(exc.matches), "desk-call-duplicate")
        return _call_failed(request, state, duplicates=exc.matches, status=409)
    except FieldErrors as exc:
        for name, messages in exc.errors.items():
            errors.setdefault(name, []).extend(messages)
        return _call_failed(request, state)
    except DomainError as exc:
        errors.setdefault(form_field(exc.field), []).append(exc.message)
        return _call_failed(request, state)
    audit_intake(request, intake.patient, intake, "desk-call")
    return redirect("desk-call-done", intake.public_id)


def _register_confirmed(request: AuthenticatedRequest, new: NewPatient) -> Patient:
    """Register a caller the desk confirmed is not the matching patient on file."""
    try:
        return patient_create(
            actor=request.user,
            confirm_new=True,
            given_name=new.given_name,
            family_name=new.family_name,
            birth_date=new.birth_date,
            phone=new.phone,
            email=new.email,
        )
    except ValidationError as exc:
        raise FieldErrors(
            "The new patient's details need fixing.",
            errors={f"new_{name}": msgs for name, msgs in exc.message_dict.items()},
        ) from exc


def form_field(field: str | None) -> str:
    """The form field a service error names (the API's `preferences.pressure` is the form's `pressure`)."""
    if not field:
        return "general"
    return field.removeprefix("preferences.")


def record_intake(
    request: AuthenticatedRequest,
    patient: Patient | None,
    parsed: IntakeInput,
    referral: Referral | None,
    channel: str,
    *,
    new_patient: NewPatient | None = None,
) -> Intake:
    return intake_record(
        actor=request.user,
        patient=patient,
        new_patient=new_patient,
        channel=channel,
        chief_complaint=parsed.chief_complaint,
        areas=parsed.areas,
        diagnoses=[parsed.diagnosis] if parsed.diagnosis else [],
        referral_reason=parsed.referral_reason,
        onset=parsed.onset,
        prior_treatments=parsed.prior_treatments,
        goals=parsed.goals,
        answers=parsed.answers,
        preferences=parsed.preferences or None,
        referral=referral,
    )


def _call_failed(
    request: AuthenticatedRequest,
    state: dict[str, Any],
    *,
    duplicates: list[Patient] | None = None,
    status: int = 422,
) -> HttpResponse:
    context = {**state, **_live(state), "save_failed": True, "duplicates": duplicates or []}
    return render(request, "intake/call.html", context, status=status)


@role_required(*STAFF_ROLES)
def desk_call_live(request: AuthenticatedRequest) -> HttpResponse:
    """The live panel for the answers so far, plus the sections whose questions changed (htmx out-of-band)."""
    if request.method != "POST":
        return redirect("desk-call")
    state = _call_state(request, request.POST)
    if state["patient"] is not None:
        audit_patients_read(request, [state["patient"]], "desk-call-live")
    context = {
        **state,
        **_live(state),
        "oob_questions": request.POST.get("qkey", "") != state["qkey"],
        "oob_referrals": request.POST.get("rkey", "") != state["referral_key"],
    }
    return render(request, "intake/call_live.html", context)


@role_required(*STAFF_ROLES)
def desk_call_patients(request: AuthenticatedRequest) -> HttpResponse:
    """The caller search results as choices (htmx, as the desk types)."""
    query = (request.GET.get("q") or "").strip()[:100]
    results = _search(request, query)
    audit_patients_read(request, list(results), "desk-call-search")
    choice = request.GET.get("patient", "")
    return render(
        request, "intake/call.html#patient-choices", {"query": query, "results": results, "choice": choice}
    )


@role_required(*STAFF_ROLES)
def desk_call_done(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """After the call: what was recorded, in the caller's words, and the screening and matches it gives."""
    intake = get_in_scope_or_404(intake_scope(request.user), public_id, request=request)
    patient = intake.patient
    location = _location(request, request.GET, list(location_list()))
    service = _service(request.GET, offered_services(location))
    live = live_results(
        patient=patient,
        birth_date=patient.birth_date,
        parsed=IntakeInput.from_intake(intake),
        selected_referral=intake.referral,
        location=location,
        service=service,
    )
    audit_patients_read(request, [patient], "desk-call-done")
    context = {"intake": intake, "patient": patient, "said": intake_said(intake), **live}
    return render(request, "intake/call_done.html", context)
