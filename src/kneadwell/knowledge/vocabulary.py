"""The words every engine and interface shares: body areas and sides, diagnoses, pressure, service
families, ambience and feedback. Defined once, here. Pure Python: no Django.

The Django models that store these words (`clinic.ServiceFamily`, `patients.Pressure`, …) carry the
same values as choices; `tests/knowledge/test_vocabulary.py` fails when the two drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

SIDES = ("left", "right", "bilateral")
Side = Literal["left", "right", "bilateral"]

SERVICE_FAMILIES = ("relaxation", "therapeutic", "spot_work")
# Clinical services carry a tailored plan and need a licence valid where they are given (S1, S2).
CLINICAL_FAMILIES = frozenset({"therapeutic", "spot_work"})

LIGHTING_VALUES = ("", "soft", "bright")  # "" is no preference
MUSIC_VALUES = ("", "calm", "none")
FEEDBACK_VALUES = ("too_light", "ok", "too_deep")  # the patient's word on pressure (S17)


class Pressure(StrEnum):
    """The verbal pressure scale (REFERENCE §6.3, industry verbal scale [R42]), lightest first."""

    LIGHT = "light"
    MEDIUM = "medium"
    FIRM = "firm"
    DEEP = "deep"

    @property
    def rank(self) -> int:
        return list(Pressure).index(self)


@dataclass(frozen=True, slots=True)
class Area:
    """A body region (catalogue key) and, for paired regions, a side: left, right or bilateral."""

    region: str
    side: str | None = None

    def covers(self, other: Area) -> bool:
        """True when this area includes `other` (same region; bilateral or unsided covers either side)."""
        if self.region != other.region:
            return False
        return self.side in (None, "bilateral") or self.side == other.side or other.side is None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    condition: str  # catalogue condition key
    side: str | None = None
    onset: dt.date | None = None
    icd10: str | None = None
    areas: tuple[Area, ...] = ()  # where the problem is, when known
