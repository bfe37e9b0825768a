"""Generate ``docs/clinical-rules.md`` from the clinical catalogue, so the document cannot drift.

    python -m kneadwell.docgen            # rewrite docs/clinical-rules.md
    python -m kneadwell.docgen --check    # exit 1 if the committed file is out of date

Pure Python; the output is deterministic (no dates), so a test can compare it with the committed file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from kneadwell.intake import questions
from kneadwell.intake.screening import rules as screening_rules
from kneadwell.intake.screening.gate import SCOPE_WORDS
from kneadwell.knowledge import catalogue as cat
from kneadwell.knowledge import chronicity as chron
from kneadwell.knowledge import dosing, icd10
from kneadwell.knowledge import types as ktypes
from kneadwell.planning import matching, tailoring

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "clinical-rules.md"

UNVERIFIED = "(unverified)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cite(sources: Iterable[str]) -> str:
    ids = list(sources)
    return f" [{', '.join(ids)}]" if ids else ""


def _mark(item: object) -> str:
    """Citation plus an (unverified) label and reason for items REFERENCE could not confirm."""
    text = _cite(getattr(item, "sources", ()))
    if not getattr(item, "verified", True):
        reason = getattr(item, "unverified_reason", "")
        text += f" {UNVERIFIED}" + (f" — {reason}" if reason else "")
    return text


def _basis(basis: ktypes.Basis | None) -> str:
    if basis is None:
        return ""
    note = f" {basis.note}" if basis.note else ""
    return f"{note}{_mark(basis)}".strip()


def _names(keys: Iterable[str], table: Mapping[str, object]) -> str:
    names = [f"{getattr(table[k], 'name', k)} (`{k}`)" for k in keys]
    return ", ".join(names) if names else "—"


def _flag_line(flag: cat.Flag) -> str:
    extra = [flag.action]
    if flag.urgency:
        extra.append(flag.urgency)
    if flag.local:
        extra.append("local")
    if flag.regions:
        extra.append("regions: " + ", ".join(flag.regions))
    note = f" {flag.note}" if flag.note else ""
    return f"- `{flag.id}` — {flag.text}{note} _({'; '.join(extra)})_{_mark(flag)}"


def _codes_table(codes: Iterable[ktypes.Icd10Code]) -> list[str]:
    lines = ["| Code | Official title | Role | Note |", "|---|---|---|---|"]
    for code in codes:
        lines.append(f"| {code.code} | {_cell(code.title)} | {code.role} | {_cell(code.note)} |")
    return lines


def _condition(c: ktypes.Condition) -> list[str]:
    out = [f"### {c.name} (`{c.key}`)", ""]
    out.append(f"- Patient-facing name: {c.patient_name}")
    if not c.clinical:
        out.append("- Non-clinical visit type.")
    out.append(f"- Sources:{_mark(c)}")
    if c.requires_clearance:
        out.append(f"- **Requires provider clearance on file.** {_basis(c.requires_clearance_basis)}")
    if c.inflammation_gate:
        out.append(
            f"- **Inflammation gate** (no local work while signs of acute inflammation). {_basis(c.inflammation_gate_basis)}"
        )
    out += ["", "**ICD-10-CM (billable, validated against the installed code set [R1])**", ""]
    out += _codes_table(c.icd10)
    if c.icd10_note:
        out += ["", c.icd10_note]
    if c.header_codes:
        out += ["", "**Header codes (not billable — use a billable child)**", ""]
        for code in c.header_codes:
            children = ", ".join(icd10.icd10_lookup(code.code).children)
            note = f" {code.note}" if code.note else ""
            out.append(f"- {code.code} — {code.title}.{note} Billable children: {children}.")
    if c.do_not_map:
        out += ["", "**Never map automatically**", ""]
        out += [f"- {code.code} — {code.title}. {code.note}" for code in c.do_not_map]
    regions = cat.regions()
    out += ["", "**Regions**", ""]
    if c.regions_scope == "from_intake":
        out.append("- Focus: the injured/operated site, taken from the referral or intake.")
    elif c.regions_scope == "whole_body":
        out.append("- Whole body.")
    else:
        out.append(f"- Focus: {_names(c.regions, regions)}")
        out.append(f"- Related: {_names(c.related_regions, regions)}")
    out.append(f"- Basis: {_basis(c.regions_basis)}")
    out += ["", "**Techniques**", ""]
    out.append(f"- {_names(c.techniques, cat.techniques())}")
    out.append(f"- Basis: {_basis(c.techniques_basis)}")
    out += ["", "**Precautions** (in addition to the global screening flags)", ""]
    out += [_flag_line(f) for f in c.precautions] or ["- none specific"]
    out += ["", "**Red flags**", ""]
    out += [_flag_line(f) for f in c.red_flags] or ["- none specific"]
    out += ["", "**Outcome measures**", ""]
    out.append(f"- {_names(c.outcome_measures, cat.measures())}")
    if c.outcome_measures_note:
        out.append(f"- {c.outcome_measures_note}")
    if c.rom_motions:
        roms = cat.rom_motions()
        out.append(
            "- Range of motion: " + ", ".join(f"{roms[k].motion} ({roms[k].region})" for k in c.rom_motions)
        )
    out += ["", "**Chronicity**", ""]
    if c.chronicity is None:
        out.append("- Not applicable.")
    else:
        out.append(f"- {chron.chronicity_rule_text(c.key, c.chronicity)}")
    if c.chronicity_note:
        out.append(f"- {c.chronicity_note}")
    for stage in c.stages:
        span = f"{stage.start or '…'} – {stage.end or '…'}"
        out.append(f"- Stage {stage.label}: {span}{_mark(stage)}")
    if c.adaptations:
        out += ["", "**Adaptations by stage or chronicity** (tailoring)", ""]
        for a in c.adaptations:
            when = ", ".join(a.when) + (", or no onset recorded" if a.when_unknown else "")
            parts = []
            if a.forbidden_techniques:
                parts.append("not used: " + _names(a.forbidden_techniques, cat.techniques()))
            if a.pressure_max:
                parts.append(f"pressure at most {a.pressure_max}")
            out.append(f"- When {when}: {a.text} _({'; '.join(parts)})_{_mark(a)}")
    if c.variants:
        out += ["", "**Regions by diagnosis code** (variants)", ""]
        regions = cat.regions()
        for v in c.variants:
            extra = (
                f"; no sustained pressure at {_names(v.no_sustained_pressure, regions)}"
                if v.no_sustained_pressure
                else ""
            )
            out.append(
                f"- {v.label} ({', '.join(v.codes)}): focus {_names(v.regions, regions)}; related "
                f"{_names(v.related_regions, regions)}{extra}{_mark(v)}"
            )
    return [*out, ""]


def _measure(m: cat.Measure) -> list[str]:
    direction = "higher is better" if m.higher_is_better else "higher is worse"
    items = "/".join(str(n) for n in m.item_counts) or "—"
    out = [f"### {m.name} (`{m.key}`)", ""]
    out.append(f"- Use for: {m.use_for}")
    out.append(
        f"- Range {ktypes.fmt_number(m.range_min)}–{ktypes.fmt_number(m.range_max)} {m.score_unit}; **{direction}**; items: {items}"
        + (
            f" (each {ktypes.fmt_number(m.item_min)}–{ktypes.fmt_number(m.item_max)})"
            if m.item_min is not None
            else ""
        )
    )
    out.append(f"- Sources:{_mark(m)}")
    if m.note:
        out.append(f"- {m.note}")
    for code in m.loinc:
        out.append(f"- LOINC {code.code} — {code.display}{_mark(code)}")
    if m.mcids:
        out += ["", "| Kind | Value | Population | Sources |", "|---|---|---|---|"]
        for mcid in m.mcids:
            baseline = ""
            if mcid.baseline_min is not None:
                baseline = f" (baseline {ktypes.fmt_number(mcid.baseline_min)}–{ktypes.fmt_number(mcid.baseline_max)})"
            out.append(
                f"| {mcid.kind.upper()} | {mcid.display}{baseline} | {_cell(mcid.population)} | {_cell(_mark(mcid).strip())} |"
            )
    if m.mcids_note:
        out += ["", m.mcids_note]
    if m.bands:
        out += ["", "Bands: " + "; ".join(f"{_band(b)} {b.label}" for b in m.bands) + "."]
        if m.bands_note:
            out.append(m.bands_note)
    return [*out, ""]


def _band(band: ktypes.Band) -> str:
    if band.min is None:
        return f"≤ {ktypes.fmt_number(band.max)}"
    if band.max is None:
        return f"≥ {ktypes.fmt_number(band.min)}"
    return f"{ktypes.fmt_number(band.min)}–{ktypes.fmt_number(band.max)}"


def _rom_value(v: ktypes.RomValue, unit: str) -> str:
    symbol = "°" if unit == "degrees" else " mm"
    number = (
        ktypes.fmt_number(v.value)
        if v.value is not None
        else f"{ktypes.fmt_number(v.value_min)}–{ktypes.fmt_number(v.value_max)}"
    )
    sd = f" ± {ktypes.fmt_number(v.sd)}" if v.sd is not None else ""
    return f"{number}{sd}{symbol} ({v.label}){_mark(v)}"


def _questions_section() -> list[str]:
    """Which question asks each flag, in the first-call script's words (patients get their own)."""
    out = [
        "Every catalogue flag is asked by a question of `intake/questions.py` (worded for staff in the",
        "first-call script and for patients in their form, shown when relevant) or read from the",
        "diagnosis or an area field; `tests/intake/test_flag_coverage.py` fails otherwise.",
        "",
        "| Flag | Asked by |",
        "|---|---|",
    ]
    for flag_id in cat.flags():
        asked = [q for q in questions.QUESTIONS if flag_id in q.flags]
        if asked:
            how = "; ".join(f"“{q.staff}”" + (f" (after `{q.follows}`)" if q.follows else "") for q in asked)
        elif flag_id in questions.FLAGS_FROM_THE_DIAGNOSIS:
            how = f"From {questions.FLAGS_FROM_THE_DIAGNOSIS[flag_id]}."
        else:
            how = f"The `{questions.FLAGS_FROM_OTHER_FIELDS.get(flag_id, '?')}` field."
        out.append(f"| `{flag_id}` | {_cell(how)} |")
    return out


def _gate_section() -> list[str]:
    return [
        "One gate (`intake.screening.visit_gate`) answers for the session plan, the plan of care's",
        "approval (`planning.services.care_plan_approve`) and booking",
        "(`scheduling.gates.clinical_booking_gate`, asked by availability, `appointment_book`, rescheduling",
        "and series): a visit is **held** when screening refers the",
        "patient out, defers the visit, or finds something the whole visit waits a clearance for (a",
        "finding with no area and `needs_clearance`). A held visit gets no session plan (the plan says",
        "what unblocks it), its plan of care cannot be approved, and nothing can be booked: `422` with",
        "code `screening_hold`. Findings that restrict one area never hold the visit.",
        "",
        "The gate is the same for every service, relaxation included: REFERENCE §1.3's global screening",
        "lists risks of massage in general [R37] and §9 fact 6 asks hard stops to block or defer booking.",
        "Relaxation is spared the clinical paperwork (referral, plan of care), not the safety gate.",
        "",
        "What unblocks a hold:",
        "",
        "- a deferral (fever): rebook once the patient is well, with new health answers;",
        "- a referral out: the referrer's clearance for that flag (scope `flag`, a documented medical",
        "  evaluation), after emergency care or a same-day assessment where the flag is urgent; the",
        "  visit then goes ahead with the precautions the clearance states;",
        "- a clearance the visit waits for: the referrer's clearance for "
        + ", ".join(f"{words} (`{scope}`)" for scope, words in SCOPE_WORDS.items() if scope != "general")
        + ".",
    ]


def _doses_section() -> list[str]:
    out = ["| Condition | Frequency | Basis |", "|---|---|---|"]
    for key, dose in dosing.doses().items():
        name = cat.conditions()[key].name if key else "Clinic default"
        minutes = f", {dose.session_minutes} min" if dose.session_minutes else ""
        mark = _cite(dose.sources) + (
            f" {UNVERIFIED} — {dose.unverified_reason}" if not dose.verified else ""
        )
        out.append(
            f"| {name} | {dose.frequency_per_week}×/week × {dose.weeks} weeks{minutes} | {_cell(dose.text + mark)} |"
        )
    return out


def _rules_section() -> list[str]:
    """The engines' rule registries: screening rules, tailoring rules, matching settings."""

    out = [
        "Generated from the registry in `intake/screening/` (one module per family). Decision order:",
        "refer_out > defer > needs_clearance > proceed_with_precautions > proceed; local findings",
        "restrict an area, not the whole visit.",
        "",
        "| Rule | Family | What it checks | Catalogue flags | Sources |",
        "|---|---|---|---|---|",
    ]
    for rule in screening_rules():
        label = "" if rule.verified() else f" {UNVERIFIED}"
        out.append(
            f"| `{rule.id}` | {rule.family} | {_cell(rule.description)}{label} | "
            f"{', '.join(f'`{f}`' for f in rule.flags)} | {', '.join(rule.sources()) or '—'} |"
        )
    out += [
        "",
        "### Tailoring rules",
        "",
        "Generated from `planning/tailoring.py` (`RULES`). A source of `clinic_setting` is a clinic default,",
        "not a clinical claim; `catalogue` and `screening` mean the rule applies what those say.",
        "",
        "| Rule | Basis | What it does |",
        "|---|---|---|",
    ]
    for rule_id, (source, text) in tailoring.RULES.items():
        out.append(f"| `{rule_id}` | {source} | {_cell(text)} |")
    out += [
        "",
        "### Matching",
        "",
        "Hard filters (every failing one is listed): active; licence valid for the location's jurisdiction on",
        f"the session's local date{_cite(matching.LICENCE_SOURCES)}; works at the location; trained for each",
        "condition; intraoral scope and training when intraoral work is needed; the patient's required",
        "therapist gender. Score weights are clinic settings, not clinical claims:",
        f"expertise {ktypes.fmt_number(matching.EXPERTISE_WEIGHT)}, technique depth",
        f"{ktypes.fmt_number(matching.TECHNIQUE_DEPTH_WEIGHT)}, continuity {ktypes.fmt_number(matching.CONTINUITY_WEIGHT)}.",
    ]
    return out


def render() -> str:
    c = cat.catalogue()
    out = [
        "# Clinical rules and catalogue",
        "",
        "<!-- GENERATED by `python -m kneadwell.docgen` from src/kneadwell/knowledge/data/*.toml.",
        "     Do not edit by hand: tests/knowledge fails when this file drifts from the catalogue. -->",
        "",
        "Content comes only from `clinical/REFERENCE.md`; source ids `[Rn]` are listed at the end.",
        f"Items REFERENCE could not confirm are labelled **{UNVERIFIED}** with the reason; they are",
        "placeholders awaiting expert confirmation and stay configurable.",
        "",
        "Data file versions: " + ", ".join(f"`{name}` v{v}" for name, v in c.versions.items()) + ".",
        "",
        "## Conditions",
        "",
    ]
    for condition in c.conditions.values():
        out += _condition(condition)

    out += ["## Global screening flags (every patient)", ""]
    out += [_flag_line(f) for f in cat.global_flags()]
    out += [
        "",
        "Actions follow the screening decision order refer_out > defer > needs_clearance > precaution;",
        "`local` findings restrict the affected region, not the whole visit.",
        "",
        "## Chronicity thresholds",
        "",
        "Acute if the time since onset is below the acute boundary, chronic if above the chronic",
        "boundary, subacute in between. Boundaries marked (unverified) are defaults a clinic may override.",
        "",
        "| Condition | Rule |",
        "|---|---|",
    ]
    for condition in c.conditions.values():
        rule = (
            "not applicable"
            if condition.chronicity is None
            else chron.chronicity_rule_text(condition.key, condition.chronicity)
        )
        out.append(f"| {condition.name} | {_cell(rule)} |")
    default = c.chronicity_default
    out += [
        "",
        f"Default (conditions without their own thresholds): acute < {default.acute_below.duration}"
        f"{_mark(default.acute_below)}; chronic > {default.chronic_above.duration}{_mark(default.chronic_above)}.",
        "",
        "## Techniques",
        "",
        f"Session phase order: {' → '.join(c.phase_order)}. {c.phase_order_basis}",
        "",
    ]
    for t in c.techniques.values():
        parts = [f"phases: {', '.join(t.phases)}"]
        if t.is_stretching:
            parts.append("stretching")
        if t.pressure:
            parts.append(
                f"Walton pressure {t.pressure.walton_min}–{t.pressure.walton_max}{_mark(t.pressure)}"
            )
        if t.billing_hint:
            parts.append(f"CPT hint {t.billing_hint.code}{_mark(t.billing_hint)}")
        line = f"- **{t.name}** (`{t.key}`) — {t.description} _({'; '.join(parts)})_{_mark(t)}"
        if t.scope_restricted:
            line += f" **Scope-restricted:** {t.scope_note}"
        out.append(line)
    out += ["", "## Regions", "", "| Key | Name | Sides | Muscles named in REFERENCE |", "|---|---|---|---|"]
    for r in c.regions.values():
        sides = ", ".join(r.sides) or "midline"
        muscles = "; ".join(f"{m.name}{_mark(m)}" for m in r.muscles) or "—"
        out.append(f"| `{r.key}` | {r.name} | {sides} | {_cell(muscles)} |")
    first = next(iter(c.regions.values()))
    out += ["", f"Region list basis: {first.unverified_reason}", "", "## Outcome measures", ""]
    for m in c.measures.values():
        out += _measure(m)
    out += [
        "## Range of motion reference values",
        "",
        "| Region | Motion | Reference values | Notes |",
        "|---|---|---|---|",
    ]
    for rom in c.rom_motions.values():
        values = "; ".join(_rom_value(v, rom.unit) for v in rom.values)
        notes = [rom.caveat] if rom.caveat else []
        notes += [f"< {ktypes.fmt_number(t.below)}: {t.meaning}{_mark(t)}" for t in rom.thresholds]
        if rom.per_side:
            notes.append("each side")
        if not rom.verified:
            notes.append(f"{UNVERIFIED} — {rom.unverified_reason}")
        out.append(f"| {rom.region} | {rom.motion} | {_cell(values)} | {_cell(' '.join(notes))} |")
    out += [
        "",
        "Record side, active vs passive, instrument and pain at end-range; norms differ by method, age and sex [R45].",
        "",
        "## Health questions",
        "",
        *_questions_section(),
        "",
        "## The clinical gate",
        "",
        *_gate_section(),
        "",
        "## Plan-of-care doses",
        "",
        *_doses_section(),
        "",
        "## Screening rules",
        "",
        *_rules_section(),
        "",
        "## Sources",
        "",
    ]
    for s in c.sources.values():
        urls = " ; ".join(s.urls)
        out.append(f"- **{s.id}** ({s.level}) {s.citation}" + (f" — {urls}" if urls else ""))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run python -m kneadwell.docgen", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
