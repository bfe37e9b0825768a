"""The health questions of the intake: what each asks (in staff and patient words), and which matter
for a patient's conditions, areas and answers so far. Pure Python.

Every catalogue flag is asked here, or read from the diagnosis (`FLAGS_FROM_THE_DIAGNOSIS`);
`tests/intake/test_flag_coverage.py` fails when a flag has neither a question nor a rule.

A question is shown when it is always asked (global screening), when a chosen condition lists one of
its flags (and, for `needs_regions`, one of those regions is marked), when one of its `regions` is
marked, or, for a follow-up, when the answer it `follows` is yes. An answer to a question that is not
shown counts as "no" (`web.intake_forms.read_answers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from kneadwell.knowledge import catalogue
from kneadwell.knowledge.schemas import AreaIn

# How a question is answered: a yes/no tick, a number, a date, or an area of the body.
KINDS = ("yes_no", "number", "date", "area", "limb")


class Answers(Protocol):
    """Raw answers so far: a posted form (QueryDict) or a plain dict."""

    def get(self, key: str, default: Any = ..., /) -> Any: ...


@dataclass(frozen=True)
class Question:
    id: str  # the answer's field in `HealthAnswersIn` (an area question posts a region:side token)
    staff: str  # the first-call script's wording
    patient: str  # the patient's own form's wording
    # The catalogue flags the answer feeds. For a question not asked always, it is also relevant when a
    # chosen condition lists one of them.
    flags: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()  # ... or when one of these regions is marked
    always: bool = False
    follows: str = ""  # shown only when this answer is yes (a follow-up question)
    needs_regions: tuple[str, ...] = ()  # with `flags`: only when one of these regions is marked too
    kind: str = "yes_no"


QUESTIONS: tuple[Question, ...] = (
    # --- Everyone (REFERENCE §1.3 global screening) --------------------------------------------
    Question(
        "fever",
        "Fever or an infection right now?",
        "Do you have a fever, or feel ill with an infection, right now?",
        flags=("fever_infection", "headache_fever_meningitis", "sinus_fever_infection"),
        always=True,
    ),
    Question(
        "clot_signs",
        "New swelling, pain or warmth in one calf or leg (possible clot)?",
        "Is one of your calves or legs newly swollen, painful or warm?",
        flags=("suspected_dvt",),
        always=True,
    ),
    Question(
        "suspected_dvt",
        "Known or suspected blood clot (DVT), diagnosed by a doctor?",
        "Has a doctor told you that you have, or may have, a blood clot (for example in a leg)?",
        flags=("dvt_clot",),
        always=True,
    ),
    Question(
        "clot_regions",
        "Where is (or was) the clot?",
        "Where is, or was, the clot?",
        follows="suspected_dvt",
        kind="area",
    ),
    Question(
        "anticoagulants",
        "Takes blood thinners (anticoagulants)?",
        "Do you take blood thinners?",
        flags=("bleeding_anticoagulant",),
        always=True,
    ),
    Question(
        "bleeding_disorder",
        "Bleeding disorder or low platelets?",
        "Do you bruise or bleed very easily, have a bleeding disorder, or been told your platelets are low?",
        flags=("bleeding_anticoagulant",),
        always=True,
    ),
    Question(
        "osteoporosis",
        "Osteoporosis (weak bones)?",
        "Have you been told you have thin or weak bones (osteoporosis)?",
        flags=("fracture_bone_weakness",),
        always=True,
    ),
    Question(
        "cancer",
        "Cancer, current or past?",
        "Do you have cancer now, or have you had it?",
        flags=("cancer_tumour", "snoop_systemic"),
        always=True,
    ),
    Question(
        "cancer_active_treatment",
        "In cancer treatment now (chemotherapy, radiation, surgery, other)?",
        "Are you being treated for cancer now (for example chemotherapy, radiation or surgery)?",
        follows="cancer",
    ),
    Question(
        "cancer_bone_regions",
        "Bone the cancer involves (no pressure there)?",
        "Has the cancer affected a bone? If so, where?",
        follows="cancer",
        kind="area",
    ),
    Question(
        "lymph_node_regions",
        "Lymph nodes removed: which limb's side?",
        "Have lymph nodes been removed (for example under an arm or in the groin)? On which side?",
        follows="cancer",
        kind="limb",
    ),
    Question(
        "unexplained_pain",
        "Pain with no known cause that no doctor has looked at?",
        "Do you have pain that started without a known cause, that no doctor has looked at yet?",
        flags=("unexplained_pain",),
        always=True,
    ),
    Question(
        "nerve_skin_heart",
        "Nerve damage, fragile skin or a heart problem?",
        "Do you have nerve damage (numb areas), fragile skin or a heart problem?",
        flags=("consult_and_adapt",),
        always=True,
    ),
    Question(
        "touch_history",
        "Anything that makes touch difficult (e.g. a history of abuse)?",
        "Is there anything that makes touch difficult for you, such as past physical abuse? You do not need "
        "to give details.",
        flags=("consult_and_adapt",),
        always=True,
    ),
    # Pregnancy follow-ups (the pregnancy choice itself is its own fieldset).
    Question(
        "pregnancy_weeks",
        "Weeks of pregnancy",
        "How many weeks pregnant are you?",
        flags=("pregnancy",),
        follows="pregnancy",
        kind="number",
    ),
    Question(
        "pregnancy_warning_signs",
        "Bleeding, severe headache, changes in vision or sudden swelling?",
        "During this pregnancy, have you had any bleeding, a severe headache, changes in your vision, or "
        "sudden swelling of the face, hands or feet?",
        flags=("pregnancy_warning_signs",),
        follows="pregnancy",
    ),
    # --- Headaches (SNOOP4, Ottawa SAH Rule) ---------------------------------------------------
    Question(
        "thunderclap_headache",
        "Sudden severe (thunderclap) headache, peak within a minute?",
        "Have you had a sudden, very bad headache that reached its worst within a minute?",
        flags=("snoop_thunderclap",),
    ),
    Question(
        "headache_peak_within_hour",
        "A headache that reached its worst within an hour of starting?",
        "Have you had a headache that reached its worst within an hour of starting?",
        flags=("ottawa_sah",),
    ),
    Question(
        "headache_pattern_change",
        "Headache new, the worst ever, or different from the usual ones?",
        "Is this headache new for you, the worst you have ever had, or different from your usual headaches?",
        flags=("snoop_pattern_change",),
    ),
    Question(
        "headache_positional",
        "Headache much worse lying down or standing up?",
        "Does the headache get much worse when you lie down or when you stand up?",
        flags=("snoop_positional",),
    ),
    Question(
        "headache_valsalva",
        "Headache brought on by coughing, sneezing or straining?",
        "Does coughing, sneezing or straining bring the headache on?",
        flags=("snoop_valsalva",),
    ),
    Question(
        "papilledema",
        "Papilledema (swelling at the back of the eye) found by a doctor or optician?",
        "Has a doctor or optician found swelling at the back of your eye?",
        flags=("snoop_papilledema",),
    ),
    Question(
        "headache_cognitive_change",
        "New confusion, memory or thinking problems with the headaches?",
        "Since the headaches began, have you (or people close to you) noticed new confusion, forgetfulness "
        "or trouble thinking?",
        flags=("headache_new_cognitive_change_elderly",),
    ),
    Question(
        "headache_onset_after_50",
        "Headaches began after age 50?",
        "Did these headaches first start after you turned 50?",
        flags=("snoop_onset_after_50",),
    ),
    Question(
        "systemic_symptoms",
        "Systemic signs with the headaches (fever, weight loss, weak immune system)?",
        "Along with the headaches, have you had a fever, lost weight without trying, or have a weak immune system?",
        flags=("snoop_systemic",),
    ),
    Question(
        "neuro_deficit",
        "New neurological signs (weakness, numbness, speech, vision, confusion)?",
        "Any new weakness, numbness, trouble speaking or seeing, or confusion?",
        flags=("snoop_neurologic", "wad_grade_3_4"),
    ),
    # --- Neck ----------------------------------------------------------------------------------
    Question(
        "cervical_arterial_signs",
        "Dizziness, double vision, slurred speech, trouble swallowing or drop attacks with neck movement?",
        "When you move your neck, do you get dizzy, see double, slur words, have trouble swallowing or suddenly fall?",
        flags=("cervical_arterial_dysfunction",),
        regions=("neck",),
    ),
    Question(
        "neck_injury_unassessed",
        "Neck injury not yet examined by a doctor?",
        "No doctor has examined my neck since the injury yet.",
        flags=("neck_injury_unassessed",),
    ),
    Question(
        "neck_midline_tenderness",
        "Tender over the bones in the middle of the back of the neck since the injury?",
        "Since the injury, is it painful to press on the bones in the middle of the back of your neck?",
        flags=("nexus_midline_tenderness",),
    ),
    Question(
        "neck_dangerous_mechanism",
        "Dangerous mechanism (fall from 1 m / 5 stairs, axial load, fast or rollover crash, ejection, "
        "motorised vehicle, bicycle collision)? Age 65+ is taken from the birth date.",
        "Did the injury come from a fall from a height or down stairs, a blow to the top of the head, a fast "
        "or rollover crash, or a bicycle or motorbike accident?",
        flags=("canadian_c_spine_high_risk",),
    ),
    Question(
        "limb_paresthesia",
        "Tingling or pins and needles in the arms or legs since the injury?",
        "Since the injury, have you had tingling or pins and needles in your arms or legs?",
        flags=("canadian_c_spine_high_risk",),
    ),
    Question(
        "neck_rotation_limited",
        "Cannot turn the head 45° (halfway) to each side?",
        "Can you not turn your head halfway to the left and to the right?",
        flags=("neck_rotation_below_45",),
    ),
    # --- Back and radiating pain ---------------------------------------------------------------
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
    # --- Strains and sprains: Ottawa ankle and knee rules --------------------------------------
    Question(
        "ottawa_ankle",
        "Ankle/foot injury: bone tender at the back edge or tip of either ankle bone, the base of the 5th "
        "metatarsal or the navicular, or unable to take 4 steps?",
        "Since you hurt your ankle or foot, does it hurt to press on the ankle bones or the outer or inner "
        "edge of the foot, or can you not take four steps on it?",
        flags=("rule_out_fracture",),
        needs_regions=("ankle_foot",),
    ),
    Question(
        "ottawa_knee",
        "Knee injury: age 55+, kneecap or fibular-head tenderness, cannot bend to 90°, or unable to take 4 steps?",
        "Since you hurt your knee, does it hurt to press on the kneecap or the bony bump on the outer side, "
        "can you not bend it to a right angle, or can you not take four steps on it? (Or are you 55 or older?)",
        flags=("rule_out_fracture",),
        needs_regions=("knee",),
    ),
    # --- Tendons, jaw, shoulder ----------------------------------------------------------------
    Question(
        "steroid_injection_date",
        "Steroid injection at the sore spot: date",
        "If you have had a steroid injection at the sore spot, when was it?",
        flags=("recent_steroid_injection",),
        kind="date",
    ),
    Question(
        "tendon_rupture_signs",
        "Sudden snap or pop with loss of strength (possible tendon rupture)?",
        "Did you feel a sudden snap or pop at the sore spot, and can you no longer use that muscle properly?",
        flags=("suspected_tendon_rupture",),
    ),
    Question(
        "jaw_trauma",
        "Recent blow or injury to the jaw?",
        "Have you recently had a blow or injury to your jaw?",
        flags=("jaw_trauma",),
    ),
    Question(
        "jaw_locked",
        "Jaw suddenly locked, cannot open fully?",
        "Has your jaw suddenly locked so that you cannot open your mouth fully?",
        flags=("acute_closed_lock",),
    ),
    Question(
        "shoulder_not_examined",
        "Shoulder not yet examined by a doctor (fracture, dislocation or cuff tear not ruled out)?",
        "No doctor has examined my shoulder for this problem yet.",
        flags=("shoulder_rule_out_before_stretching",),
    ),
)

QUESTION_IDS = tuple(q.id for q in QUESTIONS)
YES_NO_IDS = tuple(q.id for q in QUESTIONS if q.kind == "yes_no")

# Flags fired from the diagnosis, the onset or the areas marked rather than from a question.
FLAGS_FROM_THE_DIAGNOSIS = {
    "scar_closure_clearance": "the post-surgical scar diagnosis and its site",
    "acute_inflammatory_phase": "the injury's onset (first 72 hours) and the signs recorded at the marked areas",
    "irritated_nerve_trunk": "the radiating-pain diagnosis",
    "intraoral_scope": "the TMJ diagnosis",
    "wad_nerve_root": "a cervical nerve-root injury code (S14.2-)",
}
# Flags asked outside `QUESTIONS`: the pregnancy choice and the per-area table and surgery fields.
FLAGS_FROM_OTHER_FIELDS = {
    "pregnancy": "pregnancy",
    "pregnancy_high_risk": "pregnancy",
    "acute_inflammation": "inflamed_regions",
    "open_wound_skin": "open_wound_regions",
    "fracture_bone_weakness": "fracture_regions",
    "recent_surgery": "recent_surgery",
}


# Per-area questions: posted as `<name>=<area token>` for each marked area.
AREA_SIGNS = (("swelling", "Swollen"), ("heat", "Warm"), ("redness", "Red"))


AREA_PROBLEMS = (("wound", "Open wound or skin infection"), ("fracture", "Broken bone"))


PREGNANCY_CHOICES = (
    ("no", "No", "No"),
    ("low_risk", "Yes, low risk", "Yes, and my doctor has no concerns"),
    ("high_risk", "Yes, high risk", "Yes, and my doctor calls it high-risk"),
)


def _yes(value: object) -> bool:
    """A raw form or answer value that means "yes" (a ticked box, a pregnancy other than "no")."""
    return value not in (None, False, "", "no", (), [])


def relevant_questions(
    conditions: Iterable[str],
    areas: Iterable[AreaIn],
    answers: Answers | None = None,
) -> list[Question]:
    """The health questions that matter for these conditions, areas and answers so far (REFERENCE §1.3).

    `answers` (raw form values or an answers dict) reveals follow-ups: a question that `follows`
    another is shown once that one is answered yes and itself shown.
    """
    cat = catalogue.conditions()
    flags = {f.id for key in conditions if key in cat for f in (*cat[key].red_flags, *cat[key].precautions)}
    regions = {a.region for a in areas}
    given: Answers = answers if answers is not None else {}
    shown: list[Question] = []
    ids: set[str] = {"pregnancy"}  # the pregnancy choice is always on the form
    for q in QUESTIONS:
        if q.follows:
            visible = q.follows in ids and _yes(given.get(q.follows))
        elif q.needs_regions:
            visible = bool(flags & set(q.flags)) and bool(regions & set(q.needs_regions))
        else:
            visible = q.always or bool(flags & set(q.flags)) or bool(regions & set(q.regions))
        if visible:
            shown.append(q)
            ids.add(q.id)
    return shown
