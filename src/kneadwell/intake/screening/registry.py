"""The screening rule registry.

A rule is a plain function ``(inp, ctx) -> Iterable[Finding]`` registered with :func:`rule`. Each rule
declares the catalogue flags it reports, so the list of rules (:func:`rules`) can say which clinical
facts and sources every rule rests on; ``docs/clinical-rules.md`` is generated from that list.

Pure Python: no Django imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from kneadwell.knowledge import catalogue as cat
from kneadwell.knowledge import types as ktypes

from .types import (
    Area,
    ClearanceGrant,
    Decision,
    Finding,
    Pressure,
    ScreeningInput,
)


class Family(StrEnum):
    """Rule families, one module each; listed in the order rules run and are documented."""

    RED_FLAG = "red_flag"
    LOCAL = "local_contraindication"
    CLEARANCE = "clearance"
    PRECAUTION = "precaution"


# The modules that register each family's rules (imported on first use of the registry).
FAMILY_MODULES = {
    Family.RED_FLAG: "kneadwell.intake.screening.red_flags",
    Family.LOCAL: "kneadwell.intake.screening.local",
    Family.CLEARANCE: "kneadwell.intake.screening.clearances",
    Family.PRECAUTION: "kneadwell.intake.screening.precautions",
}

# What each catalogue flag `action` means for the visit (flags.toml header; DESIGN §6 order).
ACTION_SEVERITY = {
    "refer_out": Decision.REFER_OUT,
    "defer": Decision.DEFER,
    "needs_clearance": Decision.NEEDS_CLEARANCE,
    "local_contraindication": Decision.PROCEED_WITH_PRECAUTIONS,
    "precaution": Decision.PROCEED_WITH_PRECAUTIONS,
}


class RuleContext:
    """What a rule may use besides the input: the catalogue, and helpers bound to the running rule."""

    def __init__(self, inp: ScreeningInput, catalogue: ktypes.Catalogue, rule: Rule | None = None) -> None:
        self.inp = inp
        self.catalogue = catalogue
        self.rule = rule
        self.conditions = frozenset(d.condition for d in inp.diagnoses)

    def bound(self, rule: Rule) -> RuleContext:
        return RuleContext(self.inp, self.catalogue, rule)

    # --- catalogue look-ups -------------------------------------------------------------------

    def flag(self, flag_id: str) -> cat.Flag:
        if self.rule is not None and flag_id not in self.rule.flags:
            # Keeps rules() honest: the generated docs list exactly the flags a rule reports.
            raise LookupError(f"rule {self.rule.id!r} uses flag {flag_id!r} without declaring it")
        return self.catalogue.flags[flag_id]

    def severity(self, flag_id: str) -> Decision:
        """The decision a flag's catalogue `action` calls for."""
        return ACTION_SEVERITY[self.flag(flag_id).action]

    def diagnosed_with_flag(self, flag_id: str) -> tuple[str, ...]:
        """Diagnosed conditions whose catalogue entry lists the flag (red flags or precautions)."""
        out = []
        for key in sorted(self.conditions):
            condition = self.catalogue.conditions[key]
            if any(f.id == flag_id for f in (*condition.red_flags, *condition.precautions)):
                out.append(key)
        return tuple(out)

    def condition_names(self, keys: Iterable[str]) -> str:
        return ", ".join(self.catalogue.conditions[k].name for k in keys)

    def technique_names(self, keys: Iterable[str]) -> str:
        """ "Cross-fibre friction, Deep tissue massage": names a person reads, in a stable order."""
        return ", ".join(sorted(self.catalogue.techniques[k].name for k in keys))

    def area_name(self, area: Area | None, *, patient: bool = False) -> str:
        """ "right wrist and hand" (patient words) or "Wrist and hand (right)" (staff)."""
        if area is None:
            return "the area" if patient else "unspecified area"
        region = self.catalogue.regions[area.region]
        if patient:
            name = region.patient_name.lower()
            if area.side == "bilateral":
                return f"both sides of your {name}"
            return f"your {area.side} {name}" if area.side else f"your {name}"
        return f"{region.name} ({area.side})" if area.side else region.name

    def deep_techniques(self) -> frozenset[str]:
        """Techniques the catalogue ties to deep pressure (Walton level 4 or more, REFERENCE §6.3)."""
        return frozenset(
            key
            for key, t in self.catalogue.techniques.items()
            if t.pressure is not None and t.pressure.walton_max >= DEEP_WALTON_LEVEL
        )

    # --- clearances -----------------------------------------------------------------------------

    def clearance(self, scopes: Iterable[str], area: Area | None) -> ClearanceGrant | None:
        """A clearance in force on the screening date whose scope is one of `scopes` and covers `area`.

        A grant without an area covers any area; a grant with an area covers only that area (and an
        unknown area, `None`, is covered only by a grant without an area).
        """
        wanted = set(scopes)
        for grant in self.inp.clearances:
            if grant.scope not in wanted or not grant.in_force(self.inp.on):
                continue
            if grant.area is None or (area is not None and grant.area.covers(area)):
                return grant
        return None

    # --- findings -------------------------------------------------------------------------------

    def finding(
        self,
        flag_id: str,
        *,
        message_staff: str,
        message_patient: str,
        severity: Decision | None = None,
        area: Area | None = None,
        area_off_limits: bool = False,
        forbidden_techniques: Iterable[str] = (),
        pressure_cap: Pressure | None = None,
    ) -> Finding:
        """A finding for the running rule, with the flag's sources and verified marker."""
        if self.rule is None:
            raise LookupError("finding() needs a context bound to a rule")
        flag = self.flag(flag_id)
        return Finding(
            code=flag.id,
            rule=self.rule.id,
            severity=severity if severity is not None else self.severity(flag_id),
            message_staff=message_staff,
            message_patient=message_patient,
            sources=flag.sources,
            area=area,
            area_off_limits=area_off_limits,
            forbidden_techniques=frozenset(forbidden_techniques),
            pressure_cap=pressure_cap,
            verified=flag.verified,
        )


# Walton pressure scale: 4 = deep pressure, "what most mean by deep" (REFERENCE §6.3 [R42]).
DEEP_WALTON_LEVEL = 4

RuleFn = Callable[[ScreeningInput, RuleContext], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    family: Family
    description: str
    flags: tuple[str, ...]  # catalogue flag ids the rule reports
    fn: RuleFn

    def sources(self, catalogue: ktypes.Catalogue | None = None) -> tuple[str, ...]:
        """Source ids of the rule's flags, in first-cited order."""
        flags = (catalogue or cat.catalogue()).flags
        return tuple(dict.fromkeys(s for f in self.flags for s in flags[f].sources))

    def verified(self, catalogue: ktypes.Catalogue | None = None) -> bool:
        flags = (catalogue or cat.catalogue()).flags
        return all(flags[f].verified for f in self.flags)

    def run(self, inp: ScreeningInput, ctx: RuleContext) -> list[Finding]:
        findings = list(self.fn(inp, ctx.bound(self)))
        for f in findings:
            if f.rule != self.id:
                raise ValueError(f"rule {self.id!r} returned a finding labelled {f.rule!r}")
        return findings


_REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str, *, family: Family, flags: tuple[str, ...], description: str = ""
) -> Callable[[RuleFn], RuleFn]:
    """Register a screening rule. `description` defaults to the first line of the docstring."""

    def register(fn: RuleFn) -> RuleFn:
        if rule_id in _REGISTRY:
            raise ValueError(f"screening rule {rule_id!r} is registered twice")
        doc_lines = (fn.__doc__ or "").strip().splitlines()
        text = description or (doc_lines[0].strip() if doc_lines else "")
        if not text:
            raise ValueError(f"screening rule {rule_id!r} needs a one-line description")
        if not flags:
            raise ValueError(f"screening rule {rule_id!r} must name the catalogue flags it reports")
        _REGISTRY[rule_id] = Rule(rule_id, family, text, tuple(flags), fn)
        return fn

    return register


def _load() -> None:
    for module in FAMILY_MODULES.values():
        importlib.import_module(module)


def rules() -> tuple[Rule, ...]:
    """Every registered rule, by family (red flags first) then in registration order."""
    _load()
    order = list(Family)
    return tuple(sorted(_REGISTRY.values(), key=lambda r: order.index(r.family)))


def check(catalogue: ktypes.Catalogue) -> list[str]:
    """Problems between the registry and a catalogue (unknown flag ids); empty when consistent."""
    return [
        f"screening rule {r.id!r} names unknown flag {f!r}"
        for r in rules()
        for f in r.flags
        if f not in catalogue.flags
    ]
