"""What a patient's past visits tell the care pathway. Pure Python.

Planning sits below scheduling, so it never reads appointments itself: scheduling builds a
`VisitHistory` (`scheduling.selectors.visit_history`) and every caller passes it in. Matching reads
continuity from it, tailoring whether this is the first visit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class VisitHistory:
    # therapist pk → sessions completed with this patient
    completed_with: Mapping[int, int] = field(default_factory=dict)
    # the therapist of the latest visit that was not cancelled or missed (pk), if any
    last_therapist_id: int | None = None

    @property
    def first_visit(self) -> bool:
        """No session has been completed yet: the first visit brings the referral and arrives early."""
        return not any(self.completed_with.values())


NO_HISTORY = VisitHistory()  # a new caller, not yet a patient
