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
MCID_KINDS = ("mcid", "mic", "mid", "mdc", "sdc", "responder")
MCID_UNITS = ("points", "percent")
DURATION_UNITS = ("days", "weeks", "months")
ROM_UNITS = ("degrees", "mm")
SOURCE_LEVELS = ("verified", "secondary", "mixed", "source_document")


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
    requires_clearance: bool = False
    requires_clearance_basis: Basis | None = None
    inflammation_gate: bool = False
    inflammation_gate_basis: Basis | None = None
    clinical: bool = True
    verified: bool = True
    unverified_reason: str = ""


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
    sources: tuple[str, ...] = ()
    verified: bool = True
    unverified_reason: str = ""

    @property
    def display(self) -> str:
        number = (
            fmt_number(self.value)
            if self.value is not None
            else f"{fmt_number(self.value_min)}–{fmt_number(self.value_max)}"
        )
        return f"{number} %" if self.unit == "percent" else f"{number} points"


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
