"""The tailoring engine: one session plan per patient, per visit, explained rule by rule.

DESIGN §3 S10, S13–S18 and §6 "Tailoring". From the service family and length, the diagnoses and
areas of concern, the screening result, the therapist's trainings, the patient's preferences and
the last session's pressure feedback, `plan_session()` builds a plan: segments (region, side,
minutes, techniques, role, and a lower pressure ceiling where one applies), a pressure range, visit
instructions, ambience, precautions and a rationale entry for every decision.

The plan follows the condition as it is on the day (issue 7): a visit screening holds gets no plan
(`intake.screening.visit_gate`, with what would unblock it); a condition's stage or chronicity adapts
the work (the catalogue's `adaptations`: freezing-stage frozen shoulder, acute whiplash); the
diagnosis code picks the anatomy (`variants`: cervical vs lumbar radiculopathy, carpal tunnel); and no
segment is ever planned without a technique: when the therapist is not trained for an area the plan
says so and names colleagues who are.

Rationale texts are plain sentences people read (region and technique names, never keys); the rule id
and source of each entry are data for the "Why?" links and the generated docs.

Pure Python: no Django, no database, deterministic. Clinical content comes only from the
catalogue (`kneadwell.knowledge`) and the screening result; how minutes are shared out is a clinic
setting (`planning/settings.py`), labelled as such in the rationale."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from kneadwell.intake.screening.gate import visit_gate
from kneadwell.intake.screening.types import Decision, Finding
from kneadwell.knowledge.catalogue import catalogue as load_catalogue
from kneadwell.knowledge.types import LATERALITIES, Adaptation, Catalogue, Condition
from kneadwell.knowledge.vocabulary import (
    FEEDBACK_VALUES,
    LIGHTING_VALUES,
    MUSIC_VALUES,
    SERVICE_FAMILIES,
    Area,
    Diagnosis,
    Pressure,
)
from kneadwell.planning.consents import POLICY_NOTE, ConsentGate
from kneadwell.planning.settings import CLINIC_SETTING, TailoringSettings
from kneadwell.planning.tailoring.contract import PlanRequest, Rationale, Segment, SessionPlan
from kneadwell.planning.tailoring.minutes import apportion, nearest_minute
from kneadwell.planning.tailoring.rules import (
    ARTICLE,
    INTRAORAL_REGION,
    NOT_ALONE,
    NOT_ALONE_SOURCE,
    SITE_SPECIFIC,
    SWEDISH,
)


def plan_session(req: PlanRequest, *, catalogue: Catalogue | None = None) -> SessionPlan:
    """The session plan for one visit. Raises ValueError naming the field for unknown keys."""
    cat = catalogue or load_catalogue()
    _validate(req, cat)
    return _Planner(req, cat).plan()


def _validate(req: PlanRequest, cat: Catalogue) -> None:
    def check_area(a: Area, fld: str) -> None:
        if a.region not in cat.regions:
            raise ValueError(f"{fld}: unknown region {a.region!r}")
        if a.side is not None and a.side not in LATERALITIES:
            raise ValueError(f"{fld}: unknown side {a.side!r} for {a.region!r}")

    if req.service_family not in SERVICE_FAMILIES:
        raise ValueError(f"service_family: {req.service_family!r} is not one of {SERVICE_FAMILIES}")
    if req.hands_on_minutes < 1:
        raise ValueError("hands_on_minutes: must be at least 1")
    for d in req.diagnoses:
        if d.condition not in cat.conditions:
            raise ValueError(f"diagnoses: unknown condition {d.condition!r}")
        for a in d.areas:
            check_area(a, "diagnoses.areas")
    for a in req.areas:
        check_area(a, "areas")
    for a in req.avoid_areas:
        check_area(a, "avoid_areas")
    for fb in req.last_feedback:
        check_area(fb.area, "last_feedback")
        if fb.feedback not in FEEDBACK_VALUES:
            raise ValueError(f"last_feedback: {fb.feedback!r} is not one of {FEEDBACK_VALUES}")
    for f in req.learned_focus:
        check_area(f.area, "learned_focus")
    for t in req.painful_techniques:
        check_area(t.area, "painful_techniques")
    if unknown := sorted(req.therapist_trainings - cat.techniques.keys()):
        raise ValueError(f"therapist_trainings: unknown technique(s) {unknown}")
    for colleague in req.colleagues:
        if unknown := sorted(colleague.trainings - cat.techniques.keys()):
            raise ValueError(f"colleagues: unknown technique(s) {unknown}")
    if req.lighting not in LIGHTING_VALUES:
        raise ValueError(f"lighting: {req.lighting!r} is not one of {LIGHTING_VALUES}")
    if req.music not in MUSIC_VALUES:
        raise ValueError(f"music: {req.music!r} is not one of {MUSIC_VALUES}")
    s = req.settings
    for region in (*s.general_regions, *(r for r, _ in s.relaxation_template)):
        if region not in cat.regions:
            raise ValueError(f"settings: unknown region {region!r}")


def _overlaps(a: Area, b: Area) -> bool:
    return a.covers(b) or b.covers(a)


def _lowest(*caps: Pressure | None) -> Pressure | None:
    present = [c for c in caps if c is not None]
    return min(present, key=lambda p: p.rank) if present else None


@dataclass(slots=True)
class _Candidate:
    area: Area
    role: str
    weight: int
    techniques: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Adapted:
    """An adaptation in force for one diagnosis (its stage or chronicity matches, or is unknown)."""

    diagnosis: Diagnosis
    adaptation: Adaptation
    why: str  # "freezing stage", "acute", "no onset recorded"


@dataclass(slots=True)
class _Planner:
    req: PlanRequest
    cat: Catalogue
    rationale: list[Rationale] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    pressure: tuple[Pressure, Pressure] = (Pressure.LIGHT, Pressure.LIGHT)
    adapted: list[_Adapted] = field(default_factory=list)

    @property
    def s(self) -> TailoringSettings:
        return self.req.settings

    def note(self, rule: str, source: str | None, text: str, *, verified: bool = True) -> None:
        self.rationale.append(Rationale(rule, source, text, verified))

    # -- words ---------------------------------------------------------------------------------

    def where(self, area: Area) -> str:
        """ "Shoulder (right)": the region's name, as people read it."""
        name = self.cat.regions[area.region].name
        side = {"bilateral": "both sides"}.get(area.side or "", area.side or "")
        return f"{name} ({side})" if side else name

    def named(self, keys: Iterable[str]) -> str:
        return ", ".join(self.cat.techniques[k].name for k in keys) or "no technique"

    def label(self, finding: Finding) -> str:
        flag = self.cat.flags.get(finding.code)
        return flag.label if flag is not None and flag.label else "a screening finding"

    # -- top level ---------------------------------------------------------------------------

    def plan(self) -> SessionPlan:
        req = self.req
        if req.screening.blocked:
            return self._blocked_by_screening()
        self._family_note()
        self.pressure = self._pressure()
        self._adaptations()
        if req.service_family == "relaxation" or self._whole_body_visit():
            segments = self._relaxation()
        elif req.service_family == "spot_work":
            segments = self._spot_work()
        else:
            segments = self._therapeutic()
        if not segments:
            self.reasons.append(
                "No region can be worked at this visit: every candidate region is off limits, to be avoided, "
                "or has no technique this therapist may use."
            )
            self.note(
                "tailoring.blocked.no_workable_region",
                None,
                "Nothing left to plan after leaving out restricted and avoided regions and those without a "
                "trained technique: no session plan.",
            )
            return self._finish(blocked=True, segments=())
        segments = [self._segment_pressure(s) for s in segments]
        segments = _not_first_again(self, segments)
        self._order_note(segments)
        return self._finish(blocked=False, segments=tuple(segments))

    def _whole_body_visit(self) -> bool:
        """A clinical service booked for relaxation alone: no area of concern, so the whole body, no focus."""
        req = self.req
        # Spot work is one area by definition; only a full therapeutic session can cover the whole body.
        whole = req.service_family == "therapeutic" and bool(req.diagnoses) and not req.areas
        whole = whole and all(
            self.cat.conditions[d.condition].regions_scope == "whole_body" for d in req.diagnoses
        )
        if whole:
            self.note(
                "tailoring.family.whole_body",
                ARTICLE,
                "The only condition is worked on the whole body (relaxation) and no area of concern was "
                "named: the whole-body template, with no focus region.",
            )
        return whole

    def _finish(
        self, *, blocked: bool, segments: tuple[Segment, ...], unblock: tuple[str, ...] = ()
    ) -> SessionPlan:
        precautions = self._precautions()
        if blocked:
            return SessionPlan(
                blocked=True,
                reasons=tuple(self.reasons),
                segments=(),
                pressure=None,
                instructions=(),
                ambience={},
                precautions=precautions,
                rationale=tuple(self.rationale),
                unblock=unblock,
            )
        instructions = self._instructions(segments)
        ambience = self._ambience()
        return SessionPlan(
            blocked=False,
            reasons=tuple(self.reasons),
            segments=segments,
            pressure=self.pressure,
            instructions=instructions,
            ambience=ambience,
            precautions=precautions,
            rationale=tuple(self.rationale),
        )

    def _blocked_by_screening(self) -> SessionPlan:
        gate = visit_gate(self.req.screening, self.cat)
        for hold in gate.holds:
            f = hold.finding
            self.reasons.append(hold.reason)
            self.note(
                f"screening.{f.rule}",
                f.sources[0] if f.sources else None,
                f"{self.label(f)}: {hold.reason} To go ahead: {hold.unblock}",
                verified=f.verified,
            )
        self.note(
            "tailoring.blocked.screening",
            None,
            "Screening holds this visit: no session is planned (DESIGN §5.3). " + " ".join(gate.unblock),
        )
        return self._finish(blocked=True, segments=(), unblock=gate.unblock)

    def _family_note(self) -> None:
        family = self.req.service_family
        if family == "therapeutic":
            self.note(
                "tailoring.family.therapeutic",
                ARTICLE,
                "Therapeutic session: no typical routine; the time goes mostly to the areas of concern, "
                "other muscle groups with the rest.",
            )
        elif family == "spot_work":
            self.note(
                "tailoring.family.spot_work",
                ARTICLE,
                "Spot work: the single primary area of concern for the whole (short) session, "
                "complementing the other practitioners.",
            )
        else:
            self.note(
                "tailoring.family.relaxation",
                CLINIC_SETTING,
                "Relaxation session: the clinic's whole-body template, general Swedish work (clinic setting).",
            )

    # -- stage and chronicity ----------------------------------------------------------------

    def _adaptations(self) -> None:
        """The catalogue's stage/chronicity adaptations in force for each diagnosis (issue 7, item 8)."""
        known = {c.condition: c for c in self.req.screening.chronicity}
        for d in self.req.diagnoses:
            condition = self.cat.conditions[d.condition]
            chron = known.get(d.condition) if d.onset is not None else None
            for a in condition.adaptations:
                if chron is None:
                    if not a.when_unknown:
                        continue
                    why = "no onset recorded, so the cautious stage is assumed"
                elif chron.stage in a.when:
                    why = f"{chron.stage_label or chron.stage} stage"
                elif chron.label in a.when:
                    why = chron.label
                else:
                    continue
                self.adapted.append(_Adapted(d, a, why))
                cap = f" Pressure at most {a.pressure_max} there." if a.pressure_max else ""
                left = (
                    f" Not used there: {self.named(a.forbidden_techniques)}."
                    if a.forbidden_techniques
                    else ""
                )
                self.note(
                    "tailoring.stage",
                    a.sources[0] if a.sources else (condition.sources[0] if condition.sources else None),
                    f"{condition.name} ({why}): {a.text}{left}{cap}",
                    verified=a.verified,
                )

    def _adapted_at(self, area: Area) -> list[_Adapted]:
        return [x for x in self.adapted if self._applies(x.diagnosis, area)]

    # -- where the work may go ---------------------------------------------------------------

    def _why_off(self, area: Area) -> tuple[str, str | None, bool] | None:
        """Why an area cannot be worked at all (text, source, verified), or None when it can."""
        if (gate := _region_gate(self.req, area)) is not None:
            return (f"no {gate.consent} consent on file ({POLICY_NOTE})", CLINIC_SETTING, True)
        for f in self.req.screening.findings:
            if f.area_off_limits and f.area is not None and _overlaps(f.area, area):
                return (f.message_staff, f.sources[0] if f.sources else None, f.verified)
        if self.req.screening.off_limits(area):
            return ("restricted by screening", None, True)
        if any(_overlaps(v, area) for v in self.req.avoid_areas):
            return ("the patient asked for this area to be avoided", None, True)
        return None

    def _workable(self, area: Area, role: str) -> Area | None:
        """The part of `area` that may be worked: a bilateral area loses its restricted side."""
        why = self._why_off(area)
        if why is None:
            return area
        region = self.cat.regions[area.region]
        if region.paired and area.side in (None, "bilateral"):
            sides = [s for s in ("left", "right") if self._why_off(Area(area.region, s)) is None]
            if sides:
                kept = Area(area.region, sides[0])
                self.note(
                    "tailoring.restricted_side",
                    why[1],
                    f"{self.where(area)} ({ROLE_WORDS[role]}): only the {sides[0]} side is planned. {why[0]}",
                    verified=why[2],
                )
                return kept
        self.note(
            "tailoring.restricted_area",
            why[1],
            f"{self.where(area)} ({ROLE_WORDS[role]}) is not planned. {why[0]}",
            verified=why[2],
        )
        return None

    # -- which conditions and techniques apply where -----------------------------------------

    def _regions_of(self, d: Diagnosis) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Focus and related regions of a diagnosis: its code's variant where the catalogue has one."""
        condition = self.cat.conditions[d.condition]
        variant = condition.variant_for(d.icd10)
        if variant is not None:
            return variant.regions, variant.related_regions
        return condition.regions, condition.related_regions

    def _applies(self, d: Diagnosis, area: Area) -> bool:
        """True when diagnosis `d` concerns `area` (its recorded areas, or its condition's regions)."""
        condition = self.cat.conditions[d.condition]
        if d.areas:
            return any(_overlaps(a, area) for a in d.areas)
        sided = d.side is not None and self.cat.regions[area.region].paired
        if sided and not _overlaps(Area(area.region, d.side), area):
            return False
        if condition.regions_scope == "whole_body":
            return True
        if condition.regions_scope == "from_intake":
            # The site comes from the referral or intake: the areas of concern.
            return any(_overlaps(a, area) for a in self.req.areas)
        return area.region in self._regions_of(d)[0]

    def _no_sustained_here(self, area: Area) -> list[str]:
        """Variants of the diagnoses that rule out sustained pressure at `area` (their labels)."""
        out = []
        for d in self.req.diagnoses:
            variant = self.cat.conditions[d.condition].variant_for(d.icd10)
            if variant is not None and area.region in variant.no_sustained_pressure:
                out.append(variant.label)
        return out

    def _filter(
        self, listed: Iterable[str], area: Area, role: str, *, allow_site_specific: bool
    ) -> tuple[list[str], list[str]]:
        """Keep the techniques that may be used at `area`; say why each other one is left out."""
        forbidden = self.req.screening.forbidden_at(area)
        staged = {t: x for x in self._adapted_at(area) for t in x.adaptation.forbidden_techniques}
        no_sustained = self._no_sustained_here(area)
        ceiling = _lowest(self.pressure[1], self.req.screening.pressure_cap_at(area))
        kept: list[str] = []
        dropped: list[str] = []
        for key in dict.fromkeys(listed):
            technique = self.cat.techniques[key]
            name = technique.name
            if key not in self.req.therapist_trainings:
                dropped.append(f"{name} (the therapist is not trained in it)")
            elif key in forbidden:
                labels = sorted(
                    {
                        self.label(f)
                        for f in self.req.screening.findings
                        if key in f.forbidden_techniques and (f.area is None or _overlaps(f.area, area))
                    }
                )
                dropped.append(f"{name} (not allowed here: {', '.join(labels) or 'screening'})")
            elif (gate := _technique_gate(self.req, key)) is not None:
                dropped.append(f"{name} (needs the patient's {gate.consent} consent: {POLICY_NOTE})")
            elif key in staged:
                dropped.append(f"{name} (not in the {staged[key].why})")
            elif technique.sustained_pressure and no_sustained:
                dropped.append(f"{name} (no sustained pressure here: {', '.join(no_sustained)})")
                self.note(
                    "tailoring.techniques.no_sustained_pressure",
                    None,
                    f"{self.where(area)}: no sustained pressure over the site ({', '.join(no_sustained)}), so "
                    f"{name} is not used there.",
                    verified=False,
                )
            elif key in SITE_SPECIFIC and not allow_site_specific:
                dropped.append(
                    f"{name} (only at the problem site itself, not on {ROLE_WORDS[role].lower()} work)"
                )
            elif key == "intraoral_tmj" and area.region != INTRAORAL_REGION:
                dropped.append(f"{name} (intraoral work is at the jaw only)")
            elif (
                technique.pressure is not None
                and technique.pressure.walton_min >= self.s.deep_walton_level
                and ceiling is not Pressure.DEEP
            ):
                dropped.append(f"{name} (needs deep pressure; the planned pressure stops at {ceiling})")
            else:
                kept.append(key)
        if kept and set(kept) <= NOT_ALONE:
            dropped += [
                f"{self.cat.techniques[k].name} (never on its own: insufficient evidence)" for k in kept
            ]
            self.note(
                "tailoring.techniques.not_alone",
                NOT_ALONE_SOURCE,
                f"{self.where(area)}: cross-fibre friction would be the only technique, and it is not relied on "
                "alone (a Cochrane review found insufficient evidence of benefit).",
            )
            kept = []
        return self._ordered(kept), dropped

    def _ordered(self, keys: Iterable[str]) -> list[str]:
        order = self.cat.phase_order

        def rank(key: str) -> tuple[int, str]:
            return (min(order.index(p) for p in self.cat.techniques[key].phases), key)

        return sorted(keys, key=rank)

    def _colleagues_for(self, listed: Sequence[str], area: Area) -> list[str]:
        """Colleagues trained in a technique the conditions list and screening allows at `area`."""
        forbidden = self.req.screening.forbidden_at(area)
        usable = {t for t in listed if t not in forbidden} - NOT_ALONE
        return [c.name for c in self.req.colleagues if c.trainings & usable]

    def _untrained(self, area: Area, listed: Sequence[str]) -> None:
        names = self._colleagues_for(listed, area)
        who = (
            f" Colleagues trained for it: {', '.join(names)}."
            if names
            else " No colleague on file is trained for it."
        )
        self.reasons.append(
            f"This therapist has no suitable technique for {self.where(area)}, so it is not planned.{who}"
        )
        self.note(
            "tailoring.techniques.untrained",
            ARTICLE,
            f"No technique the conditions list for {self.where(area)} is both trained and allowed: the area is "
            f"left out of this therapist's plan.{who}",
        )

    def _focus_candidate(self, area: Area, index: int) -> _Candidate | None:
        conditions = [self.cat.conditions[d.condition] for d in self.req.diagnoses if self._applies(d, area)]
        conditions = list({c.key: c for c in conditions}.values())
        if conditions:
            listed = [t for c in conditions for t in c.techniques]
            basis = ", ".join(c.name for c in conditions)
            source, verified = _techniques_source(conditions)
        else:
            # No diagnosis covers this area: general Swedish only, no condition-specific work.
            listed, basis, source, verified = (
                [SWEDISH],
                "no diagnosis for this area (general work)",
                None,
                True,
            )
        kept, dropped = self._filter(listed, area, "focus", allow_site_specific=bool(conditions))
        text = f"{self.where(area)} (focus): {self.named(kept)}, from {basis}"
        if dropped:
            text += f"; left out: {'; '.join(dropped)}"
        self.note("tailoring.techniques.focus", source, text + _unverified(verified), verified=verified)
        if not kept:
            self._untrained(area, listed)
            return None
        return _Candidate(area, "focus", self.s.focus_weight(index), tuple(kept))

    def _support_candidate(self, area: Area, role: str, conditions: Sequence[Condition]) -> _Candidate | None:
        listed = [SWEDISH, *(t for c in conditions for t in c.techniques)]
        kept, dropped = self._filter(listed, area, role, allow_site_specific=False)
        basis = ", ".join(c.name for c in conditions) if conditions else "general work"
        source, verified = _techniques_source(conditions) if conditions else (CLINIC_SETTING, True)
        if not kept:
            self.note(
                f"tailoring.techniques.{role}",
                source,
                f"{self.where(area)} ({ROLE_WORDS[role].lower()}) is not planned: no trained and allowed technique"
                + (f" (left out: {'; '.join(dropped)})" if dropped else "")
                + ".",
                verified=verified,
            )
            return None
        text = f"{self.where(area)} ({ROLE_WORDS[role].lower()}): {self.named(kept)}, Swedish plus techniques from {basis}"
        if dropped:
            text += f"; left out: {'; '.join(dropped)}"
        self.note(f"tailoring.techniques.{role}", source, text + _unverified(verified), verified=verified)
        return _Candidate(area, role, 1, tuple(kept))

    # -- service families --------------------------------------------------------------------

    def _variant_note(self) -> None:
        for d in self.req.diagnoses:
            condition = self.cat.conditions[d.condition]
            variant = condition.variant_for(d.icd10)
            if variant is None:
                continue
            focus = ", ".join(self.cat.regions[r].name for r in variant.regions)
            related = ", ".join(self.cat.regions[r].name for r in variant.related_regions) or "none"
            self.note(
                "tailoring.regions.variant",
                variant.sources[0]
                if variant.sources
                else (condition.sources[0] if condition.sources else None),
                f"{condition.name} coded {d.icd10} ({variant.label}): focus {focus}; related {related}.",
                verified=variant.verified,
            )

    def _focus_areas(self) -> tuple[list[Area], bool]:
        """Areas of concern then diagnosis areas, merged by region; minus what may not be worked.

        Returns the workable focus areas and whether there were candidate areas at all.
        """
        self._variant_note()
        raw: list[Area] = [*self.req.areas, *(a for d in self.req.diagnoses for a in d.areas)]
        if not raw:
            # No area recorded: the diagnosed conditions' listed regions, on the diagnosis's side.
            for d in self.req.diagnoses:
                for region in self._regions_of(d)[0]:
                    paired = self.cat.regions[region].paired
                    raw.append(Area(region, (d.side or "bilateral") if paired else None))
            if raw:
                self.note(
                    "tailoring.focus.from_conditions",
                    None,
                    "No area of concern recorded: focus on the regions the diagnosed conditions list ("
                    + ", ".join(self.where(a) for a in raw)
                    + ").",
                )
        raw += _learned_focus(self, raw)
        merged: dict[str, Area] = {}
        for a in raw:
            first = merged.get(a.region)
            if first is None:
                merged[a.region] = a
            elif not first.covers(a):
                merged[a.region] = Area(a.region, "bilateral")
        workable = [w for a in merged.values() if (w := self._workable(a, "focus")) is not None]
        return workable, bool(merged)

    def _therapeutic(self) -> list[Segment]:
        focus_areas, had_areas = self._focus_areas()
        if had_areas and not focus_areas:
            self.reasons.append(
                "Every area of concern is off limits for this visit: only related and general work is planned."
            )
            self.note(
                "tailoring.focus.all_restricted",
                None,
                "All areas of concern are restricted at this visit; the session is not blocked, so related "
                "and general work are planned instead.",
            )
        elif not had_areas:
            self.reasons.append("No area of concern or diagnosis region is recorded: general work only.")
        focus = [c for i, a in enumerate(focus_areas) if (c := self._focus_candidate(a, i)) is not None]
        others = self._related(focus_areas) or self._general(focus_areas)
        return self._allocate(focus, others)

    def _related(self, focus_areas: Sequence[Area]) -> list[_Candidate]:
        """Related muscle groups of the diagnosed conditions (catalogue), minus focus and restricted."""
        by_region: dict[str, tuple[Area, list[Condition]]] = {}
        for d in self.req.diagnoses:
            condition = self.cat.conditions[d.condition]
            for region in self._regions_of(d)[1]:
                if any(f.region == region for f in focus_areas):
                    continue
                if region in by_region:
                    by_region[region][1].append(condition)
                    continue
                paired = self.cat.regions[region].paired
                by_region[region] = (Area(region, (d.side or "bilateral") if paired else None), [condition])
        out: list[_Candidate] = []
        for area, conditions in by_region.values():
            workable = self._workable(area, "related")
            if workable is None:
                continue
            candidate = self._support_candidate(workable, "related", conditions)
            if candidate is not None:
                out.append(candidate)
        return out

    def _general(self, focus_areas: Sequence[Area]) -> list[_Candidate]:
        out: list[_Candidate] = []
        for region in self.s.general_regions:
            if any(f.region == region for f in focus_areas):
                continue
            paired = self.cat.regions[region].paired
            workable = self._workable(Area(region, "bilateral" if paired else None), "general")
            if workable is None:
                continue
            candidate = self._support_candidate(workable, "general", ())
            if candidate is not None:
                out.append(candidate)
        if out:
            self.note(
                "tailoring.allocation.general",
                CLINIC_SETTING,
                "The conditions list no related muscle group that can be worked: the non-focus time goes "
                f"to general Swedish work on {', '.join(self.where(c.area) for c in out)} (clinic setting).",
            )
        return out

    def _allocate(self, focus: list[_Candidate], others: list[_Candidate]) -> list[Segment]:
        total, minimum = self.req.hands_on_minutes, self.s.min_segment_minutes
        if not focus and not others:
            return []
        if not others:
            self.note(
                "tailoring.allocation.focus_only",
                CLINIC_SETTING,
                "No related or general region can be worked: all the time goes to the focus regions "
                "(clinic setting).",
            )
            return self._fit(focus, total)
        if not focus:
            return self._fit(others, total)
        focus_minutes = nearest_minute(total * self.s.focus_share)
        rest = total - focus_minutes
        if rest < minimum:
            self.note(
                "tailoring.allocation.merged",
                CLINIC_SETTING,
                f"The non-focus share ({rest} min) is below the {minimum}-minute minimum segment: "
                "it goes to the focus regions (clinic setting).",
            )
            return self._fit(focus, total)
        self.note(
            "tailoring.allocation.focus_share",
            CLINIC_SETTING,
            f"Focus regions get the majority: {focus_minutes} of {total} min "
            f"({float(self.s.focus_share):.0%} to the nearest minute, clinic setting); the other {rest} min go to "
            f"{ROLE_WORDS[others[0].role].lower()} work.",
        )
        return self._fit(focus, focus_minutes) + self._fit(others, rest)

    def _fit(self, candidates: list[_Candidate], minutes: int) -> list[Segment]:
        """As many candidates (in priority order) as fit at the minimum length, sharing `minutes`."""
        minimum = self.s.min_segment_minutes
        room = max(1, minutes // minimum)
        kept, dropped = candidates[:room], candidates[room:]
        if dropped:
            self.note(
                "tailoring.allocation.dropped",
                CLINIC_SETTING,
                f"{minutes} min leave room for {room} segment(s) of at least {minimum} min: "
                + ", ".join(f"{self.where(c.area)} ({ROLE_WORDS[c.role].lower()})" for c in dropped)
                + " not planned this visit (lowest priority first, clinic setting).",
            )
        share = apportion(minutes, [c.weight for c in kept], min(minimum, minutes))
        if kept[0].role == "focus" and len(kept) > 1:
            self.note(
                "tailoring.allocation.priority",
                CLINIC_SETTING,
                "Focus time is split by priority (weights "
                + ", ".join(str(c.weight) for c in kept)
                + " for the areas of concern in the order given, clinic setting).",
            )
        return [
            Segment(c.area.region, c.area.side, m, c.techniques, c.role)
            for c, m in zip(kept, share, strict=True)
        ]

    def _spot_work(self) -> list[Segment]:
        focus_areas, had_areas = self._focus_areas()
        if not focus_areas:
            if not had_areas:
                self.reasons.append("Spot work needs an area of concern: none is recorded.")
            return []
        for primary in focus_areas:
            candidate = self._focus_candidate(primary, 0)
            if candidate is None:
                continue
            rest = [a for a in focus_areas if a != primary]
            if rest:
                self.note(
                    "tailoring.spot_work.primary",
                    ARTICLE,
                    f"Spot work covers one area: {self.where(primary)}, the first workable area of concern; "
                    + ", ".join(self.where(a) for a in rest)
                    + " not planned.",
                )
            return [
                Segment(
                    primary.region, primary.side, self.req.hands_on_minutes, candidate.techniques, "focus"
                )
            ]
        return []

    def _relaxation(self) -> list[Segment]:
        candidates: list[_Candidate] = []
        untrained = False
        for region, weight in self.s.relaxation_template:
            paired = self.cat.regions[region].paired
            workable = self._workable(Area(region, "bilateral" if paired else None), "general")
            if workable is None:
                continue
            kept, _ = self._filter([SWEDISH], workable, "general", allow_site_specific=False)
            if not kept:
                untrained = True
                continue
            candidates.append(_Candidate(workable, "general", weight, tuple(kept)))
        if untrained and not candidates:
            names = [c.name for c in self.req.colleagues if SWEDISH in c.trainings]
            who = f" Colleagues trained for it: {', '.join(names)}." if names else ""
            self.reasons.append(
                "This therapist may not give Swedish massage here (not trained, or screening forbids it): "
                f"match another therapist.{who}"
            )
            self.note(
                "tailoring.techniques.untrained",
                ARTICLE,
                f"Relaxation plans use Swedish massage; it is not available here.{who}",
            )
        elif candidates:
            relax = self.cat.conditions.get("relaxation")
            source = relax.techniques_basis.sources[0] if relax and relax.techniques_basis.sources else None
            self.note(
                "tailoring.techniques.general",
                source,
                "Relaxation work: Swedish massage (the catalogue's relaxation technique).",
            )
        if not candidates:
            return []
        return self._fit(candidates, self.req.hands_on_minutes)

    # -- pressure, instructions, ambience, precautions ---------------------------------------

    def _pressure(self) -> tuple[Pressure, Pressure]:
        levels = list(Pressure)
        top = len(levels) - 1
        req, s = self.req, self.s
        preferred = req.pressure_preference or s.default_pressure
        hi = preferred.rank
        lo = max(0, hi - s.pressure_band_below)
        origin = "the patient's preference" if req.pressure_preference else "the clinic default"
        self.note(
            "tailoring.pressure.preference",
            CLINIC_SETTING,
            f"Pressure {levels[lo]} to {levels[hi]}: {preferred} from {origin}, and "
            f"{_levels(s.pressure_band_below)} below it (clinic setting).",
        )
        too_deep = [f.area for f in req.last_feedback if f.feedback == "too_deep"]
        too_light = [f.area for f in req.last_feedback if f.feedback == "too_light"]
        if too_deep:
            lo, hi = max(0, lo - 1), max(0, hi - 1)
            text = (
                "Last session the pressure felt too deep at "
                + ", ".join(self.where(a) for a in too_deep)
                + f": the range is lowered one level to {levels[lo]} to {levels[hi]}; the plan keeps one "
                "range for the session, so it is lowered everywhere."
            )
            if too_light:
                text += (
                    " 'Too light' at "
                    + ", ".join(self.where(a) for a in too_light)
                    + " is not applied while another area felt too deep."
                )
            self.note("tailoring.pressure.feedback", ARTICLE, text)
        elif too_light:
            lo, hi = min(top, lo + 1), min(top, hi + 1)
            self.note(
                "tailoring.pressure.feedback",
                ARTICLE,
                "Last session the pressure felt too light at "
                + ", ".join(self.where(a) for a in too_light)
                + f": the range is raised one level to {levels[lo]} to {levels[hi]}, within any cap.",
            )
        cap = req.screening.pressure_cap
        if cap is not None:
            capping = [f for f in req.screening.findings if f.pressure_cap == cap and f.area is None]
            source = next((f.sources[0] for f in capping if f.sources), None)
            labels = ", ".join(dict.fromkeys(self.label(f) for f in capping)) or "screening"
            if hi > cap.rank:
                hi = cap.rank
                lo = min(lo, hi)
                text = f"Pressure capped at {cap} ({labels}): range {levels[lo]} to {levels[hi]}."
            else:
                text = f"Pressure cap {cap} ({labels}): the range {levels[lo]} to {levels[hi]} is within it."
            self.note("tailoring.pressure.cap", source, text, verified=all(f.verified for f in capping))
        return levels[lo], levels[hi]

    def _segment_pressure(self, seg: Segment) -> Segment:
        """A segment's own ceiling, where it is below the session's range, and the notes that say why."""
        area = seg.area
        session_max = self.pressure[1]
        ceilings: list[tuple[Pressure, str, str | None, bool]] = []
        local = [
            f
            for f in self.req.screening.findings
            if f.pressure_cap is not None and f.area is not None and _overlaps(f.area, area)
        ]
        for f in local:
            assert f.pressure_cap is not None
            ceilings.append((f.pressure_cap, self.label(f), f.sources[0] if f.sources else None, f.verified))
        for x in self._adapted_at(area):
            if x.adaptation.pressure_max:
                condition = self.cat.conditions[x.diagnosis.condition]
                source = x.adaptation.sources[0] if x.adaptation.sources else None
                ceilings.append(
                    (
                        Pressure(x.adaptation.pressure_max),
                        f"{condition.name}, {x.why}",
                        source,
                        x.adaptation.verified,
                    )
                )
        capped = [self.cat.techniques[t] for t in seg.techniques if self.cat.techniques[t].pressure_max]
        notes = [f"{t.name}: {t.pressure_max} pressure only." for t in capped]
        if capped and len(capped) == len(seg.techniques):
            ceiling_ = min((Pressure(t.pressure_max) for t in capped), key=lambda p: p.rank)
            ceilings.append((ceiling_, ", ".join(t.name for t in capped), None, True))
        if "lymphatic_drainage" in seg.techniques and any(
            "lymphatic_proximal" in f.instructions for f in local + self._local_findings(area)
        ):
            notes.append("Lymphatic drainage proximal to the injury only; nothing else at the injury.")
        lowest = min(ceilings, key=lambda c: c[0].rank) if ceilings else None
        if lowest is None or lowest[0].rank >= session_max.rank:
            return Segment(seg.region, seg.side, seg.minutes, seg.techniques, seg.role, None, tuple(notes))
        self.note(
            "tailoring.pressure.segment",
            lowest[2],
            f"{self.where(area)}: pressure at most {lowest[0]} here ({lowest[1]}), below the session's {session_max}.",
            verified=lowest[3],
        )
        return Segment(seg.region, seg.side, seg.minutes, seg.techniques, seg.role, lowest[0], tuple(notes))

    def _local_findings(self, area: Area) -> list[Finding]:
        return [f for f in self.req.screening.findings if f.area is not None and _overlaps(f.area, area)]

    def _order_note(self, segments: Sequence[Segment]) -> None:
        self.note(
            "tailoring.techniques.order",
            CLINIC_SETTING,
            "Techniques in each segment follow the phase order "
            + " → ".join(p.replace("_", "-") for p in self.cat.phase_order)
            + ", a convention of this clinic.",
        )

    def _instructions(self, segments: Sequence[Segment]) -> tuple[str, ...]:
        out: list[str] = []
        stretching = [
            self.cat.techniques[t].name
            for t in dict.fromkeys(t for s in segments for t in s.techniques)
            if self.cat.techniques[t].is_stretching
        ]
        if stretching:
            out.append("loose_clothing")
            self.note(
                "tailoring.instructions.loose_clothing",
                ARTICLE,
                f"Stretching is planned ({', '.join(sorted(stretching))}): wear loose-fitting clothing or "
                "active-wear.",
            )
        if self.req.first_visit:
            out += ["bring_referral", "arrive_early"]
            self.note(
                "tailoring.instructions.first_visit",
                CLINIC_SETTING,
                "First visit: bring the referral and arrive early for the intake (clinic setting).",
            )
        if self.req.service_family == "spot_work":
            out.append("spot_work_timing")
            self.note(
                "tailoring.instructions.spot_work_timing",
                ARTICLE,
                "Spot work is a short session next to the host visit: timing instructions.",
            )
        planned = [s.area for s in segments]
        for f in self.req.screening.findings:
            for key in f.instructions:
                if key in out:
                    continue
                # An instruction tied to an area applies only when that area is planned.
                if f.area is not None and not any(_overlaps(f.area, a) for a in planned):
                    continue
                out.append(key)
                self.note(
                    "tailoring.instructions.screening",
                    f.sources[0] if f.sources else None,
                    f"{self.label(f)}: {INSTRUCTION_NOTES.get(key, key)}",
                    verified=f.verified,
                )
        return tuple(out)

    def _ambience(self) -> dict[str, str]:
        req, s = self.req, self.s
        lighting = req.lighting or s.default_lighting
        music = req.music or s.default_music
        origin = []
        origin.append(
            "lighting from the patient's preference" if req.lighting else "lighting: clinic default"
        )
        origin.append("music from the patient's preference" if req.music else "music: clinic default")
        self.note(
            "tailoring.ambience",
            ARTICLE,
            f"Ambience: {lighting} lighting, music {music} ({'; '.join(origin)}).",
        )
        return {"lighting": lighting, "music": music}

    def _precautions(self) -> tuple[Finding, ...]:
        kept = tuple(
            f
            for f in self.req.screening.findings
            if f.severity in (Decision.PROCEED_WITH_PRECAUTIONS, Decision.NEEDS_CLEARANCE)
        )
        for f in kept:
            self.note(
                "tailoring.precaution",
                f.sources[0] if f.sources else None,
                f"{self.label(f)}: {f.message_staff}",
                verified=f.verified,
            )
        return kept


# What a screening-driven instruction means, for the rationale (the words shown to people are the
# interfaces' INSTRUCTION_WORDS).
INSTRUCTION_NOTES = {
    "side_lying": "position the patient side-lying.",
    "lymphatic_proximal": "light lymphatic drainage proximal to the injury only.",
}


ROLE_WORDS = {"focus": "Focus", "related": "Related muscles", "general": "General"}


def _levels(n: int) -> str:
    return {0: "no level", 1: "one level"}.get(n, f"{n} levels")


def _techniques_source(conditions: Sequence[Condition]) -> tuple[str | None, bool]:
    """The first cited source for the conditions' technique lists, and whether all are verified."""
    source: str | None = None
    for c in conditions:
        ids = c.techniques_basis.sources or c.sources
        if ids:
            source = ids[0]
            break
    return source, all(c.techniques_basis.verified for c in conditions)


def _unverified(verified: bool) -> str:
    return "." if verified else ". This list is not yet confirmed by a published source."


# --- Consents and the last signed note -----------------------------------------------------------
# Kept apart from the engine above: each hook is one line in the planner (`_filter`, `_why_off`,
# `_focus_areas`, `plan`) calling a function here.


def _technique_gate(req: PlanRequest, technique: str) -> ConsentGate | None:
    return next((g for g in req.consent_gates if g.technique == technique), None)


def _region_gate(req: PlanRequest, area: Area) -> ConsentGate | None:
    return next((g for g in req.consent_gates if g.region == area.region), None)


def _learned_focus(planner: _Planner, raw: Sequence[Area]) -> list[Area]:
    """Regions with a finding in the last signed note that are not already focus areas."""
    out: list[Area] = []
    for finding in planner.req.learned_focus:
        area = finding.area
        if any(_overlaps(a, area) for a in (*raw, *out)):
            continue
        out.append(area)
        planner.note(
            "tailoring.learn.focus",
            ARTICLE,
            f"Last session's note found {finding.kind.replace('_', ' ')} at {planner.where(area)}: "
            "it is a focus this time.",
        )
    return out


def _not_first_again(planner: _Planner, segments: list[Segment]) -> list[Segment]:
    """Move a technique that raised pain at a region last time after the segment's other techniques."""
    out: list[Segment] = []
    for seg in segments:
        painful = [
            t.technique
            for t in planner.req.painful_techniques
            if _overlaps(t.area, seg.area) and t.technique in seg.techniques
        ]
        techniques = seg.techniques
        if painful and len(techniques) > 1:
            techniques = tuple(t for t in techniques if t not in painful) + tuple(
                t for t in techniques if t in painful
            )
            planner.note(
                "tailoring.learn.painful",
                ARTICLE,
                f"{planner.named(dict.fromkeys(painful))} raised pain at {planner.where(seg.area)} last session: "
                f"not used first this time ({planner.named(techniques)}).",
            )
        elif painful:
            planner.note(
                "tailoring.learn.painful",
                ARTICLE,
                f"{planner.named(painful)} raised pain at {planner.where(seg.area)} last session and is the only "
                "technique planned there: start gently and ask.",
            )
        out.append(replace(seg, techniques=techniques) if techniques != seg.techniques else seg)
    return out
