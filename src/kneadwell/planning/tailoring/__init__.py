"""The tailoring engine: a session plan per patient, per visit, explained rule by rule (S10, S14).

Pure Python. `contract` holds what it takes and gives, `rules` the registry of rationale rules,
`minutes` how a session's minutes are shared, `engine` the planner itself. This package re-exports
the public surface, so callers write `from kneadwell.planning.tailoring import plan_session`.
"""

from .contract import Colleague, PlanRequest, PressureFeedback, Rationale, Segment, SessionPlan
from .engine import plan_session
from .minutes import apportion
from .rules import RULES

__all__ = [
    "RULES",
    "Colleague",
    "PlanRequest",
    "PressureFeedback",
    "Rationale",
    "Segment",
    "SessionPlan",
    "apportion",
    "plan_session",
]
