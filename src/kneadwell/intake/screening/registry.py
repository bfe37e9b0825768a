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
    Diagnosis,
    Finding,
    Pressure,
    ScreeningInput,
)

# The clearance scope that names one catalogue flag (referrals.ClearanceScope.FLAG): the referrer's
# documented medical evaluation of that flag, which lifts a referral out (issue 7, item 7).
FLAG_SCOPE = "flag"


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

    def flag_clearance(self, flag_id: str) -> ClearanceGrant | None:
        """A clearance in force naming this flag: the referrer's documented medical evaluation of it."""
        for grant in self.inp.clearances:
            if grant.scope == FLAG_SCOPE and grant.flag == flag_id and grant.in_force(self.inp.on):
                return grant
        return None

    def cleared(
        self, flag_id: str, grant: ClearanceGrant, *, area: Area | None = None, what: str = ""
    ) -> Finding:
        """The finding for a flag a clearance has lifted: the visit goes ahead with the precautions it states.

        The severity drops to `proceed_with_precautions` so staff keep seeing the flag, who cleared it,
        when, and what the clearance asks for.
        """
        flag = self.flag(flag_id)
        who = f" by {grant.provider}" if grant.provider else ""
        until = f", until {grant.expires.isoformat()}" if grant.expires else ""
        asks = grant.note.strip() or "none stated"
        answer = f" ({what})" if what else ""
        return self.finding(
            flag_id,
            severity=Decision.PROCEED_WITH_PRECAUTIONS,
            area=area,
            message_staff=(
                f"{flag.label}{answer}: cleared{who} on {grant.granted.isoformat()}{until} after a medical "
                f"evaluation. Precautions the clearance states: {asks}"
            ),
            message_patient=(
                "Your doctor has checked this and cleared massage. We will follow what they advised."
            ),
        )

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
        clearance_scope: str = "",
        instructions: tuple[str, ...] = (),
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
            clearance_scope=clearance_scope,
            instructions=instructions,
        )

    # --- regions --------------------------------------------------------------------------------

    def limb_areas(self, area: Area, *, with_quadrant: bool = False) -> tuple[Area, ...]:
        """Every region of the limb `area` belongs to, on its side (a region outside a limb: itself).

        With `with_quadrant`, also the trunk regions of that limb's quadrant (arm: upper; leg: lower).
        The trunk regions have no side, so the whole region is included: the cautious reading.
        """
        region = self.catalogue.regions[area.region]
        if not region.limb:
            return (area,)
        side = area.side or "bilateral"
        out = [Area(key, side) for key, r in self.catalogue.regions.items() if r.limb == region.limb]
        if with_quadrant:
            quadrant = "upper" if region.limb == "arm" else "lower"
            out += [Area(key) for key, r in self.catalogue.regions.items() if r.quadrant == quadrant]
        return tuple(out)

    def condition_sites(self, condition_key: str) -> tuple[tuple[Diagnosis, Area], ...]:
        """(diagnosis, area) where each diagnosis of the condition is: its own areas; else, for a site
        taken from the intake, the areas of concern; else the condition's listed regions on its side."""
        out: list[tuple[Diagnosis, Area]] = []
        for d in self.inp.diagnoses:
            if d.condition != condition_key:
                continue
            condition = self.catalogue.conditions[d.condition]
            if d.areas:
                sites: tuple[Area, ...] = d.areas
            elif condition.regions_scope == "from_intake":
                sites = self.inp.areas
            else:
                sites = tuple(
                    Area(r, (d.side or "bilateral") if self.catalogue.regions[r].paired else None)
                    for r in condition.regions
                )
            out += [(d, site) for site in sites]
        return tuple(out)


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
