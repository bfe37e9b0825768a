"""The clinical catalogue, loaded from versioned TOML files shipped with the package.

Pure Python: no Django imports, so it can be used and tested anywhere.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    name: str


def _load(filename: str, table: str) -> dict[str, Entry]:
    with (DATA_DIR / filename).open("rb") as fh:
        raw = tomllib.load(fh)
    entries: dict[str, Entry] = {}
    for item in raw[table]:
        entry = Entry(key=item["key"], name=item["name"])
        if entry.key in entries:
            raise ValueError(f"{filename}: duplicate key {entry.key!r}")
        entries[entry.key] = entry
    return entries


@cache
def techniques() -> dict[str, Entry]:
    return _load("techniques.toml", "technique")


@cache
def conditions() -> dict[str, Entry]:
    return _load("conditions.toml", "condition")
