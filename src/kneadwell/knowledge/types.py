"""The clinical catalogue's types: one frozen dataclass per kind of entry, and the closed vocabularies
the data files may use. Pure Python."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .vocabulary import SIDES

LATERALITIES = SIDES
CHRONICITY_LABELS = ("acute", "subacute", "chronic")
PHASES = ("warm_up", "specific", "stretching", "finishing")
DIRECTIONS = ("higher_is_worse", "higher_is_better")
FLAG_KINDS = ("red_flag", "precaution")
FLAG_SCOPES = ("global", "condition")
FLAG_ACTIONS = ("refer_out", "defer", "needs_clearance", "local_contraindication", "precaution")
URGENCIES = ("emergency", "urgent")
ICD_ROLES = ("diagnosis", "secondary_only", "red_flag_context", "related")
REGION_SCOPES = ("listed", "from_intake", "whole_body")
# mcid / mic / mid: within-person change thresholds (mid = Abbott & Schmitt's anchor-based
# "minimal important difference", a within-person change); between_group: a difference between
# group means in a trial (never an MCID, REFERENCE §10); mdc / sdc: measurement error; responder: a
# trial's responder definition.
MCID_KINDS = ("mcid", "mic", "mid", "between_group", "mdc", "sdc", "responder")
WITHIN_PERSON_KINDS = frozenset({"mcid", "mic", "mid"})
MCID_UNITS = ("points", "percent")
DURATION_UNITS = ("days", "weeks", "months")
ROM_UNITS = ("degrees", "mm")
SOURCE_LEVELS = ("verified", "secondary", "mixed", "source_document")
LIMBS = ("arm", "leg")
TRUNK_QUADRANTS = ("upper", "lower")
CHRONICITY_WHEN = ("acute", "subacute", "chronic")
# The verbal pressure scale of `vocabulary.Pressure`, lightest first (REFERENCE §6.3).
PRESSURE_LEVELS = ("light", "medium", "firm", "deep")


class CatalogueError(ValueError):
    """The catalogue data is inconsistent; the message names the file and entry."""


# --- Types -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    citation: str
    level: str
    urls: tuple[str, ...]
    reference: str


@dataclass(frozen=True, slots=True)
class Basis:
    """Why a list (regions, techniques, a gate) is what it is: sources, or unverified + reason."""

    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Muscle:
    name: str
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class Region:
    key: str
    name: str
    patient_name: str
    paired: bool
    svg_area: str = ""
    muscles: tuple[Muscle, ...] = ()
    # Which limb a paired region belongs to ("arm" / "leg"), or which trunk quadrant a midline
    # region is in ("upper" / "lower"): how "the affected limb" and "that limb's quadrant" are
    # drawn on the region list (a Kneadwell mapping of regions, not a clinical claim).
    limb: str = ""
    quadrant: str = ""
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""

    @property
    def sides(self) -> tuple[str, ...]:
        """Laterality values a finding in this region may take (none for midline regions)."""
        return LATERALITIES if self.paired else ()


@dataclass(frozen=True, slots=True)
class PressureHint:
    walton_min: int
    walton_max: int
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class CodeHint:
    code: str
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Technique:
    key: str
    name: str
    description: str = ""
    phases: tuple[str, ...] = ()
    is_stretching: bool = False
    pressure: PressureHint | None = None
    billing_hint: CodeHint | None = None
    scope_restricted: bool = False
    scope_note: str = ""
    # Work that holds pressure on one spot (no "sustained pressure over" a site means none of these).
    sustained_pressure: bool = False
    # The highest verbal pressure level the technique is given at ("light" for lymphatic drainage).
    pressure_max: str = ""
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class Icd10Code:
    code: str
    title: str
    role: str = "diagnosis"
    note: str = ""


@dataclass(frozen=True, slots=True)
class Flag:
    id: str
    kind: str
    scope: str
    text: str
    action: str
    label: str = ""  # a short plain name people read ("Headache that began after age 50")
    urgency: str = ""
    local: bool = False
    regions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Duration:
    value: int
    unit: str

    def after(self, start: date) -> date:
        """The date this duration after ``start`` (calendar months, clamped to month end)."""
        if self.unit == "days":
            return start + timedelta(days=self.value)
        if self.unit == "weeks":
            return start + timedelta(weeks=self.value)
        month_index = start.month - 1 + self.value
        year, month = start.year + month_index // 12, month_index % 12 + 1
        return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.value == 1 else self.unit
        return f"{self.value} {unit}"


@dataclass(frozen=True, slots=True)
class Boundary:
    duration: Duration
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChronicityRule:
    """acute if age < acute_below; chronic if age > chronic_above; subacute in between."""

    acute_below: Boundary
    chronic_above: Boundary


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    label: str
    start: Duration | None = None
    end: Duration | None = None
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class Adaptation:
    """How a session adapts to a condition's stage or chronicity (e.g. freezing-stage frozen shoulder).

    ``when``: stage keys or chronicity labels it applies to; ``when_unknown``: it also applies when the
    onset is not recorded (so the stage cannot be told), the cautious choice. At the condition's areas
    the techniques listed are not used and pressure stays at or below ``pressure_max``.
    """

    when: tuple[str, ...]
    text: str
    forbidden_techniques: tuple[str, ...] = ()
    pressure_max: str = ""
    when_unknown: bool = False
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class Variant:
    """Regions (and a site restriction) for a condition when the diagnosis carries one of `codes`.

    Anatomy follows the code: cervical radiculopathy is worked at the neck, shoulder girdle and arm,
    lumbar at the low back, buttock and leg; carpal tunnel syndrome at the forearm, arm, neck and
    shoulder with no sustained pressure over the tunnel (the wrist).
    """

    key: str
    label: str
    codes: tuple[str, ...]
    regions: tuple[str, ...]
    related_regions: tuple[str, ...]
    no_sustained_pressure: tuple[str, ...] = ()  # regions where no sustained-pressure technique is used
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    name: str
    patient_name: str
    sources: tuple[str, ...]
    icd10: tuple[Icd10Code, ...] = ()
    icd10_note: str = ""
    header_codes: tuple[Icd10Code, ...] = ()
    do_not_map: tuple[Icd10Code, ...] = ()
    regions: tuple[str, ...] = ()
    related_regions: tuple[str, ...] = ()
    regions_scope: str = "listed"
    regions_basis: Basis = Basis()
    techniques: tuple[str, ...] = ()
    techniques_basis: Basis = Basis()
    precautions: tuple[Flag, ...] = ()
    red_flags: tuple[Flag, ...] = ()
    outcome_measures: tuple[str, ...] = ()
    outcome_measures_note: str = ""
    rom_motions: tuple[str, ...] = ()
    chronicity: ChronicityRule | None = None
    chronicity_note: str = ""
    stages: tuple[Stage, ...] = ()
    adaptations: tuple[Adaptation, ...] = ()
    variants: tuple[Variant, ...] = ()
    requires_clearance: bool = False
    requires_clearance_basis: Basis | None = None
    inflammation_gate: bool = False
    inflammation_gate_basis: Basis | None = None
    clinical: bool = True
    verified: bool = True
    unverified_reason: str = ""

    def variant_for(self, icd10: str | None) -> Variant | None:
        """The variant whose codes include the diagnosis's code, if any."""
        if not icd10:
            return None
        return next((v for v in self.variants if icd10 in v.codes), None)

    def stage_on(self, onset: date, on: date) -> Stage | None:
        """The stage the condition is in on `on`, for an onset date (None when it has no stages)."""
        for stage in self.stages:
            starts = stage.start.after(onset) if stage.start else None
            ends = stage.end.after(onset) if stage.end else None
            if (starts is None or on >= starts) and (ends is None or on < ends):
                return stage
        return None


@dataclass(frozen=True, slots=True)
class Mcid:
    kind: str
    unit: str
    population: str
    value: float | None = None
    value_min: float | None = None
    value_max: float | None = None
    baseline_min: float | None = None
    baseline_max: float | None = None
    # The value a default plan-of-care goal uses: for every patient ("default"), or only when the
    # diagnosis carries one of `goal_codes` (HIT-6 −8 for chronic tension-type headache, G44.229).
    goal: bool = False
    goal_codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""

    @property
    def within_person(self) -> bool:
        """A change within one person (an MCID, MIC or within-person MID), not a group or error figure."""
        return self.kind in WITHIN_PERSON_KINDS

    @property
    def target(self) -> float:
        """The single number a goal aims for: the value, or the top of a published range (every estimate)."""
        top = self.value if self.value is not None else self.value_max
        assert top is not None
        return float(top)

    @property
    def display(self) -> str:
        number = (
            fmt_number(self.value)
            if self.value is not None
            else f"{fmt_number(self.value_min)}–{fmt_number(self.value_max)}"
        )
        if self.unit == "percent":
            return f"{number} %"
        single = self.value is not None and float(self.value) == 1
        return f"{number} point" if single else f"{number} points"


@dataclass(frozen=True, slots=True)
class LoincCode:
    code: str
    display: str
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class Measure:
    key: str
    name: str
    patient_name: str
    use_for: str
    range_min: float
    range_max: float
    direction: str
    item_counts: tuple[int, ...] = ()
    item_min: float | None = None
    item_max: float | None = None
    score_unit: str = "points"
    mcids: tuple[Mcid, ...] = ()
    mcids_note: str = ""
    loinc: tuple[LoincCode, ...] = ()
    bands: tuple[Band, ...] = ()
    bands_note: str = ""
    note: str = ""
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    @property
    def scale(self) -> str:
        """The instrument's own scale in words: "0–50", "36–78", "0–100 %"."""
        span = f"{fmt_number(self.range_min)}–{fmt_number(self.range_max)}"
        return f"{span} %" if self.score_unit == "percent" else span

    def default_goal(self, icd10_codes: tuple[str, ...] = ()) -> Mcid | None:
        """The within-person value a default goal uses: one marked for a diagnosis code given, else the default."""
        for m in self.mcids:
            if m.goal_codes and set(m.goal_codes) & set(icd10_codes):
                return m
        return next((m for m in self.mcids if m.goal), None)

    def improvement(self, baseline: float, current: float) -> float:
        """Change towards better as a positive number, whichever way the scale runs."""
        return current - baseline if self.higher_is_better else baseline - current


@dataclass(frozen=True, slots=True)
class RomValue:
    label: str
    value: float | None = None
    value_min: float | None = None
    value_max: float | None = None
    sd: float | None = None
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class RomThreshold:
    below: float
    meaning: str
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class RomMotion:
    key: str
    region: str
    motion: str
    unit: str
    per_side: bool
    values: tuple[RomValue, ...]
    thresholds: tuple[RomThreshold, ...] = ()
    caveat: str = ""
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""


@dataclass(frozen=True, slots=True)
class Catalogue:
    versions: dict[str, int]
    sources: dict[str, Source]
    regions: dict[str, Region]
    techniques: dict[str, Technique]
    phase_order: tuple[str, ...]
    phase_order_basis: str
    flags: dict[str, Flag]
    measures: dict[str, Measure]
    rom_motions: dict[str, RomMotion]
    conditions: dict[str, Condition]
    chronicity_default: ChronicityRule


# Kept for callers that only need key + name: every entry type has both.
Entry = Technique | Condition


def fmt_number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)
