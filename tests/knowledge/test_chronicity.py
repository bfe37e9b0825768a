"""Acute / subacute / chronic from the onset date (REFERENCE §2)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.knowledge import catalogue
from kneadwell.knowledge import chronicity as chron
from kneadwell.knowledge import types as ktypes

ON = date(2026, 3, 15)


@pytest.mark.parametrize(("weeks_ago", "label"), [(2, "acute"), (8, "subacute"), (20, "chronic")])
def test_low_back_pain_uses_the_acp_thresholds(weeks_ago, label):
    result = chron.chronicity("low_back_pain", ON - timedelta(weeks=weeks_ago), ON)
    assert result.label == label
    assert result.source_ids == ("R30",)
    assert "acute < 4 weeks" in result.rule_text
    assert "chronic > 12 weeks" in result.rule_text


@pytest.mark.parametrize(
    ("days_ago", "label"),
    [(27, "acute"), (28, "subacute"), (84, "subacute"), (85, "chronic")],
)
def test_low_back_pain_boundaries_follow_less_than_and_more_than(days_ago, label):
    # ACP: acute < 4 weeks, subacute 4–12 weeks, chronic > 12 weeks.
    assert chron.chronicity("low_back_pain", ON - timedelta(days=days_ago), ON).label == label


def test_onset_in_the_future_is_an_error():
    with pytest.raises(ValueError, match="after"):
        chron.chronicity("low_back_pain", ON + timedelta(days=1), ON)


def test_onset_today_is_acute():
    assert chron.chronicity("whiplash", ON, ON).label == "acute"


def test_other_conditions_are_chronic_after_three_calendar_months():
    rule = catalogue.conditions()["whiplash"].chronicity
    assert rule.chronic_above.sources == ("R31",)
    assert chron.chronicity("whiplash", date(2025, 12, 15), ON).label == "subacute"
    assert chron.chronicity("whiplash", date(2025, 12, 14), ON).label == "chronic"


def test_the_default_acute_boundary_is_labelled_unverified():
    result = chron.chronicity("whiplash", ON - timedelta(weeks=1), ON)
    assert not catalogue.conditions()["whiplash"].chronicity.acute_below.verified
    assert "(unverified)" in result.rule_text


def test_a_clinic_can_override_an_unverified_boundary():
    rule = catalogue.conditions()["whiplash"].chronicity
    six_weeks = replace(rule.acute_below, duration=ktypes.Duration(6, "weeks"))
    onset = ON - timedelta(weeks=5)
    assert chron.chronicity("whiplash", onset, ON).label == "subacute"
    assert chron.chronicity("whiplash", onset, ON, rule=replace(rule, acute_below=six_weeks)).label == "acute"


def test_relaxation_has_no_chronicity():
    with pytest.raises(ValueError, match="no chronicity"):
        chron.chronicity("relaxation", ON - timedelta(days=3), ON)


def test_unknown_condition_is_a_key_error():
    with pytest.raises(KeyError):
        chron.chronicity("not_a_condition", ON, ON)


def test_month_arithmetic_clamps_to_the_end_of_the_month():
    assert ktypes.Duration(1, "months").after(date(2026, 1, 31)) == date(2026, 2, 28)
    assert ktypes.Duration(3, "months").after(date(2025, 11, 30)) == date(2026, 2, 28)


RANK = {label: i for i, label in enumerate(ktypes.CHRONICITY_LABELS)}
CLINICAL = sorted(k for k, c in catalogue.conditions().items() if c.chronicity is not None)


@given(
    condition=st.sampled_from(CLINICAL),
    younger=st.integers(min_value=0, max_value=2000),
    extra=st.integers(min_value=0, max_value=2000),
)
def test_chronicity_never_goes_back_as_the_onset_gets_older(condition, younger, extra):
    newer = chron.chronicity(condition, ON - timedelta(days=younger), ON).label
    older = chron.chronicity(condition, ON - timedelta(days=younger + extra), ON).label
    assert RANK[older] >= RANK[newer]
