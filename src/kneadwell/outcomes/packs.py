"""Instrument packs: the item text of questionnaires, loaded from TOML files. Pure Python: no Django.

Scoring rules are facts and ship with Kneadwell (``instruments.py``); the words of a copyrighted
questionnaire may not (REFERENCE §10). A clinic that holds a licence writes its licensed text into a
pack file and loads it; the product offers an instrument only when some pack provides its text
(:func:`available_instruments`). The format is documented in ``docs/instrument-packs.md``.

Every pack is checked against the scoring definition on load, so a pack cannot change how an
instrument is scored: same scoring method and range, the same items in the same order, and for
each item the same answer options with the same points. Any difference raises :class:`PackError`
naming the file, the instrument and the item.

Kneadwell ships one pack, ``packs/free-en.toml``: the instruments REFERENCE §10 lets us distribute
(NPRS, PSFS with our own wording, PHQ-2, GAD-2) and the project's own wellbeing items.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .instruments import Instrument, instruments

PACK_FORMAT = 1
SHIPPED_PACK_DIR = Path(__file__).parent / "packs"


class PackError(ValueError):
    """A pack that cannot be used; the message names the file, instrument and item at fault."""


@dataclass(frozen=True, slots=True)
class OptionText:
    points: int
    text: str


@dataclass(frozen=True, slots=True)
class ItemText:
    key: str
    text: str
    options: tuple[OptionText, ...]


@dataclass(frozen=True, slots=True)
class InstrumentText:
    """The words of one instrument in one language, as a pack provides them."""

    instrument: str
    version: str  # the version of the form, as its owner names it
    language: str  # BCP 47 tag, e.g. "en", "es-MX"
    title: str
    licence: str  # who holds the licence / under what terms the text is used
    attribution: str  # the notice the owner asks to be shown with the form ("" if none)
    instructions: str
    items: tuple[ItemText, ...]
    pack: str  # name of the pack it came from


@dataclass(frozen=True, slots=True)
class Pack:
    name: str
    description: str
    source: str  # the file it was read from
    instruments: tuple[InstrumentText, ...]


# --- Reading ---------------------------------------------------------------------------------


class _Table:
    """One TOML table read strictly: typed required/optional fields, no unknown keys."""

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            raise PackError(f"{where}: expected a table, got {type(raw).__name__}")
        self.raw = dict(raw)
        self.where = where

    def text(self, name: str, *, required: bool = True) -> str:
        if name not in self.raw:
            if required:
                raise PackError(f"{self.where}: missing field {name!r}")
            return ""
        value = self.raw.pop(name)
        if not isinstance(value, str) or (required and not value.strip()):
            raise PackError(f"{self.where}: field {name!r} must be non-empty text, got {value!r}")
        return value.strip()

    def take(self, name: str, typ: type | tuple[type, ...], *, required: bool = True) -> Any:
        if name not in self.raw:
            if required:
                raise PackError(f"{self.where}: missing field {name!r}")
            return None
        value = self.raw.pop(name)
        if isinstance(value, bool) or not isinstance(value, typ):
            raise PackError(f"{self.where}: field {name!r} has the wrong type ({value!r})")
        return value

    def done(self) -> None:
        if self.raw:
            raise PackError(f"{self.where}: unknown field(s) {sorted(self.raw)}")


def load_pack(path: Path | str) -> Pack:
    """Read and validate one pack file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: cannot be read: {exc}") from exc
    return parse_pack(text, source=str(path))


def parse_pack(text: str, *, source: str = "<pack>") -> Pack:
    """Validate a pack given as TOML text; ``source`` names it in errors."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{source}: not valid TOML: {exc}") from exc
    top = _Table(raw, source)
    fmt = top.take("format", int)
    if fmt != PACK_FORMAT:
        raise PackError(
            f"{source}: pack format {fmt} is not supported (this Kneadwell reads format {PACK_FORMAT})"
        )
    name = top.text("name")
    description = top.text("description", required=False)
    entries = top.take("instrument", list)
    top.done()
    if not entries:
        raise PackError(f"{source}: a pack needs at least one [[instrument]]")
    texts = tuple(_instrument(entry, source, i, name) for i, entry in enumerate(entries, start=1))
    seen: set[tuple[str, str]] = set()
    for t in texts:
        if (t.instrument, t.language) in seen:
            raise PackError(f"{source}: instrument {t.instrument!r} ({t.language}) appears twice")
        seen.add((t.instrument, t.language))
    return Pack(name=name, description=description, source=source, instruments=texts)


def _instrument(raw: Any, source: str, index: int, pack_name: str) -> InstrumentText:
    table = _Table(raw, f"{source}: instrument #{index}")
    key = table.text("key")
    table.where = where = f"{source}: instrument {key!r}"
    definition = instruments().get(key)
    if definition is None:
        known = ", ".join(instruments())
        raise PackError(f"{where}: Kneadwell has no scoring definition for {key!r} (known: {known})")
    heading = {
        "version": table.text("version"),
        "language": table.text("language"),
        "title": table.text("title"),
        "licence": table.text("licence"),
        "attribution": table.text("attribution", required=False),
        "instructions": table.text("instructions", required=False),
    }
    _check_scoring(table.take("scoring", dict), definition, f"{where}: [scoring]")
    option_sets = _option_sets(table.take("option_sets", dict, required=False) or {}, where)
    raw_items = table.take("item", list)
    table.done()
    items = tuple(_item(r, where, i, option_sets) for i, r in enumerate(raw_items, start=1))
    _check_items(items, definition, where)
    return InstrumentText(instrument=key, items=items, pack=pack_name, **heading)


def _check_scoring(raw: Any, definition: Instrument, where: str) -> None:
    table = _Table(raw, where)
    method = table.text("method")
    score_range = table.take("range", list)
    table.done()
    if method != definition.method:
        raise PackError(
            f"{where}: scoring method {method!r} does not match {definition.name}'s scoring key {definition.method!r}"
        )
    expected = [definition.range_min, definition.range_max]
    if len(score_range) != 2 or any(
        isinstance(v, bool) or not isinstance(v, int | float) for v in score_range
    ):
        raise PackError(f"{where}: range must be [min, max], got {score_range!r}")
    if [float(v) for v in score_range] != [float(v) for v in expected]:
        raise PackError(f"{where}: range {score_range} does not match {definition.name}'s {definition.scale}")


def _options(raw: Any, where: str) -> tuple[OptionText, ...]:
    if not isinstance(raw, list) or not raw:
        raise PackError(f"{where}: options must be a non-empty list of {{ points, text }}")
    out = []
    for i, entry in enumerate(raw):
        table = _Table(entry, f"{where} option #{i + 1}")
        out.append(OptionText(points=table.take("points", int), text=table.text("text")))
        table.done()
    return tuple(out)


def _option_sets(raw: dict[str, Any], where: str) -> dict[str, tuple[OptionText, ...]]:
    return {name: _options(value, f"{where}: option set {name!r}") for name, value in raw.items()}


def _item(raw: Any, where: str, index: int, option_sets: Mapping[str, tuple[OptionText, ...]]) -> ItemText:
    table = _Table(raw, f"{where}: item #{index}")
    key = table.text("key")
    table.where = where = f"{where}: item {key!r}"
    text = table.text("text")
    options_raw = table.take("options", (list, str))
    table.done()
    if isinstance(options_raw, str):
        if options_raw not in option_sets:
            known = ", ".join(option_sets) or "none defined"
            raise PackError(f"{where}: unknown option set {options_raw!r} (option sets: {known})")
        options = option_sets[options_raw]
    else:
        options = _options(options_raw, where)
    return ItemText(key=key, text=text, options=options)


def _check_items(items: tuple[ItemText, ...], definition: Instrument, where: str) -> None:
    """The pack's items and answer points must be exactly the scoring definition's."""
    expected = definition.items
    if len(items) != len(expected):
        what = "the activity template" if definition.patient_named else "items"
        raise PackError(
            f"{where}: has {len(items)} item(s); {definition.name} is scored over {len(expected)} ({what})"
        )
    for position, (item, spec) in enumerate(zip(items, expected, strict=True), start=1):
        if item.key != spec.key:
            raise PackError(
                f"{where}: item #{position} is {item.key!r}; the scoring definition has {spec.key!r} there"
            )
        points = [o.points for o in item.options]
        if points != list(spec.options):
            raise PackError(
                f"{where}: item {item.key!r}: answer options score {points}; "
                f"the scoring key for this item is {list(spec.options)}"
            )


# --- Using packs -----------------------------------------------------------------------------


def shipped_packs() -> tuple[Pack, ...]:
    """The packs that ship with Kneadwell (free and own instruments only)."""
    return tuple(load_pack(path) for path in sorted(SHIPPED_PACK_DIR.glob("*.toml")))


def load_packs(directory: Path | str) -> tuple[Pack, ...]:
    """Every ``*.toml`` pack in a clinic's pack directory, in name order."""
    return tuple(load_pack(path) for path in sorted(Path(directory).glob("*.toml")))


def available_instruments(packs: Iterable[Pack], *, language: str = "en") -> dict[str, InstrumentText]:
    """Instruments that can be offered in ``language``: key → text, in Kneadwell's instrument order.

    An instrument is offered only when a pack provides its text (REFERENCE §10). Two packs giving
    the same instrument in the same language is refused rather than resolved silently.
    """
    found: dict[str, InstrumentText] = {}
    for pack in packs:
        for text in pack.instruments:
            if text.language != language:
                continue
            if text.instrument in found:
                other = found[text.instrument].pack
                raise PackError(
                    f"instrument {text.instrument!r} ({language}) is provided by both pack {other!r} "
                    f"and pack {pack.name!r}: remove one"
                )
            found[text.instrument] = text
    return {key: found[key] for key in instruments() if key in found}
