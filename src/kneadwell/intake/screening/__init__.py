"""Screening: the intake's gates (red flags, local contraindications, clearances, precautions).

`screen(inp)` returns the visit's decision, findings, restricted areas, pressure cap and chronicity;
`visit_gate(result)` whether the visit may go ahead at all and what would unblock it; `rules()` lists
the registered rules for documentation. Pure Python: no Django imports.
"""

from .engine import screen
from .gate import GateResult, Hold, visit_gate
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
    InflammationCheck,
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
    "GateResult",
    "HealthAnswers",
    "Hold",
    "InflamedArea",
    "InflammationCheck",
    "Pressure",
    "RecentSurgery",
    "Rule",
    "ScreeningInput",
    "ScreeningResult",
    "rules",
    "screen",
    "visit_gate",
]
