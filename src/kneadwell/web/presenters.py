"""Words for people: screening decisions, session plans, matches, areas, diagnoses and sources, ready
for templates. Shared by every page (the call script, the patient page, the portals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kneadwell.intake.screening.types import Decision, ScreeningResult
from kneadwell.knowledge import catalogue, icd10
from kneadwell.planning.matching import Match, MatchResult
from kneadwell.planning.models import CarePlan
from kneadwell.planning.tailoring import SessionPlan
from kneadwell.referrals.models import ClearanceScope, ClearanceStatus, Referral
from kneadwell.scheduling.overview import CareOverview

SIDE_WORDS = {"left": "left", "right": "right", "bilateral": "both sides"}


# Paired regions offered as right then left: the order a therapist reads a body chart facing the patient.
PAIRED_SIDES = ("right", "left")


@dataclass(frozen=True)
class AreaChoice:
    token: str  # "shoulder:right" or "neck": the posted value
    region: str
    side: str | None
    label: str  # "Shoulder (right)"
    patient_label: str  # "Right shoulder"
    view: str  # front | back (body map)


def area_token(region: str, side: str | None) -> str:
    return f"{region}:{side}" if side else region


def area_label(region: str, side: str | None, *, patient: bool = False) -> str:
    entry = catalogue.regions().get(region)
    if entry is None:
        return region
    if patient:
        name = entry.patient_name
        if side == "bilateral":
            return f"{name} (both sides)"
        return f"{side.capitalize()} {name.lower()}" if side else name
    return f"{entry.name} ({SIDE_WORDS.get(side, side)})" if side else entry.name


def area_choices() -> list[AreaChoice]:
    """Every region of the catalogue, paired ones as right and left, in catalogue order."""
    out: list[AreaChoice] = []
    for key, region in catalogue.regions().items():
        view = region.svg_area.split(":", 1)[0] or "front"
        for side in PAIRED_SIDES if region.paired else (None,):
            out.append(
                AreaChoice(
                    token=area_token(key, side),
                    region=key,
                    side=side,
                    label=area_label(key, side),
                    patient_label=area_label(key, side, patient=True),
                    view=view,
                )
            )
    return out


def area_select_choices() -> list[tuple[str, str]]:
    """Region + side options for a select, bilateral included for paired regions."""
    out: list[tuple[str, str]] = []
    for key, region in catalogue.regions().items():
        for side in (*PAIRED_SIDES, "bilateral") if region.paired else (None,):
            out.append((area_token(key, side), area_label(key, side)))
    return out


# The limbs people name for lymph-node removal: the armpit's arm, the groin's leg.
LIMB_WORDS = {"arm": "arm (nodes under the arm)", "leg": "leg (nodes in the groin)"}


def limb_choices() -> list[tuple[str, str]]:
    """One option per limb and side ("Right arm …"), posted as the limb's first region and the side."""
    out: list[tuple[str, str]] = []
    for limb, words in LIMB_WORDS.items():
        first = next((k for k, r in catalogue.regions().items() if r.limb == limb), None)
        if first is None:
            continue
        for side in PAIRED_SIDES:
            out.append((area_token(first, side), f"{side.capitalize()} {words}"))
    return out


def condition_choices(*, patient: bool = False) -> list[tuple[str, str]]:
    """(key, name) for a select: the patient-friendly name, with the clinical name for staff."""
    out = []
    for key, c in catalogue.conditions().items():
        label = c.patient_name if patient or c.patient_name == c.name else f"{c.patient_name} — {c.name}"
        out.append((key, label))
    return out


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
        return icd10.icd10_title(code)
    except Exception:  # an unknown code stays shown as typed
        return ""


def area_words(raw_areas: list[dict[str, Any]]) -> list[str]:
    return [area_label(a.get("region", ""), a.get("side")) for a in raw_areas if a.get("region")]


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


def condition_rows(overview: CareOverview) -> list[dict[str, Any]]:
    """The patient's conditions with code, side, onset and chronicity (and why)."""
    if overview.inp is None:
        return []
    names = catalogue.conditions()
    chron = {c.condition: c for c in overview.screening.chronicity} if overview.screening else {}
    rows = []
    for d in overview.inp.diagnoses:
        c = chron.get(d.condition)
        rows.append(
            {
                "key": d.condition,
                "name": names[d.condition].name,
                "patient_name": names[d.condition].patient_name,
                "icd10": d.icd10 or "",
                "icd10_title": icd10.icd10_title(d.icd10) if d.icd10 else "",
                "side": d.side or "",
                "onset": d.onset,
                "chronicity": c.label if c else "",
                "chronicity_rule": c.rule_text if c else "",
                "chronicity_sources": cite(c.sources) if c else [],
            }
        )
    return rows


def care_sections(overview: CareOverview) -> dict[str, Any]:
    """Template context for the clinical sections of the patient page."""
    handoff = None
    me = overview.viewer_therapist
    if me is not None and overview.matches is not None:
        view = match_view(overview.matches, exclude_id=str(me.public_id))
        assert view is not None
        poor = overview.matches.current_is_poor_match
        handoff = {"poor": poor, "colleagues": view["suggestions"] if poor else view["matches"][:3]}
    clearances = overview.clearances
    return {
        "care": True,
        "care_on": overview.on,
        "care_location": overview.location,
        "services": overview.services,
        "service": overview.service,
        "plan_therapist": overview.therapist,
        "is_therapist": me is not None,
        "decision": decision_view(overview.screening),
        "screening_error": overview.screening_error,
        "conditions": condition_rows(overview),
        "plan": plan_view(overview.plan),
        "plan_error": overview.plan_error,
        "handoff": handoff,
        "clearances": clearances,
        "granted_clearances": [_clearance_row(c) for c in clearances if c.status == ClearanceStatus.GRANTED],
        "requested_clearances": [
            _clearance_row(c) for c in clearances if c.status == ClearanceStatus.REQUESTED
        ],
        "providers": overview.providers,
        "scope_choices": ClearanceScope.choices,
        "active_plan": overview.active_plan,
        "draft_plan": overview.draft_plan,
        "plan_goals": _goals(overview.active_plan),
        "draft_goals": _goals(overview.draft_plan),
        "handoffs": overview.handoffs,
        "measures": catalogue.measures(),
    }
