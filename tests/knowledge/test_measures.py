"""Outcome measures and ROM reference values (REFERENCE §1.4, §1.5)."""

import pytest

from kneadwell.knowledge import catalogue

MEASURES = catalogue.measures()
REQUIRED = {"nprs", "ndi", "odi", "hit6", "spadi", "quickdash", "psfs", "lefs"}


def test_the_required_instruments_are_in_the_catalogue():
    assert set(MEASURES) >= REQUIRED


@pytest.mark.parametrize("key", sorted(MEASURES))
def test_direction_is_higher_is_better_only_for_lefs_and_psfs(key):
    expected = "higher_is_better" if key in {"lefs", "psfs"} else "higher_is_worse"
    assert MEASURES[key].direction == expected


def test_improvement_has_the_right_sign_on_both_kinds_of_scale():
    assert MEASURES["lefs"].improvement(40, 52) == 12
    assert MEASURES["odi"].improvement(40, 28) == 12
    assert MEASURES["odi"].improvement(28, 40) == -12


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [("nprs", 0, 10), ("ndi", 0, 50), ("odi", 0, 100), ("hit6", 36, 78), ("spadi", 0, 100),
     ("quickdash", 0, 100), ("psfs", 0, 10), ("lefs", 0, 80)],
)  # fmt: skip
def test_score_ranges_match_the_reference(key, low, high):
    assert (MEASURES[key].range_min, MEASURES[key].range_max) == (low, high)


@pytest.mark.parametrize(
    ("key", "value"),
    [("nprs", 2), ("ndi", 7.5), ("odi", 12), ("hit6", 8), ("lefs", 9), ("quickdash", 13.4), ("psfs", 2.3)],
)
def test_headline_mcids_are_present_with_sources(key, value):
    matches = [m for m in MEASURES[key].mcids if m.value == value and m.unit == "points"]
    assert matches, f"{key}: no MCID of {value} points"
    assert all(m.sources for m in matches)


def test_spadi_mcid_is_the_8_to_13_point_range():
    assert any((m.value_min, m.value_max) == (8, 13) for m in MEASURES["spadi"].mcids)


def test_unverified_mcids_stay_labelled():
    unverified = {(k, m.population) for k, ms in MEASURES.items() for m in ms.mcids if not m.verified}
    assert ("quickdash", "Mintken 2009") in unverified
    assert all(m.unverified_reason for ms in MEASURES.values() for m in ms.mcids if not m.verified)


def test_jfls_has_no_mcid_because_none_was_found():
    assert MEASURES["jfls"].mcids == ()
    assert "not established" in MEASURES["jfls"].mcids_note


def test_rom_reference_values_for_the_key_motions():
    roms = catalogue.rom_motions()
    assert roms["neck_rotation"].values[0].value == 85
    assert roms["neck_rotation"].thresholds[0].below == 45
    assert roms["shoulder_external_rotation"].values[0].value == 90
    assert roms["lumbar_flexion"].values[0].value == 65
    assert roms["jaw_mio"].unit == "mm"
    assert roms["jaw_mio"].values[0].value == 48.8


def test_limited_mouth_opening_threshold_is_configurable_and_unverified():
    thresholds = {t.below: t for t in catalogue.rom_motions()["jaw_mio"].thresholds}
    assert not thresholds[40].verified
    assert thresholds[30].verified


def test_ankle_norms_are_marked_unverified():
    roms = catalogue.rom_motions()
    assert not roms["ankle_dorsiflexion"].verified
    assert not roms["ankle_plantarflexion"].verified


# --- Issue 7, item 10: what is an MCID, and what a goal may use -----------------------------------


def test_between_group_differences_have_their_own_kind():
    kinds = {m.population: m.kind for m in MEASURES["hit6"].mcids}
    between = [k for p, k in kinds.items() if p.startswith("Between-group")]
    assert between == ["between_group", "between_group"]
    assert all(not m.within_person for m in MEASURES["hit6"].mcids if m.kind == "between_group")


def test_abbott_and_schmitt_mids_are_within_person():
    for key in ("nprs", "ndi", "odi", "psfs", "lefs"):
        abbott = [m for m in MEASURES[key].mcids if m.sources == ("R22",)]
        assert abbott, key
        assert all(m.kind == "mid" and m.within_person for m in abbott), key


def test_every_goal_value_is_a_within_person_value_in_points():
    for key, measure in MEASURES.items():
        for m in measure.mcids:
            if m.goal or m.goal_codes:
                assert m.within_person, key
                assert m.unit == "points", key


@pytest.mark.parametrize(
    ("key", "codes", "target"),
    [
        ("hit6", (), 6),
        ("hit6", ("G44.229",), 8),
        ("spadi", (), 13),
        ("psfs", (), 2),
        ("ndi", (), 7.5),
        ("odi", (), 12),
        ("nprs", (), 2),
        ("lefs", (), 9),
    ],
)
def test_default_goals(key, codes, target):
    goal = MEASURES[key].default_goal(codes)
    assert goal is not None
    assert goal.target == target


def test_the_odi_bands_of_the_scoring_rules_are_in_the_catalogue():
    bands = [(b.min, b.max, b.label) for b in MEASURES["odi"].bands]
    assert bands == [
        (None, 20, "minimal disability"),
        (21, 40, "moderate disability"),
        (41, 60, "severe disability"),
        (61, 80, "crippled"),
        (81, None, "bed-bound"),
    ]


def test_a_single_point_is_not_points():
    nprs_back = next(m for m in MEASURES["nprs"].mcids if m.baseline_max == 4)
    assert nprs_back.display == "1 point"
    assert next(m for m in MEASURES["ndi"].mcids if m.kind == "mcid").display == "7.5 points"
    assert MEASURES["ndi"].scale == "0–50"
