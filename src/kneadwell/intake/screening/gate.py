"""The clinical gate: whether screening lets a visit go ahead at all, and what would unblock it.

One answer for every caller (DESIGN §5 invariant 3, issue 7 item 6): the session plan (tailoring), the
plan of care's approval (planning) and booking (scheduling) all ask `visit_gate(result)`, so a held
visit is held in the web pages, the API, the CLI and any future interface alike.

A visit is held when screening refers the patient out, defers the visit, or finds something the
whole visit waits a clearance for (a known clot, a high-risk pregnancy, pain with no known cause).
Findings that restrict one area (an inflamed ankle, a scar awaiting the surgeon) never hold the visit:
the plan works around them.

The gate is the same for every service family. REFERENCE §1.3 lists its global screening (clots,
fever, pregnancy, …) as risks of massage in general (Mayo Clinic, NCCIH [R37]) and §9 fact 6 asks
that hard stops "block or defer booking/treatment": so a relaxation massage is held exactly like a
therapeutic one. What relaxation is spared is the clinical paperwork (referral, plan of care), not
the safety gate.

Pure Python: no Django imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from kneadwell.knowledge import catalogue as cat
from kneadwell.knowledge import types as ktypes

from .registry import FLAG_SCOPE
from .types import Decision, Finding, ScreeningResult

# What each clearance scope asks the referrer for, in words (referrals.ClearanceScope labels).
SCOPE_WORDS = {
    "scar_work": "scar work",
    "surgical_site": "work near the surgical site",
    "fracture_site": "work near the fracture",
    "pregnancy": "massage during the high-risk pregnancy",
    "clot": "massage with the blood clot",
    "general": "massage",
}


@dataclass(frozen=True, slots=True)
class Hold:
    """One finding that holds the visit, with what would lift it (staff words)."""

    finding: Finding
    reason: str  # the finding's staff message
    unblock: str  # what has to happen before the visit can go ahead


@dataclass(frozen=True, slots=True)
class GateResult:
    decision: Decision
    holds: tuple[Hold, ...]

    @property
    def clear(self) -> bool:
        return not self.holds

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(h.reason for h in self.holds)

    @property
    def unblock(self) -> tuple[str, ...]:
        """What unblocks the visit, one line per hold, without repeats."""
        return tuple(dict.fromkeys(h.unblock for h in self.holds))

    def message(self, what: str = "The visit") -> str:
        """One sentence for an error: what is held, why, and what lifts it."""
        if self.clear:
            return ""
        labels = "; ".join(dict.fromkeys(_label(h.finding) for h in self.holds))
        return f"{what} is held by screening ({labels}). To go ahead: {' '.join(self.unblock)}"


def _label(finding: Finding, catalogue: ktypes.Catalogue | None = None) -> str:
    flags = (catalogue or cat.catalogue()).flags
    flag = flags.get(finding.code)
    return flag.label if flag is not None and flag.label else finding.code.replace("_", " ")


def unblock_text(finding: Finding, catalogue: ktypes.Catalogue | None = None) -> str:
    """What lifts one holding finding, in words staff can act on."""
    label = _label(finding, catalogue)
    if finding.severity == Decision.DEFER:
        return "Rebook once the patient is well, and record the new health answers."
    urgency = ""
    flags = (catalogue or cat.catalogue()).flags
    flag = flags.get(finding.code)
    if flag is not None and flag.urgency == "emergency":
        urgency = "Emergency care first; then "
    elif flag is not None and flag.urgency == "urgent":
        urgency = "A doctor's assessment today; then "
    if finding.clearance_scope == FLAG_SCOPE:
        step = f"the referrer's clearance for “{label}” on file (a documented medical evaluation)."
    elif finding.clearance_scope:
        step = f"the referrer's clearance for {SCOPE_WORDS.get(finding.clearance_scope, 'massage')} on file."
    else:
        step = "a doctor's evaluation and new health answers."
    text = urgency + step
    return text[0].upper() + text[1:]


def visit_gate(result: ScreeningResult, catalogue: ktypes.Catalogue | None = None) -> GateResult:
    """The gate for a screening result: clear, or held with each hold's reason and what lifts it."""
    holds = tuple(Hold(f, f.message_staff, unblock_text(f, catalogue)) for f in result.holds)
    return GateResult(decision=result.decision, holds=holds)
