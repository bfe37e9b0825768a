"""Typed, validated clinical input shared by every interface (REST, web forms, CLI).

Areas, diagnoses and health-history answers are checked here against the
catalogue, once, with messages that name what to fix. Services store the
validated `model_dump(mode="json")`; engines receive the dataclasses from
`to_engine()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from kneadwell.knowledge.schemas import AreaIn, Side, Strict, not_in_future

from .screening import types as t

Sign = Literal["swelling", "heat", "redness"]


class InflamedAreaIn(AreaIn):
    signs: tuple[Sign, ...] = Field(min_length=1, max_length=3)


class RecentSurgeryIn(Strict):
    date: dt.date
    region: str = Field(max_length=40)
    side: Side | None = None

    @model_validator(mode="after")
    def _checks(self) -> RecentSurgeryIn:
        AreaIn(region=self.region, side=self.side)
        not_in_future(self.date, "surgery date")
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
