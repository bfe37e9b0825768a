"""Plan-of-care dose defaults (frequency × weeks) per condition, from `data/dosing.toml`. Pure Python."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from . import catalogue, loader
from . import types as ktypes


@dataclass(frozen=True, slots=True)
class Dose:
    condition: str | None  # None: the clinic default
    frequency_per_week: int
    weeks: int
    sources: tuple[str, ...]
    verified: bool
    text: str  # what to show as the basis of the default

    @property
    def sessions(self) -> int:
        return self.frequency_per_week * self.weeks


def _dose(raw: dict, condition: str | None) -> Dose:
    sources = tuple(raw.get("sources", ()))
    unknown = [s for s in sources if s not in catalogue.sources()]
    if unknown:
        raise ktypes.CatalogueError(
            f"dosing.toml: {condition or 'default'} cites unknown source(s) {unknown}"
        )
    if condition is not None and condition not in catalogue.conditions():
        raise ktypes.CatalogueError(f"dosing.toml: unknown condition {condition!r}")
    verified = bool(raw.get("verified", True))
    text = raw.get("note") or raw.get("unverified_reason", "")
    if not verified:
        text = (
            f"{text} (unverified: {raw.get('unverified_reason', '')})"
            if raw.get("note")
            else f"(unverified) {text}"
        )
    return Dose(
        condition=condition,
        frequency_per_week=int(raw["frequency_per_week"]),
        weeks=int(raw["weeks"]),
        sources=sources,
        verified=verified,
        text=text,
    )


@cache
def doses() -> dict[str | None, Dose]:
    with (loader.data_dir() / "dosing.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    out: dict[str | None, Dose] = {None: _dose(raw["default"], None)}
    for item in raw.get("dose", []):
        out[item["condition"]] = _dose(item, item["condition"])
    return out


def dose_for(conditions: list[str] | tuple[str, ...]) -> Dose:
    """The dose for the first condition that has evidence, else the clinic default."""
    table = doses()
    for key in conditions:
        if key in table:
            return table[key]
    return table[None]
