"""Outcome-measure instruments: what each questionnaire is and how it is scored. Pure Python: no Django.

Ranges, directions, interpretation bands and MCIDs come from the clinical catalogue
(``knowledge/data/measures.toml``, read through ``catalogue.measures()``). The scoring and
missing-item rules are REFERENCE §1.6, each scorer citing its source id. Item *text* is not here:
scoring needs only item keys and the points of each answer; the words a patient reads come from an
instrument pack (``outcomes/packs.py``), because most questionnaires are copyrighted (REFERENCE §10).

    score = instrument("ndi").score({"q1": 2, "q2": 1, ...})
    score.value                   # raw 0–50; score.alternates["percent"] is the 0–100 % form
    score.reason                  # why it could not be scored, when score.value is None

Answers are the points of the chosen option (HIT-6: 6, 8, 10, 11 or 13), either a mapping of item key
to points or a sequence in item order; ``None`` or an absent key is an unanswered item. A malformed
answer set raises an :class:`AnswerError` naming the item; too many unanswered items is not an error
but a :class:`Score` with no value and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from kneadwell.knowledge import catalogue as cat
from kneadwell.knowledge import types as ktypes

Answers = Mapping[str, int | None] | Sequence[int | None]

HIGHER_IS_WORSE = "higher_is_worse"
HIGHER_IS_BETTER = "higher_is_better"

# Where an instrument's text may come from (REFERENCE §10 "Licences of the outcome instruments").
FREE = "free"  # no owner, or the owner allows redistribution: text ships with Kneadwell
LICENSED = "licensed"  # a clinic holding a licence loads the text as a pack
OWN = "own"  # written by the project; not a validated instrument


class InstrumentError(ValueError):
    """Base of the errors this module raises."""


class UnknownInstrumentError(InstrumentError, LookupError):
    """No instrument with that key."""


class AnswerError(InstrumentError):
    """An answer set that cannot be read as given. ``item`` names the item at fault (None: the whole set)."""

    def __init__(self, instrument: str, item: str | None, message: str) -> None:
        self.instrument = instrument
        self.item = item
        self.message = message
        where = f"item {item!r}: " if item is not None else ""
        super().__init__(f"{instrument}: {where}{message}")


class ItemCountError(AnswerError):
    """The wrong number of items for the instrument."""


class UnknownItemError(AnswerError):
    """An answer for an item the instrument does not have."""


class InvalidAnswerError(AnswerError):
    """An answer that is not one of the item's options."""


@dataclass(frozen=True, slots=True)
class Item:
    """One question: its key and the points of its answer options, in the order they are shown."""

    key: str
    options: tuple[int, ...]
    subscale: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    """The result of scoring one completed (or partly completed) questionnaire."""

    instrument: str
    value: float | None  # None: cannot be scored, see `reason`
    unit: str  # "points" or "percent"
    range_min: float
    range_max: float
    direction: str
    answered: tuple[str, ...]  # item keys (PSFS: activity names) with an answer
    missing: tuple[str, ...]  # item keys left unanswered
    subscales: Mapping[str, float | None] = field(default_factory=dict)
    alternates: Mapping[str, float] = field(default_factory=dict)  # other published forms of the score
    band: str | None = None  # interpretation band, where one is defined
    band_note: str = ""
    reason: str = ""  # why it cannot be scored ("" when it can)
    notes: tuple[str, ...] = ()  # how it was computed when that is not the plain rule (missing items)

    @property
    def scored(self) -> bool:
        return self.value is not None


Scorer = Callable[["Instrument", dict[str, int | None], "int | None"], Score]


@dataclass(frozen=True, slots=True)
class Instrument:
    """An instrument's scoring definition. Ranges, direction, bands and MCIDs come from ``measure``
    (the catalogue entry) when the catalogue has one."""

    key: str
    name: str
    method: str  # scoring method id; a pack must name the same one
    items: tuple[Item, ...]
    range_min: float
    range_max: float
    direction: str
    unit: str
    scoring_rule: str
    missing_rule: str
    # The most unanswered items the rule allows (SPADI: per subscale). None: the rule sets no limit
    # beyond at least one answer. A clinic may set a stricter limit per call, never a looser one.
    max_missing: int | None
    scoring_sources: tuple[str, ...]  # catalogue source ids of the scoring rule
    scoring_verified: bool
    licence: str  # FREE, LICENSED or OWN
    scorer: Scorer
    measure: ktypes.Measure | None = None
    bands: tuple[ktypes.Band, ...] = ()
    bands_note: str = ""
    citations: tuple[str, ...] = ()  # sources outside the catalogue (full citations)
    scoring_note: str = ""  # caveats: unverified parts, choices made
    # PSFS: the patient names 3–5 activities; `items` then holds one template item ("activity").
    patient_named: bool = False
    item_counts: tuple[int, ...] = ()

    @property
    def higher_is_better(self) -> bool:
        return self.direction == HIGHER_IS_BETTER

    @property
    def scale(self) -> str:
        """The score's range for display: "0–50 points", "36–78 points", "0–100 %"."""
        low, high = ktypes.fmt_number(self.range_min), ktypes.fmt_number(self.range_max)
        return f"{low}–{high} %" if self.unit == "percent" else f"{low}–{high} points"

    def score(self, answers: Answers, *, max_missing: int | None = None) -> Score:
        """Score one answer set.

        ``max_missing`` tightens the instrument's missing-item limit (a clinic setting); asking for a
        looser limit than the published rule raises :class:`InstrumentError`.
        Raises :class:`AnswerError` (naming the item) for answers that cannot be read.
        """
        limit = _limit(self, max_missing)
        collected = _collect_named(self, answers) if self.patient_named else _collect(self, answers)
        return self.scorer(self, collected, limit)


# --- Reading answers -------------------------------------------------------------------------


def _check_answer(inst: Instrument, item: Item, label: str, value: object) -> int | None:
    if value is None:
        return None
    # bool is an int in Python: `True` is a form bug, not 1 point.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAnswerError(inst.key, label, f"expected the points of an option, got {value!r}")
    if value not in item.options:
        allowed = ", ".join(str(o) for o in item.options)
        raise InvalidAnswerError(inst.key, label, f"{value} is not an answer option (options: {allowed})")
    return value


def _collect(inst: Instrument, answers: Answers) -> dict[str, int | None]:
    """Item key → points or None, in item order; refuses unknown items, wrong counts, bad answers."""
    by_key = {item.key: item for item in inst.items}
    if isinstance(answers, Mapping):
        for key in answers:
            if key not in by_key:
                known = ", ".join(by_key)
                raise UnknownItemError(inst.key, str(key), f"not an item of {inst.name} (items: {known})")
        raw: dict[str, object] = {key: answers.get(key) for key in by_key}
    elif isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        if len(answers) != len(inst.items):
            raise ItemCountError(
                inst.key, None, f"expected {len(inst.items)} answers (one per item), got {len(answers)}"
            )
        raw = dict(zip(by_key, answers, strict=True))
    else:
        raise AnswerError(inst.key, None, f"expected answers by item key or in item order, got {answers!r}")
    return {key: _check_answer(inst, by_key[key], key, value) for key, value in raw.items()}


def _collect_named(inst: Instrument, answers: Answers) -> dict[str, int | None]:
    """Patient-named items (PSFS): activity name → points or None."""
    if not isinstance(answers, Mapping):
        raise AnswerError(inst.key, None, "expected a mapping of activity name to score")
    counts = inst.item_counts
    if len(answers) not in counts:
        raise ItemCountError(
            inst.key, None, f"expected {counts[0]}–{counts[-1]} named activities, got {len(answers)}"
        )
    template = inst.items[0]
    out: dict[str, int | None] = {}
    seen: dict[str, str] = {}
    for name, value in answers.items():
        label = name.strip() if isinstance(name, str) else ""
        if not label:
            raise AnswerError(inst.key, str(name), "each activity needs a name")
        folded = label.casefold()
        if folded in seen:
            raise AnswerError(inst.key, label, f"the same activity as {seen[folded]!r}")
        seen[folded] = label
        out[label] = _check_answer(inst, template, label, value)
    return out


def _limit(inst: Instrument, requested: int | None) -> int | None:
    if requested is None:
        return inst.max_missing
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 0:
        raise InstrumentError(f"{inst.key}: max_missing must be a whole number ≥ 0, got {requested!r}")
    if inst.max_missing is not None and requested > inst.max_missing:
        raise InstrumentError(
            f"{inst.key}: the missing-item rule allows at most {inst.max_missing} unanswered; "
            f"a looser limit ({requested}) would not be {inst.name} as published"
        )
    return requested


# --- Building results ------------------------------------------------------------------------


def _band(inst: Instrument, value: float) -> str | None:
    for band in inst.bands:
        if (band.min is None or value >= band.min) and (band.max is None or value <= band.max):
            return band.label
    return None


def _result(
    inst: Instrument,
    answers: dict[str, int | None],
    value: float | None,
    *,
    reason: str = "",
    subscales: Mapping[str, float | None] | None = None,
    alternates: Mapping[str, float] | None = None,
    notes: tuple[str, ...] = (),
) -> Score:
    if value is not None:
        # Every rule below maps into the published range; a value outside it is a bug here.
        assert inst.range_min <= value <= inst.range_max, (inst.key, value)
    band = _band(inst, value) if value is not None else None
    return Score(
        instrument=inst.key,
        value=value,
        unit=inst.unit,
        range_min=inst.range_min,
        range_max=inst.range_max,
        direction=inst.direction,
        answered=tuple(k for k, v in answers.items() if v is not None),
        missing=tuple(k for k, v in answers.items() if v is None),
        subscales=MappingProxyType(dict(subscales or {})),
        alternates=MappingProxyType(dict(alternates or {})),
        band=band,
        band_note=inst.bands_note if band else "",
        reason=reason,
        notes=notes,
    )


def _too_many_missing(inst: Instrument, answers: dict[str, int | None], limit: int | None) -> str:
    """The reason a score cannot be computed for missing items, or "" when it can."""
    missing = [k for k, v in answers.items() if v is None]
    if len(missing) == len(answers):
        return "no item is answered"
    if limit is not None and len(missing) > limit:
        allowed = "no unanswered item" if limit == 0 else f"at most {limit} unanswered"
        count = f"{len(missing)} item{'s' if len(missing) > 1 else ''} unanswered ({', '.join(missing)})"
        return f"{count}; {inst.name} allows {allowed}"
    return ""


# --- Scorers (REFERENCE §1.6) ----------------------------------------------------------------


def _score_sum(inst: Instrument, answers: dict[str, int | None], limit: int | None) -> Score:
    """Plain sum of every item; used where no missing-item rule exists (limit 0)."""
    if reason := _too_many_missing(inst, answers, limit):
        return _result(inst, answers, None, reason=reason)
    return _result(inst, answers, float(sum(v for v in answers.values() if v is not None)))


def _score_ndi(inst: Instrument, answers: dict[str, int | None], limit: int | None) -> Score:
    # [R11, R29] raw 0–50, or sum ÷ 50 × 100 = %; one missed section → divide by 45.
    if reason := _too_many_missing(inst, answers, limit):
        return _result(inst, answers, None, reason=reason)
    answered = [v for v in answers.values() if v is not None]
    total, n = sum(answered), len(answered)
    percent = total * 20 / n  # total ÷ (5 × n) × 100
    # With every section answered the raw value is the plain sum; with one missed, the same
    # "÷ 45" expressed on the 0–50 scale (percent ÷ 2), so raw and % stay one score.
    raw = total * 10 / n
    notes: tuple[str, ...] = ()
    if n < len(answers):
        notes = (f"{len(answers) - n} section unanswered: sum {total} divided by {5 * n}, not 50 [R29].",)
    return _result(inst, answers, raw, alternates={"percent": percent}, notes=notes)


def _score_odi(inst: Instrument, answers: dict[str, int | None], limit: int | None) -> Score:
    # [R29] (sum ÷ (5 × sections answered)) × 100; each unanswered section takes 5 off the divisor.
    if reason := _too_many_missing(inst, answers, limit):
        return _result(inst, answers, None, reason=reason)
    answered = [v for v in answers.values() if v is not None]
    total, n = sum(answered), len(answered)
    notes: tuple[str, ...] = ()
    if n < len(answers):
        notes = (f"{len(answers) - n} section(s) unanswered: sum {total} divided by {5 * n}, not 50 [R29].",)
    return _result(inst, answers, total * 20 / n, notes=notes)


def _score_spadi(inst: Instrument, answers: dict[str, int | None], limit: int | None) -> Score:
    # REFERENCE §1.6 (source unverified): each subscale = sum ÷ (10 × items answered) × 100;
    # total = mean of the two subscales (the alternative sum ÷ 130 × 100 is kept in `alternates`).
    subscales: dict[str, float | None] = {}
    reasons: list[str] = []
    sums = {"points": 0, "possible": 0}
    notes: list[str] = []
    for name in ("pain", "disability"):
        part = {k: answers[k] for k in answers if _item(inst, k).subscale == name}
        if reason := _too_many_missing(inst, part, limit):
            reasons.append(f"{name} subscale: {reason}")
            subscales[name] = None
            continue
        answered = [v for v in part.values() if v is not None]
        subscales[name] = sum(answered) * 10 / len(answered)
        sums["points"] += sum(answered)
        sums["possible"] += 10 * len(answered)
        if len(answered) < len(part):
            notes.append(
                f"{name} subscale: {len(part) - len(answered)} item(s) unanswered; "
                f"divided by {10 * len(answered)}, not {10 * len(part)}."
            )
    if reasons:
        return _result(inst, answers, None, reason="; ".join(reasons), subscales=subscales)
    pain, disability = subscales["pain"], subscales["disability"]
    assert pain is not None
    assert disability is not None
    return _result(
        inst,
        answers,
        (pain + disability) / 2,
        subscales=subscales,
        alternates={"sum_over_possible": sums["points"] * 100 / sums["possible"]},
        notes=tuple(notes),
    )


def _score_quickdash(inst: Instrument, answers: dict[str, int | None], limit: int | None) -> Score:
    # [R26b] ((sum ÷ n answered) − 1) × 25; not computable if more than 1 item is missing.
    if reason := _too_many_missing(inst, answers, limit):
        return _result(inst, answers, None, reason=reason)
    answered = [v for v in answers.values() if v is not None]
    value = (sum(answered) / len(answered) - 1) * 25
    notes: tuple[str, ...] = ()
    if len(answered) < len(answers):
        notes = (f"1 item unanswered: mean of the {len(answered)} answered items [R26b].",)
    return _result(inst, answers, value, notes=notes)


def _score_psfs(inst: Instrument, answers: dict[str, int | None], limit: int | None) -> Score:
    # [R22, R26] mean of 3–5 patient-named activities (0–10); each activity tracked by name.
    rated = {name: v for name, v in answers.items() if v is not None}
    subscales: dict[str, float | None] = {
        name: (float(v) if v is not None else None) for name, v in answers.items()
    }
    if len(rated) < inst.item_counts[0]:
        reason = f"{len(rated)} activities rated; the PSFS score is the mean of 3–5 rated activities"
        return _result(inst, answers, None, reason=reason, subscales=subscales)
    unrated = len(answers) - len(rated)
    if limit is not None and unrated > limit:  # a clinic's stricter setting
        reason = f"{unrated} named activit{'y' if unrated == 1 else 'ies'} unrated; the clinic allows {limit}"
        return _result(inst, answers, None, reason=reason, subscales=subscales)
    return _result(inst, answers, sum(rated.values()) / len(rated), subscales=subscales)


def _item(inst: Instrument, key: str) -> Item:
    return next(item for item in inst.items if item.key == key)


# --- Definitions -----------------------------------------------------------------------------


def _items(
    count: int, options: range | tuple[int, ...], prefix: str = "q", subscale: str = ""
) -> tuple[Item, ...]:
    return tuple(Item(f"{prefix}{i}", tuple(options), subscale) for i in range(1, count + 1))


ZERO_TO_TEN = range(0, 11)
HIT6_POINTS = (6, 8, 10, 11, 13)  # Never, Rarely, Sometimes, Very often, Always [R25b]
PHQ_POINTS = (0, 1, 2, 3)  # Not at all … Nearly every day

# The two screeners and two of the wellbeing items are not in the catalogue (measures.toml): their
# ranges, directions and bands are defined here, with their sources.
KROENKE_2003 = (
    "Kroenke K, Spitzer RL, Williams JBW. The Patient Health Questionnaire-2: validity of a two-item "
    "depression screener. Med Care 2003;41(11):1284-92 (items 0–3, total 0–6; 3 the optimal cut-point "
    "for screening)"
)
KROENKE_2007 = (
    "Kroenke K, Spitzer RL, Williams JBW, Monahan PO, Löwe B. Anxiety disorders in primary care: "
    "prevalence, impairment, comorbidity, and detection. Ann Intern Med 2007;146(5):317-25 (GAD-2: "
    "the first two GAD-7 items, 0–3 each; cut-off 3)"
)
SCREEN_BANDS = (
    ktypes.Band(label="below the screening cut-off", max=2),
    ktypes.Band(label="screen positive (≥ 3)", min=3),
)
OWN_ITEM_NOTE = (
    "The project's own 0–10 item for relaxation visits (DESIGN §3 S20): not a validated instrument; "
    "no MCID. Track it, do not set clinical goals on it."
)


def _from_catalogue(key: str, **fields_: object) -> Instrument:
    """An instrument whose range, direction, bands and MCIDs are the catalogue's."""
    m = cat.measures()[key]
    return Instrument(
        key=key,
        name=m.name,
        range_min=m.range_min,
        range_max=m.range_max,
        direction=m.direction,
        measure=m,
        bands=m.bands,
        bands_note=m.bands_note,
        **fields_,  # type: ignore[arg-type]  # the per-instrument fields, typed where fields_ is built
    )


def _definitions() -> tuple[Instrument, ...]:
    single = "One item: the value as entered."
    none_missing = "The item must be answered."
    return (
        _from_catalogue(
            "nprs",
            method="single_item",
            items=(Item("pain", tuple(ZERO_TO_TEN)),),
            unit="points",
            scoring_rule=single + " Record pre- and post-session separately.",
            missing_rule=none_missing,
            max_missing=0,
            scoring_sources=("R10",),
            scoring_verified=True,
            licence=FREE,
            scorer=_score_sum,
        ),
        _from_catalogue(
            "ndi",
            method="ndi_sum",
            items=_items(10, range(0, 6)),
            unit="points",
            scoring_rule="10 sections scored 0–5; raw score = sum (0–50); percent = sum ÷ 50 × 100.",
            missing_rule="One unanswered section: divide by 45 instead of 50; more cannot be scored.",
            max_missing=1,
            scoring_sources=("R11", "R29"),
            scoring_verified=False,
            scoring_note="REFERENCE §1.6 rates the NDI scoring [S] (secondary copies). Raw and % are kept "
            "separately (§7A); with one section missing the raw value is the same ÷ 45 on the 0–50 scale.",
            licence=LICENSED,
            scorer=_score_ndi,
        ),
        _from_catalogue(
            "odi",
            method="odi_percent",
            items=_items(10, range(0, 6)),
            unit="percent",
            scoring_rule="10 sections scored 0–5; score = sum ÷ (5 × sections answered) × 100 (%).",
            missing_rule="Each unanswered section takes 5 off the divisor (e.g. 16 ÷ 45 × 100). "
            "REFERENCE sets no limit on the number of unanswered sections; a clinic may set one.",
            max_missing=None,
            scoring_sources=("R29",),
            scoring_verified=False,
            scoring_note="REFERENCE §1.6 rates the ODI scoring [S] (copies of Fairbank 2000).",
            licence=LICENSED,
            scorer=_score_odi,
        ),
        _from_catalogue(
            "hit6",
            method="hit6_sum",
            items=_items(6, HIT6_POINTS),
            unit="points",
            scoring_rule="6 items; Never 6, Rarely 8, Sometimes 10, Very often 11, Always 13; score = sum (36–78).",
            missing_rule="No missing-item rule is defined (REFERENCE §1.6, unverified): every item must be answered.",
            max_missing=0,
            scoring_sources=("R25b",),
            scoring_verified=True,
            scoring_note="Range and options verified against the NINDS CDE [R25b]; the item weights are [S].",
            licence=LICENSED,
            scorer=_score_sum,
        ),
        _from_catalogue(
            "spadi",
            method="spadi_mean_of_subscales",
            items=_items(5, ZERO_TO_TEN, "pain_", "pain")
            + _items(8, ZERO_TO_TEN, "disability_", "disability"),
            unit="points",
            scoring_rule="13 items 0–10 (pain 5, disability 8); each subscale = sum ÷ (10 × items answered) "
            "× 100; total = mean of the two subscales (sum ÷ 130 × 100 also given).",
            missing_rule="Unanswered items leave the subscale's divisor (unverified). REFERENCE sets no "
            "limit; each subscale needs an answer; a clinic may set a per-subscale limit.",
            max_missing=None,
            scoring_sources=(),
            scoring_verified=False,
            scoring_note="REFERENCE §1.6 gives the SPADI formula and its missing-data rule as unverified.",
            licence=LICENSED,
            scorer=_score_spadi,
        ),
        _from_catalogue(
            "quickdash",
            method="quickdash_mean",
            items=_items(11, range(1, 6)),
            unit="points",
            scoring_rule="11 items scored 1–5; score = (sum ÷ n answered − 1) × 25 (0–100).",
            missing_rule="At most 1 unanswered item; more cannot be scored.",
            max_missing=1,
            scoring_sources=("R26b",),
            scoring_verified=False,
            scoring_note="REFERENCE §1.6 rates the QuickDASH scoring [S].",
            licence=LICENSED,
            scorer=_score_quickdash,
        ),
        _from_catalogue(
            "lefs",
            method="lefs_sum",
            items=_items(20, range(0, 5)),
            unit="points",
            scoring_rule="20 items scored 0 (extreme difficulty / unable) – 4 (no difficulty); score = sum (0–80).",
            missing_rule="The published form asks for an answer to every activity and the sum of "
            "responses; no rule for unanswered items (REFERENCE §1.6: unverified): every item must be answered.",
            max_missing=0,
            scoring_sources=("R27",),
            scoring_verified=True,
            licence=LICENSED,
            scorer=_score_sum,
        ),
        _from_catalogue(
            "psfs",
            method="psfs_mean",
            items=(Item("activity", tuple(ZERO_TO_TEN)),),
            patient_named=True,
            item_counts=(3, 4, 5),
            unit="points",
            scoring_rule="3–5 activities named by the patient, each 0 (unable) – 10 (pre-injury level); "
            "score = mean of the rated activities; each activity is tracked by name.",
            missing_rule="At least 3 activities must be rated; unrated ones are left out of the mean.",
            max_missing=None,
            scoring_sources=("R22", "R26"),
            scoring_verified=False,
            scoring_note="REFERENCE §1.6 rates the PSFS scoring [S].",
            licence=FREE,
            scorer=_score_psfs,
        ),
        Instrument(
            key="phq2",
            name="Patient Health Questionnaire-2 (PHQ-2)",
            method="phq2_sum",
            items=_items(2, PHQ_POINTS),
            range_min=0,
            range_max=6,
            direction=HIGHER_IS_WORSE,
            unit="points",
            scoring_rule="2 items scored 0 (not at all) – 3 (nearly every day); score = sum (0–6); cut-off 3.",
            missing_rule="Both items must be answered.",
            max_missing=0,
            scoring_sources=(),
            scoring_verified=True,
            citations=(KROENKE_2003,),
            scoring_note="Not in the catalogue or REFERENCE §8 (REFERENCE §10 covers only its licence); "
            "rule from the primary source cited. A screener: no MCID.",
            bands=SCREEN_BANDS,
            licence=FREE,
            scorer=_score_sum,
        ),
        Instrument(
            key="gad2",
            name="Generalized Anxiety Disorder-2 (GAD-2)",
            method="gad2_sum",
            items=_items(2, PHQ_POINTS),
            range_min=0,
            range_max=6,
            direction=HIGHER_IS_WORSE,
            unit="points",
            scoring_rule="2 items scored 0 (not at all) – 3 (nearly every day); score = sum (0–6); cut-off 3.",
            missing_rule="Both items must be answered.",
            max_missing=0,
            scoring_sources=(),
            scoring_verified=True,
            citations=(KROENKE_2007,),
            scoring_note="Not in the catalogue or REFERENCE §8 (REFERENCE §10 covers only its licence); "
            "rule from the primary source cited. A screener: no MCID.",
            bands=SCREEN_BANDS,
            licence=FREE,
            scorer=_score_sum,
        ),
        _from_catalogue(
            "stress_nrs",
            method="single_item",
            items=(Item("stress", tuple(ZERO_TO_TEN)),),
            unit="points",
            scoring_rule=single,
            missing_rule=none_missing,
            max_missing=0,
            scoring_sources=(),
            scoring_verified=False,
            scoring_note=OWN_ITEM_NOTE + " The catalogue lists a 0–10 stress rating as unverified.",
            licence=OWN,
            scorer=_score_sum,
        ),
        _own_item("sleep_nrs", "Sleep quality rating (0–10)", "sleep"),
        _own_item("mood_nrs", "Mood rating (0–10)", "mood"),
    )


def _own_item(key: str, name: str, item: str) -> Instrument:
    # Written so that 10 is the good end (slept very well, very good mood): higher is better.
    return Instrument(
        key=key,
        name=name,
        method="single_item",
        items=(Item(item, tuple(ZERO_TO_TEN)),),
        range_min=0,
        range_max=10,
        direction=HIGHER_IS_BETTER,
        unit="points",
        scoring_rule="One item: the value as entered.",
        missing_rule="The item must be answered.",
        max_missing=0,
        scoring_sources=(),
        scoring_verified=False,
        scoring_note=OWN_ITEM_NOTE,
        licence=OWN,
        scorer=_score_sum,
    )


@cache
def instruments() -> Mapping[str, Instrument]:
    """Every instrument Kneadwell can score, by key (built once from the catalogue)."""
    return MappingProxyType({inst.key: inst for inst in _definitions()})


def instrument(key: str) -> Instrument:
    """The instrument with this key; :class:`UnknownInstrumentError` names the known keys otherwise."""
    try:
        return instruments()[key]
    except KeyError:
        known = ", ".join(instruments())
        raise UnknownInstrumentError(f"unknown instrument {key!r} (known: {known})") from None


def score(key: str, answers: Answers, *, max_missing: int | None = None) -> Score:
    """Shortcut for ``instrument(key).score(answers)``."""
    return instrument(key).score(answers, max_missing=max_missing)
