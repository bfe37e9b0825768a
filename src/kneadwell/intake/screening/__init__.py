"""Screening: the intake's gates (red flags, local contraindications, clearances, precautions).

`screen(inp)` returns the visit's decision, findings, restricted areas, pressure cap and chronicity;
`rules()` lists the registered rules for documentation. Pure Python: no Django imports.
"""

from .engine import screen
from .registry import Family, Rule, rules
from .types import (
    Area,
    Chronicity,
    ClearanceGrant,
    Decision,
    Diagnosis,
    Finding,
    HealthAnswers,
    InflamedArea,
    Pressure,
    RecentSurgery,
    ScreeningInput,
    ScreeningResult,
)

__all__ = [
    "Area",
    "Chronicity",
    "ClearanceGrant",
    "Decision",
    "Diagnosis",
    "Family",
    "Finding",
    "HealthAnswers",
    "InflamedArea",
    "Pressure",
    "RecentSurgery",
    "Rule",
    "ScreeningInput",
    "ScreeningResult",
    "rules",
    "screen",
]
