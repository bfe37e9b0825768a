"""Issue 9, item 11: a plan of care of 0 (or 20) sessions a week, or 0 weeks, is an error on the field."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.lib.errors import DomainError
from kneadwell.planning.models import CarePlan
from kneadwell.planning.services import care_plan_draft, care_plan_update

BAD_DOSES = [
    pytest.param({"frequency_per_week": 0}, "frequency_per_week", id="0-a-week"),
    pytest.param({"frequency_per_week": 8}, "frequency_per_week", id="8-a-week"),
    pytest.param({"frequency_per_week": 20}, "frequency_per_week", id="20-a-week"),
    pytest.param({"frequency_per_week": -1}, "frequency_per_week", id="negative"),
    pytest.param({"weeks": 0}, "weeks", id="0-weeks"),
    pytest.param({"weeks": 53}, "weeks", id="53-weeks"),
]


def _draft(cast, **changes):  # type: ignore[no-untyped-def]
    return care_plan_draft(
        actor=cast.admin, patient=cast.pat, therapist=cast.tess, conditions=["low_back_pain"], **changes
    )


@pytest.mark.parametrize(("changes", "field"), BAD_DOSES)
def test_a_draft_with_an_impossible_dose_is_refused_and_nothing_is_stored(cast, changes, field):
    with pytest.raises(DomainError) as refused:
        _draft(cast, **changes)

    assert refused.value.field == field
    assert not CarePlan.objects.exists()


@pytest.mark.parametrize(("changes", "field"), BAD_DOSES)
def test_an_edit_to_an_impossible_dose_is_refused_and_the_draft_is_unchanged(cast, changes, field):
    plan = _draft(cast, frequency_per_week=2, weeks=6)

    with pytest.raises(DomainError) as refused:
        care_plan_update(actor=cast.admin, plan=plan, **changes)

    assert refused.value.field == field
    plan.refresh_from_db()
    assert (plan.frequency_per_week, plan.weeks) == (2, 6)


@pytest.mark.parametrize("starts_on", [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(9999, 1, 1)])
def test_a_start_at_the_calendars_edge_is_refused_on_the_field(cast, starts_on):
    with pytest.raises(DomainError) as refused:
        _draft(cast, starts_on=starts_on)
    assert refused.value.field == "starts_on"


def test_the_limits_themselves_are_taken(cast):
    plan = _draft(cast, frequency_per_week=7, weeks=52, starts_on=dt.date(9998, 12, 31))
    assert (plan.frequency_per_week, plan.weeks, plan.reassess_on) == (7, 52, dt.date(9999, 12, 30))
