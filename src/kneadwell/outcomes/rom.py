"""Range-of-motion measurements against the catalogue's reference values (REFERENCE §1.5). Pure Python.

    result = rom_check(RomMeasurement("neck_rotation", 40, side="left"))
    result.primary.percent_low   # 47.1: % of the 85° reference
    result.thresholds            # the Canadian C-Spine "< 45°" threshold, with its source

Reference values are method-, age- and sex-dependent norms, not limits (REFERENCE §1.5): a value
above them is reported, not refused. What *is* refused is a value no joint produces: negative, not
a number, or beyond ``limit_factor`` × the largest reference value for the motion. That ceiling is
a data-entry guard (a typed 850 for 85), a project setting rather than a clinical norm; the default
factor of 2 leaves room for hypermobile and athletic ranges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kneadwell.knowledge import catalogue as cat
from kneadwell.knowledge import types as ktypes

DEFAULT_LIMIT_FACTOR = 2.0
SIDES = ("left", "right")


class RomError(ValueError):
    """A measurement refused; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class RomMeasurement:
    motion: str  # catalogue key, e.g. "neck_rotation"
    value: float  # degrees or mm, in the motion's unit
    side: str | None = None  # "left"/"right" for motions measured per side; None for midline ones
    unit: str | None = None  # optional: checked against the motion's unit when given


@dataclass(frozen=True, slots=True)
class RomComparison:
    """The measurement against one catalogue reference value (a single value or a range)."""

    reference: ktypes.RomValue
    percent_low: float  # measurement as % of the value, or of the range's lower end
    percent_high: float  # … or of the range's upper end (equal to percent_low for a single value)
    within_range: bool | None  # for a range: inside it; None for a single value


@dataclass(frozen=True, slots=True)
class RomResult:
    motion: ktypes.RomMotion
    value: float
    side: str | None
    primary: RomComparison  # against the first verified reference (or the one asked for)
    comparisons: tuple[RomComparison, ...]  # against every reference the catalogue lists
    thresholds: tuple[ktypes.RomThreshold, ...]  # published cut-offs the value is below
    above_reference: bool  # above every reference value: worth a second look, not an error


def _high(v: ktypes.RomValue) -> float:
    high = v.value if v.value is not None else v.value_max
    assert high is not None  # the catalogue guarantees value or value_min/value_max
    return high


def _compare(value: float, ref: ktypes.RomValue) -> RomComparison:
    if ref.value is not None:
        percent = value / ref.value * 100
        return RomComparison(ref, percent, percent, None)
    assert ref.value_min is not None
    assert ref.value_max is not None
    return RomComparison(
        ref,
        value / ref.value_min * 100,
        value / ref.value_max * 100,
        ref.value_min <= value <= ref.value_max,
    )


def rom_check(
    measurement: RomMeasurement,
    *,
    reference_label: str | None = None,
    limit_factor: float = DEFAULT_LIMIT_FACTOR,
) -> RomResult:
    """Validate a ROM measurement and compare it with the catalogue's reference values.

    ``reference_label`` picks the primary reference (e.g. "AAOS goniometer, age 30–49"); by default
    the motion's first verified value. Raises :class:`RomError` naming the field.
    """
    motions = cat.rom_motions()
    motion = motions.get(measurement.motion)
    if motion is None:
        raise RomError("motion", f"unknown motion {measurement.motion!r} (known: {', '.join(motions)})")
    value = measurement.value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RomError("value", f"expected a number of {motion.unit}, got {value!r}")
    if measurement.unit is not None and measurement.unit != motion.unit:
        raise RomError("unit", f"{motion.motion} is measured in {motion.unit}, not {measurement.unit}")
    _check_side(motion, measurement.side)
    if value < 0:
        raise RomError("value", f"a range of motion cannot be negative ({value} {motion.unit})")
    largest = max(_high(v) for v in motion.values)
    ceiling = largest * limit_factor
    if value > ceiling:
        raise RomError(
            "value",
            f"{ktypes.fmt_number(value)} {motion.unit} is implausible for {motion.region} {motion.motion.lower()} "
            f"(more than {ktypes.fmt_number(limit_factor)} × the largest reference value, "
            f"{ktypes.fmt_number(largest)} {motion.unit}): check the entry",
        )
    comparisons = tuple(_compare(value, v) for v in motion.values)
    return RomResult(
        motion=motion,
        value=float(value),
        side=measurement.side,
        primary=_primary(motion, comparisons, reference_label),
        comparisons=comparisons,
        thresholds=tuple(t for t in motion.thresholds if value < t.below),
        above_reference=value > largest,
    )


def _check_side(motion: ktypes.RomMotion, side: str | None) -> None:
    if motion.per_side and side not in SIDES:
        raise RomError("side", f"{motion.motion} is measured per side: give 'left' or 'right' (got {side!r})")
    if not motion.per_side and side is not None:
        raise RomError("side", f"{motion.motion} ({motion.region}) is a midline motion: no side")


def _primary(
    motion: ktypes.RomMotion, comparisons: tuple[RomComparison, ...], label: str | None
) -> RomComparison:
    if label is not None:
        for c in comparisons:
            if c.reference.label == label:
                return c
        labels = "; ".join(v.label for v in motion.values)
        raise RomError("reference_label", f"{motion.key} has no reference {label!r} (has: {labels})")
    return next((c for c in comparisons if c.reference.verified), comparisons[0])
