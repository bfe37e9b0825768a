"""The health questions of the intake: what each asks (in staff and patient words), and which matter
for a patient's conditions and areas. Pure Python."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kneadwell.knowledge import catalogue
from kneadwell.knowledge.schemas import AreaIn


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
