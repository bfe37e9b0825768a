"""Therapist matching: who may treat this patient here, on this date, and who fits best.

Pure Python (no Django imports): callers turn ORM rows into :class:`TherapistProfile` and the
patient's request into :class:`MatchRequest`; :func:`match` returns every candidate exactly once,
either as a scored :class:`Match` or as an :class:`Excluded` with *all* the reasons it failed.

Hard filters (DESIGN §3 S2, S12, S18; REFERENCE §5):

- ``inactive``: the therapist is not active.
- ``licence_missing`` / ``licence_expired`` / ``licence_not_yet_valid``: no licence for the
  location's jurisdiction with ``issued <= on <= expires``. Required for *every* service family,
  relaxation included: 45 states + DC + PR require licensure and California / Vermont regulate by
  certification / registration [R18, R17]; the Licence record holds whichever credential the
  jurisdiction issues, so one rule covers all (:data:`LICENCE_REQUIRED_FAMILIES`, a clinic setting).
  An unverified licence still passes (DESIGN asks for valid, not board-checked) but the match
  carries a ``licence_unverified`` note so staff can check the register.
- ``not_at_location``: the location is not among the therapist's locations.
- ``untrained_for_condition`` / ``missing_required_technique``: see :func:`technique_requirements`.
- ``intraoral_scope`` / ``intraoral_untrained``: when the request needs intraoral work, the
  jurisdiction must be in the therapist's ``intraoral_scope_jurisdictions`` *and* the therapist
  trained in ``intraoral_tmj`` (catalogue flag ``intraoral_scope``, unverified [R19]).
- ``gender``: the patient's required therapist gender.

Score, 0..100, one reason per component. The weights are clinic settings, not clinical claims:
condition expertise (:data:`EXPERTISE_WEIGHT`), technique depth (:data:`TECHNIQUE_DEPTH_WEIGHT`),
continuity (:data:`CONTINUITY_WEIGHT`), and earliest availability (DESIGN §6) when the caller
knows it.

Earliest availability comes from scheduling (planning never imports it): scheduling searches the
free slots and passes each candidate's earliest free start as an :class:`EarliestAvailability`.
Then a fourth component scores :data:`AVAILABILITY_WEIGHT` points for a free start right away,
falling linearly to 0 at :data:`AVAILABILITY_HORIZON` (or no free start in the searched window),
and the other three are scaled by ``(100 - AVAILABILITY_WEIGHT) / 100`` so a score still reads as
a percentage. Without it (``availability=None``) nothing about availability is scored or claimed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kneadwell.knowledge.catalogue import catalogue as load_catalogue
from kneadwell.knowledge.types import Catalogue, Condition
from kneadwell.knowledge.vocabulary import SERVICE_FAMILIES, Diagnosis

# --- Clinic settings (policy, not clinical claims) -------------------------------------------

# Massage requires licensure (or state certification / registration) almost everywhere [R18, R17].
LICENCE_REQUIRED_FAMILIES = frozenset(SERVICE_FAMILIES)
LICENCE_SOURCES = ("R17", "R18")

# Score weights; they sum to 100 so a score reads as a percentage.
EXPERTISE_WEIGHT = 50.0
TECHNIQUE_DEPTH_WEIGHT = 30.0
CONTINUITY_WEIGHT = 20.0
# Points for a therapist who treated the patient before but is not the current therapist; the
# current therapist gets the full CONTINUITY_WEIGHT.
CONTINUITY_PAST_POINTS = 10.0
# Earliest availability, scored only when scheduling passes it in (EarliestAvailability): the other
# weights are then scaled down so the four still sum to 100.
AVAILABILITY_WEIGHT = 20.0
# A first free start this far ahead (or none in the searched window) scores 0 for availability.
AVAILABILITY_HORIZON = dt.timedelta(days=14)

MAX_EXPERTISE_LEVEL = 3
EXPERTISE_LABELS = {0: "no recorded expertise", 1: "familiar", 2: "experienced", 3: "specialist"}

# The current therapist is a poor match when excluded, or when scoring below this while a
# colleague scores at least POOR_MATCH_MARGIN points more.
POOR_MATCH_THRESHOLD = 60.0
POOR_MATCH_MARGIN = 15.0
MAX_SUGGESTIONS = 3

INTRAORAL_TECHNIQUE = "intraoral_tmj"
INTRAORAL_FLAG = "intraoral_scope"
RELAXATION_CONDITION = "relaxation"
SPECIFIC_PHASE = "specific"


# --- Inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LicenceInfo:
    jurisdiction: str  # ISO 3166-2, e.g. "US-NY"
    title: str  # e.g. LMT, LMBT, CMT
    issued: dt.date
    expires: dt.date
    verified: bool  # checked against the state board's register

    def valid_on(self, jurisdiction: str, on: dt.date) -> bool:
        return self.jurisdiction == jurisdiction and self.issued <= on <= self.expires


@dataclass(frozen=True, slots=True)
class TherapistProfile:
    id: str  # public id
    name: str
    gender: str
    location_ids: frozenset[str]  # locations the therapist works at
    licences: tuple[LicenceInfo, ...]
    trainings: frozenset[str]  # technique keys
    expertise: Mapping[str, int]  # condition key -> 1 familiar, 2 experienced, 3 specialist
    intraoral_scope_jurisdictions: frozenset[str] = frozenset()  # empty: nowhere
    past_patient_sessions: int = 0  # sessions with this patient so far
    active: bool = True

    def __post_init__(self) -> None:
        for condition, level in self.expertise.items():
            if not 1 <= level <= MAX_EXPERTISE_LEVEL:
                raise ValueError(f"expertise level for {condition!r} must be 1–3, got {level!r}")
        if self.past_patient_sessions < 0:
            raise ValueError("past_patient_sessions must not be negative")


@dataclass(frozen=True, slots=True)
class MatchRequest:
    location_id: str
    jurisdiction: str  # the location's licensing jurisdiction
    on: dt.date  # the session's local date
    service_family: str  # relaxation | therapeutic | spot_work
    diagnoses: tuple[Diagnosis, ...] = ()
    # None: derived from the conditions (technique_requirements). A set: every one is required.
    required_techniques: frozenset[str] | None = None
    needs_intraoral: bool = False
    required_gender: str | None = None
    current_therapist_id: str | None = None


@dataclass(frozen=True, slots=True)
class EarliestAvailability:
    """Each candidate's earliest free start for the request, as scheduling found it.

    ``earliest`` maps a therapist id to the first free start in ``[searched_from, searched_until)``;
    a candidate absent from it has no free start there. ``time_zone`` is the location's, for the
    reason's wording.
    """

    searched_from: dt.datetime
    searched_until: dt.datetime
    time_zone: str
    earliest: Mapping[str, dt.datetime]


# --- Outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str
    weight: float | None  # points contributed to the score; None for a filter or a note
    sources: tuple[str, ...] = ()  # catalogue source ids behind the rule, when it has any
    verified: bool = True  # False when the catalogue marks the underlying item unverified

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "text": self.text,
            "weight": self.weight,
            "sources": list(self.sources),
            "verified": self.verified,
        }


@dataclass(frozen=True, slots=True)
class Match:
    therapist_id: str
    name: str
    score: float
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "therapist": {"id": self.therapist_id, "name": self.name},
            "score": self.score,
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Excluded:
    therapist_id: str
    name: str
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "therapist": {"id": self.therapist_id, "name": self.name},
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class MatchResult:
    matches: tuple[Match, ...]  # best first; ties by name, then id
    excluded: tuple[Excluded, ...]  # by name, then id
    current_is_poor_match: bool = False
    suggestions: tuple[Match, ...] = field(default=())  # colleagues for a hand-off, best first

    def to_dict(self) -> dict[str, Any]:
        return {
            "matches": [m.to_dict() for m in self.matches],
            "excluded": [e.to_dict() for e in self.excluded],
            "current_is_poor_match": self.current_is_poor_match,
            "suggestions": [s.to_dict() for s in self.suggestions],
        }


# --- Requirements ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConditionRequirement:
    """A therapist must be trained in at least one of ``any_of`` to take this condition."""

    condition: str
    any_of: tuple[str, ...]
    verified: bool
    sources: tuple[str, ...]


def request_conditions(req: MatchRequest) -> tuple[str, ...]:
    """The conditions the session is for, in diagnosis order, without repeats.

    A relaxation service is a relaxation session whatever else is on file, so it needs what the
    catalogue's ``relaxation`` condition lists (Swedish) and nothing more.
    """
    if req.service_family == "relaxation":
        return (RELAXATION_CONDITION,)
    return tuple(dict.fromkeys(d.condition for d in req.diagnoses))


def _usable_techniques(condition: Condition, cat: Catalogue) -> tuple[str, ...]:
    # Scope-restricted techniques (intraoral TMJ work) are gated by the scope filter, never by the
    # training filter, so they neither satisfy nor create a condition's training requirement.
    return tuple(t for t in condition.techniques if not cat.techniques[t].scope_restricted)


def technique_requirements(req: MatchRequest, cat: Catalogue) -> tuple[ConditionRequirement, ...]:
    """What "trained for the patient's conditions" means, per condition (when not given explicitly).

    Rule: for each condition, the therapist must be trained in at least one technique the catalogue
    lists for it in the ``specific`` phase (the condition-targeted work, e.g. myofascial release or
    trigger point for whiplash). A condition whose list has no specific-phase technique (cluster
    or sinus headache, frozen shoulder, relaxation) needs at least one of its listed techniques,
    so relaxation needs Swedish. Warm-up, stretching and finishing techniques alone never qualify
    a therapist for a condition that has specific work. Scope-restricted techniques are left out
    (see :func:`_usable_techniques`). The requirement carries the catalogue's ``verified`` marker
    and sources of the technique list it came from.
    """
    out: list[ConditionRequirement] = []
    for key in request_conditions(req):
        condition = cat.conditions[key]
        usable = _usable_techniques(condition, cat)
        specific = tuple(t for t in usable if SPECIFIC_PHASE in cat.techniques[t].phases)
        basis = condition.techniques_basis
        out.append(
            ConditionRequirement(
                condition=key,
                any_of=specific or usable,
                verified=basis.verified,
                sources=basis.sources,
            )
        )
    return tuple(out)


def _listed_techniques(req: MatchRequest, cat: Catalogue) -> tuple[str, ...]:
    """The union of the conditions' listed techniques, for technique depth (catalogue order)."""
    listed: dict[str, None] = {}
    for key in request_conditions(req):
        for t in cat.conditions[key].techniques:
            if req.needs_intraoral or not cat.techniques[t].scope_restricted:
                listed[t] = None
    return tuple(listed)


def _validate(req: MatchRequest, candidates: Sequence[TherapistProfile], cat: Catalogue) -> None:
    if req.service_family not in SERVICE_FAMILIES:
        raise ValueError(f"unknown service family {req.service_family!r}")
    for d in req.diagnoses:
        if d.condition not in cat.conditions:
            raise ValueError(f"unknown condition {d.condition!r}")
    for t in req.required_techniques or ():
        if t not in cat.techniques:
            raise ValueError(f"unknown technique {t!r}")
    seen: set[str] = set()
    for c in candidates:
        if c.id in seen:
            raise ValueError(f"therapist {c.id!r} is listed twice")
        seen.add(c.id)


# --- Filters -----------------------------------------------------------------------------------


def _names(keys: Sequence[str], entries: Mapping[str, Any]) -> str:
    return ", ".join(entries[k].name for k in keys)


def _licence_reasons(t: TherapistProfile, req: MatchRequest) -> tuple[list[Reason], LicenceInfo | None]:
    if req.service_family not in LICENCE_REQUIRED_FAMILIES:
        return [], None
    valid = sorted(
        (lic for lic in t.licences if lic.valid_on(req.jurisdiction, req.on)),
        key=lambda lic: (not lic.verified, lic.expires),  # prefer verified, then soonest expiring
    )
    if valid:
        return [], valid[0]
    here = sorted(
        (lic for lic in t.licences if lic.jurisdiction == req.jurisdiction), key=lambda x: x.expires
    )
    on = req.on.isoformat()
    if not here:
        held = sorted({lic.jurisdiction for lic in t.licences})
        also = f" (holds {', '.join(held)})" if held else ""
        text = f"No licence for {req.jurisdiction}{also}."
        return [Reason("licence_missing", text, None, LICENCE_SOURCES)], None
    if all(lic.issued > req.on for lic in here):
        first = min(here, key=lambda lic: lic.issued)
        text = f"{first.title} licence for {req.jurisdiction} is valid only from {first.issued.isoformat()}, after {on}."
        return [Reason("licence_not_yet_valid", text, None, LICENCE_SOURCES)], None
    last = max((lic for lic in here if lic.issued <= req.on), key=lambda lic: lic.expires)
    text = f"{last.title} licence for {req.jurisdiction} expired on {last.expires.isoformat()} (session on {on})."
    return [Reason("licence_expired", text, None, LICENCE_SOURCES)], None


def _training_reasons(t: TherapistProfile, req: MatchRequest, cat: Catalogue) -> list[Reason]:
    if req.required_techniques is not None:
        missing = sorted(req.required_techniques - t.trainings)
        if not missing:
            return []
        text = f"Not trained in {_names(missing, cat.techniques)} (required for this session)."
        return [Reason("missing_required_technique", text, None)]
    reasons = []
    for need in technique_requirements(req, cat):
        if need.any_of and not set(need.any_of) & t.trainings:
            condition = cat.conditions[need.condition].name
            options = _names(need.any_of, cat.techniques)
            label = "" if need.verified else " (a list not yet confirmed by a published source)"
            text = f"Not trained for {condition}: needs one of {options}{label}."
            reasons.append(
                Reason("untrained_for_condition", text, None, need.sources, verified=need.verified)
            )
    return reasons


def _intraoral_reasons(t: TherapistProfile, req: MatchRequest, cat: Catalogue) -> list[Reason]:
    # Applied whenever intraoral work is asked for, whatever the diagnosis: the gate is about the work.
    if not req.needs_intraoral:
        return []
    flag = cat.flags[INTRAORAL_FLAG]
    technique = cat.techniques[INTRAORAL_TECHNIQUE]
    reasons = []
    if req.jurisdiction not in t.intraoral_scope_jurisdictions:
        text = f"Intraoral work is not in scope for this therapist in {req.jurisdiction}. {flag.text}"
        reasons.append(Reason("intraoral_scope", text, None, flag.sources, verified=flag.verified))
    if INTRAORAL_TECHNIQUE not in t.trainings:
        text = f"Not trained in {technique.name}."
        reasons.append(
            Reason("intraoral_untrained", text, None, technique.sources, verified=technique.verified)
        )
    return reasons


def _exclusion_reasons(
    t: TherapistProfile, req: MatchRequest, cat: Catalogue
) -> tuple[list[Reason], LicenceInfo | None]:
    reasons: list[Reason] = []
    if not t.active:
        reasons.append(Reason("inactive", "Not an active therapist.", None))
    licence_reasons, licence = _licence_reasons(t, req)
    reasons += licence_reasons
    if req.location_id not in t.location_ids:
        reasons.append(Reason("not_at_location", "Does not work at this location.", None))
    reasons += _training_reasons(t, req, cat)
    reasons += _intraoral_reasons(t, req, cat)
    if req.required_gender is not None and t.gender != req.required_gender:
        text = f"The patient asked for a {req.required_gender.replace('_', '-')} therapist."
        reasons.append(Reason("gender", text, None))
    return reasons, licence


# --- Score -------------------------------------------------------------------------------------


def _points(value: float) -> float:
    return round(value, 1)


def _expertise_reason(t: TherapistProfile, req: MatchRequest, cat: Catalogue) -> Reason:
    """Mean over the session's conditions of level / 3 (a condition without expertise counts 0).

    The mean, not the maximum, so a therapist experienced in every condition of a patient with
    two problems ranks above a specialist in only one of them.
    """
    conditions = request_conditions(req)
    if not conditions:
        return Reason("expertise", "No condition on file: expertise not scored.", 0.0)
    levels = [t.expertise.get(c, 0) for c in conditions]
    mean = sum(levels) / len(levels)
    points = _points(EXPERTISE_WEIGHT * mean / MAX_EXPERTISE_LEVEL)
    parts = "; ".join(
        f"{cat.conditions[c].name}: {EXPERTISE_LABELS[level]}"
        for c, level in zip(conditions, levels, strict=True)
    )
    return Reason("expertise", f"Condition expertise — {parts}.", points)


def _depth_reason(t: TherapistProfile, req: MatchRequest, cat: Catalogue) -> Reason:
    """Share of the conditions' listed techniques the therapist is trained in."""
    listed = _listed_techniques(req, cat)
    if not listed:
        return Reason("technique_depth", "No condition on file: technique depth not scored.", 0.0)
    trained = [k for k in listed if k in t.trainings]
    points = _points(TECHNIQUE_DEPTH_WEIGHT * len(trained) / len(listed))
    names = _names(trained, cat.techniques) if trained else "none"
    text = f"Trained in {len(trained)} of {len(listed)} techniques these conditions list ({names})."
    return Reason("technique_depth", text, points)


def _continuity_reason(t: TherapistProfile, req: MatchRequest) -> Reason:
    sessions = t.past_patient_sessions
    count = f"{sessions} session{'s' if sessions != 1 else ''}"
    if req.current_therapist_id == t.id:
        return Reason("continuity", f"The patient's current therapist ({count} so far).", CONTINUITY_WEIGHT)
    if sessions > 0:
        return Reason("continuity", f"Has treated the patient before ({count}).", CONTINUITY_PAST_POINTS)
    return Reason("continuity", "Has not treated the patient before.", 0.0)


def _availability_reason(t: TherapistProfile, availability: EarliestAvailability) -> Reason:
    """Full points for a free start right away, none for one AVAILABILITY_HORIZON away or none at all."""
    first = availability.earliest.get(t.id)
    if first is None:
        days = (availability.searched_until - availability.searched_from).days
        return Reason("availability", f"No free time in the next {days} days.", 0.0)
    wait = max(first - availability.searched_from, dt.timedelta(0))
    share = max(0.0, 1 - wait / AVAILABILITY_HORIZON)
    local = first.astimezone(ZoneInfo(availability.time_zone))
    when = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    return Reason("availability", f"Earliest free time {when}.", _points(AVAILABILITY_WEIGHT * share))


def _scaled(reason: Reason, factor: float) -> Reason:
    if reason.weight is None or factor == 1.0:
        return reason
    return Reason(reason.code, reason.text, _points(reason.weight * factor), reason.sources, reason.verified)


def _score(
    t: TherapistProfile,
    req: MatchRequest,
    cat: Catalogue,
    licence: LicenceInfo | None,
    availability: EarliestAvailability | None = None,
) -> Match:
    components: tuple[Reason, ...] = (
        _expertise_reason(t, req, cat),
        _depth_reason(t, req, cat),
        _continuity_reason(t, req),
    )
    if availability is not None:
        factor = (100.0 - AVAILABILITY_WEIGHT) / 100.0
        components = (*(_scaled(r, factor) for r in components), _availability_reason(t, availability))
    score = _points(sum(r.weight or 0.0 for r in components))
    notes: list[Reason] = []
    if licence is not None and not licence.verified:
        text = f"{licence.title} licence for {licence.jurisdiction} is not yet verified against the state register."
        notes.append(Reason("licence_unverified", text, None, LICENCE_SOURCES))
    return Match(t.id, t.name, min(max(score, 0.0), 100.0), (*components, *notes))


# --- Hand-off ------------------------------------------------------------------------------------


def _handoff(
    req: MatchRequest, matches: tuple[Match, ...], excluded: tuple[Excluded, ...]
) -> tuple[bool, tuple[Match, ...]]:
    """Is the current therapist a poor match, and which colleagues fit better (up to 3)?

    Poor: the current therapist is excluded (then every matched colleague fits better), or scores
    below POOR_MATCH_THRESHOLD while a colleague scores at least POOR_MATCH_MARGIN more. A current
    therapist who is not among the candidates cannot be judged, so is not called a poor match.
    Each suggestion starts with a ``handoff`` reason for the hand-off note.
    """
    current_id = req.current_therapist_id
    if current_id is None:
        return False, ()
    colleagues = [m for m in matches if m.therapist_id != current_id]
    out_current = next((e for e in excluded if e.therapist_id == current_id), None)
    if out_current is not None:
        why = "; ".join(r.text.rstrip(".") for r in out_current.reasons)
        notes = [
            Reason("handoff", f"{out_current.name} cannot take this session: {why}.", None)
            for _ in colleagues
        ]
        better = colleagues
    else:
        current = next((m for m in matches if m.therapist_id == current_id), None)
        if current is None or current.score >= POOR_MATCH_THRESHOLD:
            return False, ()
        better = [m for m in colleagues if m.score - current.score >= POOR_MATCH_MARGIN]
        if not better:
            return False, ()
        notes = [
            Reason(
                "handoff",
                f"Scores {_points(m.score - current.score)} points above {current.name} ({current.score}).",
                None,
            )
            for m in better
        ]
    suggestions = tuple(
        Match(m.therapist_id, m.name, m.score, (note, *m.reasons))
        for m, note in zip(better[:MAX_SUGGESTIONS], notes, strict=False)
    )
    return True, suggestions


# --- Entry point -------------------------------------------------------------------------------


def match(
    req: MatchRequest,
    candidates: Sequence[TherapistProfile],
    *,
    catalogue: Catalogue | None = None,
    availability: EarliestAvailability | None = None,
) -> MatchResult:
    """Filter and rank ``candidates`` for ``req``; deterministic whatever the candidates' order.

    With ``availability`` (from scheduling) the score includes earliest availability.
    Raises ValueError for an unknown service family, condition or technique, or a repeated id.
    """
    cat = catalogue or load_catalogue()
    _validate(req, candidates, cat)
    matched: list[Match] = []
    excluded: list[Excluded] = []
    for t in candidates:
        reasons, licence = _exclusion_reasons(t, req, cat)
        if reasons:
            excluded.append(Excluded(t.id, t.name, tuple(reasons)))
        else:
            matched.append(_score(t, req, cat, licence, availability))
    matches = tuple(sorted(matched, key=lambda m: (-m.score, m.name, m.therapist_id)))
    out = tuple(sorted(excluded, key=lambda e: (e.name, e.therapist_id)))
    poor, suggestions = _handoff(req, matches, out)
    return MatchResult(matches, out, poor, suggestions)
