"""Change against baseline, MCID reached, responder, and "not improving". Pure Python: no Django.

The sign of a change depends on the instrument: on LEFS and PSFS higher is better, on the others
higher is worse (REFERENCE §9 fact 7). ``improvement`` is therefore always "towards better" as a
positive number; ``difference`` is the plain current − baseline on the scale.

Thresholds come from the catalogue (``Measure.mcids``), each with its kind, population and sources.
Only within-person values are MCIDs (REFERENCE §10 "MCIDs vs other numbers"): kinds ``mcid``, ``mic``
and ``mid`` (Abbott & Schmitt's within-person minimal important differences). A between-group
difference (``between_group``: HIT-6, Smelt; Coeytaux), a minimal detectable or smallest detectable
change (``mdc``, ``sdc``) and a trial's responder definition are reported by their own kind, never as
an MCID.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kneadwell.knowledge import types as ktypes

from .instruments import Instrument, InstrumentError, Score, instrument

WITHIN_PERSON_KINDS = ktypes.WITHIN_PERSON_KINDS
KIND_NAMES = {
    "mcid": "MCID",
    "mic": "minimal important change",
    "mid": "minimal important difference (within-person)",
    "between_group": "between-group difference (not an MCID)",
    "mdc": "minimal detectable change (measurement error, not an MCID)",
    "sdc": "smallest detectable change (measurement error, not an MCID)",
    "responder": "responder definition",
}

# Floating-point slack when comparing an improvement with a threshold: 7.5 computed as
# 15 × 10 / 20 must count as reaching 7.5.
_EPSILON = 1e-9


class ProgressError(InstrumentError):
    """Input the progress functions refuse; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    """One catalogue threshold applied to a change."""

    threshold: ktypes.Mcid
    kind: str
    is_mcid: bool  # a within-person MCID/MIC (REFERENCE §10)
    low: float  # the value, or the lower end of a published range
    high: float  # the value, or the upper end
    unit: str  # "points" or "percent" (relative to baseline)
    reached: bool  # improvement ≥ high: reached by every published estimate in the entry
    reached_low: bool  # improvement ≥ low: reached by at least the smallest estimate

    @property
    def label(self) -> str:
        """ "MCID 7.5 points (Mechanical neck pain …) [R23]" with (unverified) where it applies."""
        sources = f" [{', '.join(self.threshold.sources)}]" if self.threshold.sources else ""
        unverified = " (unverified)" if not self.threshold.verified else ""
        name = KIND_NAMES.get(self.kind, self.kind)
        return f"{name} {self.threshold.display} ({self.threshold.population}){sources}{unverified}"


@dataclass(frozen=True, slots=True)
class Change:
    instrument: str
    direction: str
    baseline: float
    current: float
    difference: float  # current − baseline, as on the scale
    improvement: float  # towards better as a positive number, whichever way the scale runs
    percent_improvement: float | None  # improvement ÷ |baseline| × 100; None at a baseline of 0
    checks: tuple[ThresholdCheck, ...]  # every catalogue threshold that applies at this baseline
    mcid: ThresholdCheck | None  # the within-person MCID used; None when none is known
    mcid_reached: bool | None  # None: no MCID is established for this instrument
    responder_threshold: ThresholdCheck | None
    responder: bool | None
    note: str = ""


def _as_value(value: float | Score, name: str, inst: Instrument) -> float:
    if isinstance(value, Score):
        if value.instrument != inst.key:
            raise ProgressError(name, f"is a {value.instrument} score, not {inst.key}")
        if value.value is None:
            raise ProgressError(name, f"could not be scored: {value.reason}")
        value = value.value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProgressError(name, f"expected a number, got {value!r}")
    if not inst.range_min <= value <= inst.range_max:
        raise ProgressError(name, f"{value} is outside {inst.name}'s range {inst.scale}")
    return float(value)


def _applies_at(threshold: ktypes.Mcid, baseline: float) -> bool:
    """Baseline-dependent thresholds (NPRS: ≈1 point at baseline 1–4 …) apply only in their band."""
    low, high = threshold.baseline_min, threshold.baseline_max
    return (low is None or baseline >= low) and (high is None or baseline <= high)


def _bounds(threshold: ktypes.Mcid) -> tuple[float, float]:
    if threshold.value is not None:
        return threshold.value, threshold.value
    assert threshold.value_min is not None
    assert threshold.value_max is not None
    return threshold.value_min, threshold.value_max


def _check(threshold: ktypes.Mcid, improvement: float, percent: float | None) -> ThresholdCheck:
    low, high = _bounds(threshold)
    achieved = percent if threshold.unit == "percent" else improvement
    return ThresholdCheck(
        threshold=threshold,
        kind=threshold.kind,
        is_mcid=threshold.kind in WITHIN_PERSON_KINDS,
        low=low,
        high=high,
        unit=threshold.unit,
        reached=achieved is not None and achieved >= high - _EPSILON,
        reached_low=achieved is not None and achieved >= low - _EPSILON,
    )


def within_person_mcids(key: str, baseline: float | None = None) -> tuple[ktypes.Mcid, ...]:
    """The catalogue's within-person MCIDs for an instrument (those that apply at ``baseline`` if given),
    for a plan of care to choose from (e.g. HIT-6: −8 for chronic tension-type headache)."""
    measure = instrument(key).measure
    if measure is None:
        return ()
    return tuple(
        m
        for m in measure.mcids
        if m.kind in WITHIN_PERSON_KINDS and (baseline is None or _applies_at(m, baseline))
    )


def default_mcid(key: str, baseline: float) -> ktypes.Mcid | None:
    """The MCID used when the plan names none.

    Among the within-person values that apply at this baseline: the one the catalogue marks as the
    default goal (the value plans of care aim for, e.g. NPRS 2 points, PSFS 2), then verified before
    unverified, points before percent, then the catalogue's order. Population-specific values (NPRS by baseline in back pain, HIT-6 −8 in chronic
    tension-type headache) are in ``Change.checks``; a plan of care whose population fits one should
    pass it explicitly (see :func:`within_person_mcids`).
    """
    candidates = within_person_mcids(key, baseline)
    if not candidates:
        return None
    ranked = sorted(
        enumerate(candidates),
        key=lambda pair: (
            not pair[1].goal,
            not pair[1].verified,
            pair[1].unit != "points",
            pair[0],
        ),
    )
    return ranked[0][1]


def change(
    key: str,
    baseline: float | Score,
    current: float | Score,
    *,
    mcid: ktypes.Mcid | None = None,
    responder: ktypes.Mcid | None = None,
) -> Change:
    """Change from ``baseline`` to ``current`` on instrument ``key``.

    ``mcid``: the within-person MCID the plan of care uses (default :func:`default_mcid`); a value of
    another kind is refused, so a detectable change is never reported as an MCID.
    ``responder``: a responder definition (e.g. the catalogue's ``responder`` entries, or a clinic's);
    without one, a responder is a patient whose improvement reaches the MCID.
    """
    inst = instrument(key)
    base = _as_value(baseline, "baseline", inst)
    now = _as_value(current, "current", inst)
    improvement = now - base if inst.higher_is_better else base - now
    percent = improvement / abs(base) * 100 if base else None
    measure = inst.measure
    checks = tuple(
        _check(t, improvement, percent) for t in (measure.mcids if measure else ()) if _applies_at(t, base)
    )
    if mcid is not None and mcid.kind not in WITHIN_PERSON_KINDS:
        raise ProgressError(
            "mcid", f"a {KIND_NAMES.get(mcid.kind, mcid.kind)} is not a within-person MCID (REFERENCE §10)"
        )
    chosen = mcid or default_mcid(key, base)
    mcid_check = _check(chosen, improvement, percent) if chosen else None
    responder_check = _check(responder, improvement, percent) if responder else mcid_check
    note = ""
    if mcid_check is None:
        note = (
            measure.mcids_note
            if measure and measure.mcids_note
            else f"No within-person MCID is known for {inst.name}."
        )
    return Change(
        instrument=key,
        direction=inst.direction,
        baseline=base,
        current=now,
        difference=now - base,
        improvement=improvement,
        percent_improvement=percent,
        checks=checks,
        mcid=mcid_check,
        mcid_reached=mcid_check.reached if mcid_check else None,
        responder_threshold=responder_check,
        responder=responder_check.reached if responder_check else None,
        note=note,
    )


# --- Not improving ---------------------------------------------------------------------------


class Trend(StrEnum):
    TOO_EARLY = "too_early"  # fewer visits since baseline than the clinic's setting
    IMPROVING = "improving"
    NOT_IMPROVING = "not_improving"


@dataclass(frozen=True, slots=True)
class Observation:
    """A score at a visit of the course of care (visit numbers increase; the first is the baseline)."""

    visit: int
    value: float


@dataclass(frozen=True, slots=True)
class ProgressCheck:
    instrument: str
    trend: Trend
    visits_since_baseline: int
    after_visits: int
    improvement: float | None  # latest vs baseline, towards better as positive; None when too early
    min_improvement: float
    worse_than_baseline: bool
    reason: str

    @property
    def not_improving(self) -> bool:
        return self.trend is Trend.NOT_IMPROVING


def progress_check(
    key: str,
    observations: Sequence[Observation],
    *,
    after_visits: int,
    min_improvement: float = 0.0,
) -> ProgressCheck:
    """Flag a course of care that is not improving on instrument ``key``.

    Once ``after_visits`` visits have passed since the baseline (the first observation), the latest
    score is compared with the baseline: an improvement of ``min_improvement`` or less (default 0: no
    better than at baseline) is "not improving". Both numbers are clinic settings: REFERENCE gives
    no number of visits. The improvement is signed by the instrument's direction.
    """
    inst = instrument(key)
    if isinstance(after_visits, bool) or not isinstance(after_visits, int) or after_visits < 1:
        raise ProgressError("after_visits", f"expected a whole number ≥ 1, got {after_visits!r}")
    if not observations:
        raise ProgressError("observations", "at least the baseline observation is needed")
    for index, (before, after) in enumerate(itertools.pairwise(observations)):
        if after.visit <= before.visit:
            raise ProgressError(f"observations[{index + 1}].visit", "visit numbers must increase")
    values = [_as_value(o.value, f"observations[{i}].value", inst) for i, o in enumerate(observations)]
    elapsed = observations[-1].visit - observations[0].visit
    if elapsed < after_visits:
        return ProgressCheck(
            instrument=key,
            trend=Trend.TOO_EARLY,
            visits_since_baseline=elapsed,
            after_visits=after_visits,
            improvement=None,
            min_improvement=min_improvement,
            worse_than_baseline=False,
            reason=f"{elapsed} of {after_visits} visits since baseline",
        )
    base, latest = values[0], values[-1]
    improvement = latest - base if inst.higher_is_better else base - latest
    improving = improvement > min_improvement + _EPSILON
    verdict = "improving" if improving else "not improving"
    reason = (
        f"{verdict}: {inst.name} {ktypes.fmt_number(base)} → {ktypes.fmt_number(latest)} after {elapsed} visits "
        f"(improvement {ktypes.fmt_number(round(improvement, 2))}, needed more than {ktypes.fmt_number(min_improvement)})"
    )
    return ProgressCheck(
        instrument=key,
        trend=Trend.IMPROVING if improving else Trend.NOT_IMPROVING,
        visits_since_baseline=elapsed,
        after_visits=after_visits,
        improvement=improvement,
        min_improvement=min_improvement,
        worse_than_baseline=improvement < -_EPSILON,
        reason=reason,
    )
