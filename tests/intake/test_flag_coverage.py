"""No flag without a question and a rule (issue 7, item 1).

Every catalogue flag must be asked (a question in `intake/questions.py`, or read from the diagnosis,
the onset or an area field) and fired by a registered rule: FIRES holds, for each flag, an intake that
makes screening report it. A flag added to the catalogue without both fails here.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kneadwell.intake.questions import FLAGS_FROM_OTHER_FIELDS, FLAGS_FROM_THE_DIAGNOSIS, QUESTIONS
from kneadwell.intake.screening import Diagnosis, ScreeningInput, rules, screen
from kneadwell.knowledge import catalogue as cat

from .builders import LOW_BACK, ON, RIGHT_KNEE, RIGHT_WRIST, Area, inflamed, make, surgery


def _ago(days: int) -> date:
    return ON - timedelta(days=days)


ANKLE = Area("ankle_foot", "right")
SHOULDER = Area("shoulder", "right")

FIRES: dict[str, ScreeningInput] = {
    "dvt_clot": make(suspected_dvt=True),
    "suspected_dvt": make(clot_signs=True),
    "bleeding_anticoagulant": make(anticoagulants=True),
    "fever_infection": make(fever=True),
    "open_wound_skin": make(open_wound_regions=(RIGHT_KNEE,)),
    "fracture_bone_weakness": make(fracture_regions=(RIGHT_WRIST,)),
    "cancer_tumour": make(cancer=True, cancer_active_treatment=True),
    "pregnancy": make(pregnancy="low_risk", pregnancy_weeks=20),
    "pregnancy_high_risk": make(pregnancy="high_risk"),
    "pregnancy_warning_signs": make(pregnancy="low_risk", pregnancy_warning_signs=True),
    "recent_surgery": make(recent_surgery=(surgery(RIGHT_KNEE),)),
    "acute_inflammation": make(areas=[RIGHT_WRIST], inflamed_regions=(inflamed(RIGHT_WRIST, "heat"),)),
    "unexplained_pain": make(unexplained_pain=True),
    "consult_and_adapt": make(touch_history=True),
    "snoop_systemic": make(conditions=["migraine"], pregnancy="low_risk"),
    "snoop_neurologic": make(conditions=["migraine"], neuro_deficit=True),
    "snoop_onset_after_50": make(conditions=["migraine"], headache_onset_after_50=True),
    "snoop_thunderclap": make(conditions=["migraine"], thunderclap_headache=True),
    "ottawa_sah": make(conditions=["migraine"], headache_peak_within_hour=True),
    "snoop_papilledema": make(conditions=["migraine"], papilledema=True),
    "snoop_positional": make(conditions=["migraine"], headache_positional=True),
    "snoop_valsalva": make(conditions=["migraine"], headache_valsalva=True),
    "snoop_pattern_change": make(conditions=["migraine"], headache_pattern_change=True),
    "headache_fever_meningitis": make(conditions=["migraine"], fever=True),
    "headache_new_cognitive_change_elderly": make(
        conditions=["migraine"], birth_date=date(1950, 1, 1), headache_cognitive_change=True
    ),
    "sinus_fever_infection": make(conditions=["sinus_headache"], fever=True),
    "cervical_arterial_dysfunction": make(conditions=["whiplash"], cervical_arterial_signs=True),
    "canadian_c_spine_high_risk": make(
        diagnoses=[Diagnosis("whiplash", onset=_ago(3))], limb_paresthesia=True
    ),
    "neck_rotation_below_45": make(
        diagnoses=[Diagnosis("whiplash", onset=_ago(3))], neck_rotation_limited=True
    ),
    "nexus_midline_tenderness": make(conditions=["whiplash"], neck_midline_tenderness=True),
    "neck_injury_unassessed": make(conditions=["whiplash"], neck_injury_unassessed=True),
    "wad_grade_3_4": make(conditions=["whiplash"], neuro_deficit=True),
    "wad_nerve_root": make(diagnoses=[Diagnosis("whiplash", icd10="S14.2XXA")]),
    "acute_inflammatory_phase": make(diagnoses=[Diagnosis("strain_sprain", onset=_ago(1), areas=(ANKLE,))]),
    "rule_out_fracture": make(diagnoses=[Diagnosis("strain_sprain", areas=(ANKLE,))], ottawa_ankle=True),
    "cauda_equina": make(areas=[LOW_BACK], cauda_equina_signs=True),
    "progressive_motor_deficit": make(progressive_weakness=True),
    "irritated_nerve_trunk": make(conditions=["radiating_pain"]),
    "scar_closure_clearance": make(diagnoses=[Diagnosis("post_surgical_scar", areas=(RIGHT_KNEE,))]),
    "recent_steroid_injection": make(conditions=["tendinopathy"], steroid_injection_date=_ago(7)),
    "suspected_tendon_rupture": make(conditions=["tendinopathy"], tendon_rupture_signs=True),
    "jaw_trauma": make(conditions=["tmj_disorder"], jaw_trauma=True),
    "acute_closed_lock": make(conditions=["tmj_disorder"], jaw_locked=True),
    "intraoral_scope": make(conditions=["tmj_disorder"]),
    "shoulder_rule_out_before_stretching": make(
        diagnoses=[Diagnosis("frozen_shoulder", areas=(SHOULDER,))], shoulder_not_examined=True
    ),
}


def test_every_catalogue_flag_has_a_firing_intake():
    assert set(cat.flags()) - FIRES.keys() == set(), "catalogue flags that no test fires"
    assert FIRES.keys() - set(cat.flags()) == set()


@pytest.mark.parametrize("flag_id", sorted(FIRES))
def test_a_registered_rule_fires_the_flag(flag_id):
    declared = {f for r in rules() for f in r.flags}
    assert flag_id in declared, f"no rule declares {flag_id}"
    assert flag_id in {f.code for f in screen(FIRES[flag_id]).findings}, f"{flag_id} does not fire"


def test_every_flag_is_asked_or_read_from_the_diagnosis():
    asked = (
        {f for q in QUESTIONS for f in q.flags}
        | FLAGS_FROM_THE_DIAGNOSIS.keys()
        | FLAGS_FROM_OTHER_FIELDS.keys()
    )
    assert set(cat.flags()) - asked == set(), "catalogue flags without a question"
    assert asked <= set(cat.flags())


def test_every_question_is_worded_for_staff_and_for_patients():
    for q in QUESTIONS:
        assert q.staff.strip(), q.id
        assert q.patient.strip(), q.id
        assert q.staff != q.patient or q.kind != "yes_no", q.id
        assert "_" not in q.staff + q.patient, q.id  # no keys in what people read
