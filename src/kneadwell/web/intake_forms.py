"""Reading the intake pages' form data (the first-call script and the patient's own form) into the
validated clinical schemas, with errors per field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.http import QueryDict
from pydantic import ValidationError

from kneadwell.intake.models import Intake
from kneadwell.intake.questions import AREA_PROBLEMS, AREA_SIGNS, QUESTIONS, Question, relevant_questions
from kneadwell.intake.schemas import HealthAnswersIn, RecentSurgeryIn
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.zones import FIRST_DAY, LAST_DAY, within_calendar
from kneadwell.patients.models import Lighting, Music, Pressure, TherapistGenderPreference
from kneadwell.web.presenters import area_token

Errors = dict[str, list[str]]


class FormData(Protocol):
    """A QueryDict, or anything that answers `get` and `getlist` like one."""

    def get(self, key: str, default: Any = ...) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


def parse_area(token: str) -> AreaIn:
    """`shoulder:right` → AreaIn; raises ValidationError (unknown region, missing side)."""
    region, _, side = token.strip().partition(":")
    return AreaIn(region=region, side=side or None)  # type: ignore[arg-type]  # pydantic checks the side


def _message(exc: ValidationError) -> list[str]:
    return [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()]


def read_areas(tokens: Iterable[str], field_name: str, errors: Errors) -> list[AreaIn]:
    """Areas from posted tokens, without repeats; each bad one adds a message under `field_name`."""
    out: list[AreaIn] = []
    for token in dict.fromkeys(t for t in tokens if t.strip()):
        try:
            area = parse_area(token)
        except ValidationError as exc:
            errors.setdefault(field_name, []).extend(_message(exc))
            continue
        out.append(area)
    return out


def pydantic_errors(exc: ValidationError, fields: Mapping[str, str]) -> Errors:
    """Messages by form field: the error's first `loc` item mapped through `fields` (unknown → `__all__`)."""
    out: Errors = {}
    for e in exc.errors():
        loc = str(e["loc"][0]) if e["loc"] else ""
        out.setdefault(fields.get(loc, "general"), []).append(str(e["msg"]).removeprefix("Value error, "))
    return out


def read_date(raw: str, field_name: str, errors: Errors) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(field_name, []).append("Enter a date as YYYY-MM-DD.")
        return None
    if not within_calendar(day):
        # 0001-01-01 or 9999-12-31: the services' date maths (a day later, a zone's midnight) has
        # nowhere to go past them. The field's own rules (a birth date not before 1900) come after.
        message = f"Enter a date between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."
        errors.setdefault(field_name, []).append(message)
        return None
    return day


def read_diagnosis(
    data: FormData,
    errors: Errors,
    *,
    prefix: str = "",
    onset: dt.date | None = None,
    own_onset: bool = False,
    required: bool = False,
) -> DiagnosisIn | None:
    """One diagnosis from `<prefix>condition`, `<prefix>icd10`, `<prefix>side` (and `<prefix>onset` when `own_onset`)."""
    condition = (data.get(f"{prefix}condition") or "").strip()
    icd10 = (data.get(f"{prefix}icd10") or "").strip()
    side = (data.get(f"{prefix}side") or "").strip() or None
    if own_onset:
        onset = read_date(data.get(f"{prefix}onset") or "", f"{prefix}onset", errors)
    if not condition:
        if icd10:
            errors.setdefault(f"{prefix}condition", []).append("Choose the condition this code is for.")
        elif required:
            errors.setdefault(f"{prefix}condition", []).append("Choose a condition.")
        return None
    try:
        return DiagnosisIn(condition=condition, icd10=icd10 or None, side=side, onset=onset)  # type: ignore[arg-type]  # pydantic checks the side
    except ValidationError as exc:
        mapped = pydantic_errors(
            exc,
            {
                "condition": f"{prefix}condition",
                "icd10": f"{prefix}icd10",
                "side": f"{prefix}side",
                "onset": f"{prefix}onset",
            },
        )
        for key, messages in mapped.items():
            errors.setdefault(key, []).extend(messages)
        return None


def questions_key(questions: Sequence[Question], areas: Sequence[AreaIn]) -> str:
    """Identifies the set of questions on screen, so a live update re-renders them only when it changes."""
    return ",".join([q.id for q in questions] + [area_token(a.region, a.side) for a in areas])


PREFERENCE_CHOICES = {
    "pressure": Pressure.choices,
    "lighting": Lighting.choices,
    "music": Music.choices,
    "therapist_gender": TherapistGenderPreference.choices,
}


def read_preferences(data: FormData, errors: Errors) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, choices in PREFERENCE_CHOICES.items():
        if name not in data:  # type: ignore[operator]  # QueryDict and dict both support `in`; the Protocol omits it
            continue
        value = data.get(name) or ""
        if value not in {c[0] for c in choices}:
            errors.setdefault(name, []).append("Choose one of the options.")
            continue
        out[name] = value
    if "therapist_gender" in out:
        out["therapist_gender_required"] = bool(data.get("therapist_gender_required")) and bool(
            out["therapist_gender"]
        )
    return out


@dataclass
class IntakeInput:
    """What the form holds: validated parts, messages by field, and the raw values to show again."""

    errors: Errors = field(default_factory=dict)
    area_tokens: list[str] = field(default_factory=list)
    areas: list[AreaIn] = field(default_factory=list)
    diagnosis: DiagnosisIn | None = None
    onset: dt.date | None = None
    answers: HealthAnswersIn = field(default_factory=HealthAnswersIn)
    preferences: dict[str, object] = field(default_factory=dict)
    chief_complaint: str = ""
    referral_reason: str = ""
    prior_treatments: str = ""
    goals: str = ""
    checked: dict[str, list[str]] = field(default_factory=dict)  # per-area answers, by name

    @property
    def conditions(self) -> list[str]:
        return [self.diagnosis.condition] if self.diagnosis else []

    @classmethod
    def from_intake(cls, intake: Intake) -> IntakeInput:
        """A saved intake read back as the form would hold it (for the after-call summary)."""
        return cls(
            areas=[AreaIn.model_validate(a) for a in intake.areas],
            diagnosis=DiagnosisIn.model_validate(intake.diagnoses[0]) if intake.diagnoses else None,
            answers=HealthAnswersIn.model_validate(intake.answers) if intake.answers else HealthAnswersIn(),
            onset=intake.onset,
            chief_complaint=intake.chief_complaint,
            referral_reason=intake.referral_reason,
            prior_treatments=intake.prior_treatments,
            goals=intake.goals,
        )


# Answer fields whose pydantic errors sit next to their own form field.
ANSWER_FIELDS = {
    "pregnancy": "pregnancy",
    "pregnancy_weeks": "pregnancy_weeks",
    "steroid_injection_date": "steroid_injection_date",
    "clot_regions": "clot_regions",
    "cancer_bone_regions": "cancer_bone_regions",
    "lymph_node_regions": "lymph_node_regions",
}


def _read_weeks(raw: str, errors: Errors) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errors.setdefault("pregnancy_weeks", []).append("Enter the weeks of pregnancy as a whole number.")
        return None


def _read_follow_ups(data: FormData, relevant: Sequence[Question], errors: Errors) -> dict[str, object]:
    """The answers that are not a yes/no tick: a number, a date or an area, when their question is shown."""
    out: dict[str, object] = {}
    for q in relevant:
        raw = (data.get(q.id) or "").strip()
        if q.kind == "number":
            out[q.id] = _read_weeks(raw, errors)
        elif q.kind == "date":
            out[q.id] = read_date(raw, q.id, errors)
        elif q.kind in ("area", "limb") and raw:
            region, _, side = raw.partition(":")
            out[q.id] = ({"region": region, "side": side or None},)
    if any(q.id == "cancer_active_treatment" for q in relevant):
        # Asked (cancer ticked): an unticked box is a "no", not "not asked".
        out["cancer_active_treatment"] = bool(data.get("cancer_active_treatment"))
    return out


def read_answers(
    data: FormData, areas: Sequence[AreaIn], relevant: Sequence[Question], errors: Errors
) -> tuple[HealthAnswersIn, dict[str, list[str]]]:
    """The health answers. Questions not on screen count as "no", so a hidden answer never counts."""
    flags = {
        q.id: bool(data.get(q.id))
        for q in relevant
        if q.kind == "yes_no" and q.id != "cancer_active_treatment"
    }
    marked = {area_token(a.region, a.side): a for a in areas}
    checked: dict[str, list[str]] = {}
    for name, _ in (*AREA_SIGNS, *AREA_PROBLEMS):
        checked[name] = [t for t in data.getlist(name) if t in marked]
    inflamed = []
    for token, area in marked.items():
        signs = tuple(s for s, _ in AREA_SIGNS if token in checked[s])
        if signs:
            inflamed.append({"region": area.region, "side": area.side, "signs": signs})
    surgeries = []
    surgery_date = read_date(data.get("surgery_date") or "", "surgery_date", errors)
    surgery_area = (data.get("surgery_area") or "").strip()
    if surgery_date or surgery_area:
        if not surgery_date:
            errors.setdefault("surgery_date", []).append("Give the date of the surgery.")
        elif not surgery_area:
            errors.setdefault("surgery_area", []).append("Say where the surgery was.")
        else:
            region, _, side = surgery_area.partition(":")
            try:
                surgeries.append(RecentSurgeryIn(date=surgery_date, region=region, side=side or None))  # type: ignore[arg-type]  # pydantic checks the side
            except ValidationError as exc:
                errors.setdefault("surgery_date" if "future" in str(exc) else "surgery_area", []).extend(
                    _message(exc)
                )
    pregnancy = data.get("pregnancy") or "no"
    follow_ups = _read_follow_ups(data, relevant, errors)
    raw: dict[str, object] = {
        **flags,
        **follow_ups,
        "pregnancy": pregnancy,
        "inflamed_regions": inflamed,
        "open_wound_regions": tuple(marked[t] for t in checked["wound"]),
        "fracture_regions": tuple(marked[t] for t in checked["fracture"]),
        "recent_surgery": tuple(surgeries),
    }
    try:
        answers = HealthAnswersIn.model_validate(raw)
    except ValidationError as exc:
        for key, messages in pydantic_errors(exc, ANSWER_FIELDS).items():
            errors.setdefault(key, []).extend(messages)
        answers = HealthAnswersIn()
    return answers, checked


def read_intake(
    data: FormData, *, extra_conditions: Iterable[str] = (), require_complaint: bool = True
) -> IntakeInput:
    """Read the intake fields of a posted form (shared by the call script and the online form)."""
    out = IntakeInput()
    errors = out.errors
    out.area_tokens = [t for t in data.getlist("area") if t.strip()]
    out.areas = read_areas(out.area_tokens, "areas", errors)
    out.onset = read_date(data.get("onset") or "", "onset", errors)
    if out.onset is not None:
        # The same check the service makes, so the message sits next to the field before saving.
        try:
            DiagnosisIn(condition="relaxation", onset=out.onset)
        except ValidationError as exc:
            errors.setdefault("onset", []).extend(_message(exc))
            out.onset = None
    out.diagnosis = read_diagnosis(data, errors, onset=out.onset)
    for name in ("chief_complaint", "referral_reason", "prior_treatments", "goals"):
        setattr(out, name, (data.get(name) or "").strip()[:2000])
    if require_complaint and not out.chief_complaint:
        errors.setdefault("chief_complaint", []).append("Say what should be worked on.")
    relevant = relevant_questions([*out.conditions, *extra_conditions], out.areas, data)
    out.answers, out.checked = read_answers(data, out.areas, relevant, errors)
    out.preferences = read_preferences(data, errors)
    return out


def intake_form_data(intake: Intake) -> QueryDict:
    """A saved intake as the form's own fields, so a returning patient's form starts from their last answers.

    The inverse of `read_intake`: every field it reads is filled from what was stored.
    """
    data = QueryDict(mutable=True)
    for name in ("chief_complaint", "referral_reason", "prior_treatments", "goals"):
        data[name] = getattr(intake, name) or ""
    if intake.onset:
        data["onset"] = intake.onset.isoformat()
    areas = [AreaIn.model_validate(a) for a in intake.areas]
    data.setlist("area", [area_token(a.region, a.side) for a in areas])
    if intake.diagnoses:
        first = intake.diagnoses[0]
        data["condition"] = first.get("condition") or ""
        data["icd10"] = first.get("icd10") or ""
    answers = HealthAnswersIn.model_validate(intake.answers) if intake.answers else HealthAnswersIn()
    for q in QUESTIONS:
        value = getattr(answers, q.id, None)
        if q.kind == "yes_no" and value is True:
            data[q.id] = "on"
        elif q.kind == "number" and value is not None:
            data[q.id] = str(value)
        elif q.kind == "date" and value is not None:
            data[q.id] = value.isoformat()
        elif q.kind in ("area", "limb") and value:
            data[q.id] = area_token(value[0].region, value[0].side)
    data["pregnancy"] = answers.pregnancy
    for inflamed in answers.inflamed_regions:
        for sign in inflamed.signs:
            data.appendlist(sign, area_token(inflamed.region, inflamed.side))
    for name, regions in (("wound", answers.open_wound_regions), ("fracture", answers.fracture_regions)):
        for a in regions:
            data.appendlist(name, area_token(a.region, a.side))
    if answers.recent_surgery:
        surgery = answers.recent_surgery[0]
        data["surgery_date"] = surgery.date.isoformat()
        data["surgery_area"] = area_token(surgery.region, surgery.side)
    return data
