"""Reads the catalogue's TOML files strictly and cross-checks them. Pure Python (tomllib + dataclasses).

Every clinical item carries provenance: the ids of the sources it comes from (``data/sources.toml``,
carried from ``clinical/REFERENCE.md`` §8) or ``verified = False`` with the reason it could not be
confirmed. The whole catalogue is parsed and cross-checked at once (source ids, region / technique /
measure / flag keys); any problem raises :class:`CatalogueError` naming the file and the entry, so a
broken data file fails loudly instead of producing a half-right clinical answer.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields, is_dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .types import (
    CHRONICITY_WHEN,
    DIRECTIONS,
    DURATION_UNITS,
    FLAG_ACTIONS,
    FLAG_KINDS,
    FLAG_SCOPES,
    ICD_ROLES,
    LIMBS,
    MCID_KINDS,
    MCID_UNITS,
    PHASES,
    PRESSURE_LEVELS,
    REGION_SCOPES,
    ROM_UNITS,
    SOURCE_LEVELS,
    TRUNK_QUADRANTS,
    URGENCIES,
    Adaptation,
    Band,
    Basis,
    Boundary,
    Catalogue,
    CatalogueError,
    ChronicityRule,
    CodeHint,
    Condition,
    Duration,
    Flag,
    Icd10Code,
    LoincCode,
    Mcid,
    Measure,
    Muscle,
    PressureHint,
    Region,
    RomMotion,
    RomThreshold,
    RomValue,
    Source,
    Stage,
    Technique,
    Variant,
)

# The shipped data; a clinic may point KNEADWELL_CATALOGUE_DIR at its own reviewed copy (the whole folder)
# to change an item marked (unverified). The copy is cross-checked exactly like the shipped one.
SHIPPED_DATA_DIR = Path(__file__).parent / "data"

FILES = ("sources.toml", "regions.toml", "techniques.toml", "flags.toml", "measures.toml", "conditions.toml")


def data_dir() -> Path:
    """The catalogue folder in force: read when asked, never at import, so a clinic's copy is honoured."""
    return Path(os.environ.get("KNEADWELL_CATALOGUE_DIR") or SHIPPED_DATA_DIR)


# --- Parsing ---------------------------------------------------------------------------------


class _Fields:
    """Reads one TOML table strictly: required/optional typed fields, no unknown keys."""

    def __init__(self, raw: Any, ctx: str) -> None:
        if not isinstance(raw, dict):
            raise CatalogueError(f"{ctx}: expected a table, got {type(raw).__name__}")
        self.raw = dict(raw)
        self.ctx = ctx

    def _check(self, name: str, value: Any, typ: type | tuple[type, ...]) -> Any:
        # bool is an int in Python: a count written as `true` is a typo, not 1.
        types = typ if isinstance(typ, tuple) else (typ,)
        bad_bool = isinstance(value, bool) and bool not in types
        if bad_bool or not isinstance(value, typ):
            raise CatalogueError(f"{self.ctx}: field {name!r} has the wrong type ({value!r})")
        return value

    def req(self, name: str, typ: type | tuple[type, ...] = str) -> Any:
        if name not in self.raw:
            raise CatalogueError(f"{self.ctx}: missing field {name!r}")
        return self._check(name, self.raw.pop(name), typ)

    def opt(self, name: str, typ: type | tuple[type, ...] = str, default: Any = None) -> Any:
        if name not in self.raw:
            return default
        return self._check(name, self.raw.pop(name), typ)

    def strs(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.req(name, list) if required else self.opt(name, list, [])
        if not all(isinstance(item, str) for item in value):
            raise CatalogueError(f"{self.ctx}: field {name!r} must be a list of strings")
        return tuple(value)

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.req(name) if default is None else self.opt(name, str, default)
        if value not in allowed:
            raise CatalogueError(f"{self.ctx}: field {name!r} is {value!r}; expected one of {allowed}")
        return value

    def provenance(self) -> dict[str, Any]:
        return {
            "sources": self.strs("sources"),
            "verified": self.opt("verified", bool, True),
            "unverified_reason": self.opt("unverified_reason", str, ""),
        }

    def done(self) -> None:
        if self.raw:
            raise CatalogueError(f"{self.ctx}: unknown field(s) {sorted(self.raw)}")


def _table(raw: Any, ctx: str, build: Any) -> Any:
    f = _Fields(raw, ctx)
    obj = build(f)
    f.done()
    return obj


def _basis(raw: Any, ctx: str) -> Basis:
    return _table(raw, ctx, lambda f: Basis(**f.provenance(), note=f.opt("note", str, "")))


def _duration(raw: Any, ctx: str) -> Duration:
    return _table(
        raw, ctx, lambda f: Duration(value=f.req("value", int), unit=f.choice("unit", DURATION_UNITS))
    )


def _boundary(raw: Any, ctx: str) -> Boundary:
    def build(f: _Fields) -> Boundary:
        return Boundary(
            duration=Duration(value=f.req("value", int), unit=f.choice("unit", DURATION_UNITS)),
            **f.provenance(),
        )

    return _table(raw, ctx, build)


def _rule(raw: Any, ctx: str) -> ChronicityRule:
    return _table(
        raw,
        ctx,
        lambda f: ChronicityRule(
            acute_below=_boundary(f.req("acute_below", dict), f"{ctx}.acute_below"),
            chronic_above=_boundary(f.req("chronic_above", dict), f"{ctx}.chronic_above"),
        ),
    )


def _icd_code(raw: Any, ctx: str) -> Icd10Code:
    return _table(
        raw,
        ctx,
        lambda f: Icd10Code(
            code=f.req("code"),
            title=f.req("title"),
            role=f.choice("role", ICD_ROLES, "diagnosis"),
            note=f.opt("note", str, ""),
        ),
    )


def _entries(raw: dict[str, Any], filename: str, table: str, id_field: str, build: Any) -> dict[str, Any]:
    items = raw.get(table)
    if not isinstance(items, list) or not items:
        raise CatalogueError(f"{filename}: expected one or more [[{table}]] entries")
    out: dict[str, Any] = {}
    for index, item in enumerate(items):
        ident = item.get(id_field) if isinstance(item, dict) else None
        ctx = f"{filename}: {table} {ident!r}" if ident else f"{filename}: {table} #{index + 1}"
        obj = _table(item, ctx, lambda f, ctx=ctx: build(f, ctx))
        key = getattr(obj, id_field)
        if key in out:
            raise CatalogueError(f"{filename}: duplicate {table} {key!r}")
        out[key] = obj
    return out


def _source(f: _Fields, ctx: str) -> Source:
    return Source(
        id=f.req("id"),
        citation=f.req("citation"),
        level=f.choice("level", SOURCE_LEVELS),
        urls=f.strs("urls", required=True),
        reference=f.req("reference"),
    )


def _region(f: _Fields, ctx: str) -> Region:
    muscles = tuple(
        _table(
            m,
            f"{ctx} muscle #{i + 1}",
            lambda g: Muscle(name=g.req("name"), **g.provenance()),
        )
        for i, m in enumerate(f.opt("muscles", list, []))
    )
    return Region(
        key=f.req("key"),
        name=f.req("name"),
        patient_name=f.req("patient_name"),
        paired=f.req("paired", bool),
        svg_area=f.opt("svg_area", str, ""),
        muscles=muscles,
        limb=f.choice("limb", ("", *LIMBS), ""),
        quadrant=f.choice("quadrant", ("", *TRUNK_QUADRANTS), ""),
        **f.provenance(),
    )


def _technique(f: _Fields, ctx: str) -> Technique:
    pressure = f.opt("pressure", dict)
    hint = f.opt("billing_hint", dict)
    phases = f.strs("phases", required=True)
    for phase in phases:
        if phase not in PHASES:
            raise CatalogueError(f"{ctx}: phase {phase!r} is not one of {PHASES}")
    return Technique(
        key=f.req("key"),
        name=f.req("name"),
        description=f.opt("description", str, ""),
        phases=phases,
        is_stretching=f.req("is_stretching", bool),
        pressure=None
        if pressure is None
        else _table(
            pressure,
            f"{ctx} pressure",
            lambda g: PressureHint(
                walton_min=g.req("walton_min", int),
                walton_max=g.req("walton_max", int),
                **g.provenance(),
                note=g.opt("note", str, ""),
            ),
        ),
        billing_hint=None
        if hint is None
        else _table(
            hint,
            f"{ctx} billing_hint",
            lambda g: CodeHint(code=g.req("code"), **g.provenance(), note=g.opt("note", str, "")),
        ),
        scope_restricted=f.opt("scope_restricted", bool, False),
        scope_note=f.opt("scope_note", str, ""),
        sustained_pressure=f.opt("sustained_pressure", bool, False),
        pressure_max=f.choice("pressure_max", ("", *PRESSURE_LEVELS), ""),
        **f.provenance(),
    )


def _flag(f: _Fields, ctx: str) -> Flag:
    return Flag(
        id=f.req("id"),
        kind=f.choice("kind", FLAG_KINDS),
        scope=f.choice("scope", FLAG_SCOPES),
        text=f.req("text"),
        action=f.choice("action", FLAG_ACTIONS),
        label=f.req("label"),
        urgency=f.opt("urgency", str, ""),
        local=f.opt("local", bool, False),
        regions=f.strs("regions"),
        **f.provenance(),
        note=f.opt("note", str, ""),
    )


def _mcid(raw: Any, ctx: str) -> Mcid:
    num = (int, float)
    return _table(
        raw,
        ctx,
        lambda f: Mcid(
            kind=f.choice("kind", MCID_KINDS),
            unit=f.choice("unit", MCID_UNITS),
            population=f.req("population"),
            value=f.opt("value", num),
            value_min=f.opt("value_min", num),
            value_max=f.opt("value_max", num),
            baseline_min=f.opt("baseline_min", num),
            baseline_max=f.opt("baseline_max", num),
            goal=f.opt("goal", bool, False),
            goal_codes=f.strs("goal_codes"),
            **f.provenance(),
        ),
    )


def _measure(f: _Fields, ctx: str) -> Measure:
    num = (int, float)
    items = f.opt("items", (int, list), [])
    item_counts = (items,) if isinstance(items, int) else tuple(items)
    return Measure(
        key=f.req("key"),
        name=f.req("name"),
        patient_name=f.req("patient_name"),
        use_for=f.req("use_for"),
        range_min=f.req("range_min", num),
        range_max=f.req("range_max", num),
        direction=f.choice("direction", DIRECTIONS),
        item_counts=item_counts,
        item_min=f.opt("item_min", num),
        item_max=f.opt("item_max", num),
        score_unit=f.opt("score_unit", str, "points"),
        mcids=tuple(_mcid(m, f"{ctx} mcid #{i + 1}") for i, m in enumerate(f.req("mcids", list))),
        mcids_note=f.opt("mcids_note", str, ""),
        loinc=tuple(
            _table(
                code,
                f"{ctx} loinc #{i + 1}",
                lambda g: LoincCode(code=g.req("code"), display=g.req("display"), **g.provenance()),
            )
            for i, code in enumerate(f.opt("loinc", list, []))
        ),
        bands=tuple(
            _table(
                band,
                f"{ctx} band #{i + 1}",
                lambda g: Band(label=g.req("label"), min=g.opt("min", num), max=g.opt("max", num)),
            )
            for i, band in enumerate(f.opt("bands", list, []))
        ),
        bands_note=f.opt("bands_note", str, ""),
        note=f.opt("note", str, ""),
        **f.provenance(),
    )


def _rom(f: _Fields, ctx: str) -> RomMotion:
    num = (int, float)
    return RomMotion(
        key=f.req("key"),
        region=f.req("region"),
        motion=f.req("motion"),
        unit=f.choice("unit", ROM_UNITS),
        per_side=f.req("per_side", bool),
        values=tuple(
            _table(
                v,
                f"{ctx} value #{i + 1}",
                lambda g: RomValue(
                    label=g.req("label"),
                    value=g.opt("value", num),
                    value_min=g.opt("value_min", num),
                    value_max=g.opt("value_max", num),
                    sd=g.opt("sd", num),
                    **g.provenance(),
                ),
            )
            for i, v in enumerate(f.req("values", list))
        ),
        thresholds=tuple(
            _table(
                t,
                f"{ctx} threshold #{i + 1}",
                lambda g: RomThreshold(below=g.req("below", num), meaning=g.req("meaning"), **g.provenance()),
            )
            for i, t in enumerate(f.opt("thresholds", list, []))
        ),
        caveat=f.opt("caveat", str, ""),
        **f.provenance(),
    )


def _condition(flags: dict[str, Flag]) -> Any:
    def resolve(ids: tuple[str, ...], ctx: str, field: str) -> tuple[Flag, ...]:
        missing = [i for i in ids if i not in flags]
        if missing:
            raise CatalogueError(f"{ctx}: {field} refers to unknown flag id(s) {missing} (flags.toml)")
        return tuple(flags[i] for i in ids)

    def optional_basis(f: _Fields, name: str, ctx: str) -> Basis | None:
        raw = f.opt(name, dict)
        return None if raw is None else _basis(raw, f"{ctx} {name}")

    def build(f: _Fields, ctx: str) -> Condition:
        chronicity = f.opt("chronicity", dict)
        applies = f.opt("chronicity_applies", bool, True)
        stages = tuple(
            _table(
                s,
                f"{ctx} stage #{i + 1}",
                lambda g: Stage(
                    key=g.req("key"),
                    label=g.req("label"),
                    start=None if "from" not in g.raw else _duration(g.req("from", dict), f"{ctx} stage"),
                    end=None if "to" not in g.raw else _duration(g.req("to", dict), f"{ctx} stage"),
                    **g.provenance(),
                ),
            )
            for i, s in enumerate(f.opt("stages", list, []))
        )
        adaptations = tuple(
            _table(
                a,
                f"{ctx} adaptation #{i + 1}",
                lambda g: Adaptation(
                    when=g.strs("when", required=True),
                    text=g.req("text"),
                    forbidden_techniques=g.strs("forbidden_techniques"),
                    pressure_max=g.choice("pressure_max", ("", *PRESSURE_LEVELS), ""),
                    when_unknown=g.opt("when_unknown", bool, False),
                    **g.provenance(),
                ),
            )
            for i, a in enumerate(f.opt("adaptations", list, []))
        )
        variants = tuple(
            _table(
                v,
                f"{ctx} variant #{i + 1}",
                lambda g: Variant(
                    key=g.req("key"),
                    label=g.req("label"),
                    codes=g.strs("codes", required=True),
                    regions=g.strs("regions", required=True),
                    related_regions=g.strs("related_regions", required=True),
                    no_sustained_pressure=g.strs("no_sustained_pressure"),
                    **g.provenance(),
                ),
            )
            for i, v in enumerate(f.opt("variants", list, []))
        )
        condition = Condition(
            key=f.req("key"),
            name=f.req("name"),
            patient_name=f.req("patient_name"),
            icd10=tuple(_icd_code(c, f"{ctx} icd10 #{i + 1}") for i, c in enumerate(f.req("icd10", list))),
            icd10_note=f.opt("icd10_note", str, ""),
            header_codes=tuple(
                _icd_code(c, f"{ctx} header_codes #{i + 1}")
                for i, c in enumerate(f.opt("header_codes", list, []))
            ),
            do_not_map=tuple(
                _icd_code(c, f"{ctx} do_not_map #{i + 1}")
                for i, c in enumerate(f.opt("do_not_map", list, []))
            ),
            regions=f.strs("regions", required=True),
            related_regions=f.strs("related_regions", required=True),
            regions_scope=f.choice("regions_scope", REGION_SCOPES, "listed"),
            regions_basis=_basis(f.req("regions_basis", dict), f"{ctx} regions_basis"),
            techniques=f.strs("techniques", required=True),
            techniques_basis=_basis(f.req("techniques_basis", dict), f"{ctx} techniques_basis"),
            precautions=resolve(f.strs("precautions", required=True), ctx, "precautions"),
            red_flags=resolve(f.strs("red_flags", required=True), ctx, "red_flags"),
            outcome_measures=f.strs("outcome_measures", required=True),
            outcome_measures_note=f.opt("outcome_measures_note", str, ""),
            rom_motions=f.strs("rom_motions"),
            # Filled with the file's default below when the condition has none of its own.
            chronicity=None if chronicity is None else _rule(chronicity, f"{ctx} chronicity"),
            chronicity_note=f.opt("chronicity_note", str, ""),
            stages=stages,
            adaptations=adaptations,
            variants=variants,
            requires_clearance=f.opt("requires_clearance", bool, False),
            requires_clearance_basis=optional_basis(f, "requires_clearance_basis", ctx),
            inflammation_gate=f.opt("inflammation_gate", bool, False),
            inflammation_gate_basis=optional_basis(f, "inflammation_gate_basis", ctx),
            clinical=f.opt("clinical", bool, True),
            **f.provenance(),
        )
        if not applies:
            return condition
        return _with_rule(condition, condition.chronicity or _SENTINEL_DEFAULT)

    return build


# Placeholder swapped for the file's [chronicity_default] once it is parsed.
_SENTINEL_DEFAULT = ChronicityRule(
    acute_below=Boundary(Duration(0, "days")), chronic_above=Boundary(Duration(0, "days"))
)


def _with_rule(condition: Condition, rule: ChronicityRule) -> Condition:
    return replace(condition, chronicity=rule)


def _read(data_dir: Path, filename: str) -> dict[str, Any]:
    path = data_dir / filename
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{filename}: cannot be read: {exc}") from exc
    if not isinstance(raw.get("version"), int) or isinstance(raw.get("version"), bool):
        raise CatalogueError(f"{filename}: missing integer 'version'")
    return raw


def _parse(data_dir: Path) -> Catalogue:
    raw = {name: _read(data_dir, name) for name in FILES}
    techniques_raw = raw["techniques.toml"]
    phase_order = tuple(techniques_raw.get("phase_order", ()))
    if sorted(phase_order) != sorted(PHASES):
        raise CatalogueError(f"techniques.toml: phase_order must list each of {PHASES} once")
    flags = _entries(raw["flags.toml"], "flags.toml", "flag", "id", _flag)
    conditions_raw = raw["conditions.toml"]
    if "chronicity_default" not in conditions_raw:
        raise CatalogueError("conditions.toml: missing [chronicity_default]")
    default = _rule(conditions_raw["chronicity_default"], "conditions.toml: chronicity_default")
    conditions = {
        key: _with_rule(c, default) if c.chronicity is _SENTINEL_DEFAULT else c
        for key, c in _entries(
            conditions_raw, "conditions.toml", "condition", "key", _condition(flags)
        ).items()
    }
    return Catalogue(
        versions={name: raw[name]["version"] for name in FILES},
        sources=_entries(raw["sources.toml"], "sources.toml", "source", "id", _source),
        regions=_entries(raw["regions.toml"], "regions.toml", "region", "key", _region),
        techniques=_entries(techniques_raw, "techniques.toml", "technique", "key", _technique),
        phase_order=phase_order,
        phase_order_basis=str(techniques_raw.get("phase_order_basis", "")),
        flags=flags,
        measures=_entries(raw["measures.toml"], "measures.toml", "measure", "key", _measure),
        rom_motions=_entries(raw["measures.toml"], "measures.toml", "rom", "key", _rom),
        conditions=conditions,
        chronicity_default=default,
    )


# --- Cross-reference validation --------------------------------------------------------------


def _provenance_errors(obj: Any, ctx: str, sources: dict[str, Source]) -> list[str]:
    """Walk an entry: every cited source exists; every sourced item cites or explains itself."""
    errors: list[str] = []
    if not is_dataclass(obj):
        if isinstance(obj, tuple):
            for i, item in enumerate(obj):
                errors += _provenance_errors(item, f"{ctx}[{i}]", sources)
        return errors
    names = {f.name for f in fields(obj)}
    if {"sources", "verified"} <= names:
        cited: tuple[str, ...] = getattr(obj, "sources")  # noqa: B009 - any provenanced dataclass
        verified: bool = getattr(obj, "verified")  # noqa: B009
        reason: str = getattr(obj, "unverified_reason")  # noqa: B009
        if unknown := [s for s in cited if s not in sources]:
            errors.append(f"{ctx}: cites unknown source id(s) {unknown}")
        if not verified and not reason.strip():
            errors.append(f"{ctx}: verified = false needs an unverified_reason")
        if verified and not cited:
            errors.append(f"{ctx}: cites no source and is not marked unverified with a reason")
    for f in fields(obj):
        if f.name == "sources":
            continue
        value = getattr(obj, f.name)
        if is_dataclass(value) or isinstance(value, tuple):
            errors += _provenance_errors(value, f"{ctx}.{f.name}", sources)
    return errors


def _cross_reference_errors(cat: Catalogue) -> list[str]:
    errors: list[str] = []
    for filename, entries in (
        ("regions.toml", cat.regions),
        ("techniques.toml", cat.techniques),
        ("flags.toml", cat.flags),
        ("measures.toml", cat.measures),
        ("measures.toml", cat.rom_motions),
        ("conditions.toml", cat.conditions),
    ):
        for key, entry in entries.items():
            errors += _provenance_errors(
                entry, f"{filename}: {type(entry).__name__.lower()} {key!r}", cat.sources
            )
    rule = cat.chronicity_default
    errors += _provenance_errors(rule, "conditions.toml: chronicity_default", cat.sources)

    def unknown(keys: tuple[str, ...], known: dict[str, Any]) -> list[str]:
        return [k for k in keys if k not in known]

    for key, flag in cat.flags.items():
        if missing := unknown(flag.regions, cat.regions):
            errors.append(f"flags.toml: flag {key!r}: unknown region(s) {missing}")
        if flag.urgency and flag.urgency not in URGENCIES:
            errors.append(f"flags.toml: flag {key!r}: urgency must be one of {URGENCIES}")
    for key, rom in cat.rom_motions.items():
        if rom.region not in cat.regions:
            errors.append(f"measures.toml: rom {key!r}: unknown region {rom.region!r}")
    for key, c in cat.conditions.items():
        ctx = f"conditions.toml: condition {key!r}"
        for field, keys, known in (
            ("regions", c.regions, cat.regions),
            ("related_regions", c.related_regions, cat.regions),
            ("techniques", c.techniques, cat.techniques),
            ("outcome_measures", c.outcome_measures, cat.measures),
            ("rom_motions", c.rom_motions, cat.rom_motions),
        ):
            if missing := unknown(keys, known):
                errors.append(f"{ctx}: {field} has unknown key(s) {missing}")
        if overlap := set(c.regions) & set(c.related_regions):
            errors.append(f"{ctx}: region(s) {sorted(overlap)} are both focus and related")
        if c.regions_scope == "listed" and not c.regions:
            errors.append(f"{ctx}: regions_scope 'listed' needs at least one region")
        if c.regions_scope != "listed" and c.regions:
            errors.append(f"{ctx}: regions_scope {c.regions_scope!r} must not list focus regions")
        if c.requires_clearance and c.requires_clearance_basis is None:
            errors.append(f"{ctx}: requires_clearance needs requires_clearance_basis")
        if c.inflammation_gate and c.inflammation_gate_basis is None:
            errors.append(f"{ctx}: inflammation_gate needs inflammation_gate_basis")
        if c.chronicity is not None:
            sample = date(2001, 1, 1)
            acute, chronic = c.chronicity.acute_below.duration, c.chronicity.chronic_above.duration
            if acute.after(sample) > chronic.after(sample):
                errors.append(f"{ctx}: chronicity acute_below is longer than chronic_above")
        for flag in c.red_flags:
            if flag.kind != "red_flag":
                errors.append(f"{ctx}: {flag.id!r} is a {flag.kind}, listed under red_flags")
        for flag in c.precautions:
            if flag.kind != "precaution":
                errors.append(f"{ctx}: {flag.id!r} is a {flag.kind}, listed under precautions")
        errors += _adaptation_errors(c, ctx, cat)
        errors += _variant_errors(c, ctx, cat)
    for key, m in cat.measures.items():
        if m.range_min >= m.range_max:
            errors.append(f"measures.toml: measure {key!r}: range_min must be below range_max")
        for i, mcid in enumerate(m.mcids):
            single, ranged = mcid.value is not None, None not in (mcid.value_min, mcid.value_max)
            if single == ranged:
                errors.append(
                    f"measures.toml: measure {key!r} mcid #{i + 1}: give value or value_min/value_max"
                )
            if (mcid.goal or mcid.goal_codes) and not mcid.within_person:
                # A goal is a change within the patient: never a group difference or a detectable change.
                errors.append(
                    f"measures.toml: measure {key!r} mcid #{i + 1}: a {mcid.kind} cannot be a goal "
                    "(goals use within-person values: mcid, mic or mid)"
                )
            if (mcid.goal or mcid.goal_codes) and (mcid.unit != "points" or mcid.baseline_min is not None):
                errors.append(
                    f"measures.toml: measure {key!r} mcid #{i + 1}: a goal is in points and for any baseline"
                )
        if sum(1 for mcid in m.mcids if mcid.goal) > 1:
            errors.append(f"measures.toml: measure {key!r}: more than one default goal")
    for key, rom in cat.rom_motions.items():
        for i, v in enumerate(rom.values):
            if (v.value is not None) == (None not in (v.value_min, v.value_max)):
                errors.append(f"measures.toml: rom {key!r} value #{i + 1}: give value or value_min/value_max")
    return errors


def _adaptation_errors(c: Condition, ctx: str, cat: Catalogue) -> list[str]:
    errors: list[str] = []
    stage_keys = {s.key for s in c.stages}
    for i, a in enumerate(c.adaptations):
        where = f"{ctx} adaptation #{i + 1}"
        if unknown := [w for w in a.when if w not in stage_keys and w not in CHRONICITY_WHEN]:
            errors.append(f"{where}: `when` names no stage or chronicity label: {unknown}")
        if unknown := [t for t in a.forbidden_techniques if t not in cat.techniques]:
            errors.append(f"{where}: unknown technique(s) {unknown}")
    return errors


def _variant_errors(c: Condition, ctx: str, cat: Catalogue) -> list[str]:
    errors: list[str] = []
    listed = {code.code for code in c.icd10}
    seen: set[str] = set()
    for v in c.variants:
        where = f"{ctx} variant {v.key!r}"
        if unknown := [code for code in v.codes if code not in listed]:
            errors.append(f"{where}: code(s) {unknown} are not among the condition's icd10 codes")
        if twice := sorted(seen & set(v.codes)):
            errors.append(f"{where}: code(s) {twice} belong to another variant too")
        seen |= set(v.codes)
        for field, keys in (
            ("regions", v.regions),
            ("related_regions", v.related_regions),
            ("no_sustained_pressure", v.no_sustained_pressure),
        ):
            if missing := [k for k in keys if k not in cat.regions]:
                errors.append(f"{where}: {field} has unknown region(s) {missing}")
        if overlap := set(v.regions) & set(v.related_regions):
            errors.append(f"{where}: region(s) {sorted(overlap)} are both focus and related")
        if not v.regions:
            errors.append(f"{where}: needs at least one focus region")
    return errors


def _build(data_dir: Path) -> tuple[Catalogue | None, list[str]]:
    try:
        cat = _parse(data_dir)
    except CatalogueError as exc:
        return None, [str(exc)]
    return cat, _cross_reference_errors(cat)


def load_errors(folder: Path | None = None) -> list[str]:
    """Every problem in the catalogue data (empty when it is consistent). Does not raise."""
    return _build(folder or data_dir())[1]


def validate(folder: Path | None = None) -> Catalogue:
    """Load and cross-check the catalogue; raise CatalogueError listing every problem."""
    cat, errors = _build(folder or data_dir())
    if errors or cat is None:
        raise CatalogueError("clinical catalogue is inconsistent:\n- " + "\n- ".join(errors))
    return cat
