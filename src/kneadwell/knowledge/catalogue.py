"""The clinical catalogue in force: loaded once from the data folder, validated, and read through the
accessors below. Pure Python: no Django imports, so it can be used and tested anywhere.

The types live in `types.py`, the parsing and cross-checks in `loader.py`, ICD-10-CM lookups in
`icd10.py` and the acute/subacute/chronic thresholds in `chronicity.py`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .loader import data_dir, validate
from .types import Catalogue, Condition, Flag, Measure, Region, RomMotion, Source, Technique


def catalogue() -> Catalogue:
    """The validated catalogue of the data folder in force (cached per folder)."""
    return _load(data_dir())


@cache
def _load(folder: Path) -> Catalogue:
    return validate(folder)


def sources() -> dict[str, Source]:
    return catalogue().sources


def regions() -> dict[str, Region]:
    return catalogue().regions


def techniques() -> dict[str, Technique]:
    return catalogue().techniques


def flags() -> dict[str, Flag]:
    return catalogue().flags


def conditions() -> dict[str, Condition]:
    return catalogue().conditions


def measures() -> dict[str, Measure]:
    return catalogue().measures


def rom_motions() -> dict[str, RomMotion]:
    return catalogue().rom_motions


def versions() -> dict[str, int]:
    """The `version` of each data file, for stamping plans and notes with the catalogue used."""
    return catalogue().versions


def global_flags() -> tuple[Flag, ...]:
    """Flags screened for every patient, whatever the condition."""
    return tuple(f for f in flags().values() if f.scope == "global")


def phase_rank(technique_key: str) -> int:
    """Position of a technique's first phase in the clinic's session ordering (a convention)."""
    order = catalogue().phase_order
    return min(order.index(p) for p in techniques()[technique_key].phases)
