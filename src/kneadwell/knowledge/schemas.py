"""The shared vocabulary as validated input: areas and diagnoses, checked against the catalogue and the
ICD-10-CM code set once, at every interface's boundary, with messages that name what to fix.

Services store the validated `model_dump(mode="json")`; engines receive the plain dataclasses of
`knowledge.vocabulary` from `to_engine()`. Pure Python (pydantic): no Django.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kneadwell.lib.clock import latest_possible_today

from . import catalogue, icd10
from .vocabulary import Area, Diagnosis, Side


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

    def to_engine(self) -> Area:
        return Area(region=self.region, side=self.side)


def check_icd10(code: str) -> str:
    """A billable ICD-10-CM code, upper-cased; a header names its billable children."""
    normalised = code.strip().upper()
    found = icd10.icd10_lookup(normalised)
    if not found.valid:
        raise ValueError(f"{normalised} is not an ICD-10-CM code in the current code set.")
    if not found.billable:
        children = ", ".join(found.children[:12]) + (" …" if len(found.children) > 12 else "")
        raise ValueError(f"{normalised} is a header code and cannot be billed; use one of: {children}.")
    return normalised


def not_in_future(value: dt.date | None, what: str) -> dt.date | None:
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
        return not_in_future(value, "onset date")

    def to_engine(self) -> Diagnosis:
        return Diagnosis(
            condition=self.condition,
            side=self.side,
            onset=self.onset,
            icd10=self.icd10,
            areas=tuple(a.to_engine() for a in self.areas),
        )
