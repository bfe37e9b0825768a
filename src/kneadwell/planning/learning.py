"""What the last signed session note tells the next plan. Pure Python: no Django.

Planning sits below charting, so it never reads notes: ``charting.selectors.last_session(patient)``
builds a :class:`LastSession` from the latest signed note and every caller passes it in, the way
``VisitHistory`` comes from scheduling. The tailoring engine then (DESIGN §3 S17, issue 11 item 2):

* lowers the pressure range where the patient said "too deep" (and raises it for "too light");
* makes a region with a finding (trigger point, hypertonicity, adhesion, tenderness, pain) a focus;
* does not use first a technique that raised pain at a region last time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kneadwell.knowledge.vocabulary import Area

# Body-chart findings that make a region worth focusing on next time. Numbness is recorded but not
# turned into a focus: it is a sign to watch and report, not a target for more work.
FOCUS_FINDINGS = ("trigger_point", "hypertonicity", "adhesion_scar", "tenderness", "pain")


@dataclass(frozen=True, slots=True)
class Finding:
    area: Area
    kind: str  # a body-chart mark kind


@dataclass(frozen=True, slots=True)
class PainfulTechnique:
    area: Area
    technique: str


@dataclass(frozen=True, slots=True)
class Feedback:
    area: Area
    feedback: str  # too_light | ok | too_deep


@dataclass(frozen=True)
class LastSession:
    """The latest signed note, as plain data (empty when there is none)."""

    signed_on: dt.date | None = None
    feedback: tuple[Feedback, ...] = ()
    findings: tuple[Finding, ...] = ()
    painful_techniques: tuple[PainfulTechnique, ...] = ()

    @property
    def focus_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind in FOCUS_FINDINGS)


NO_LAST_SESSION = LastSession()
