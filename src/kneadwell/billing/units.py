"""Billable units for timed CPT codes (REFERENCE §3). Pure Python: no Django.

Two payer rules:

* **CMS 8-minute rule** (Medicare Claims Processing Manual, Pub. 100-04, Ch. 5 §20.2 [R3]): the
  minutes of *all* timed codes of the day are added up first and the total gives the number of
  units (8–22 minutes = 1, 23–37 = 2, …, +15 each); the units are then shared out: each code gets
  its full 15-minute units, and the units left over go to the codes with the most minutes left.
* **CPT midpoint rule** ("substantial portion"), which some commercial payers apply instead
  [S R3 productivitycalc]: each code on its own; a unit counts once its midpoint is passed, so one
  unit from 8 minutes, two from 23, and so on. Codes of under 8 minutes bill nothing.

    result = units([("97140", 33), ("97124", 7)])
    result.units_for("97140")  # 2
    result.steps               # the explanation, one sentence per step

The payer's rule is the caller's choice (a payer setting), never guessed here. Descriptors of CPT
codes are © AMA (REFERENCE §3.1), so codes carry the project's own short labels only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

UNIT_MINUTES = 15
# A 15-minute unit's midpoint is 7.5 minutes: "passed" from 8 whole minutes on. The CMS table
# (8–22 = 1 unit, 23–37 = 2 …) rests on the same boundary, applied to the day's total.
FIRST_UNIT_AT = 8


class BillingInputError(ValueError):
    """Input the units engine refuses; ``field`` names the offending input (``lines[2].minutes``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class UnknownCodeError(BillingInputError):
    """A code that is neither a known timed code nor declared untimed."""


class InvalidMinutesError(BillingInputError):
    """Minutes that are negative or not a whole number."""


class UnitRule(StrEnum):
    """How a payer turns minutes into units (a payer setting, REFERENCE §3.2 item 6)."""

    CMS_8_MINUTE = "cms_8_minute"
    CPT_MIDPOINT = "cpt_midpoint"


@dataclass(frozen=True, slots=True)
class TimedCode:
    code: str
    label: str  # the project's own short label, not the AMA descriptor
    massage_scope: bool  # typically within a massage therapist's work (REFERENCE §3.1 "typical use")


# REFERENCE §3.1: all five are timed, 15-minute, one-on-one codes. 97112 and 97530 are listed
# because payers and CMS's own examples use them; whether they are within a massage therapist's
# scope is a licensing question (unverified), hence `massage_scope`.
TIMED_CODES: Mapping[str, TimedCode] = MappingProxyType(
    {
        "97124": TimedCode("97124", "Massage", massage_scope=True),
        "97140": TimedCode("97140", "Manual therapy techniques", massage_scope=True),
        "97110": TimedCode("97110", "Therapeutic exercise", massage_scope=True),
        "97112": TimedCode("97112", "Neuromuscular re-education", massage_scope=False),
        "97530": TimedCode("97530", "Therapeutic activities", massage_scope=False),
    }
)


@dataclass(frozen=True, slots=True)
class Line:
    """Direct one-on-one minutes of one code on the day (REFERENCE §3.2 item 5)."""

    code: str
    minutes: int


@dataclass(frozen=True, slots=True)
class CodeUnits:
    code: str
    minutes: int  # all of the day's minutes for this code (several lines are added up)
    units: int


@dataclass(frozen=True, slots=True)
class UnitsResult:
    rule: UnitRule
    total_timed_minutes: int
    total_units: int
    codes: tuple[CodeUnits, ...]  # one per timed code, in the order first seen
    excluded: tuple[Line, ...]  # untimed lines: not counted (REFERENCE §3.2 item 1)
    steps: tuple[str, ...]  # how the units were reached, one sentence per step

    def units_for(self, code: str) -> int:
        """Units billed for ``code`` (0 when it was not performed or earned none)."""
        return next((c.units for c in self.codes if c.code == code), 0)


def units_for_minutes(minutes: int) -> int:
    """Units for a number of timed minutes: 0 under 8, then one more every 15 (8–22 = 1, 23–37 = 2 …).

    The CMS table applies this to the day's total [R3]; the midpoint rule to each code.
    """
    if minutes < FIRST_UNIT_AT:
        return 0
    return (minutes - FIRST_UNIT_AT) // UNIT_MINUTES + 1


def units(
    lines: Iterable[Line | tuple[str, int]],
    *,
    rule: UnitRule = UnitRule.CMS_8_MINUTE,
    untimed_codes: Collection[str] = (),
    codes: Mapping[str, TimedCode] = TIMED_CODES,
) -> UnitsResult:
    """Units per timed code for one patient's day, with the explanation of each step.

    ``lines``: (code, minutes) pairs or :class:`Line`; the same code may appear more than once.
    ``untimed_codes``: codes the caller knows are untimed; their lines are listed as excluded.
    Raises :class:`UnknownCodeError` or :class:`InvalidMinutesError` naming the line and field.
    """
    rule = UnitRule(rule)
    timed, excluded = _validated(lines, untimed_codes, codes)
    steps: list[str] = [f"Excluded untimed {line.code} ({line.minutes} min)." for line in excluded]
    if rule is UnitRule.CMS_8_MINUTE:
        per_code, total_units = _cms(timed, steps)
    else:
        per_code, total_units = _midpoint(timed, steps)
    steps.append(
        "Result: " + (", ".join(f"{c.code} × {c.units}" for c in per_code) or "nothing billed") + "."
    )
    return UnitsResult(
        rule=rule,
        total_timed_minutes=sum(timed.values()),
        total_units=total_units,
        codes=per_code,
        excluded=excluded,
        steps=tuple(steps),
    )


def _validated(
    lines: Iterable[Line | tuple[str, int]], untimed_codes: Collection[str], codes: Mapping[str, TimedCode]
) -> tuple[dict[str, int], tuple[Line, ...]]:
    """Minutes per timed code (insertion order = first seen) and the untimed lines."""
    timed: dict[str, int] = {}
    excluded: list[Line] = []
    for index, raw in enumerate(lines):
        where = f"lines[{index}]"
        code, minutes = (raw.code, raw.minutes) if isinstance(raw, Line) else _pair(raw, where)
        if not isinstance(code, str):
            raise UnknownCodeError(f"{where}.code", f"expected a CPT code as text, got {code!r}")
        code = code.strip()
        # bool is an int in Python; `True` minutes is a bug upstream, not 1 minute.
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise InvalidMinutesError(f"{where}.minutes", f"expected whole minutes, got {minutes!r}")
        if minutes < 0:
            raise InvalidMinutesError(f"{where}.minutes", f"minutes cannot be negative (got {minutes})")
        if code in untimed_codes:
            excluded.append(Line(code, minutes))
        elif code in codes:
            timed[code] = timed.get(code, 0) + minutes
        else:
            known = ", ".join(sorted(codes))
            raise UnknownCodeError(f"{where}.code", f"{code!r} is not a timed code here (known: {known})")
    return timed, tuple(excluded)


def _pair(raw: object, where: str) -> tuple[object, object]:
    if isinstance(raw, tuple | list) and len(raw) == 2:
        return raw[0], raw[1]
    raise BillingInputError(where, f"expected (code, minutes), got {raw!r}")


def _cms(timed: dict[str, int], steps: list[str]) -> tuple[tuple[CodeUnits, ...], int]:
    total = sum(timed.values())
    if timed:
        steps.append(
            "Timed minutes: " + " + ".join(f"{c} {m} min" for c, m in timed.items()) + f" = {total} min."
        )
    total_units = units_for_minutes(total)
    if total_units == 0:
        steps.append(
            f"{total} timed minutes in total: under {FIRST_UNIT_AT}, so no unit [CMS 8-minute rule, R3]."
        )
        return tuple(CodeUnits(c, m, 0) for c, m in timed.items()), 0
    low = FIRST_UNIT_AT + (total_units - 1) * UNIT_MINUTES
    steps.append(
        f"{total} timed minutes in total ({low}–{low + UNIT_MINUTES - 1}) → {total_units} "
        f"unit{'s' if total_units > 1 else ''} [CMS 8-minute rule, R3]."
    )
    # Rule 2: a code done for 15 minutes earns at least one unit, 30 minutes at least two.
    full = {c: m // UNIT_MINUTES for c, m in timed.items()}
    left = {c: m % UNIT_MINUTES for c, m in timed.items()}
    steps.append(
        "Full 15-minute units: "
        + ", ".join(f"{c} {full[c]} ({left[c]} min left)" for c in timed)
        + f" = {sum(full.values())}."
    )
    extra = total_units - sum(full.values())
    # Rule 3: the units left go to the codes with the most minutes left. The total was computed
    # from the same minutes, so `extra` never exceeds the number of codes with minutes left and
    # no code gets more than one extra unit. sorted() is stable: on a tie the code listed first
    # wins (CMS: "choose one").
    winners = sorted(timed, key=lambda c: -left[c])[:extra]
    if extra:
        chosen = ", ".join(f"{c} ({left[c]} min left)" for c in winners)
        steps.append(
            f"{extra} unit{'s' if extra > 1 else ''} left → the code(s) with the most minutes left: {chosen}."
        )
        passed_over = [c for c in timed if c not in winners and left[c] == left[winners[-1]]]
        if passed_over:
            steps.append(
                f"Tie at {left[winners[-1]]} min with {', '.join(passed_over)}: CMS lets either be billed; "
                "the code listed first was chosen."
            )
    per_code = tuple(CodeUnits(c, m, full[c] + (1 if c in winners else 0)) for c, m in timed.items())
    return per_code, total_units


def _midpoint(timed: dict[str, int], steps: list[str]) -> tuple[tuple[CodeUnits, ...], int]:
    per_code = tuple(CodeUnits(c, m, units_for_minutes(m)) for c, m in timed.items())
    for c in per_code:
        steps.append(
            f"{c.code}: {c.minutes} min → {c.units} unit{'' if c.units == 1 else 's'} "
            f"(each code on its own; a unit once its midpoint, {FIRST_UNIT_AT} min, is passed) "
            "[CPT midpoint rule, R3]."
        )
    return per_code, sum(c.units for c in per_code)
