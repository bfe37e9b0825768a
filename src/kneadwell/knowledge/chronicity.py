"""Acute, subacute or chronic, from the onset date and the condition's thresholds (REFERENCE §2)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from .catalogue import conditions
from .types import Boundary, ChronicityRule

# --- Chronicity ------------------------------------------------------------------------------


class ChronicityResult(NamedTuple):
    label: str
    rule_text: str
    source_ids: tuple[str, ...]


def _boundary_text(boundary: Boundary) -> str:
    suffix = " (unverified)" if not boundary.verified else ""
    return f"{boundary.duration}{suffix}"


def chronicity_rule_text(condition_key: str, rule: ChronicityRule) -> str:
    name = conditions()[condition_key].name
    acute, chronic = rule.acute_below, rule.chronic_above
    if acute.duration.unit == chronic.duration.unit:
        between = f"{acute.duration.value}–{chronic.duration}"
    else:
        between = f"{acute.duration} – {chronic.duration}"
    ids = ", ".join(_rule_sources(rule))
    cited = f" [{ids}]" if ids else ""
    return (
        f"{name}: acute < {_boundary_text(acute)}, subacute {between}, "
        f"chronic > {_boundary_text(chronic)}{cited}"
    )


def _rule_sources(rule: ChronicityRule) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*rule.acute_below.sources, *rule.chronic_above.sources]))


def chronicity(
    condition_key: str, onset: date, on: date, *, rule: ChronicityRule | None = None
) -> ChronicityResult:
    """Acute / subacute / chronic from the onset date, by the condition's thresholds (REFERENCE §2).

    ``rule`` overrides the catalogue's thresholds (clinic settings for unverified defaults).
    Raises ValueError when the onset is after ``on`` or the condition has no chronicity rule,
    KeyError for an unknown condition.
    """
    condition = conditions()[condition_key]
    if onset > on:
        raise ValueError(f"onset {onset.isoformat()} is after {on.isoformat()}")
    rule = rule or condition.chronicity
    if rule is None:
        raise ValueError(f"{condition_key} has no chronicity rule (not a clinical condition)")
    if on < rule.acute_below.duration.after(onset):
        label = "acute"
    elif on > rule.chronic_above.duration.after(onset):
        label = "chronic"
    else:
        label = "subacute"
    return ChronicityResult(label, chronicity_rule_text(condition_key, rule), _rule_sources(rule))
