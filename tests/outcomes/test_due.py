"""Questionnaires due: baseline, every N visits, discharge (pure engine)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.outcomes.due import DueReason, PlanInfo, due_questionnaires

PLAN = PlanInfo(planned_sessions=8)


def reasons(**kwargs):  # type: ignore[no-untyped-def]
    return [(d.instrument, d.reason) for d in due_questionnaires(**{"plan": PLAN, "every": 4, **kwargs})]


def test_baseline_is_due_before_anything_is_filled():
    assert reasons(instruments=["ndi", "psfs"], visits_done=0, last_filled_at={}) == [
        ("ndi", DueReason.BASELINE),
        ("psfs", DueReason.BASELINE),
    ]


def test_every_n_visits_after_the_last_fill():
    assert reasons(instruments=["ndi"], visits_done=3, last_filled_at={"ndi": 0}) == []
    assert reasons(instruments=["ndi"], visits_done=4, last_filled_at={"ndi": 0}) == [
        ("ndi", DueReason.EVERY_N)
    ]


def test_discharge_at_the_last_planned_visit_or_a_closed_plan():
    assert reasons(instruments=["ndi"], visits_done=7, last_filled_at={"ndi": 4}) == [
        ("ndi", DueReason.DISCHARGE)
    ]
    assert reasons(instruments=["ndi"], visits_done=7, last_filled_at={"ndi": 7}) == []
    closed = due_questionnaires(
        ["ndi"], plan=PlanInfo(8, completed=True), visits_done=5, last_filled_at={"ndi": 2}, every=4
    )
    assert [d.reason for d in closed] == [DueReason.DISCHARGE]


@pytest.mark.parametrize(("field", "kwargs"), [("visits_done", {"visits_done": -1}), ("every", {"every": 0})])
def test_bad_counts_are_refused(field, kwargs):
    with pytest.raises(ValueError, match=field):
        due_questionnaires(
            ["ndi"], **{"plan": PLAN, "visits_done": 1, "last_filled_at": {}, "every": 4, **kwargs}
        )


@given(st.integers(0, 30), st.integers(1, 10), st.integers(0, 30))
def test_an_instrument_just_filled_is_never_due_again(visits, every, planned_extra):
    plan = PlanInfo(planned_sessions=visits + planned_extra + 2)
    assert (
        due_questionnaires(
            ["ndi"], plan=plan, visits_done=visits, last_filled_at={"ndi": visits}, every=every
        )
        == ()
    )
