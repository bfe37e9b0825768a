"""Reading the intake forms (the front desk's call script and the patient's online form).

The clinical checks are the pydantic models in `intake.schemas`; this module only turns posted
fields into those models and their `ValidationError`s into messages next to the form field, and
keeps every typed value so a failed submit loses nothing. It also decides which health questions
matter for the answers so far (REFERENCE §1.3): headache red flags only with a headache, cauda
equina only with back or radiating pain, and so on, read from the catalogue's flags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from kneadwell.knowledge import catalogue
from kneadwell.patients.models import Lighting, Music, Pressure, TherapistGenderPreference

from .schemas import AreaIn, DiagnosisIn, HealthAnswersIn, RecentSurgeryIn

Errors = dict[str, list[str]]


class FormData(Protocol):
    """A QueryDict, or anything that answers `get` and `getlist` like one."""

    def get(self, key: str, default: Any = ...) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


# --- Areas ---------------------------------------------------------------------------------------

SIDES = ("right", "left")
SIDE_WORDS = {"left": "left", "right": "right", "bilateral": "both sides"}


@dataclass(frozen=True)
class AreaChoice:
    token: str  # "shoulder:right" or "neck": the posted value
    region: str
    side: str | None
    label: str  # "Shoulder (right)"
    patient_label: str  # "Right shoulder"
    view: str  # front | back (body map)


def area_token(region: str, side: str | None) -> str:
    return f"{region}:{side}" if side else region


def area_label(region: str, side: str | None, *, patient: bool = False) -> str:
    entry = catalogue.regions().get(region)
    if entry is None:
        return region
    if patient:
        name = entry.patient_name
        if side == "bilateral":
            return f"{name} (both sides)"
        return f"{side.capitalize()} {name.lower()}" if side else name
    return f"{entry.name} ({SIDE_WORDS.get(side, side)})" if side else entry.name


def area_choices() -> list[AreaChoice]:
    """Every region of the catalogue, paired ones as right and left, in catalogue order."""
    out: list[AreaChoice] = []
    for key, region in catalogue.regions().items():
        view = region.svg_area.split(":", 1)[0] or "front"
        for side in SIDES if region.paired else (None,):
            out.append(
                AreaChoice(
                    token=area_token(key, side),
                    region=key,
                    side=side,
                    label=area_label(key, side),
                    patient_label=area_label(key, side, patient=True),
                    view=view,
                )
            )
    return out


def area_select_choices() -> list[tuple[str, str]]:
    """Region + side options for a select, bilateral included for paired regions."""
    out: list[tuple[str, str]] = []
    for key, region in catalogue.regions().items():
        for side in (*SIDES, "bilateral") if region.paired else (None,):
            out.append((area_token(key, side), area_label(key, side)))
    return out


def parse_area(token: str) -> AreaIn:
    """`shoulder:right` → AreaIn; raises ValidationError (unknown region, missing side)."""
    region, _, side = token.strip().partition(":")
    return AreaIn(region=region, side=side or None)  # type: ignore[arg-type]


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


# --- Conditions -------------------------------------------------------------------------------------


def condition_choices(*, patient: bool = False) -> list[tuple[str, str]]:
    """(key, name) for a select: the patient-friendly name, with the clinical name for staff."""
    out = []
    for key, c in catalogue.conditions().items():
        label = c.patient_name if patient or c.patient_name == c.name else f"{c.patient_name} — {c.name}"
        out.append((key, label))
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
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(field_name, []).append("Enter a date as YYYY-MM-DD.")
        return None


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
        return DiagnosisIn(condition=condition, icd10=icd10 or None, side=side, onset=onset)  # type: ignore[arg-type]
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


# --- Health questions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    id: str
    staff: str
    patient: str
    flags: tuple[str, ...] = ()  # relevant when a chosen condition lists one of these catalogue flags
    regions: tuple[str, ...] = ()  # ... or when one of these regions is marked
    always: bool = False


QUESTIONS: tuple[Question, ...] = (
    Question(
        "fever",
        "Fever or an infection right now?",
        "Do you have a fever, or feel ill with an infection, right now?",
        always=True,
    ),
    Question(
        "suspected_dvt",
        "Known or suspected blood clot (DVT)?",
        "Has a doctor told you that you have, or may have, a blood clot (for example in a leg)?",
        always=True,
    ),
    Question(
        "anticoagulants", "Takes blood thinners (anticoagulants)?", "Do you take blood thinners?", always=True
    ),
    Question(
        "bleeding_disorder",
        "Bleeding disorder or low platelets?",
        "Do you bruise or bleed very easily, or have a bleeding disorder?",
        always=True,
    ),
    Question(
        "osteoporosis",
        "Osteoporosis (weak bones)?",
        "Have you been told you have thin or weak bones (osteoporosis)?",
        always=True,
    ),
    Question(
        "cancer", "Cancer, current or past?", "Do you have cancer now, or have you had it?", always=True
    ),
    Question(
        "thunderclap_headache",
        "Sudden severe (thunderclap) headache, peak within a minute?",
        "Have you had a sudden, very bad headache that reached its worst within a minute?",
        flags=("snoop_thunderclap",),
    ),
    Question(
        "headache_onset_after_50",
        "Headaches began after age 50?",
        "Did these headaches first start after you turned 50?",
        flags=("snoop_onset_after_50",),
    ),
    Question(
        "systemic_symptoms",
        "Systemic signs with the headaches (fever, weight loss, cancer, weak immune system, pregnancy)?",
        "Along with the headaches, have you had a fever, lost weight without trying, or have a weak immune system?",
        flags=("snoop_systemic",),
    ),
    Question(
        "neuro_deficit",
        "New neurological signs (weakness, numbness, speech, vision, confusion)?",
        "Any new weakness, numbness, trouble speaking or seeing, or confusion?",
        flags=("snoop_neurologic", "wad_grade_3_4"),
    ),
    Question(
        "cervical_arterial_signs",
        "Dizziness, double vision, slurred speech, trouble swallowing or drop attacks with neck movement?",
        "When you move your neck, do you get dizzy, see double, slur words, have trouble swallowing or suddenly fall?",
        flags=("cervical_arterial_dysfunction",),
        regions=("neck",),
    ),
    Question(
        "whiplash_high_risk",
        "High-risk injury (age 65+, dangerous mechanism, tingling in limbs, cannot rotate neck 45°)?",
        "Are you 65 or older, was it a fall from height or a fast or rollover crash, do your arms or legs "
        "tingle, or can you not turn your head halfway to each side?",
        flags=("canadian_c_spine_high_risk",),
    ),
    Question(
        "cauda_equina_signs",
        "Saddle numbness, new bladder or bowel trouble, or pain down both legs?",
        "Any numbness between your legs, new trouble holding or passing urine or stool, or pain down both legs?",
        flags=("cauda_equina",),
        regions=("low_back",),
    ),
    Question(
        "progressive_weakness",
        "Weakness in a limb that is getting worse?",
        "Is weakness in an arm or leg getting worse?",
        flags=("progressive_motor_deficit", "cauda_equina"),
    ),
)
QUESTION_IDS = tuple(q.id for q in QUESTIONS)

# Per-area questions: posted as `<name>=<area token>` for each marked area.
AREA_SIGNS = (("swelling", "Swollen"), ("heat", "Warm"), ("redness", "Red"))
AREA_PROBLEMS = (("wound", "Open wound or skin infection"), ("fracture", "Broken bone"))

PREGNANCY_CHOICES = (
    ("no", "No", "No"),
    ("low_risk", "Yes, low risk", "Yes, and my doctor has no concerns"),
    ("high_risk", "Yes, high risk", "Yes, and my doctor calls it high-risk"),
)


def relevant_questions(conditions: Iterable[str], areas: Iterable[AreaIn]) -> list[Question]:
    """The health questions that matter for these conditions and areas (REFERENCE §1.3)."""
    cat = catalogue.conditions()
    flags = {f.id for key in conditions if key in cat for f in (*cat[key].red_flags, *cat[key].precautions)}
    regions = {a.region for a in areas}
    return [q for q in QUESTIONS if q.always or flags & set(q.flags) or regions & set(q.regions)]


def questions_key(questions: Sequence[Question], areas: Sequence[AreaIn]) -> str:
    """Identifies the set of questions on screen, so a live update re-renders them only when it changes."""
    return ",".join([q.id for q in questions] + [area_token(a.region, a.side) for a in areas])


# --- Preferences -------------------------------------------------------------------------------------

PREFERENCE_CHOICES = {
    "pressure": Pressure.choices,
    "lighting": Lighting.choices,
    "music": Music.choices,
    "therapist_gender": TherapistGenderPreference.choices,
}


def read_preferences(data: FormData, errors: Errors) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, choices in PREFERENCE_CHOICES.items():
        if name not in data:  # type: ignore[operator]
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


# --- The whole intake -----------------------------------------------------------------------------


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


def read_answers(
    data: FormData, areas: Sequence[AreaIn], relevant: Sequence[Question], errors: Errors
) -> tuple[HealthAnswersIn, dict[str, list[str]]]:
    """The health answers. Questions not on screen count as "no", so a hidden answer never counts."""
    shown = {q.id for q in relevant}
    flags = {qid: bool(data.get(qid)) for qid in QUESTION_IDS if qid in shown}
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
                surgeries.append(RecentSurgeryIn(date=surgery_date, region=region, side=side or None))  # type: ignore[arg-type]
            except ValidationError as exc:
                errors.setdefault("surgery_date" if "future" in str(exc) else "surgery_area", []).extend(
                    _message(exc)
                )
    pregnancy = data.get("pregnancy") or "no"
    try:
        answers = HealthAnswersIn(
            **flags,
            pregnancy=pregnancy,  # type: ignore[arg-type]  # checked by pydantic
            inflamed_regions=inflamed,  # type: ignore[arg-type]
            open_wound_regions=tuple(marked[t] for t in checked["wound"]),
            fracture_regions=tuple(marked[t] for t in checked["fracture"]),
            recent_surgery=tuple(surgeries),
        )
    except ValidationError as exc:
        for key, messages in pydantic_errors(exc, {"pregnancy": "pregnancy"}).items():
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
    relevant = relevant_questions([*out.conditions, *extra_conditions], out.areas)
    out.answers, out.checked = read_answers(data, out.areas, relevant, errors)
    out.preferences = read_preferences(data, errors)
    return out
