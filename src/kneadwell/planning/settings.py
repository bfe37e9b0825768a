"""Clinic settings for the tailoring engine.

Everything here is a CLINIC SETTING: how this clinic chooses to share out a session's minutes,
which regions a relaxation massage covers and in what order, and a few defaults. None of it is a
clinical claim and none of it comes from REFERENCE.md; every plan labels the decisions these
values drive with the source ``"clinic_setting"``. Clinics may change any of them.

Pure Python (no Django), so the engine stays testable without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from kneadwell.knowledge.vocabulary import Pressure

CLINIC_SETTING = "clinic_setting"

# Whole-body relaxation template: (region, weight), most important first. Paired regions are
# worked on both sides. When a session is too short for every entry to get at least
# `min_segment_minutes`, the entries at the end are left out first.
RELAXATION_TEMPLATE: tuple[tuple[str, int], ...] = (
    ("upper_back", 3),
    ("low_back", 2),
    ("neck", 2),
    ("shoulder", 2),
    ("thigh", 2),
    ("calf", 2),
    ("forearm", 1),
    ("hip_gluteal", 1),
    ("ankle_foot", 1),
    ("head", 1),
)


@dataclass(frozen=True, slots=True)
class TailoringSettings:
    """Allocation defaults of the clinic (clinic settings, not clinical claims)."""

    # Focus regions get the majority of a therapeutic session (clinic setting, default 67 %).
    focus_share: Fraction = Fraction(67, 100)
    # No segment shorter than this, unless the whole session is shorter.
    min_segment_minutes: int = 5
    # Relative weights of the 1st, 2nd, 3rd… focus area (areas of concern are listed most important
    # first); areas past the end of the tuple reuse its last weight.
    focus_priority_weights: tuple[int, ...] = (3, 2, 1)
    # Where the non-focus time of a therapeutic session goes when the patient's conditions list no
    # related muscle groups that can be worked: general Swedish work here, in this order.
    general_regions: tuple[str, ...] = ("upper_back", "neck")
    relaxation_template: tuple[tuple[str, int], ...] = RELAXATION_TEMPLATE
    # Pressure range: the preferred level and this many levels below it (firm -> medium..firm).
    pressure_band_below: int = 1
    # Used when the patient has not stated a pressure preference.
    default_pressure: Pressure = Pressure.MEDIUM
    # Ambience when the patient has no preference ("" means no preference).
    default_lighting: str = "soft"
    default_music: str = "calm"
    # Techniques whose catalogue pressure hint is at or above this Walton level are planned only
    # when the pressure range reaches `deep` (R42 describes Walton 4 as what most mean by "deep").
    deep_walton_level: int = 4

    def __post_init__(self) -> None:
        if not Fraction(1, 2) < self.focus_share <= 1:
            raise ValueError("focus_share must be a majority: above 1/2 and at most 1")
        if self.min_segment_minutes < 1:
            raise ValueError("min_segment_minutes must be at least 1")
        if not self.focus_priority_weights or min(self.focus_priority_weights) < 1:
            raise ValueError("focus_priority_weights needs one or more positive weights")
        if not self.relaxation_template or min(w for _, w in self.relaxation_template) < 1:
            raise ValueError("relaxation_template needs one or more regions with positive weights")
        if self.pressure_band_below < 0:
            raise ValueError("pressure_band_below must not be negative")

    def focus_weight(self, index: int) -> int:
        """Weight of the focus area at `index` (0 = most important)."""
        weights = self.focus_priority_weights
        return weights[min(index, len(weights) - 1)]


DEFAULT_SETTINGS = TailoringSettings()
