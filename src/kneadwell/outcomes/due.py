"""Which questionnaires are due for a patient now. Pure Python: no Django.

The plan of care asks for its condition questionnaires at baseline, every N visits (a clinic
setting) and at discharge (issue 11, item 3). Visits are counted as signed session notes since the
plan started; "at discharge" is the plan's last planned visit or a plan marked completed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class DueReason(StrEnum):
    BASELINE = "baseline"
    EVERY_N = "every_n_visits"
    DISCHARGE = "discharge"


REASON_TEXT = {
    DueReason.BASELINE: "at the start of your plan of care",
    DueReason.EVERY_N: "every few visits, to see how you are doing",
    DueReason.DISCHARGE: "at the end of your plan of care",
}


@dataclass(frozen=True, slots=True)
class PlanInfo:
    planned_sessions: int  # frequency × weeks
    completed: bool = False  # the plan of care was closed


@dataclass(frozen=True, slots=True)
class Due:
    instrument: str
    reason: DueReason
    visits_done: int

    @property
    def text(self) -> str:
        return REASON_TEXT[self.reason]


def due_questionnaires(
    instruments: Iterable[str],
    *,
    plan: PlanInfo,
    visits_done: int,
    last_filled_at: Mapping[str, int],
    every: int,
) -> tuple[Due, ...]:
    """The instruments due now, in the order given.

    ``visits_done``: signed visits since the plan started. ``last_filled_at``: for each instrument
    already filled since the plan started, the number of visits done when it was filled (0 = before
    the first visit). ``every``: the clinic's "every N visits". Raises ValueError on counts below 0/1.
    """
    if visits_done < 0:
        raise ValueError("visits_done: must be 0 or more")
    if every < 1:
        raise ValueError("every: must be at least 1")
    if plan.planned_sessions < 1:
        raise ValueError("plan.planned_sessions: must be at least 1")
    # The discharge questionnaire is filled before the last planned visit's end, so it is due once
    # the visits done reach one less than planned (the last visit is the next one) or the plan closed.
    at_discharge = plan.completed or visits_done >= plan.planned_sessions - 1
    out: list[Due] = []
    for key in dict.fromkeys(instruments):
        last = last_filled_at.get(key)
        if last is None:
            out.append(Due(key, DueReason.BASELINE, visits_done))
        elif at_discharge and last < max(plan.planned_sessions - 1, 0) and last < visits_done:
            out.append(Due(key, DueReason.DISCHARGE, visits_done))
        elif not at_discharge and visits_done - last >= every:
            out.append(Due(key, DueReason.EVERY_N, visits_done))
    return tuple(out)
