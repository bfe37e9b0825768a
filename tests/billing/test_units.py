"""Timed-code units: the CMS 8-minute rule with the examples REFERENCE §3.2 quotes, and the midpoint rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.billing.units import (
    TIMED_CODES,
    BillingInputError,
    InvalidMinutesError,
    Line,
    UnitRule,
    UnknownCodeError,
    units,
    units_for_minutes,
)

MIDPOINT = UnitRule.CPT_MIDPOINT


# --- The CMS table (REFERENCE §3.2) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4), (67, 4),
     (68, 5), (82, 5), (83, 6), (97, 6), (98, 7), (112, 7), (113, 8), (127, 8), (128, 9)],
)  # fmt: skip
def test_total_minutes_give_the_units_of_the_cms_table(minutes: int, expected: int) -> None:
    assert units_for_minutes(minutes) == expected
    assert units([("97124", minutes)]).total_units == expected


def test_the_total_is_taken_before_rounding_each_code() -> None:
    # Rounded separately, 10 + 10 minutes would be 1 + 1 units; the day's 20 minutes are 1 unit.
    result = units([("97124", 10), ("97140", 10)])
    assert result.total_timed_minutes == 20
    assert result.total_units == 1


# --- The worked examples quoted in REFERENCE §3.2 [R3] --------------------------------------


def test_cms_example_24_min_97112_and_23_min_97110() -> None:
    result = units([("97112", 24), ("97110", 23)])
    assert result.total_timed_minutes == 47
    assert result.total_units == 3
    assert (result.units_for("97112"), result.units_for("97110")) == (2, 1)


def test_cms_example_33_min_97110_and_7_min_97140() -> None:
    result = units([("97110", 33), ("97140", 7)])
    assert result.total_units == 3
    assert (result.units_for("97110"), result.units_for("97140")) == (2, 1)
    # The explanation shows the remainders that decided it: 3 minutes left against 7.
    assert any("97110 2 (3 min left)" in step and "97140 0 (7 min left)" in step for step in result.steps)


def test_cms_example_three_codes_of_7_minutes_bill_one_unit() -> None:
    result = units([("97110", 7), ("97140", 7), ("97124", 7)])
    assert result.total_timed_minutes == 21
    assert result.total_units == 1
    assert [c.units for c in result.codes] == [1, 0, 0]
    assert any("Tie at 7 min" in step for step in result.steps)


def test_several_short_codes_bill_the_longest() -> None:
    # REFERENCE §3.2 rule 4: codes each ≤ 7 min whose total is ≥ 8 → one unit of the longest.
    result = units([("97124", 3), ("97140", 6)])
    assert (result.units_for("97124"), result.units_for("97140")) == (0, 1)


def test_a_code_done_for_30_minutes_keeps_two_units() -> None:
    # Rule 2: ≥ 15 min → ≥ 1 unit, ≥ 30 min → ≥ 2 units, however the rest is shared.
    result = units([("97140", 30), ("97124", 14), ("97110", 14)])
    assert result.total_units == 4  # 58 minutes
    assert result.units_for("97140") == 2
    assert result.units_for("97124") + result.units_for("97110") == 2


def test_lines_of_the_same_code_are_added_up() -> None:
    result = units([("97140", 10), ("97124", 12), ("97140", 10)])
    assert [(c.code, c.minutes) for c in result.codes] == [("97140", 20), ("97124", 12)]
    assert result.total_units == 2
    assert (result.units_for("97140"), result.units_for("97124")) == (1, 1)


def test_untimed_lines_are_excluded_and_listed() -> None:
    result = units([("97110", 18), ("97140", 13), ("97010", 10)], untimed_codes={"97010"})
    assert result.total_timed_minutes == 31
    assert result.total_units == 2
    assert (result.units_for("97110"), result.units_for("97140")) == (1, 1)
    assert result.excluded == (Line("97010", 10),)
    assert result.steps[0].startswith("Excluded untimed 97010")


def test_under_8_minutes_nothing_is_billed_and_the_reason_is_given() -> None:
    result = units([Line("97124", 7)])
    assert result.total_units == 0
    assert "under 8" in result.steps[-2]
    assert result.steps[-1] == "Result: 97124 × 0."


def test_no_lines_bill_nothing() -> None:
    result = units([])
    assert (result.total_units, result.codes) == (0, ())


# --- The per-code midpoint rule --------------------------------------------------------------


def test_midpoint_rule_rounds_each_code_on_its_own() -> None:
    result = units([("97110", 7), ("97140", 7), ("97124", 7)], rule=MIDPOINT)
    assert result.total_units == 0
    assert result.rule is MIDPOINT
    result = units([("97110", 33), ("97140", 7)], rule=MIDPOINT)
    assert (result.units_for("97110"), result.units_for("97140")) == (2, 0)


def test_midpoint_and_cms_differ_where_the_remainders_add_up() -> None:
    lines = [("97124", 10), ("97140", 10)]
    assert units(lines, rule=MIDPOINT).total_units == 2
    assert units(lines).total_units == 1


def test_the_rule_can_be_given_as_its_setting_value() -> None:
    assert units([("97124", 8)], rule="cpt_midpoint").rule is MIDPOINT  # type: ignore[arg-type]


# --- Bad input -------------------------------------------------------------------------------


def test_negative_minutes_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidMinutesError) as err:
        units([("97124", 10), ("97140", -5)])
    assert err.value.field == "lines[1].minutes"
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("minutes", [7.5, "10", True, None])
def test_minutes_must_be_whole_numbers(minutes: object) -> None:
    with pytest.raises(InvalidMinutesError, match=r"lines\[0\]\.minutes"):
        units([("97124", minutes)])  # type: ignore[list-item]


def test_an_unknown_code_is_refused_naming_the_field() -> None:
    with pytest.raises(UnknownCodeError) as err:
        units([("97124", 10), ("97010", 10)])
    assert err.value.field == "lines[1].code"
    assert "97010" in str(err.value)


def test_a_malformed_line_is_refused() -> None:
    with pytest.raises(BillingInputError, match=r"lines\[0\]"):
        units([("97124",)])  # type: ignore[list-item]


def test_massage_codes_are_known_with_own_labels() -> None:
    assert {"97124", "97140", "97110"} <= {c for c, t in TIMED_CODES.items() if t.massage_scope}


# --- Laws ------------------------------------------------------------------------------------

CODES = sorted(TIMED_CODES)
day = st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 120)), max_size=6)


@given(day)
def test_cms_units_add_up_and_follow_the_table(lines: list[tuple[str, int]]) -> None:
    result = units(lines)
    assert sum(c.units for c in result.codes) == result.total_units
    assert result.total_units == units_for_minutes(sum(m for _, m in lines))
    for c in result.codes:
        # Full units always; at most one more, and only for a code with minutes left over.
        assert c.units in {c.minutes // 15, c.minutes // 15 + 1}
        if c.minutes % 15 == 0:
            assert c.units == c.minutes // 15


@given(day, st.integers(0, len(CODES) - 1), st.integers(1, 60), st.sampled_from(list(UnitRule)))
def test_more_minutes_never_bill_fewer_units(
    lines: list[tuple[str, int]], code_index: int, more: int, rule: UnitRule
) -> None:
    before = units(lines, rule=rule)
    after = units([*lines, (CODES[code_index], more)], rule=rule)
    assert after.total_units >= before.total_units
    if rule is MIDPOINT:  # each code on its own: monotone per code too
        assert all(after.units_for(c.code) >= c.units for c in before.codes)


@given(day)
def test_midpoint_never_bills_a_code_of_under_8_minutes(lines: list[tuple[str, int]]) -> None:
    result = units(lines, rule=MIDPOINT)
    assert all(c.units == 0 for c in result.codes if c.minutes < 8)
