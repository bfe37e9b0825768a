"""Scoring of each instrument by the rules of REFERENCE §1.6, with their missing-item rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.knowledge import catalogue
from kneadwell.outcomes.instruments import (
    FREE,
    LICENSED,
    OWN,
    AnswerError,
    Instrument,
    InstrumentError,
    InvalidAnswerError,
    ItemCountError,
    UnknownInstrumentError,
    UnknownItemError,
    instrument,
    instruments,
    score,
)

ALL = instruments()
FIXED = [key for key, inst in ALL.items() if not inst.patient_named]


def answers(key: str, value: int) -> dict[str, int | None]:
    return {item.key: value for item in ALL[key].items}


# --- Definitions agree with the catalogue ----------------------------------------------------


def test_the_brief_s_instruments_are_all_defined() -> None:
    expected = {"nprs", "ndi", "odi", "hit6", "spadi", "quickdash", "lefs", "psfs", "phq2", "gad2"}
    expected |= {"stress_nrs", "sleep_nrs", "mood_nrs"}
    assert set(ALL) == expected


@pytest.mark.parametrize("key", [k for k, i in ALL.items() if i.measure is not None])
def test_range_direction_and_item_scale_come_from_the_catalogue(key: str) -> None:
    inst, measure = ALL[key], catalogue.measures()[key]
    assert (inst.range_min, inst.range_max, inst.direction) == (
        measure.range_min,
        measure.range_max,
        measure.direction,
    )
    counts = inst.item_counts if inst.patient_named else (len(inst.items),)
    assert counts == measure.item_counts
    if measure.item_min is not None:  # HIT-6 has weighted options, no item range in the catalogue
        for item in inst.items:
            assert (min(item.options), max(item.options)) == (measure.item_min, measure.item_max)


def test_only_lefs_psfs_and_the_good_end_wellbeing_items_run_higher_is_better() -> None:
    better = {key for key, inst in ALL.items() if inst.higher_is_better}
    assert better == {"lefs", "psfs", "sleep_nrs", "mood_nrs"}


def test_licences_follow_reference_section_10() -> None:
    by_licence = {key: inst.licence for key, inst in ALL.items()}
    assert {k for k, v in by_licence.items() if v == LICENSED} == {
        "ndi",
        "odi",
        "hit6",
        "spadi",
        "quickdash",
        "lefs",
    }
    assert {k for k, v in by_licence.items() if v == FREE} == {"nprs", "psfs", "phq2", "gad2"}
    assert {k for k, v in by_licence.items() if v == OWN} == {"stress_nrs", "sleep_nrs", "mood_nrs"}


def test_every_scoring_rule_cites_a_source_or_says_why_not() -> None:
    for inst in ALL.values():
        assert inst.scoring_sources or inst.citations or inst.scoring_note, inst.key
        assert all(s in catalogue.sources() for s in inst.scoring_sources)


def test_an_unknown_instrument_names_the_known_ones() -> None:
    with pytest.raises(UnknownInstrumentError, match="known: nprs"):
        instrument("vas")


# --- NPRS --------------------------------------------------------------------------------------


def test_nprs_is_the_value_as_entered() -> None:
    result = score("nprs", {"pain": 6})
    assert (result.value, result.unit) == (6, "points")
    assert instrument("nprs").scale == "0–10 points"


def test_nprs_unanswered_cannot_be_scored() -> None:
    result = score("nprs", {"pain": None})
    assert not result.scored
    assert result.reason == "no item is answered"


@pytest.mark.parametrize("bad", [11, -1])
def test_nprs_outside_0_to_10_is_refused_naming_the_item(bad: int) -> None:
    with pytest.raises(InvalidAnswerError) as err:
        score("nprs", [bad])
    assert err.value.item == "pain"
    assert "options: 0, 1, 2" in str(err.value)


# --- NDI [R11, R29] ----------------------------------------------------------------------------


def test_ndi_raw_and_percent_are_kept_separately() -> None:
    result = score("ndi", [2, 1, 3, 0, 1, 2, 1, 0, 4, 2])  # sum 16
    assert result.value == 16
    assert result.alternates["percent"] == 32
    assert result.notes == ()


def test_ndi_one_missed_section_divides_by_45() -> None:
    result = score("ndi", [2, 1, 3, 0, 1, 2, 1, 0, 4, None])  # sum 14 of 45
    assert result.alternates["percent"] == pytest.approx(14 / 45 * 100)
    assert result.value == pytest.approx(14 / 45 * 50)  # the same score on the 0–50 scale
    assert result.missing == ("q10",)
    assert "divided by 45" in result.notes[0]


def test_ndi_two_missed_sections_cannot_be_scored() -> None:
    result = score("ndi", [2, 1, 3, 0, 1, 2, 1, 0, None, None])
    assert not result.scored
    assert "2 items unanswered (q9, q10)" in result.reason
    assert "at most 1 unanswered" in result.reason


def test_ndi_extremes() -> None:
    assert score("ndi", answers("ndi", 0)).value == 0
    assert score("ndi", answers("ndi", 5)).value == 50


def test_a_clinic_may_tighten_but_not_loosen_a_published_missing_rule() -> None:
    one_missing = [2, 1, 3, 0, 1, 2, 1, 0, 4, None]
    assert not score("ndi", one_missing, max_missing=0).scored
    with pytest.raises(InstrumentError, match="at most 1 unanswered"):
        score("ndi", one_missing, max_missing=2)
    with pytest.raises(InstrumentError, match="whole number"):
        score("ndi", one_missing, max_missing=-1)


# --- ODI [R29] -----------------------------------------------------------------------------------


def test_odi_percent_of_the_sections_answered() -> None:
    assert score("odi", [2, 1, 3, 0, 1, 2, 1, 2, 4, 0]).value == 32  # 16 / 50


def test_odi_published_example_16_of_45() -> None:
    # REFERENCE §1.6: "16/45 × 100 = 35.5 %". 16/45 is 35.56 %: the quoted figure is truncated.
    result = score("odi", [2, 1, 3, 0, 1, 2, 1, 2, 4, None])
    assert result.value == pytest.approx(35.555, abs=0.001)
    assert result.unit == "percent"
    assert "divided by 45" in result.notes[0]


def test_odi_sets_no_limit_on_missing_sections_but_a_clinic_can() -> None:
    three_missing = [2, 1, 3, 0, 1, 2, 1, None, None, None]  # 10 / 35
    assert score("odi", three_missing).value == pytest.approx(10 / 35 * 100)
    assert not score("odi", three_missing, max_missing=2).scored
    assert score("odi", [None] * 10).reason == "no item is answered"


# --- HIT-6 [R25b] --------------------------------------------------------------------------------


def test_hit6_sums_the_weighted_answers() -> None:
    assert score("hit6", [6] * 6).value == 36
    assert score("hit6", [13] * 6).value == 78
    assert score("hit6", [6, 8, 10, 11, 13, 10]).value == 58


@pytest.mark.parametrize(
    ("points", "band"),
    [
        ([8, 8, 8, 8, 8, 8], "little or no impact"),  # 48
        ([6, 6, 6, 10, 10, 11], "little or no impact"),  # 49
        ([6, 6, 6, 10, 11, 11], "some impact"),  # 50
        ([8, 8, 8, 10, 10, 11], "some impact"),  # 55
        ([8, 8, 8, 10, 11, 11], "substantial impact"),  # 56
        ([8, 8, 10, 11, 11, 11], "substantial impact"),  # 59
        ([10, 10, 10, 10, 10, 10], "severe impact"),  # 60
    ],
)
def test_hit6_bands_come_from_the_catalogue_with_their_caveat(points: list[int], band: str) -> None:
    result = score("hit6", points)
    assert result.band == band
    assert "label bands from the licensed form" in result.band_note


def test_hit6_answer_off_the_scoring_key_is_refused_naming_the_item() -> None:
    with pytest.raises(InvalidAnswerError) as err:
        score("hit6", {"q1": 6, "q2": 8, "q3": 12, "q4": 6, "q5": 6, "q6": 6})
    assert err.value.item == "q3"
    assert "12 is not an answer option (options: 6, 8, 10, 11, 13)" in str(err.value)


def test_hit6_has_no_missing_item_rule_so_every_item_is_needed() -> None:
    result = score("hit6", [6, 8, 10, 11, 13, None])
    assert not result.scored
    assert "allows no unanswered item" in result.reason


# --- SPADI (REFERENCE §1.6, unverified) ---------------------------------------------------------


def spadi(pain: list[int | None], disability: list[int | None]) -> dict[str, int | None]:
    keys = [f"pain_{i}" for i in range(1, 6)] + [f"disability_{i}" for i in range(1, 9)]
    return dict(zip(keys, pain + disability, strict=True))


def test_spadi_total_is_the_mean_of_its_subscales() -> None:
    result = score("spadi", spadi([10] * 5, [0] * 8))
    assert result.subscales == {"pain": 100, "disability": 0}
    assert result.value == 50
    assert result.alternates["sum_over_possible"] == pytest.approx(50 / 130 * 100)


def test_spadi_unanswered_items_leave_the_subscale_divisor() -> None:
    result = score("spadi", spadi([8, 6, None, 4, 2], [5] * 8))
    assert result.subscales["pain"] == pytest.approx(20 / 40 * 100)
    assert result.subscales["disability"] == 50
    assert "divided by 40, not 50" in result.notes[0]


def test_spadi_needs_an_answer_in_each_subscale_and_honours_a_clinic_limit() -> None:
    result = score("spadi", spadi([None] * 5, [5] * 8))
    assert not result.scored
    assert result.reason.startswith("pain subscale: no item is answered")
    assert result.subscales["disability"] == 50
    two_missing = spadi([8, 6, None, None, 2], [5] * 8)
    assert score("spadi", two_missing).scored
    assert not score("spadi", two_missing, max_missing=1).scored


# --- QuickDASH [R26b] ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(1, 0), (3, 50), (5, 100)])
def test_quickdash_formula(value: int, expected: float) -> None:
    assert score("quickdash", answers("quickdash", value)).value == expected


def test_quickdash_one_missing_item_uses_the_mean_of_ten() -> None:
    result = score("quickdash", [2, 3, 4, 2, 3, 4, 2, 3, 4, 3, None])  # sum 30 over 10
    assert result.value == pytest.approx((30 / 10 - 1) * 25)


def test_quickdash_more_than_one_missing_cannot_be_scored() -> None:
    assert not score("quickdash", [2] * 9 + [None, None]).scored


def test_quickdash_items_run_from_1_not_0() -> None:
    with pytest.raises(InvalidAnswerError, match="item 'q1'"):
        score("quickdash", [0] + [1] * 10)


# --- LEFS [R27] ----------------------------------------------------------------------------------


def test_lefs_sum_0_to_80_higher_is_better() -> None:
    assert score("lefs", answers("lefs", 4)).value == 80
    assert score("lefs", answers("lefs", 0)).value == 0
    result = score("lefs", [3] * 10 + [2] * 10)
    assert (result.value, result.direction) == (50, "higher_is_better")


def test_lefs_with_an_unanswered_item_cannot_be_scored() -> None:
    result = score("lefs", [3] * 19 + [None])
    assert not result.scored
    assert "q20" in result.reason


# --- PSFS [R22, R26] -----------------------------------------------------------------------------


def test_psfs_is_the_mean_of_named_activities_each_kept_by_name() -> None:
    result = score("psfs", {"Walking the dog": 3, "Climbing stairs": 5, "Gardening": 4})
    assert result.value == 4
    assert result.subscales == {"Walking the dog": 3, "Climbing stairs": 5, "Gardening": 4}
    assert result.answered == ("Walking the dog", "Climbing stairs", "Gardening")


def test_psfs_unrated_activity_leaves_the_mean_but_three_must_be_rated() -> None:
    result = score("psfs", {"walking": 3, "stairs": 5, "lifting": None, "running": 4})
    assert (result.value, result.missing) == (4, ("lifting",))
    assert not score("psfs", {"walking": 3, "stairs": 5, "lifting": None}).scored
    strict = score("psfs", {"walking": 3, "stairs": 5, "lifting": None, "running": 4}, max_missing=0)
    assert strict.reason == "1 named activity unrated; the clinic allows 0"


@pytest.mark.parametrize("count", [2, 6])
def test_psfs_takes_3_to_5_activities(count: int) -> None:
    with pytest.raises(ItemCountError, match="3–5 named activities"):
        score("psfs", {f"activity {i}": 5 for i in range(count)})


def test_psfs_activities_need_distinct_names() -> None:
    with pytest.raises(AnswerError, match="the same activity"):
        score("psfs", {"Walking": 3, "walking ": 4, "stairs": 5})
    with pytest.raises(AnswerError, match="needs a name"):
        score("psfs", {"  ": 3, "walking": 4, "stairs": 5})
    with pytest.raises(AnswerError, match="mapping of activity name"):
        score("psfs", [3, 4, 5])


# --- PHQ-2, GAD-2 and the wellbeing items ------------------------------------------------------


@pytest.mark.parametrize("key", ["phq2", "gad2"])
def test_two_item_screeners_cut_off_at_3(key: str) -> None:
    assert score(key, [1, 1]).band == "below the screening cut-off"
    assert score(key, [2, 1]).band == "screen positive (≥ 3)"
    assert score(key, [3, 3]).value == 6
    with pytest.raises(InvalidAnswerError):
        score(key, [4, 0])
    assert not score(key, [3, None]).scored


@pytest.mark.parametrize(
    ("key", "item"), [("stress_nrs", "stress"), ("sleep_nrs", "sleep"), ("mood_nrs", "mood")]
)
def test_wellbeing_items_are_single_0_to_10_values(key: str, item: str) -> None:
    assert score(key, {item: 7}).value == 7
    assert "not a validated instrument" in instrument(key).scoring_note


# --- Malformed answer sets ------------------------------------------------------------------------


def test_a_wrong_number_of_answers_is_refused() -> None:
    with pytest.raises(ItemCountError, match="expected 10 answers"):
        score("ndi", [1] * 9)


def test_an_unknown_item_key_is_refused_by_name() -> None:
    with pytest.raises(UnknownItemError) as err:
        score("hit6", {"q7": 6})
    assert err.value.item == "q7"


@pytest.mark.parametrize("bad", [True, 2.0, "2"])
def test_answers_must_be_whole_points(bad: object) -> None:
    with pytest.raises(InvalidAnswerError, match="item 'q2'"):
        score("ndi", [1, bad] + [1] * 8)  # type: ignore[arg-type]


def test_answers_must_be_a_mapping_or_a_sequence() -> None:
    with pytest.raises(AnswerError):
        score("ndi", "1111111111")  # type: ignore[arg-type]


def test_absent_keys_count_as_unanswered() -> None:
    result = score("ndi", {f"q{i}": 1 for i in range(1, 10)})
    assert result.missing == ("q10",)
    assert result.scored


# --- Laws ------------------------------------------------------------------------------------------


@st.composite
def answer_sets(draw: st.DrawFn, inst: Instrument) -> dict[str, int | None]:
    # None (unanswered) as likely as any one option, so both outcomes are exercised.
    return {item.key: draw(st.sampled_from((None, *item.options))) for item in inst.items}


@given(st.sampled_from(FIXED).flatmap(lambda key: st.tuples(st.just(key), answer_sets(ALL[key]))))
def test_a_score_is_within_range_or_explained(case: tuple[str, dict[str, int | None]]) -> None:
    key, given_answers = case
    result = score(key, given_answers)
    if result.scored:
        assert result.value is not None
        assert result.range_min <= result.value <= result.range_max
        assert result.reason == ""
    else:
        assert result.reason
    assert set(result.answered) | set(result.missing) == set(given_answers)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12).filter(str.strip), st.integers(0, 10), min_size=3, max_size=5
    )
)
def test_psfs_is_within_0_to_10(named: dict[str, int]) -> None:
    folded = {name.strip().casefold() for name in named}
    if len(folded) < len(named):
        return  # two names that are the same activity: refused elsewhere
    result = score("psfs", named)
    assert result.value is not None
    assert 0 <= result.value <= 10
