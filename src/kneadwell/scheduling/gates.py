"""The care pathway gates booking: screening first, then matching's hard filters.

`clinical_booking_gate` is the booking side of DESIGN §5 invariant 3 ("screening gates hold
everywhere"): availability offers no clinical slot, and the booking service books none, for a patient
whose screening refers out, defers or holds the whole visit for a clearance; and only therapists that
matching does not exclude for this patient (licence for the location's jurisdiction on the local
date, training for the conditions, intraoral scope, a required gender) are offered or booked.

Relaxation is not a clinical service: it needs neither referral nor plan, so it passes the gate
with every therapist (the booking service still checks what it checks for every service).

The clinical-safety gate service (one function the booking service will call for clinical services)
is being written alongside; this module is the booking side of it, to be reconciled at merge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kneadwell.clinic.models import Location, Service
from kneadwell.intake.screening import Decision, screen
from kneadwell.intake.screening.types import Finding, ScreeningResult
from kneadwell.intake.selectors import screening_input
from kneadwell.lib.errors import DomainError
from kneadwell.patients.models import Patient
from kneadwell.planning.history import VisitHistory
from kneadwell.planning.matching import EarliestAvailability, Excluded, Match, MatchResult
from kneadwell.planning.selectors import patient_matches
from kneadwell.therapists.models import Therapist

from .selectors import visit_history

# What lifts each whole-visit hold. Procedural, not clinical: the findings say why.
UNBLOCK = {
    Decision.REFER_OUT: (
        "What unblocks it: the patient sees the provider the finding names first; once the intake is "
        "updated and screening no longer says refer out, clinical sessions can be booked."
    ),
    Decision.DEFER: (
        "What unblocks it: update the intake when the reason for deferring has passed; screening is run "
        "again for the session's date."
    ),
    Decision.NEEDS_CLEARANCE: (
        "What unblocks it: a clearance from the patient's provider, in force on the session's date "
        "(request one from the patient's page or POST /api/v1/patients/{id}/clearance-requests)."
    ),
}
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
    """The screening holds the whole visit: no clinical slot is offered or booked (422)."""

    def __init__(self, message: str, *, decision: Decision, findings: tuple[Finding, ...]) -> None:
        super().__init__(message, field="patient", code=f"screening_{decision.value}")
        self.decision = decision
        self.findings = findings


def visit_holds(screening: ScreeningResult) -> tuple[Decision, tuple[Finding, ...]] | None:
    """The decision that holds the whole visit and the findings behind it, or None.

    Refer out and defer hold the visit (`ScreeningResult.blocked`). A clearance holds it only when
    the finding is about the whole visit (no area): a local clearance restricts its region, and
    the session plan works around it (DESIGN §6, "local findings restrict regions").
    """
    if screening.blocked:
        return screening.decision, tuple(f for f in screening.findings if f.severity == screening.decision)
    visit_level = tuple(
        f for f in screening.findings if f.severity == Decision.NEEDS_CLEARANCE and f.area is None
    )
    if visit_level:
        return Decision.NEEDS_CLEARANCE, visit_level
    return None


def blocked_message(decision: Decision, findings: tuple[Finding, ...], *, for_patient: bool) -> str:
    if for_patient:
        why = " ".join(dict.fromkeys(f.message_patient for f in findings))
        return f"This visit cannot be booked online yet. {why} {UNBLOCK_FOR_PATIENT[decision]}".strip()
    why = " ".join(dict.fromkeys(f.message_staff for f in findings))
    return f"Screening says {DECISION_WORDS[decision]}: {why} {UNBLOCK[decision]}"


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


def clinical_booking_gate(
    *,
    patient: Patient,
    service: Service,
    location: Location,
    on: dt.date,
    history: VisitHistory | None = None,
    for_patient: bool = False,
    availability: EarliestAvailability | None = None,
) -> ClinicalGate:
    """Screen `patient` for a session of `service` at `location` on the local date `on`, and match.

    Raises BookingBlocked (422, field "patient") when the screening holds the whole visit, with the
    findings and what unblocks it (the patient's own wording when `for_patient`). A screening input
    that cannot be screened (stored dates after `on`) is a DomainError naming the patient.
    Queries: a fixed number (screening input, visit history, current therapist, therapist profiles).
    """
    history = history if history is not None else visit_history(patient)
    if not service.is_clinical:
        return ClinicalGate(clinical=False, on=on, history=history)
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
            blocked_message(decision, findings, for_patient=for_patient), decision=decision, findings=findings
        )
    try:
        result = patient_matches(
            patient=patient,
            service=service,
            location=location,
            inp=inp,
            history=history,
            availability=availability,
        )
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
