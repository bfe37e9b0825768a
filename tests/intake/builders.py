"""Small builders for screening inputs (plain data: no database)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from kneadwell.intake.screening import (
    Area,
    ClearanceGrant,
    Diagnosis,
    HealthAnswers,
    InflamedArea,
    InflammationCheck,
    RecentSurgery,
    ScreeningInput,
)

ON = date(2026, 3, 16)

RIGHT_WRIST = Area("wrist_hand", "right")
LEFT_WRIST = Area("wrist_hand", "left")
RIGHT_KNEE = Area("knee", "right")
LEFT_KNEE = Area("knee", "left")
NECK = Area("neck")
LOW_BACK = Area("low_back")


def inflamed(area: Area, *signs: str) -> InflamedArea:
    return InflamedArea(area=area, signs=frozenset(signs))


def surgery(area: Area, days_ago: int = 20) -> RecentSurgery:
    return RecentSurgery(date=ON - timedelta(days=days_ago), area=area)


def clearance(
    scope: str, area: Area | None = None, *, granted_days_ago: int = 10, expires_in_days: int | None = None
) -> ClearanceGrant:
    expires = None if expires_in_days is None else ON + timedelta(days=expires_in_days)
    return ClearanceGrant(
        scope=scope, area=area, granted=ON - timedelta(days=granted_days_ago), expires=expires
    )


def make(
    *,
    conditions: Iterable[str] = (),
    diagnoses: Iterable[Diagnosis] = (),
    areas: Iterable[Area] = (),
    clearances: Iterable[ClearanceGrant] = (),
    birth_date: date | None = None,
    inflammation_checks: Iterable[InflammationCheck] = (),
    **answers: Any,
) -> ScreeningInput:
    """A screening input: `conditions` become diagnoses without detail; keyword args are answers."""
    return ScreeningInput(
        on=ON,
        birth_date=birth_date,
        diagnoses=(*(Diagnosis(c) for c in conditions), *diagnoses),
        areas=tuple(areas),
        answers=HealthAnswers(**answers),
        clearances=tuple(clearances),
        inflammation_checks=tuple(inflammation_checks),
    )
