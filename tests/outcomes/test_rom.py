"""ROM measurements against the catalogue's reference values (REFERENCE §1.5)."""

import pytest

from kneadwell.outcomes.rom import RomError, RomMeasurement, rom_check


def test_percent_of_reference_and_the_thresholds_crossed() -> None:
    result = rom_check(RomMeasurement("neck_rotation", 40, side="left"))
    assert result.primary.reference.value == 85
    assert result.primary.percent_low == pytest.approx(40 / 85 * 100)
    assert [t.below for t in result.thresholds] == [45]
    assert result.thresholds[0].sources == ("R33",)
    assert rom_check(RomMeasurement("neck_rotation", 60, side="left")).thresholds == ()


def test_a_reference_range_reports_both_ends_and_whether_inside() -> None:
    result = rom_check(RomMeasurement("shoulder_internal_rotation", 63, side="right"))
    assert result.primary.percent_low == pytest.approx(90)  # of 70
    assert result.primary.percent_high == pytest.approx(70)  # of 90
    assert result.primary.within_range is False
    assert rom_check(RomMeasurement("shoulder_internal_rotation", 80, side="right")).primary.within_range


def test_the_primary_reference_is_the_first_verified_one() -> None:
    # Lumbar flexion: 65° (dual inclinometer) before the unverified AMA 60°.
    result = rom_check(RomMeasurement("lumbar_flexion", 52))
    assert result.primary.reference.value == 65
    assert len(result.comparisons) == 2


def test_a_named_reference_can_be_chosen() -> None:
    result = rom_check(RomMeasurement("neck_extension", 60), reference_label="AAOS goniometer, age 30–49")
    assert result.primary.reference.value == 70.5
    with pytest.raises(RomError) as err:
        rom_check(RomMeasurement("neck_extension", 60), reference_label="nonsense")
    assert err.value.field == "reference_label"


def test_mouth_opening_thresholds_keep_their_verification_label() -> None:
    result = rom_check(RomMeasurement("jaw_mio", 35, unit="mm"))
    assert [(t.below, t.verified) for t in result.thresholds] == [(40, False)]
    assert [t.below for t in rom_check(RomMeasurement("jaw_mio", 25)).thresholds] == [40, 30]


def test_above_every_reference_is_reported_not_refused() -> None:
    result = rom_check(RomMeasurement("neck_rotation", 95, side="right"))
    assert result.above_reference
    assert result.thresholds == ()


@pytest.mark.parametrize(
    ("measurement", "field"),
    [
        (RomMeasurement("neck_rotation", 40), "side"),
        (RomMeasurement("neck_rotation", 40, side="both"), "side"),
        (RomMeasurement("lumbar_flexion", 40, side="left"), "side"),
        (RomMeasurement("neck_flexion", -5), "value"),
        (RomMeasurement("neck_flexion", float("inf")), "value"),
        (RomMeasurement("neck_flexion", 500), "value"),
        (RomMeasurement("jaw_mio", 40, unit="degrees"), "unit"),
        (RomMeasurement("knee_flexion", 90, side="left"), "motion"),
    ],
)
def test_implausible_or_malformed_measurements_are_refused_naming_the_field(
    measurement: RomMeasurement, field: str
) -> None:
    with pytest.raises(RomError) as err:
        rom_check(measurement)
    assert err.value.field == field


def test_the_plausibility_ceiling_is_a_setting() -> None:
    # Shoulder external rotation: reference 90°; 150° passes the default 2 × ceiling, not 1.5 ×.
    assert rom_check(RomMeasurement("shoulder_external_rotation", 150, side="left")).above_reference
    with pytest.raises(RomError, match="implausible"):
        rom_check(RomMeasurement("shoulder_external_rotation", 150, side="left"), limit_factor=1.5)
