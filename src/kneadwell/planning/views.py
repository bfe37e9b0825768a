"""Care pages for therapists and staff: the clinical part of the patient page and its actions.

Thin views over the domain: screening (`intake.selectors`), session plans and matches
(`planning.selectors`), plans of care and hand-offs (`planning.services`), clearance requests
(`referrals.services`). The display helpers here (decision chips, findings with their sources, a
session plan in words) are shared with the front desk's call script and the patient's pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render

from kneadwell.accounts.models import AuditAction, Role, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Service
from kneadwell.clinic.selectors import location_list, service_list
from kneadwell.intake.forms import area_label, parse_area
from kneadwell.intake.screening import screen
from kneadwell.intake.screening.types import Decision, ScreeningInput, ScreeningResult
from kneadwell.intake.selectors import OPEN_REFERRAL_STATUSES, screening_input_for
from kneadwell.knowledge import catalogue
from kneadwell.lib.clock import now
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import zone
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.referrals.models import ClearanceScope, ClearanceStatus, ReferringProvider
from kneadwell.referrals.selectors import clearance_scope, referral_scope
from kneadwell.referrals.services import clearance_request
from kneadwell.scheduling.models import AppointmentStatus
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.therapists.matching import Match, MatchResult
from kneadwell.therapists.models import Therapist
from kneadwell.views import AuthenticatedRequest, role_required

from .models import CarePlan, CarePlanStatus, HandOff
from .selectors import current_therapist, patient_matches, plan_for_screening
from .services import care_plan_approve, care_plan_draft, care_plan_update, handoff_create
from .tailoring import SessionPlan

CARE_ROLES = (Role.THERAPIST, Role.FRONT_DESK, Role.CLINIC_ADMIN)
DEFAULT_SERVICE = "therapeutic-60"

# --- Words for people ------------------------------------------------------------------------

DECISION_LABELS = {
    Decision.PROCEED: "Proceed",
    Decision.PROCEED_WITH_PRECAUTIONS: "Precautions",
    Decision.NEEDS_CLEARANCE: "Needs clearance",
    Decision.DEFER: "Defer",
    Decision.REFER_OUT: "Refer out",
}
DECISION_HELP = {
    Decision.PROCEED: "Nothing in the answers holds the visit back.",
    Decision.PROCEED_WITH_PRECAUTIONS: "The visit goes ahead with the precautions below.",
    Decision.NEEDS_CLEARANCE: "Some work waits for the referring provider's approval.",
    Decision.DEFER: "Postpone the visit until the patient is well.",
    Decision.REFER_OUT: "Send the patient to a doctor before any massage.",
}

# Visit instructions (tailoring keys) as the front desk says them and the patient reads them.
INSTRUCTION_WORDS = {
    "loose_clothing": "Wear loose-fitting clothing or active-wear: the plan includes stretches.",
    "bring_referral": "Bring the doctor's referral, or a copy of it, to the first visit.",
    "arrive_early": "Arrive a little early for the first visit, to go over the health questions.",
    "spot_work_timing": "This is a short session booked next to your chiropractor or physical therapy visit.",
}
LIGHTING_WORDS = {"soft": "soft, dimmed light", "bright": "normal light"}
MUSIC_WORDS = {"calm": "calm music", "none": "silence"}
ROLE_WORDS = {"focus": "Focus", "related": "Related muscles", "general": "General"}

# What kind of clearance each clearance-gated finding asks the referrer for (referrals.ClearanceScope).
FINDING_SCOPES = {
    "scar_closure_clearance": ClearanceScope.SCAR_WORK,
    "recent_surgery": ClearanceScope.SURGICAL_SITE,
    "fracture_bone_weakness": ClearanceScope.FRACTURE_SITE,
    "pregnancy_high_risk": ClearanceScope.PREGNANCY,
    "dvt_clot": ClearanceScope.CLOT,
}

# Rationale entries name a catalogue source id, or one of these kinds of basis.
BASIS_WORDS = {
    "clinic_setting": "Clinic setting (a choice of this clinic, not a clinical claim)",
    "article": "The source article on therapeutic massage (DESIGN §3)",
    "catalogue": "The clinical catalogue",
    "screening": "The screening result",
}


@dataclass(frozen=True)
class Cited:
    id: str
    citation: str
    url: str


def cite(ids: Any) -> list[Cited]:
    """Catalogue sources for ids, in order; an id that is not a source is shown as the basis it names."""
    known = catalogue.sources()
    out: list[Cited] = []
    for sid in dict.fromkeys(ids or ()):
        if sid in known:
            source = known[sid]
            out.append(Cited(sid, source.citation, source.urls[0] if source.urls else ""))
        elif sid:
            out.append(Cited(sid, BASIS_WORDS.get(sid, sid), ""))
    return out


def technique_names(keys: Any) -> list[str]:
    techniques = catalogue.techniques()
    return [techniques[k].name if k in techniques else k for k in keys]


def decision_view(result: ScreeningResult | None, *, for_patient: bool = False) -> dict[str, Any] | None:
    """The decision chip, restricted areas and findings of a screening, ready for a template."""
    if result is None:
        return None
    rules = {r.id: r for r in _rules()}
    return {
        "key": result.decision.value,
        "label": DECISION_LABELS[result.decision],
        "help": DECISION_HELP[result.decision],
        "blocked": result.blocked,
        "restricted": [area_label(a.region, a.side, patient=for_patient) for a in result.restricted_areas],
        "pressure_cap": result.pressure_cap.value if result.pressure_cap else "",
        "findings": [
            {
                "code": f.code,
                "rule": f.rule,
                "rule_text": rules[f.rule].description if f.rule in rules else "",
                "severity": f.severity.value,
                "severity_label": DECISION_LABELS[f.severity],
                "area": area_label(f.area.region, f.area.side, patient=for_patient) if f.area else "",
                "region": f.area.region if f.area else "",
                "side": (f.area.side or "") if f.area else "",
                "message": f.message_patient if for_patient else f.message_staff,
                "message_patient": f.message_patient,
                "sources": cite(f.sources),
                "verified": f.verified,
                "scope": FINDING_SCOPES.get(f.code, ""),
                "scope_label": ClearanceScope(FINDING_SCOPES[f.code]).label
                if f.code in FINDING_SCOPES
                else "",
            }
            for f in result.findings
        ],
        "chronicity": {c.condition: c for c in result.chronicity},
    }


def _rules() -> tuple[Any, ...]:
    from kneadwell.intake.screening import rules

    return rules()


def pressure_words(plan: SessionPlan) -> str:
    if plan.pressure is None:
        return ""
    low, high = plan.pressure
    return low.value.capitalize() if low == high else f"{low.value.capitalize()} to {high.value}"


def plan_view(plan: SessionPlan | None) -> dict[str, Any] | None:
    """A session plan in words: segments, pressure, instructions, ambience and the rationale with sources."""
    if plan is None:
        return None
    return {
        "blocked": plan.blocked,
        "reasons": list(plan.reasons),
        "segments": [
            {
                "area": area_label(s.region, s.side),
                "minutes": s.minutes,
                "techniques": technique_names(s.techniques),
                "role": ROLE_WORDS.get(s.role, s.role),
                "role_key": s.role,
            }
            for s in plan.segments
        ],
        "minutes": sum(s.minutes for s in plan.segments),
        "pressure": pressure_words(plan),
        "instructions": [INSTRUCTION_WORDS.get(i, i) for i in plan.instructions],
        "instruction_keys": list(plan.instructions),
        "ambience": {
            "lighting": LIGHTING_WORDS.get(
                plan.ambience.get("lighting", ""), plan.ambience.get("lighting", "")
            ),
            "music": MUSIC_WORDS.get(plan.ambience.get("music", ""), plan.ambience.get("music", "")),
        },
        "precautions": [f.message_staff for f in plan.precautions],
        "rationale": [
            {
                "rule": r.rule,
                "text": r.text,
                "sources": cite([r.source] if r.source else []),
                "verified": r.verified,
            }
            for r in plan.rationale
        ],
    }


def match_view(result: MatchResult | None, *, exclude_id: str = "") -> dict[str, Any] | None:
    if result is None:
        return None

    def one(m: Match) -> dict[str, Any]:
        return {
            "id": m.therapist_id,
            "name": m.name,
            "score": round(m.score),
            "reasons": [r.text for r in m.reasons],
        }

    return {
        "matches": [one(m) for m in result.matches if m.therapist_id != exclude_id],
        "excluded": [
            {"id": e.therapist_id, "name": e.name, "reasons": [r.text for r in e.reasons]}
            for e in result.excluded
        ],
        "poor": result.current_is_poor_match,
        "suggestions": [one(m) for m in result.suggestions if m.therapist_id != exclude_id],
    }


# --- The clinical part of the patient page ------------------------------------------------------


def local_today(location: Location | None) -> dt.date:
    return now().astimezone(zone(location.time_zone)).date() if location is not None else now().date()


def _services() -> list[Service]:
    return list(service_list().order_by("family", "duration_minutes", "name"))


def care_context(
    request: AuthenticatedRequest,
    patient: Patient,
    *,
    service_code: str = "",
    errors: dict[str, dict[str, list[str]]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Everything the clinical sections of the patient page show, for a therapist or clinic staff."""
    user = request.user
    me = (
        Therapist.objects.filter(user=user).prefetch_related("locations").first()
        if user.role == Role.THERAPIST
        else None
    )
    upcoming = (
        appointment_scope(user)
        .filter(
            patient=patient,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
            end__gte=now(),
        )
        .order_by("start")
        .first()
    )
    location: Location | None = upcoming.location if upcoming else None
    if location is None and me is not None:
        location = min(me.locations.all(), key=lambda loc: loc.name, default=None)
    if location is None:
        location = location_list().first()
    on = (
        upcoming.start.astimezone(zone(upcoming.location.time_zone)).date()
        if upcoming
        else local_today(location)
    )

    services = _services()
    by_code = {s.code: s for s in services}
    service = (
        by_code.get(service_code) or (upcoming.service if upcoming else None) or by_code.get(DEFAULT_SERVICE)
    )
    if service is None and services:
        service = services[0]

    inp: ScreeningInput | None
    try:
        inp = screening_input_for(patient, on)
        result: ScreeningResult | None = screen(inp)
        screening_error = ""
    except ValueError as exc:
        inp, result, screening_error = None, None, str(exc)
    decision = decision_view(result)

    conditions = []
    if inp is not None:
        names = catalogue.conditions()
        chron = decision["chronicity"] if decision else {}
        for d in inp.diagnoses:
            c = chron.get(d.condition)
            conditions.append(
                {
                    "key": d.condition,
                    "name": names[d.condition].name,
                    "patient_name": names[d.condition].patient_name,
                    "icd10": d.icd10 or "",
                    "icd10_title": catalogue.icd10_title(d.icd10) if d.icd10 else "",
                    "side": d.side or "",
                    "onset": d.onset,
                    "chronicity": c.label if c else "",
                    "chronicity_rule": c.rule_text if c else "",
                    "chronicity_sources": cite(c.sources) if c else [],
                }
            )

    therapist = me or (upcoming.therapist if upcoming else None) or current_therapist(patient)
    plan = None
    plan_error = ""
    if therapist is not None and service is not None and inp is not None and result is not None:
        try:
            # The screening above is the plan's: no second run.
            plan = plan_for_screening(
                patient=patient, service=service, therapist=therapist, inp=inp, screening=result
            )
        except ValueError as exc:
            plan_error = str(exc)

    handoff = None
    if me is not None and service is not None and location is not None:
        try:
            matches = patient_matches(patient=patient, service=service, location=location, on=on)
        except ValueError:
            matches = None
        if matches is not None:
            view = match_view(matches, exclude_id=str(me.public_id))
            assert view is not None
            colleagues = view["suggestions"] if matches.current_is_poor_match else view["matches"][:3]
            handoff = {"poor": matches.current_is_poor_match, "colleagues": colleagues}

    clearances = list(
        clearance_scope(user).filter(patient=patient).select_related("provider").order_by("-created_at")[:20]
    )
    providers = list(
        ReferringProvider.objects.filter(
            referrals__patient=patient, referrals__status__in=OPEN_REFERRAL_STATUSES
        ).distinct()
    ) or list(ReferringProvider.objects.filter(referrals__patient=patient).distinct())
    plans = list(
        CarePlan.objects.filter(patient=patient)
        .exclude(status=CarePlanStatus.CANCELLED)
        .select_related("therapist")
        .prefetch_related(Prefetch("goals"))
        .order_by("-created_at", "-id")[:5]
    )
    active_plan = next((p for p in plans if p.status == CarePlanStatus.ACTIVE), None)
    draft_plan = next((p for p in plans if p.status == CarePlanStatus.DRAFT), None)
    handoffs = list(
        HandOff.objects.filter(patient=patient)
        .select_related("from_therapist", "to_therapist")
        .order_by("-created_at")[:3]
    )
    return {
        "care": True,
        "care_on": on,
        "care_location": location,
        "services": services,
        "service": service,
        "plan_therapist": therapist,
        "is_therapist": me is not None,
        "decision": decision,
        "screening_error": screening_error,
        "conditions": conditions,
        "plan": plan_view(plan),
        "plan_error": plan_error,
        "handoff": handoff,
        "clearances": clearances,
        "granted_clearances": [_clearance_row(c) for c in clearances if c.status == ClearanceStatus.GRANTED],
        "requested_clearances": [
            _clearance_row(c) for c in clearances if c.status == ClearanceStatus.REQUESTED
        ],
        "providers": providers,
        "scope_choices": ClearanceScope.choices,
        "active_plan": active_plan,
        "draft_plan": draft_plan,
        "plan_goals": _goals(active_plan),
        "draft_goals": _goals(draft_plan),
        "handoffs": handoffs,
        "form_errors": errors or {},
        "form_values": values or {},
        "measures": catalogue.measures(),
    }


def _clearance_row(c: Any) -> dict[str, Any]:
    where = f" at the {area_label(c.region, c.side or None, patient=True).lower()}" if c.region else ""
    return {"clearance": c, "words": f"{c.get_scope_display()}{where}"}


def _goals(plan: CarePlan | None) -> list[dict[str, Any]]:
    if plan is None:
        return []
    measures = catalogue.measures()
    out = []
    for g in plan.goals.all():
        measure = measures.get(g.measure)
        out.append(
            {
                "measure": measure.name if measure else g.measure,
                "description": g.description,
                "target_change": g.target_change,
                "baseline": g.baseline,
                "basis": g.basis,
            }
        )
    return out


def plan_conditions(plan: CarePlan | None) -> list[str]:
    names = catalogue.conditions()
    return [names[k].patient_name if k in names else k for k in (plan.conditions if plan else [])]


def _patient(request: AuthenticatedRequest, public_id: str) -> Patient:
    return get_in_scope_or_404(patient_scope(request.user), public_id)


def _audit(
    request: AuthenticatedRequest, patient: Patient, action: str, object_type: str, obj: Any, view: str
) -> None:
    audit_record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", obj),
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": view},
    )


def _rerender(
    request: AuthenticatedRequest, patient: Patient, form: str, exc: DomainError, values: dict[str, str]
) -> HttpResponse:
    from kneadwell.patients.views import patient_detail_response

    errors = {form: {exc.field or "general": [exc.message]}}
    return patient_detail_response(request, patient, errors=errors, values={form: values}, status=422)


@role_required(*CARE_ROLES)
def session_plan_partial(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The next-session plan for another service (htmx swaps the section; without JS the whole page reloads)."""
    patient = _patient(request, public_id)
    if not getattr(request, "htmx", False):
        url = f"{request.path.rsplit('session-plan/', 1)[0]}?care=1&service={request.GET.get('service', '')}#plan-heading"
        return redirect(url)
    context = care_context(request, patient, service_code=request.GET.get("service", ""))
    _audit(request, patient, AuditAction.READ, "session_plan", patient, "session-plan")
    return render(
        request, "patients/includes/care_sections.html#session-plan", {"patient": patient, **context}
    )


@role_required(*CARE_ROLES)
def care_plan_create(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {k: request.POST.get(k, "").strip() for k in ("frequency_per_week", "weeks", "notes")}
    try:
        numbers: dict[str, int | None] = {}
        for name in ("frequency_per_week", "weeks"):
            numbers[name] = None
            if values[name]:
                if not values[name].isdigit():
                    raise DomainError("Enter a whole number.", field=name)
                numbers[name] = int(values[name])
        # One draft at a time: new numbers edit the open draft rather than pile up drafts.
        draft = patient.care_plans.filter(status=CarePlanStatus.DRAFT).order_by("-created_at", "-id").first()
        if draft is not None:
            plan = care_plan_update(
                actor=request.user,
                plan=draft,
                notes=values["notes"][:4000],
                frequency_per_week=numbers["frequency_per_week"],
                weeks=numbers["weeks"],
            )
        else:
            plan = care_plan_draft(
                actor=request.user,
                patient=patient,
                notes=values["notes"][:4000],
                frequency_per_week=numbers["frequency_per_week"],
                weeks=numbers["weeks"],
            )
    except DomainError as exc:
        return _rerender(request, patient, "care_plan", exc, values)
    except ValidationError as exc:  # a model validator (e.g. 9 sessions a week) answers as a field error
        field, message = next(iter(exc.message_dict.items()))
        return _rerender(request, patient, "care_plan", DomainError(message[0], field=field), values)
    _audit(request, patient, AuditAction.CREATE, "care_plan", plan, "care-plan-draft")
    messages.success(request, "Plan of care drafted. Check it and approve it when it is right.")
    return redirect(f"/patients/{patient.public_id}/#care-plan-heading")


@role_required(Role.THERAPIST)
def care_plan_approve_view(request: AuthenticatedRequest, public_id: str, plan_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    plan = get_in_scope_or_404(CarePlan.objects.filter(patient=patient), plan_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    try:
        care_plan_approve(actor=request.user, plan=plan)
    except DomainError as exc:
        return _rerender(request, patient, "care_plan", exc, {})
    _audit(request, patient, AuditAction.UPDATE, "care_plan", plan, "care-plan-approve")
    messages.success(request, "Plan of care approved: it is now the patient's active plan.")
    return redirect(f"/patients/{patient.public_id}/#care-plan-heading")


@role_required(Role.THERAPIST)
def handoff_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {
        "to_therapist": request.POST.get("to_therapist", ""),
        "note": request.POST.get("note", "")[:2000],
    }
    try:
        colleague = Therapist.objects.filter(active=True, public_id=_uuid(values["to_therapist"])).first()
        if colleague is None:
            raise DomainError("Choose a colleague from the list.", field="to_therapist")
        # The reasons shown when handing off, recomputed here rather than trusted from the form.
        offered = (care_context(request, patient).get("handoff") or {}).get("colleagues", [])
        reasons: list[str] = next((c["reasons"] for c in offered if c["id"] == str(colleague.public_id)), [])
        handoff = handoff_create(
            actor=request.user, patient=patient, to_therapist=colleague, note=values["note"], reasons=reasons
        )
    except DomainError as exc:
        return _rerender(request, patient, "handoff", exc, values)
    _audit(request, patient, AuditAction.CREATE, "handoff", handoff, "handoff")
    messages.success(request, f"{patient.full_name} is handed to {colleague.full_name}, with your note.")
    return redirect("patient-detail", patient.public_id)


def _uuid(value: str) -> Any:
    from kneadwell.accounts.scoping import parse_public_id

    return parse_public_id(value)


@role_required(*CARE_ROLES)
def clearance_request_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = _patient(request, public_id)
    if request.method != "POST":
        return redirect("patient-detail", patient.public_id)
    values = {k: request.POST.get(k, "").strip() for k in ("provider", "scope", "area", "note")}
    try:
        provider = ReferringProvider.objects.filter(
            public_id=_uuid(values["provider"]),
            referrals__in=referral_scope(request.user).filter(patient=patient),
        ).first()
        if provider is None:
            raise DomainError("Choose the referring provider to ask.", field="provider")
        area = None
        if values["area"]:
            try:
                area = parse_area(values["area"])
            except Exception as exc:
                raise DomainError(str(exc).splitlines()[-1], field="area") from exc
        clearance = clearance_request(
            actor=request.user,
            patient=patient,
            provider=provider,
            scope=values["scope"],
            area=area,
            note=values["note"][:2000],
        )
    except DomainError as exc:
        return _rerender(request, patient, "clearance", exc, values)
    _audit(request, patient, AuditAction.CREATE, "clearance", clearance, "clearance-request")
    messages.success(request, f"Asked {provider.name} for the clearance; it waits in their portal.")
    return redirect("patient-detail", patient.public_id)


def user_is_care_staff(user: User) -> bool:
    return getattr(user, "role", None) in CARE_ROLES
