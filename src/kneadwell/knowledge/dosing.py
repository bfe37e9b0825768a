"""Plan-of-care dose defaults (frequency × weeks) per condition, from `data/dosing.toml`. Pure Python."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import catalogue, loader
from . import types as ktypes


@dataclass(frozen=True, slots=True)
class Dose:
    condition: str | None  # None: the clinic default
    frequency_per_week: int
    weeks: int
    sources: tuple[str, ...]
    verified: bool
    text: str  # the basis in plain words, as staff read it on the plan of care
    unverified_reason: str = ""  # why the catalogue could not confirm it (generated docs)
    session_minutes: int | None = None  # the session length the evidence used, when it names one

    @property
    def sessions(self) -> int:
        return self.frequency_per_week * self.weeks


def _dose(raw: dict[str, Any], condition: str | None) -> Dose:
    where = condition or "default"
    sources = tuple(raw.get("sources", ()))
    unknown = [s for s in sources if s not in catalogue.sources()]
    if unknown:
        raise ktypes.CatalogueError(f"dosing.toml: {where} cites unknown source(s) {unknown}")
    if condition is not None and condition not in catalogue.conditions():
        raise ktypes.CatalogueError(f"dosing.toml: unknown condition {condition!r}")
    verified = bool(raw.get("verified", True))
    if not raw.get("note"):
        raise ktypes.CatalogueError(f"dosing.toml: {where} needs a `note` (the basis in plain words)")
    if not verified and not raw.get("unverified_reason"):
        raise ktypes.CatalogueError(f"dosing.toml: {where}: verified = false needs an unverified_reason")
    minutes = raw.get("session_minutes")
    return Dose(
        condition=condition,
        frequency_per_week=int(raw["frequency_per_week"]),
        weeks=int(raw["weeks"]),
        sources=sources,
        verified=verified,
        text=str(raw["note"]),
        unverified_reason=str(raw.get("unverified_reason", "")),
        session_minutes=int(minutes) if minutes is not None else None,
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
