"""Typed, validated clinical input shared by every interface (REST, web forms, CLI).

Areas, diagnoses and health-history answers are checked here against the
catalogue, once, with messages that name what to fix. Services store the
validated `model_dump(mode="json")`; engines receive the dataclasses from
`to_engine()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kneadwell.knowledge import catalogue
from kneadwell.lib.clock import latest_possible_today

from .screening import types as t

Side = Literal["left", "right", "bilateral"]
Sign = Literal["swelling", "heat", "redness"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AreaIn(Strict):
    region: str = Field(max_length=40, description="Region key from the catalogue, e.g. `shoulder`.")
    side: Side | None = Field(default=None, description="For paired regions: left, right or bilateral.")

    @model_validator(mode="after")
    def _known_region(self) -> AreaIn:
        region = catalogue.regions().get(self.region)
        if region is None:
            raise ValueError(
                f"Unknown region {self.region!r}; use one of: {', '.join(sorted(catalogue.regions()))}."
            )
        if region.paired and self.side is None:
            raise ValueError(f"{self.region} is a paired region: give side left, right or bilateral.")
        if not region.paired and self.side is not None:
            raise ValueError(f"{self.region} has no sides; leave side empty.")
        return self

    def to_engine(self) -> t.Area:
        return t.Area(region=self.region, side=self.side)


def check_icd10(code: str) -> str:
    """A billable ICD-10-CM code, upper-cased; a header names its billable children."""
    normalised = code.strip().upper()
    found = catalogue.icd10_lookup(normalised)
    if not found.valid:
        raise ValueError(f"{normalised} is not an ICD-10-CM code in the current code set.")
    if not found.billable:
        children = ", ".join(found.children[:12]) + (" …" if len(found.children) > 12 else "")
        raise ValueError(f"{normalised} is a header code and cannot be billed; use one of: {children}.")
    return normalised


def _not_in_future(value: dt.date | None, what: str) -> dt.date | None:
    if value is not None and value > latest_possible_today():
        raise ValueError(f"The {what} cannot be in the future.")
    return value


class DiagnosisIn(Strict):
    condition: str = Field(max_length=40, description="Condition key from the catalogue, e.g. `whiplash`.")
    icd10: str | None = Field(
        default=None, max_length=8, description="Billable ICD-10-CM code, e.g. `M54.50`."
    )
    side: Side | None = None
    onset: dt.date | None = Field(default=None, description="When the problem started.")
    areas: tuple[AreaIn, ...] = Field(default=(), max_length=17)

    @field_validator("condition")
    @classmethod
    def _known_condition(cls, value: str) -> str:
        if value not in catalogue.conditions():
            raise ValueError(
                f"Unknown condition {value!r}; use one of: {', '.join(sorted(catalogue.conditions()))}."
            )
        return value

    @field_validator("icd10")
    @classmethod
    def _billable(cls, value: str | None) -> str | None:
        return None if value is None else check_icd10(value)

    @field_validator("onset")
    @classmethod
    def _onset(cls, value: dt.date | None) -> dt.date | None:
        return _not_in_future(value, "onset date")

    def to_engine(self) -> t.Diagnosis:
        return t.Diagnosis(
            condition=self.condition,
            side=self.side,
            onset=self.onset,
            icd10=self.icd10,
            areas=tuple(a.to_engine() for a in self.areas),
        )


class InflamedAreaIn(AreaIn):
    signs: tuple[Sign, ...] = Field(min_length=1, max_length=3)


class RecentSurgeryIn(Strict):
    date: dt.date
    region: str = Field(max_length=40)
    side: Side | None = None

    @model_validator(mode="after")
    def _checks(self) -> RecentSurgeryIn:
        AreaIn(region=self.region, side=self.side)
        _not_in_future(self.date, "surgery date")
        return self


class HealthAnswersIn(Strict):
    """The health-history screening answers (REFERENCE §1.3). Omitted answers mean "no"."""

    fever: bool = False
    suspected_dvt: bool = False
    anticoagulants: bool = False
    bleeding_disorder: bool = False
    recent_surgery: tuple[RecentSurgeryIn, ...] = Field(default=(), max_length=10)
    open_wound_regions: tuple[AreaIn, ...] = Field(default=(), max_length=17)
    fracture_regions: tuple[AreaIn, ...] = Field(default=(), max_length=17)
    osteoporosis: bool = False
    cancer: bool = False
    pregnancy: Literal["no", "low_risk", "high_risk"] = "no"
    inflamed_regions: tuple[InflamedAreaIn, ...] = Field(default=(), max_length=17)
    thunderclap_headache: bool = False
    neuro_deficit: bool = False
    headache_onset_after_50: bool = False
    systemic_symptoms: bool = False
    cervical_arterial_signs: bool = False
    whiplash_high_risk: bool = False
    cauda_equina_signs: bool = False
    progressive_weakness: bool = False

    def to_engine(self) -> t.HealthAnswers:
        data = self.model_dump(
            exclude={"recent_surgery", "open_wound_regions", "fracture_regions", "inflamed_regions"}
        )
        return t.HealthAnswers(
            **data,
            recent_surgery=tuple(
                t.RecentSurgery(date=s.date, area=t.Area(s.region, s.side)) for s in self.recent_surgery
            ),
            open_wound_regions=tuple(a.to_engine() for a in self.open_wound_regions),
            fracture_regions=tuple(a.to_engine() for a in self.fracture_regions),
            inflamed_regions=tuple(
                t.InflamedArea(area=t.Area(a.region, a.side), signs=frozenset(a.signs))
                for a in self.inflamed_regions
            ),
        )
