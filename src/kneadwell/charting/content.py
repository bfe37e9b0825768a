"""A session note's content as typed input, and its validation. The checks name the field at fault.

Every interface (the tablet editor, the REST API) builds a :class:`NoteContent` and the note
services validate it the same way: regions and sides from the catalogue, techniques from the
catalogue, pressure on the verbal scale (REFERENCE §6.3), NPRS 0–10 (REFERENCE §1.4), minutes that
fit in the appointment, billing codes among the timed codes (REFERENCE §3.1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kneadwell.knowledge import catalogue
from kneadwell.knowledge.vocabulary import FEEDBACK_VALUES, Pressure

# REFERENCE §3.1's timed codes (kept in step with billing.units.TIMED_CODES by a test; billing sits
# above charting, so it cannot be imported here).
TIMED_CODES = ("97124", "97140", "97110", "97112", "97530")
LINE_RESPONSES = ("", "eased", "no_change", "pain_increased")
MARK_KINDS = ("trigger_point", "hypertonicity", "adhesion_scar", "tenderness", "pain", "numbness")
VIEWS = {"front": (200, 400), "back": (200, 400)}  # the body chart's viewBox per figure
TEXT_FIELDS = ("subjective", "objective", "assessment", "plan_next", "home_care", "safety_statement")
TEXT_MAX = 4000


@dataclass(frozen=True)
class WorkLineIn:
    region: str
    minutes: int
    pressure: str
    side: str = ""
    techniques: tuple[str, ...] = ()
    code: str | None = None  # None: suggested from the techniques' billing hints
    response: str = ""


@dataclass(frozen=True)
class FeedbackIn:
    region: str
    pressure: str
    feedback: str
    side: str = ""
    change: str = ""
    at: dt.datetime | None = None


@dataclass(frozen=True)
class MarkIn:
    kind: str
    region: str
    view: str
    x: int
    y: int
    side: str = ""
    note: str = ""


@dataclass(frozen=True)
class NoteContent:
    subjective: str = ""
    nprs_before: int | None = None
    objective: str = ""
    assessment: str = ""
    nprs_after: int | None = None
    plan_next: str = ""
    home_care: str = ""
    safety_statement: str = ""
    work_lines: tuple[WorkLineIn, ...] = ()
    feedback: tuple[FeedbackIn, ...] = field(default_factory=tuple)
    marks: tuple[MarkIn, ...] = ()


def suggested_code(techniques: tuple[str, ...]) -> str:
    """The CPT code the techniques' billing hints agree on, or "" (none, or hints that differ)."""
    hints = {
        t.billing_hint.code
        for key in techniques
        if (t := catalogue.techniques().get(key)) is not None and t.billing_hint is not None
    }
    return hints.pop() if len(hints) == 1 else ""


class ContentErrors(dict[str, list[str]]):
    def add(self, fld: str, message: str) -> None:
        self.setdefault(fld, []).append(message)


def _check_area(errors: ContentErrors, where: str, region: str, side: str) -> None:
    info = catalogue.regions().get(region)
    if info is None:
        errors.add(f"{where}.region", f"{region!r} is not a body region (see /catalogue/regions).")
        return
    if info.paired and side not in ("left", "right", "bilateral"):
        errors.add(f"{where}.side", f"{info.name} needs a side: left, right or bilateral.")
    if not info.paired and side:
        errors.add(f"{where}.side", f"{info.name} is a midline region: no side.")


def _check_nprs(errors: ContentErrors, name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        errors.add(name, f"NPRS is a whole number from 0 (no pain) to 10 (worst pain); got {value!r}.")


def _check_pressure(errors: ContentErrors, where: str, value: str) -> None:
    if value not in {p.value for p in Pressure}:
        errors.add(
            f"{where}.pressure", f"{value!r} is not on the pressure scale (light, medium, firm, deep)."
        )


def validate(content: NoteContent, *, appointment_minutes: int) -> ContentErrors:
    """Every problem with `content`, by field path (empty when it is fine)."""
    errors = ContentErrors()
    _check_nprs(errors, "nprs_before", content.nprs_before)
    _check_nprs(errors, "nprs_after", content.nprs_after)
    for name in TEXT_FIELDS:
        if len(getattr(content, name)) > TEXT_MAX:
            errors.add(name, f"At most {TEXT_MAX} characters.")
    techniques = catalogue.techniques()
    total = 0
    for i, line in enumerate(content.work_lines):
        where = f"work_lines[{i}]"
        _check_area(errors, where, line.region, line.side)
        if isinstance(line.minutes, bool) or not isinstance(line.minutes, int) or line.minutes < 1:
            errors.add(f"{where}.minutes", "Minutes are a whole number of at least 1.")
        else:
            total += line.minutes
            if total > appointment_minutes:
                errors.add(
                    f"{where}.minutes",
                    f"The work lines add up to {total} minutes; the appointment is {appointment_minutes} minutes.",
                )
        for j, key in enumerate(line.techniques):
            if key not in techniques:
                errors.add(f"{where}.techniques[{j}]", f"{key!r} is not a technique in the catalogue.")
        if len(set(line.techniques)) != len(line.techniques):
            errors.add(f"{where}.techniques", "A technique is listed twice.")
        _check_pressure(errors, where, line.pressure)
        if line.code not in (None, "", *TIMED_CODES):
            errors.add(
                f"{where}.code", f"{line.code!r} is not a timed code (use {', '.join(TIMED_CODES)} or none)."
            )
        if line.response not in LINE_RESPONSES:
            errors.add(
                f"{where}.response", f"{line.response!r} is not one of eased, no_change, pain_increased."
            )
    for i, fb in enumerate(content.feedback):
        where = f"feedback[{i}]"
        _check_area(errors, where, fb.region, fb.side)
        _check_pressure(errors, where, fb.pressure)
        if fb.feedback not in FEEDBACK_VALUES:
            errors.add(f"{where}.feedback", f"{fb.feedback!r} is not one of too_light, ok, too_deep.")
        if len(fb.change) > 300:
            errors.add(f"{where}.change", "At most 300 characters.")
    for i, mark in enumerate(content.marks):
        where = f"marks[{i}]"
        if mark.kind not in MARK_KINDS:
            errors.add(f"{where}.kind", f"{mark.kind!r} is not a body-chart mark ({', '.join(MARK_KINDS)}).")
        _check_area(errors, where, mark.region, mark.side)
        size = VIEWS.get(mark.view)
        if size is None:
            errors.add(f"{where}.view", "The figure is front or back.")
        else:
            if not 0 <= mark.x <= size[0]:
                errors.add(f"{where}.x", f"x is from 0 to {size[0]} on the figure.")
            if not 0 <= mark.y <= size[1]:
                errors.add(f"{where}.y", f"y is from 0 to {size[1]} on the figure.")
        if len(mark.note) > 200:
            errors.add(f"{where}.note", "At most 200 characters.")
    return errors
