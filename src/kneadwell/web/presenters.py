"""Words for people: screening decisions, session plans, matches, areas, diagnoses and sources, ready
for templates. Shared by every page (the call script, the patient page, the portals)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kneadwell.intake.models import Intake
from kneadwell.intake.screening.gate import SCOPE_WORDS, visit_gate
from kneadwell.intake.screening.types import Decision, Finding, ScreeningResult
from kneadwell.knowledge import catalogue, icd10
from kneadwell.planning.instructions import INSTRUCTION_WORDS
from kneadwell.planning.matching import Match, MatchResult
from kneadwell.planning.models import CarePlan
from kneadwell.planning.tailoring import SessionPlan
from kneadwell.referrals.models import CareTeamRole, ClearanceScope, ClearanceStatus, ProviderKind, Referral
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
# When the whole visit waits for a clearance (a known clot, a high-risk pregnancy).
HELD_FOR_CLEARANCE = "The whole visit waits for the referring provider's approval: nothing can be booked yet."


LIGHTING_WORDS = {"soft": "soft, dimmed light", "bright": "normal light"}


MUSIC_WORDS = {"calm": "calm music", "none": "silence"}


ROLE_WORDS = {"focus": "Focus", "related": "Related muscles", "general": "General"}


# Rationale entries name a catalogue source id, or one of these kinds of basis.
BASIS_WORDS = {
    "clinic_setting": "A choice of this clinic, not a clinical claim",
    "article": "The source article on therapeutic massage",
    "catalogue": "The clinical catalogue",
    "screening": "The screening result",
}

# Said instead of an "(unverified …)" note: plain words, with the sources one click away.
NOT_CONFIRMED = "Not yet confirmed by a published source."

# "[R21]" or "[R40, R63]" at the end of a stored basis: the citations, shown as links instead.
_CITED = re.compile(r"\s*\[((?:[A-Z]\d+[a-z]?)(?:,\s*[A-Z]\d+[a-z]?)*)\]")


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


def cited_text(text: str) -> dict[str, Any]:
    """A stored basis ("… Cherkin 2011. [R40]") as a plain sentence and the sources it cites, for a "Why?"."""
    ids = [i.strip() for found in _CITED.findall(text or "") for i in found.split(",")]
    plain = _CITED.sub("", text or "").strip()
    return {"text": plain, "sources": cite(ids)}


def flag_label(code: str) -> str:
    """The catalogue flag's plain name ("Headache that began after age 50")."""
    flag = catalogue.flags().get(code)
    return flag.label if flag is not None and flag.label else "A screening finding"


def clearance_words(scope: str, flag: str = "") -> str:
    """What a clearance permits, in words: "Scar work", or for a flag "Medical evaluation: <its name>"."""
    if scope == ClearanceScope.FLAG:
        return f"Medical evaluation: {flag_label(flag).lower()}" if flag else ClearanceScope.FLAG.label
    return ClearanceScope(scope).label if scope in ClearanceScope.values else scope


def _finding_row(f: Finding, rules: dict[str, Any], *, for_patient: bool) -> dict[str, Any]:
    rule = rules.get(f.rule)
    scope = f.clearance_scope if f.severity in (Decision.NEEDS_CLEARANCE, Decision.REFER_OUT) else ""
    return {
        "label": flag_label(f.code),
        "rule_text": rule.description if rule is not None else "",
        "severity": f.severity.value,
        "severity_label": DECISION_LABELS[f.severity],
        "area": area_label(f.area.region, f.area.side, patient=for_patient) if f.area else "",
        "region": f.area.region if f.area else "",
        "side": (f.area.side or "") if f.area else "",
        "message": f.message_patient if for_patient else f.message_staff,
        "message_patient": f.message_patient,
        "sources": cite(f.sources),
        "verified": f.verified,
        "not_confirmed": "" if f.verified else NOT_CONFIRMED,
        "holds_visit": f.holds_visit,
        # What to ask the referrer for: the scope key and, for a flag, the flag it names.
        "scope": scope,
        "flag": f.code if scope == ClearanceScope.FLAG else "",
        "scope_label": (
            clearance_words(scope, f.code) if scope == ClearanceScope.FLAG else SCOPE_WORDS.get(scope, "")
        ),
    }


def decision_view(result: ScreeningResult | None, *, for_patient: bool = False) -> dict[str, Any] | None:
    """The decision chip, restricted areas and findings of a screening, ready for a template."""
    if result is None:
        return None
    rules = {r.id: r for r in _rules()}
    gate = visit_gate(result)
    held_for_clearance = result.blocked and result.decision == Decision.NEEDS_CLEARANCE
    findings = [_finding_row(f, rules, for_patient=for_patient) for f in result.findings]
    return {
        "key": result.decision.value,
        "label": DECISION_LABELS[result.decision],
        "help": HELD_FOR_CLEARANCE if held_for_clearance else DECISION_HELP[result.decision],
        "blocked": result.blocked,
        "unblock": [] if for_patient else list(gate.unblock),
        "restricted": [area_label(a.region, a.side, patient=for_patient) for a in result.restricted_areas],
        "pressure_cap": result.pressure_cap.value if result.pressure_cap else "",
        "findings": findings,
        "askable": [f for f in findings if f["scope"]],
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
        "unblock": list(plan.unblock),
        "segments": [
            {
                "area": area_label(s.region, s.side),
                "minutes": s.minutes,
                "techniques": technique_names(s.techniques),
                "role": ROLE_WORDS.get(s.role, s.role),
                "role_key": s.role,
                "pressure_max": s.pressure_max.value if s.pressure_max else "",
                "notes": list(s.notes),
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
                "text": r.text,
                "sources": cite([r.source] if r.source else []),
                "verified": r.verified,
                "not_confirmed": "" if r.verified else NOT_CONFIRMED,
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
    return {"clearance": c, "words": f"{clearance_words(c.scope, c.flag)}{where}"}


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
                "basis": cited_text(g.basis),
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
        # An injury code's 7th character for visits after the first: D, healing-phase care (I.C.19.a).
        code = icd10.encounter_code(d.icd10, initial=False) if d.icd10 else ""
        rows.append(
            {
                "key": d.condition,
                "name": names[d.condition].name,
                "patient_name": names[d.condition].patient_name,
                "icd10": d.icd10 or "",
                "icd10_title": icd10.icd10_title(d.icd10) if d.icd10 else "",
                "encounter_code": code if code != (d.icd10 or "") else "",
                "encounter_title": icd10.icd10_title(code) if code and code != d.icd10 else "",
                "encounter_sources": cite(["R64"]),
                "side": d.side or "",
                "onset": d.onset,
                "chronicity": c.label if c else "",
                "stage": c.stage_label if c else "",
                "chronicity_rule": chronicity_words(d.condition),
                "chronicity_not_confirmed": "" if _chronicity_verified(d.condition) else NOT_CONFIRMED,
                "chronicity_sources": cite(c.sources) if c else [],
            }
        )
    return rows


def chronicity_words(condition_key: str) -> str:
    """A condition's acute / subacute / chronic thresholds as a plain sentence (no ids or notes)."""
    condition = catalogue.conditions().get(condition_key)
    if condition is None or condition.chronicity is None:
        return ""
    acute, chronic = condition.chronicity.acute_below.duration, condition.chronicity.chronic_above.duration
    return (
        f"Counted from the onset: acute for the first {acute}, chronic after {chronic}, subacute in between."
    )


def _chronicity_verified(condition_key: str) -> bool:
    condition = catalogue.conditions().get(condition_key)
    if condition is None or condition.chronicity is None:
        return True
    return condition.chronicity.acute_below.verified and condition.chronicity.chronic_above.verified


def intake_said(intake: Intake | None) -> dict[str, Any] | None:
    """What the patient told us at intake, in their words: shown after the call and on the patient page."""
    if intake is None:
        return None
    names = catalogue.conditions()
    return {
        "recorded": intake.created_at,
        "channel": intake.get_channel_display(),
        "complaint": intake.chief_complaint,
        "referral_reason": intake.referral_reason,
        "goals": intake.goals,
        "prior_treatments": intake.prior_treatments,
        "onset": intake.onset,
        "areas": area_words(intake.areas),
        "conditions": [names[d["condition"]].name for d in intake.diagnoses if d.get("condition") in names],
    }


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
        "care_team": overview.care_team,
        "care_team_roles": CareTeamRole.choices,
        "provider_kinds": ProviderKind.choices,
        "all_providers": overview.all_providers,
        "scope_choices": ClearanceScope.choices,
        "active_basis": cited_text(overview.active_plan.frequency_basis) if overview.active_plan else None,
        "draft_basis": cited_text(overview.draft_plan.frequency_basis) if overview.draft_plan else None,
        "inflammation_areas": _inflammation_areas(overview.screening),
        "active_plan": overview.active_plan,
        "draft_plan": overview.draft_plan,
        "plan_goals": _goals(overview.active_plan),
        "draft_goals": _goals(overview.draft_plan),
        "handoffs": overview.handoffs,
        "measures": catalogue.measures(),
        "intake_said": intake_said(overview.latest_intake),
        "referral_precautions": overview.referral_precautions,
    }


def _inflammation_areas(result: ScreeningResult | None) -> list[dict[str, str]]:
    """Areas held by the first-72-hours rule, which a clinician's recorded examination can lift."""
    if result is None:
        return []
    out = []
    for f in result.findings:
        if f.rule == "local.acute_injury_first_72_hours" and f.area_off_limits and f.area is not None:
            out.append(
                {
                    "token": area_token(f.area.region, f.area.side),
                    "label": area_label(f.area.region, f.area.side),
                }
            )
    return out
