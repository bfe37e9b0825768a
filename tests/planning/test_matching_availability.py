"""Matching's "earliest availability" component: scored only when scheduling passes it in."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kneadwell.planning.matching import (
    AVAILABILITY_HORIZON,
    AVAILABILITY_WEIGHT,
    CONTINUITY_WEIGHT,
    EarliestAvailability,
    match,
)

from .test_matching import request, therapist

FROM = dt.datetime(2026, 5, 11, 13, 0, tzinfo=dt.UTC)


def availability(**earliest: dt.timedelta) -> EarliestAvailability:
    return EarliestAvailability(
        searched_from=FROM,
        searched_until=FROM + dt.timedelta(days=14),
        time_zone="America/New_York",
        earliest={tid: FROM + wait for tid, wait in earliest.items()},
    )


def _component(result, tid: str):  # type: ignore[no-untyped-def]
    found = next(m for m in result.matches if m.therapist_id == tid)
    return found, next((r for r in found.reasons if r.code == "availability"), None)


def test_without_availability_nothing_about_it_is_scored_or_said():
    result = match(request(current_therapist_id="t1"), [therapist("t1")])

    found, reason = _component(result, "t1")
    assert reason is None
    assert found.score == CONTINUITY_WEIGHT


def test_free_right_away_scores_the_full_weight_and_the_rest_is_rebalanced():
    result = match(
        request(current_therapist_id="t1"), [therapist("t1")], availability=availability(t1=dt.timedelta(0))
    )

    found, reason = _component(result, "t1")
    assert reason is not None
    assert reason.weight == AVAILABILITY_WEIGHT
    assert reason.text == "Earliest free time Mon 11 May, 09:00."
    assert found.score == round(
        CONTINUITY_WEIGHT * (100 - AVAILABILITY_WEIGHT) / 100 + AVAILABILITY_WEIGHT, 1
    )


def test_sooner_ranks_higher_when_all_else_is_equal():
    result = match(
        request(),
        [therapist("t1", "Ann"), therapist("t2", "Bea"), therapist("t3", "Cat")],
        availability=availability(t1=dt.timedelta(days=9), t2=dt.timedelta(hours=3)),
    )

    assert [m.therapist_id for m in result.matches] == ["t2", "t1", "t3"]
    _, none_free = _component(result, "t3")
    assert none_free is not None
    assert (none_free.weight, none_free.text) == (0.0, "No free time in the next 14 days.")


@given(wait=st.integers(0, 60 * 24 * 30))
def test_the_component_falls_linearly_to_zero_at_the_horizon(wait):
    delay = dt.timedelta(minutes=wait)
    result = match(request(), [therapist("t1")], availability=availability(t1=delay))

    _, reason = _component(result, "t1")
    expected = max(0.0, 1 - delay / AVAILABILITY_HORIZON) * AVAILABILITY_WEIGHT
    assert reason is not None
    assert abs(reason.weight - expected) <= 0.05
    assert 0.0 <= reason.weight <= AVAILABILITY_WEIGHT
