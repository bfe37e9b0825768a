"""Typed, validated clinical input shared by every interface (REST, web forms, CLI).

Areas, diagnoses and health-history answers are checked here against the
catalogue, once, with messages that name what to fix. Services store the
validated `model_dump(mode="json")`; engines receive the dataclasses from
`to_engine()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from kneadwell.knowledge import catalogue
from kneadwell.knowledge.schemas import AreaIn, Side, Strict, not_in_future

from .screening import types as t

Sign = Literal["swelling", "heat", "redness"]

# A pregnancy lasts up to about 42 weeks; weeks outside 0–42 are a typing mistake.
MAX_PREGNANCY_WEEKS = 42


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


AREA_LISTS = (
    "open_wound_regions",
    "fracture_regions",
    "clot_regions",
    "cancer_bone_regions",
    "lymph_node_regions",
)


class HealthAnswersIn(Strict):
    """The health-history screening answers (REFERENCE §1.3, §10). Omitted answers mean "no".

    The questions that ask them, worded for staff and for patients, are in `intake/questions.py`.
    """

    fever: bool = False
    suspected_dvt: bool = Field(
        default=False, description="A doctor has said there is, or may be, a blood clot."
    )
    clot_regions: tuple[AreaIn, ...] = Field(
        default=(), max_length=17, description="Where that clot is or was."
    )
    clot_signs: bool = Field(default=False, description="New one-sided calf or leg swelling, pain or warmth.")
    anticoagulants: bool = False
    bleeding_disorder: bool = False
    recent_surgery: tuple[RecentSurgeryIn, ...] = Field(default=(), max_length=10)
    open_wound_regions: tuple[AreaIn, ...] = Field(default=(), max_length=17)
    fracture_regions: tuple[AreaIn, ...] = Field(default=(), max_length=17)
    osteoporosis: bool = False
    cancer: bool = False
    cancer_active_treatment: bool | None = Field(
        default=None, description="In treatment for cancer now; omitted: not asked (treated as in treatment)."
    )
    cancer_bone_regions: tuple[AreaIn, ...] = Field(default=(), max_length=17)
    lymph_node_regions: tuple[AreaIn, ...] = Field(
        default=(), max_length=4, description="A region of each limb whose lymph nodes were removed."
    )
    pregnancy: Literal["no", "low_risk", "high_risk"] = "no"
    pregnancy_weeks: int | None = Field(default=None, description="Completed weeks of gestation, 0–42.")
    pregnancy_warning_signs: bool = False
    inflamed_regions: tuple[InflamedAreaIn, ...] = Field(default=(), max_length=17)
    unexplained_pain: bool = False
    nerve_skin_heart: bool = False
    touch_history: bool = False
    thunderclap_headache: bool = False
    headache_peak_within_hour: bool = False
    headache_pattern_change: bool = False
    headache_positional: bool = False
    headache_valsalva: bool = False
    papilledema: bool = False
    headache_cognitive_change: bool = False
    neuro_deficit: bool = False
    headache_onset_after_50: bool = False
    systemic_symptoms: bool = False
    cervical_arterial_signs: bool = False
    whiplash_high_risk: bool = False
    neck_injury_unassessed: bool = False
    neck_midline_tenderness: bool = False
    neck_dangerous_mechanism: bool = False
    limb_paresthesia: bool = False
    neck_rotation_limited: bool = False
    cauda_equina_signs: bool = False
    progressive_weakness: bool = False
    ottawa_ankle: bool = False
    ottawa_knee: bool = False
    steroid_injection_date: dt.date | None = None
    tendon_rupture_signs: bool = False
    jaw_trauma: bool = False
    jaw_locked: bool = False
    shoulder_not_examined: bool = False

    @field_validator("pregnancy_weeks")
    @classmethod
    def _weeks(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= MAX_PREGNANCY_WEEKS:
            raise ValueError(f"Weeks of pregnancy must be between 0 and {MAX_PREGNANCY_WEEKS}.")
        return value

    @field_validator("steroid_injection_date")
    @classmethod
    def _injection(cls, value: dt.date | None) -> dt.date | None:
        return not_in_future(value, "steroid injection date")

    @field_validator("lymph_node_regions")
    @classmethod
    def _limbs(cls, value: tuple[AreaIn, ...]) -> tuple[AreaIn, ...]:
        regions = catalogue.regions()
        for area in value:
            if not regions[area.region].limb:
                raise ValueError(
                    f"{regions[area.region].name} is not part of an arm or leg: lymph nodes are recorded "
                    "by the limb (a region of that arm or leg, with its side)."
                )
        return value

    def to_engine(self) -> t.HealthAnswers:
        data = self.model_dump(exclude={"recent_surgery", "inflamed_regions", *AREA_LISTS})
        data.update({name: tuple(a.to_engine() for a in getattr(self, name)) for name in AREA_LISTS})
        return t.HealthAnswers(
            **data,
            recent_surgery=tuple(
                t.RecentSurgery(date=s.date, area=t.Area(s.region, s.side)) for s in self.recent_surgery
            ),
            inflamed_regions=tuple(
                t.InflamedArea(area=t.Area(a.region, a.side), signs=frozenset(a.signs))
                for a in self.inflamed_regions
            ),
        )
