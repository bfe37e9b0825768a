"""Intake pages: the front desk's first-call script with its live panel, the patient's online form,
the ICD-10-CM hint, and the patient-education pages.

The live panel screens the call as it stands, before anything is saved: the form's answers become a
`ScreeningInput` for `screen()`, a `MatchRequest` for `match()` and a `PlanRequest` for the top
match's preview plan. Saving goes through `intake_record` (and `patient_create` for a new caller).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kneadwell.accounts.models import AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404, parse_public_id
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Service
from kneadwell.clinic.selectors import location_list
from kneadwell.clinic.templatetags.kneadwell_tags import LOCATION_SESSION_KEY
from kneadwell.education.content import condition_page, index_entries
from kneadwell.knowledge import catalogue
from kneadwell.lib.errors import DomainError
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.patients.services import patient_create
from kneadwell.planning.selectors import avoid_area, current_therapist
from kneadwell.planning.tailoring import PlanRequest, plan_session
from kneadwell.planning.views import (
    _services,
    decision_view,
    local_today,
    match_view,
    plan_view,
)
from kneadwell.referrals.models import Referral
from kneadwell.referrals.selectors import referral_scope
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.therapists.matching import MatchRequest, match
from kneadwell.therapists.selectors import therapist_profiles
from kneadwell.views import AuthenticatedRequest, role_required

from .forms import (
    AREA_PROBLEMS,
    AREA_SIGNS,
    PREFERENCE_CHOICES,
    PREGNANCY_CHOICES,
    FormData,
    IntakeInput,
    area_choices,
    area_label,
    area_select_choices,
    area_token,
    condition_choices,
    questions_key,
    read_date,
    read_intake,
    relevant_questions,
)
from .models import Intake, IntakeChannel
from .schemas import AreaIn, DiagnosisIn, check_icd10
from .screening import screen
from .screening.types import Pressure, ScreeningInput
from .selectors import OPEN_REFERRAL_STATUSES, clearance_grants, intake_scope

DESK = (Role.FRONT_DESK, Role.CLINIC_ADMIN)
SEARCH_LIMIT = 20
NEW_PATIENT_FIELDS = ("given_name", "family_name", "birth_date", "phone", "email")

# The body map: simple shapes per area token on a front and a back figure (viewBox 0 0 200 400).
# Front view: the patient's right is on the viewer's left; back view: the patient's left is.
BODY_SHAPES: dict[str, list[tuple[str, str, dict[str, int]]]] = {
    "head": [("front", "ellipse", {"cx": 100, "cy": 22, "rx": 20, "ry": 16})],
    "face": [("front", "rect", {"x": 84, "y": 36, "width": 32, "height": 15, "rx": 7})],
    "jaw:right": [("front", "rect", {"x": 80, "y": 52, "width": 19, "height": 9, "rx": 4})],
    "jaw:left": [("front", "rect", {"x": 101, "y": 52, "width": 19, "height": 9, "rx": 4})],
    "chest": [("front", "rect", {"x": 74, "y": 76, "width": 52, "height": 44, "rx": 8})],
    "abdomen": [("front", "rect", {"x": 76, "y": 122, "width": 48, "height": 46, "rx": 8})],
    "shoulder:right": [("front", "ellipse", {"cx": 60, "cy": 82, "rx": 14, "ry": 11})],
    "shoulder:left": [("front", "ellipse", {"cx": 140, "cy": 82, "rx": 14, "ry": 11})],
    "upper_arm:right": [("front", "rect", {"x": 44, "y": 95, "width": 18, "height": 52, "rx": 8})],
    "upper_arm:left": [("front", "rect", {"x": 138, "y": 95, "width": 18, "height": 52, "rx": 8})],
    "forearm:right": [("front", "rect", {"x": 38, "y": 150, "width": 18, "height": 50, "rx": 8})],
    "forearm:left": [("front", "rect", {"x": 144, "y": 150, "width": 18, "height": 50, "rx": 8})],
    "wrist_hand:right": [("front", "rect", {"x": 32, "y": 203, "width": 20, "height": 34, "rx": 9})],
    "wrist_hand:left": [("front", "rect", {"x": 148, "y": 203, "width": 20, "height": 34, "rx": 9})],
    "knee:right": [("front", "ellipse", {"cx": 87, "cy": 262, "rx": 12, "ry": 12})],
    "knee:left": [("front", "ellipse", {"cx": 113, "cy": 262, "rx": 12, "ry": 12})],
    "ankle_foot:right": [("front", "rect", {"x": 74, "y": 356, "width": 24, "height": 36, "rx": 8})],
    "ankle_foot:left": [("front", "rect", {"x": 102, "y": 356, "width": 24, "height": 36, "rx": 8})],
    "neck": [("back", "rect", {"x": 88, "y": 50, "width": 24, "height": 22, "rx": 6})],
    "upper_back": [("back", "rect", {"x": 72, "y": 74, "width": 56, "height": 52, "rx": 8})],
    "low_back": [("back", "rect", {"x": 76, "y": 128, "width": 48, "height": 38, "rx": 8})],
    "hip_gluteal:left": [("back", "rect", {"x": 76, "y": 168, "width": 23, "height": 32, "rx": 8})],
    "hip_gluteal:right": [("back", "rect", {"x": 101, "y": 168, "width": 23, "height": 32, "rx": 8})],
    "thigh:left": [("back", "rect", {"x": 76, "y": 203, "width": 22, "height": 60, "rx": 8})],
    "thigh:right": [("back", "rect", {"x": 102, "y": 203, "width": 22, "height": 60, "rx": 8})],
    "calf:left": [("back", "rect", {"x": 78, "y": 278, "width": 20, "height": 76, "rx": 8})],
    "calf:right": [("back", "rect", {"x": 102, "y": 278, "width": 20, "height": 76, "rx": 8})],
}
# Body outline parts that are not areas (drawn grey, not clickable), so the figures read as bodies.
BODY_OUTLINE: dict[str, list[tuple[str, dict[str, int]]]] = {
    "front": [
        ("rect", {"x": 90, "y": 60, "width": 20, "height": 16, "rx": 4}),
        ("rect", {"x": 76, "y": 170, "width": 48, "height": 22, "rx": 8}),
        ("rect", {"x": 76, "y": 192, "width": 22, "height": 58, "rx": 8}),
        ("rect", {"x": 102, "y": 192, "width": 22, "height": 58, "rx": 8}),
        ("rect", {"x": 77, "y": 276, "width": 20, "height": 78, "rx": 8}),
        ("rect", {"x": 103, "y": 276, "width": 20, "height": 78, "rx": 8}),
    ],
    "back": [
        ("ellipse", {"cx": 100, "cy": 26, "rx": 20, "ry": 22}),
        ("ellipse", {"cx": 60, "cy": 82, "rx": 14, "ry": 11}),
        ("ellipse", {"cx": 140, "cy": 82, "rx": 14, "ry": 11}),
        ("rect", {"x": 44, "y": 95, "width": 18, "height": 52, "rx": 8}),
        ("rect", {"x": 138, "y": 95, "width": 18, "height": 52, "rx": 8}),
        ("rect", {"x": 38, "y": 150, "width": 18, "height": 50, "rx": 8}),
        ("rect", {"x": 144, "y": 150, "width": 18, "height": 50, "rx": 8}),
        ("rect", {"x": 32, "y": 203, "width": 20, "height": 34, "rx": 9}),
        ("rect", {"x": 148, "y": 203, "width": 20, "height": 34, "rx": 9}),
        ("ellipse", {"cx": 87, "cy": 268, "rx": 11, "ry": 9}),
        ("ellipse", {"cx": 113, "cy": 268, "rx": 11, "ry": 9}),
        ("rect", {"x": 76, "y": 358, "width": 24, "height": 34, "rx": 8}),
        ("rect", {"x": 100, "y": 358, "width": 24, "height": 34, "rx": 8}),
    ],
}


def _audit_intake(request: HttpRequest, patient: Patient, intake: Intake, view: str) -> None:
    audit_record(
        actor=request.user,  # type: ignore[arg-type]
        action=AuditAction.CREATE,
        object_type="intake",
        object_id=intake.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": view},
    )


def body_map_context(
    selected: list[str], *, patient: bool = False, map_id: str = "bodymap"
) -> dict[str, Any]:
    """The body map's figures and the region checkboxes (the keyboard and screen-reader way to choose)."""
    chosen = set(selected)
    choices = area_choices()
    labels = {c.token: (c.patient_label if patient else c.label) for c in choices}
    figures = []
    for view, title, left, right in (
        ("front", "Front", "R", "L"),
        ("back", "Back", "L", "R"),
    ):
        shapes = [
            {
                "token": token,
                "kind": kind,
                "attrs": attrs,
                "label": labels.get(token, token),
                "on": token in chosen,
            }
            for token, parts in BODY_SHAPES.items()
            for v, kind, attrs in parts
            if v == view
        ]
        outline = [{"kind": kind, "attrs": attrs} for kind, attrs in BODY_OUTLINE[view]]
        figures.append(
            {"view": view, "title": title, "left": left, "right": right, "shapes": shapes, "outline": outline}
        )
    rows: list[dict[str, Any]] = []
    for c in choices:
        if rows and rows[-1]["region"] == c.region:
            rows[-1]["options"].append(c)
        else:
            name = catalogue.regions()[c.region]
            rows.append(
                {"region": c.region, "name": name.patient_name if patient else name.name, "options": [c]}
            )
    return {"map_id": map_id, "figures": figures, "rows": rows, "selected": chosen, "patient_words": patient}


SIDE_WORDS = {"left": "left", "right": "right", "bilateral": "both sides"}


def diagnosis_rows(referral: Referral) -> list[dict[str, str]]:
    """A referral's diagnoses in words: condition name, ICD-10-CM code and title, side, onset."""
    names = catalogue.conditions()
    out = []
    for d in referral.diagnoses:
        key = d.get("condition", "")
        code = d.get("icd10") or ""
        out.append(
            {
                "name": names[key].name if key in names else key,
                "icd10": code,
                "icd10_title": _icd_title(code),
                "side": SIDE_WORDS.get(d.get("side") or "", ""),
                "onset": d.get("onset") or "",
            }
        )
    return out


def _icd_title(code: str) -> str:
    if not code:
        return ""
    try:
        return catalogue.icd10_title(code)
    except Exception:  # an unknown code stays shown as typed
        return ""


def area_words(raw_areas: list[dict[str, Any]]) -> list[str]:
    return [area_label(a.get("region", ""), a.get("side")) for a in raw_areas if a.get("region")]


# --- Helpers -----------------------------------------------------------------------------------------


def _location(request: AuthenticatedRequest, data: FormData, locations: list[Location]) -> Location | None:
    by_id = {str(loc.public_id): loc for loc in locations}
    asked = data.get("location") or ""
    if asked in by_id:
        return by_id[asked]
    remembered = request.session.get(LOCATION_SESSION_KEY, "")
    return by_id.get(remembered) or (locations[0] if locations else None)


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


def _referral_diagnoses(referrals: list[Referral]) -> list[DiagnosisIn]:
    out = []
    for referral in referrals:
        for raw in referral.diagnoses:
            try:
                out.append(DiagnosisIn.model_validate(raw))
            except ValueError:
                continue  # stored data is validated on the way in; an old row never breaks the call
    return out


def _plan_preview(
    *,
    inp: ScreeningInput,
    result: Any,
    service: Service,
    trainings: frozenset[str],
    patient: Patient | None,
    preferences: dict[str, object],
) -> Any:
    pressure = str(preferences.get("pressure") or (patient.pressure if patient else "") or "")
    first_visit = (
        patient is None
        or not Appointment.objects.filter(patient=patient, status=AppointmentStatus.COMPLETED).exists()
    )
    avoid = tuple(
        a for a in (avoid_area(t) for t in (patient.areas_to_avoid if patient else [])) if a is not None
    )
    return plan_session(
        PlanRequest(
            service_family=service.family,
            hands_on_minutes=service.hands_on,
            diagnoses=inp.diagnoses,
            areas=inp.areas,
            screening=result,
            therapist_trainings=trainings,
            pressure_preference=Pressure(pressure) if pressure else None,
            lighting=str(preferences.get("lighting", patient.lighting if patient else "")),
            music=str(preferences.get("music", patient.music if patient else "")),
            first_visit=first_visit,
            avoid_areas=avoid,
        )
    )


def live_results(
    *,
    patient: Patient | None,
    birth_date: dt.date | None,
    parsed: IntakeInput,
    referrals: list[Referral],
    selected_referral: Referral | None,
    location: Location | None,
    service: Service | None,
    for_patient: bool = False,
) -> dict[str, Any]:
    """Screening, matches and the top match's preview plan for the answers so far (nothing saved)."""
    on = local_today(location)
    diagnoses: list[DiagnosisIn] = [parsed.diagnosis] if parsed.diagnosis else []
    ordered = (
        [selected_referral, *[r for r in referrals if r != selected_referral]]
        if selected_referral
        else referrals
    )
    diagnoses += _referral_diagnoses([r for r in ordered if r is not None])
    unique: dict[tuple[str, str | None], DiagnosisIn] = {}
    for d in diagnoses:
        unique.setdefault((d.condition, d.side), d)
    areas = [a.to_engine() for a in parsed.areas]
    if not areas and selected_referral is not None:
        for raw in selected_referral.areas:
            try:
                areas.append(AreaIn.model_validate(raw).to_engine())
            except ValueError:
                continue
    for d in unique.values():
        areas += [a.to_engine() for a in d.areas]
    inp = ScreeningInput(
        on=on,
        birth_date=birth_date,
        diagnoses=tuple(d.to_engine() for d in unique.values()),
        areas=tuple(dict.fromkeys(areas)),
        answers=parsed.answers.to_engine(),
        clearances=clearance_grants(patient) if patient is not None else (),
    )
    out: dict[str, Any] = {"live_on": on, "live_location": location, "live_service": service}
    try:
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
    prefs = parsed.preferences
    gender = str(prefs.get("therapist_gender", patient.therapist_gender if patient else "") or "")
    required = prefs.get("therapist_gender_required", patient.therapist_gender_required if patient else False)
    current = current_therapist(patient) if patient is not None else None
    profiles = therapist_profiles(patient_id=patient.pk if patient is not None else None)
    request = MatchRequest(
        location_id=str(location.public_id),
        jurisdiction=location.jurisdiction,
        on=on,
        service_family=service.family,
        diagnoses=inp.diagnoses,
        required_gender=gender if gender and required else None,
        current_therapist_id=str(current.public_id) if current else None,
    )
    try:
        matches = match(request, profiles)
    except ValueError as exc:
        out["live_error"] = str(exc)
        return out
    out["matches"] = match_view(matches)
    if matches.matches:
        top = matches.matches[0]
        profile = next(p for p in profiles if p.id == top.therapist_id)
        try:
            plan = _plan_preview(
                inp=inp,
                result=result,
                service=service,
                trainings=profile.trainings,
                patient=patient,
                preferences=prefs,
            )
        except ValueError:
            plan = None
        out["preview"] = plan_view(plan)
        out["preview_therapist"] = top.name
    return out


# --- The call script ---------------------------------------------------------------------------------


def _call_state(
    request: AuthenticatedRequest, data: FormData, *, require_complaint: bool = False
) -> dict[str, Any]:
    user = request.user
    query = (data.get("q") or "").strip()[:100]
    choice = (data.get("patient") or "").strip()
    patient: Patient | None = None
    if choice and choice != "new":
        patient = get_in_scope_or_404(patient_scope(user), choice)
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
    extra = [d.condition for d in _referral_diagnoses(referrals)]
    parsed = read_intake(data, extra_conditions=extra, require_complaint=require_complaint)
    errors.update(parsed.errors)
    locations = list(location_list())
    services = _services()
    location = _location(request, data, locations)
    service = _service(data, services)
    relevant = relevant_questions([*parsed.conditions, *extra], parsed.areas)
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
        "prefs": _prefs_values(parsed, patient),
    }


def _prefs_values(parsed: IntakeInput, patient: Patient | None) -> dict[str, object]:
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
        referrals=state["referrals"],
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
                data["condition"] = first.get("condition", "")
    return data


@role_required(*DESK)
def desk_call(request: AuthenticatedRequest) -> HttpResponse:
    if request.method != "POST":
        state = _call_state(request, _initial_data(request))
        if state["patient"] is not None:
            _audit_read(request, [state["patient"]], "desk-call")
        return render(request, "intake/call.html", {**state, **_live(state)})
    action = request.POST.get("action", "check")
    state = _call_state(request, request.POST, require_complaint=action == "save")
    if state["patient"] is not None or state["results"]:
        _audit_read(request, [state["patient"], *state["results"]], "desk-call")
    if action != "save":
        return render(request, "intake/call.html", {**state, **_live(state)})
    return _save_call(request, state)


def _save_call(request: AuthenticatedRequest, state: dict[str, Any]) -> HttpResponse:
    errors: dict[str, list[str]] = state["errors"]
    parsed: IntakeInput = state["parsed"]
    new = state["new"]
    if state["patient"] is None and state["choice"] != "new":
        errors.setdefault("patient", []).append("Choose the caller from the list, or register a new patient.")
    if state["choice"] == "new":
        for name in ("given_name", "family_name", "birth_date"):
            if not new[name]:
                errors.setdefault(f"new_{name}", []).append("Required for a new patient.")
        read_date(new["birth_date"], "new_birth_date", errors)
    if errors:
        return _call_failed(request, state)
    try:
        with transaction.atomic():
            patient = state["patient"]
            if patient is None:
                try:
                    patient = patient_create(
                        actor=request.user,
                        given_name=new["given_name"],
                        family_name=new["family_name"],
                        birth_date=dt.date.fromisoformat(new["birth_date"]),
                        phone=new["phone"],
                        email=new["email"],
                    )
                except ValidationError as exc:
                    for name, msgs in exc.message_dict.items():
                        errors.setdefault(f"new_{name}", []).extend(msgs)
                    raise DomainError("The new patient's details need fixing.", field="patient") from exc
            intake = _record(request, patient, parsed, state["selected_referral"], IntakeChannel.PHONE)
    except DomainError as exc:
        if not errors:
            errors.setdefault(_form_field(exc.field), []).append(exc.message)
        return _call_failed(request, state)
    _audit_intake(request, patient, intake, "desk-call")
    return redirect("desk-call-done", intake.public_id)


def _form_field(field: str | None) -> str:
    if not field:
        return "general"
    return field.removeprefix("preferences.")


def _record(
    request: AuthenticatedRequest,
    patient: Patient,
    parsed: IntakeInput,
    referral: Referral | None,
    channel: str,
) -> Any:
    from .services import intake_record

    return intake_record(
        actor=request.user,
        patient=patient,
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


def _call_failed(request: AuthenticatedRequest, state: dict[str, Any]) -> HttpResponse:
    context = {**state, **_live(state), "save_failed": True}
    return render(request, "intake/call.html", context, status=422)


def _audit_read(request: AuthenticatedRequest, patients: list[Patient | None], view: str) -> None:
    ids = list(dict.fromkeys(str(p.public_id) for p in patients if p is not None))
    if ids:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="patient",
            patient_ids=ids,
            channel="web",
            request=request,
            detail={"view": view},
        )


@role_required(*DESK)
def desk_call_live(request: AuthenticatedRequest) -> HttpResponse:
    """The live panel for the answers so far, plus the sections whose questions changed (htmx out-of-band)."""
    if request.method != "POST":
        return redirect("desk-call")
    state = _call_state(request, request.POST)
    if state["patient"] is not None:
        _audit_read(request, [state["patient"]], "desk-call-live")
    context = {
        **state,
        **_live(state),
        "oob_questions": request.POST.get("qkey", "") != state["qkey"],
        "oob_referrals": request.POST.get("rkey", "") != state["referral_key"],
    }
    return render(request, "intake/call_live.html", context)


@role_required(*DESK)
def desk_call_patients(request: AuthenticatedRequest) -> HttpResponse:
    """The caller search results as choices (htmx, as the desk types)."""
    query = (request.GET.get("q") or "").strip()[:100]
    results = _search(request, query)
    _audit_read(request, list(results), "desk-call-search")
    choice = request.GET.get("patient", "")
    return render(
        request, "intake/call.html#patient-choices", {"query": query, "results": results, "choice": choice}
    )


@role_required(*DESK)
def desk_call_done(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    intake = get_in_scope_or_404(intake_scope(request.user), public_id)
    patient = intake.patient
    locations = list(location_list())
    location = _location(request, request.GET, locations)
    services = _services()
    service = _service(request.GET, services)
    from .forms import IntakeInput as _Input

    parsed = _Input(
        areas=[AreaIn.model_validate(a) for a in intake.areas],
        diagnosis=DiagnosisIn.model_validate(intake.diagnoses[0]) if intake.diagnoses else None,
    )
    from .schemas import HealthAnswersIn

    parsed.answers = HealthAnswersIn.model_validate(intake.answers) if intake.answers else HealthAnswersIn()
    referrals = list(referral_scope(request.user).filter(patient=patient, status__in=OPEN_REFERRAL_STATUSES))
    live = live_results(
        patient=patient,
        birth_date=patient.birth_date,
        parsed=parsed,
        referrals=referrals,
        selected_referral=intake.referral,
        location=location,
        service=service,
    )
    _audit_read(request, [patient], "desk-call-done")
    return render(request, "intake/call_done.html", {"intake": intake, "patient": patient, **live})


# --- The patient's own online form ----------------------------------------------------------------------


def _own_patient(request: AuthenticatedRequest) -> Patient:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404("Your login is not linked to a patient record.")
    return patient


def _patient_form_context(patient: Patient, data: FormData, parsed: IntakeInput) -> dict[str, Any]:
    relevant = relevant_questions(parsed.conditions, parsed.areas)
    return {
        "patient": patient,
        "parsed": parsed,
        "data": data,
        "errors": parsed.errors,
        **questions_context(parsed, relevant, data, patient_words=True),
        **body_map_context(parsed.area_tokens, patient=True),
        "conditions": condition_choices(patient=True),
        "preference_choices": PREFERENCE_CHOICES,
        "prefs": _prefs_values(parsed, patient),
    }


@role_required(Role.PATIENT)
def patient_intake(request: AuthenticatedRequest) -> HttpResponse:
    patient = _own_patient(request)
    if request.method != "POST":
        parsed = read_intake(request.GET, require_complaint=False)
        parsed.errors.clear()
        return render(
            request, "intake/patient_form.html", _patient_form_context(patient, request.GET, parsed)
        )
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
        intake = _record(request, patient, parsed, None, IntakeChannel.ONLINE)
    except DomainError as exc:
        parsed.errors.setdefault(_form_field(exc.field), []).append(exc.message)
        return render(
            request,
            "intake/patient_form.html",
            _patient_form_context(patient, request.POST, parsed),
            status=422,
        )
    _audit_intake(request, patient, intake, "patient-intake")
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


# --- ICD-10-CM hint -----------------------------------------------------------------------------------------


def icd10_hint(request: AuthenticatedRequest) -> HttpResponse:
    """Checks a typed ICD-10-CM code: its title, or why not and (for a header) its billable children."""
    if not request.user.is_authenticated or request.user.role not in (*DESK, Role.REFERRER, Role.THERAPIST):
        raise Http404
    code = (request.GET.get("icd10") or request.GET.get(request.GET.get("field", ""), "") or "").strip()[:8]
    context: dict[str, Any] = {"code": code}
    if code:
        try:
            normalised = check_icd10(code)
            context["title"] = catalogue.icd10_title(normalised)
            context["normalised"] = normalised
        except ValueError as exc:
            context["error"] = str(exc)
            found = catalogue.icd10_lookup(code)
            context["children"] = [(c, catalogue.icd10_title(c)) for c in found.children[:12]]
    return render(request, "intake/includes/icd10_hint.html", context)


# --- Patient education (public) ------------------------------------------------------------------------------


def learn_index(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "education/index.html", {"entries": index_entries()})


def learn_condition(request: AuthenticatedRequest, key: str) -> HttpResponse:
    page = condition_page(key)
    if page is None:
        raise Http404("No such condition.")
    return render(request, "education/condition.html", {"page": page, "learn_index": reverse("learn-index")})
