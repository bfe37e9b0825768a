"""The care pathway gates booking: the clinical gate first, then matching's hard filters.

`clinical_booking_gate` is the booking side of DESIGN §5 invariant 3 ("screening gates hold
everywhere"). The decision is the one clinical gate, `intake.screening.gate.visit_gate`, which the
session plan and the plan of care's approval also ask: availability offers no slot, and the booking
service books none, while screening refers the patient out, defers the visit or holds the whole visit
for a clearance. The gate is the same for every service (REFERENCE §1.3's global screening is about
massage of any kind; see gate.py): what relaxation is spared is the clinical paperwork, not safety.

For a clinical service, only therapists that matching does not exclude for this patient (licence for
the location's jurisdiction on the local date, training for the conditions, intraoral scope, a
required gender) are offered or booked. Relaxation needs neither referral nor plan, so any therapist
who works there may take it (the booking service still checks what it checks for every service).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from kneadwell.clinic.models import Location, Service
from kneadwell.intake.screening import Decision, screen
from kneadwell.intake.screening.gate import visit_gate
from kneadwell.intake.screening.types import Finding, ScreeningResult
from kneadwell.intake.selectors import screening_input
from kneadwell.lib.errors import DomainError
from kneadwell.patients.models import Patient
from kneadwell.planning.history import NO_HISTORY, VisitHistory
from kneadwell.planning.matching import (
    EarliestAvailability,
    Excluded,
    LicenceInfo,
    Match,
    MatchRequest,
    MatchResult,
    TherapistProfile,
    match,
)
from kneadwell.planning.selectors import Preferences, current_therapist
from kneadwell.therapists.models import Expertise, Licence, Therapist, Training

from .selectors import visit_history

# What the patient reads when their own booking is held (staff read the gate's own words).
UNBLOCK_FOR_PATIENT = {
    Decision.REFER_OUT: "Please see your doctor first; call us once they have seen you.",
    Decision.DEFER: "Please call us when this has passed, and we will book your visit.",
    Decision.NEEDS_CLEARANCE: "We need your provider's approval first; we can ask them for you.",
}
DECISION_WORDS = {
    Decision.REFER_OUT: "refer out",
    Decision.DEFER: "defer",
    Decision.NEEDS_CLEARANCE: "needs clearance",
}


class BookingBlocked(DomainError):
    """Screening holds the whole visit: no slot is offered or booked (422, code "screening_hold")."""

    def __init__(self, message: str, *, decision: Decision, findings: tuple[Finding, ...]) -> None:
        super().__init__(message, field="patient", code="screening_hold")
        self.decision = decision
        self.findings = findings


def visit_holds(screening: ScreeningResult) -> tuple[Decision, tuple[Finding, ...]] | None:
    """The decision that holds the whole visit and the findings behind it, or None (the clinical gate's).

    Refer out and defer hold the visit; a clearance holds it only when the whole visit waits for it.
    A clearance for one area restricts that area, and the session plan works around it.
    """
    gate = visit_gate(screening)
    if gate.clear:
        return None
    findings = tuple(h.finding for h in gate.holds)
    return max(f.severity for f in findings), findings


def blocked_message(screening: ScreeningResult, *, for_patient: bool) -> str:
    gate = visit_gate(screening)
    if for_patient:
        decision = max(h.finding.severity for h in gate.holds)
        why = " ".join(dict.fromkeys(h.finding.message_patient for h in gate.holds))
        return f"This visit cannot be booked online yet. {why} {UNBLOCK_FOR_PATIENT[decision]}".strip()
    return gate.message("The booking")


@dataclass(frozen=True)
class ClinicalGate:
    """What the pathway allows for one patient, service and location on a local date."""

    clinical: bool
    on: dt.date
    history: VisitHistory
    screening: ScreeningResult | None = None
    matches: MatchResult | None = None
    _matched: dict[str, Match] = field(default_factory=dict)
    _excluded: dict[str, Excluded] = field(default_factory=dict)

    def allows(self, therapist: Therapist) -> bool:
        return not self.clinical or str(therapist.public_id) in self._matched

    def allowed_public_ids(self) -> frozenset[str] | None:
        """The therapists matching keeps, or None when any therapist may be offered (not clinical)."""
        return frozenset(self._matched) if self.clinical else None

    def match_score(self, public_id: str) -> float | None:
        found = self._matched.get(public_id)
        return found.score if found is not None else None

    def check_therapist(self, therapist: Therapist) -> None:
        """Refuse a therapist matching excludes for this patient, saying every reason (422)."""
        if self.allows(therapist):
            return
        excluded = self._excluded.get(str(therapist.public_id))
        why = "; ".join(r.text.rstrip(".") for r in excluded.reasons) if excluded else "not a candidate"
        code = excluded.reasons[0].code if excluded and excluded.reasons else "therapist_excluded"
        raise DomainError(
            f"{therapist.full_name} cannot take this session: {why}.", field="therapist", code=code
        )


def location_profiles(
    location: Location, history: VisitHistory, only: Therapist | None = None
) -> list[TherapistProfile]:
    """Matching profiles of the active therapists who work at `location`, in four flat queries.

    The same profile `planning.selectors.therapist_profiles` builds, for the only therapists a booking
    here can name, without the per-object prefetch machinery (a search runs this on every request).
    """
    if only is not None:
        # The booking service has the therapist (and checked they work here): no query for the row.
        rows = (
            [(only.pk, only.public_id, only.given_name, only.family_name, only.gender)] if only.active else []
        )
    else:
        rows = list(
            Therapist.objects.filter(active=True, locations=location).values_list(
                "pk", "public_id", "given_name", "family_name", "gender"
            )
        )
    pks = [row[0] for row in rows]
    # Every one of them works here, which is all matching's location filter asks about this location.
    here = frozenset({str(location.public_id)})
    licences: dict[int, list[LicenceInfo]] = defaultdict(list)
    intraoral: dict[int, set[str]] = defaultdict(set)
    for therapist_id, jurisdiction, title, issued, expires, verified, scope in Licence.objects.filter(
        therapist_id__in=pks
    ).values_list(
        "therapist_id", "jurisdiction", "title", "issued", "expires", "verified", "intraoral_scope"
    ):
        licences[therapist_id].append(LicenceInfo(jurisdiction, title, issued, expires, verified))
        if scope:
            intraoral[therapist_id].add(jurisdiction)
    trainings: dict[int, set[str]] = defaultdict(set)
    for therapist_id, technique in Training.objects.filter(therapist_id__in=pks).values_list(
        "therapist_id", "technique"
    ):
        trainings[therapist_id].add(technique)
    expertise: dict[int, dict[str, int]] = defaultdict(dict)
    for therapist_id, condition, level in Expertise.objects.filter(therapist_id__in=pks).values_list(
        "therapist_id", "condition", "level"
    ):
        expertise[therapist_id][condition] = level
    return [
        TherapistProfile(
            id=str(public_id),
            name=f"{given} {family}",
            gender=gender,
            location_ids=here,
            licences=tuple(licences[pk]),
            trainings=frozenset(trainings[pk]),
            expertise=expertise[pk],
            intraoral_scope_jurisdictions=frozenset(intraoral[pk]),
            past_patient_sessions=history.completed_with.get(pk, 0),
            active=True,
        )
        for pk, public_id, given, family, gender in rows
    ]


def clinical_booking_gate(
    *,
    patient: Patient,
    service: Service,
    location: Location,
    on: dt.date,
    history: VisitHistory | None = None,
    for_patient: bool = False,
    availability: EarliestAvailability | None = None,
    only: Therapist | None = None,
    need_history: bool = True,
) -> ClinicalGate:
    """Screen `patient` for a session of `service` at `location` on the local date `on`, and match.

    Raises BookingBlocked (422, field "patient") when the screening holds the whole visit, with the
    findings and what unblocks it (the patient's own wording when `for_patient`). A screening input
    that cannot be screened (stored dates after `on`) is a DomainError naming the patient.
    Matching sees the therapists who work at `location` (no other can be booked there), or `only` the
    one a booking names (matching judges each therapist on their own, so the verdict is the same).
    Queries: a fixed number (screening input, visit history, current therapist, four for the profiles).
    """
    history = history if history is not None else visit_history(patient) if need_history else NO_HISTORY
    try:
        inp = screening_input(patient=patient, on=on)
        screening = screen(inp)
    except ValueError as exc:
        raise DomainError(
            f"The patient's record cannot be screened for {on}: {exc}", field="patient"
        ) from exc
    hold = visit_holds(screening)
    if hold is not None:
        decision, findings = hold
        raise BookingBlocked(
            blocked_message(screening, for_patient=for_patient), decision=decision, findings=findings
        )
    if not service.is_clinical:
        # Screened and clear; no matching filter: any therapist who works here may take relaxation.
        return ClinicalGate(clinical=False, on=on, history=history, screening=screening)
    if history is NO_HISTORY:
        history = visit_history(patient)
    current = current_therapist(patient, history)
    request = MatchRequest(
        location_id=str(location.public_id),
        jurisdiction=location.jurisdiction,
        on=on,
        service_family=service.family,
        diagnoses=inp.diagnoses,
        required_gender=Preferences.of(patient).required_gender,
        current_therapist_id=str(current.public_id) if current else None,
    )
    try:
        result = match(request, location_profiles(location, history, only), availability=availability)
    except ValueError as exc:
        raise DomainError(str(exc), field="patient") from exc
    return ClinicalGate(
        clinical=True,
        on=on,
        history=history,
        screening=screening,
        matches=result,
        _matched={m.therapist_id: m for m in result.matches},
        _excluded={e.therapist_id: e for e in result.excluded},
    )
