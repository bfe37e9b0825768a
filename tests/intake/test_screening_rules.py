"""Every registered screening rule fires on its case and stays quiet on a near-miss (REFERENCE §1.3).

CASES must cover the registry: a new rule without a firing and a quiet case fails
`test_every_rule_has_a_firing_and_a_quiet_case`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import pytest

from kneadwell.intake.screening import Decision, Diagnosis, ScreeningInput, rules, screen
from kneadwell.knowledge import catalogue as cat

from .builders import (
    LOW_BACK,
    ON,
    RIGHT_KNEE,
    RIGHT_WRIST,
    Area,
    clearance,
    inflamed,
    make,
    surgery,
)


class Case(NamedTuple):
    fires: ScreeningInput
    decision: Decision  # the severity the rule's finding carries in the firing case
    quiet: ScreeningInput  # near-miss: the rule reports nothing above an informational proceed


REFER, DEFER, CLEAR, PREC = (
    Decision.REFER_OUT,
    Decision.DEFER,
    Decision.NEEDS_CLEARANCE,
    Decision.PROCEED_WITH_PRECAUTIONS,
)
RIGHT_ANKLE = Area("ankle_foot", "right")
RIGHT_SHOULDER = Area("shoulder", "right")
SEVENTY = date(ON.year - 70, 1, 1)


def days_ago(days: int) -> date:
    return ON - timedelta(days=days)


def whiplash(onset_days_ago: int) -> Diagnosis:
    return Diagnosis("whiplash", onset=days_ago(onset_days_ago))


def sprain(onset_days_ago: int, area: Area = RIGHT_ANKLE) -> Diagnosis:
    return Diagnosis("strain_sprain", onset=days_ago(onset_days_ago), areas=(area,))


def headache(answer: str) -> Case:
    """A headache answer refers out with a headache diagnosis; without the answer nothing fires."""
    return Case(
        make(conditions=["migraine"], **{answer: True}), Decision.REFER_OUT, make(conditions=["migraine"])
    )


CASES: dict[str, Case] = {
    "red_flag.fever": Case(make(fever=True), DEFER, make()),
    # The sinus-specific flag (defer) wins over the general headache-with-fever referral.
    "red_flag.headache_with_fever": Case(
        make(conditions=["migraine"], fever=True), REFER, make(conditions=["sinus_headache"], fever=True)
    ),
    "red_flag.sinus_headache_with_fever": Case(
        make(conditions=["sinus_headache"], fever=True), DEFER, make(conditions=["migraine"], fever=True)
    ),
    "red_flag.thunderclap_headache": headache("thunderclap_headache"),
    # Ottawa SAH Rule: a peak within an hour, not only within a minute.
    "red_flag.headache_peak_within_hour": headache("headache_peak_within_hour"),
    "red_flag.headache_pattern_change": headache("headache_pattern_change"),
    "red_flag.headache_positional": headache("headache_positional"),
    "red_flag.headache_valsalva": headache("headache_valsalva"),
    "red_flag.papilledema": headache("papilledema"),
    "red_flag.headache_cognitive_change": Case(
        make(conditions=["tension_headache"], birth_date=SEVENTY, headache_cognitive_change=True),
        REFER,
        make(conditions=["tension_headache"], birth_date=SEVENTY),
    ),
    "red_flag.headache_onset_after_50": Case(
        make(conditions=["tension_headache"], headache_onset_after_50=True),
        REFER,
        make(conditions=["tension_headache"]),
    ),
    # Systemic symptoms are a red flag only with a headache (SNOOP4).
    "red_flag.headache_systemic_signs": Case(
        make(conditions=["tension_headache"], systemic_symptoms=True),
        REFER,
        make(conditions=["low_back_pain"], systemic_symptoms=True),
    ),
    "red_flag.headache_neurologic_deficit": Case(
        make(conditions=["cluster_headache"], neuro_deficit=True),
        REFER,
        make(conditions=["low_back_pain"], neuro_deficit=True),
    ),
    "red_flag.whiplash_neurologic_signs": Case(
        make(conditions=["whiplash"], neuro_deficit=True),
        REFER,
        make(conditions=["migraine"], neuro_deficit=True),
    ),
    # Cervical arterial signs matter when the neck may be worked; a low-back-only visit does not.
    "red_flag.cervical_arterial_signs": Case(
        make(conditions=["repetitive_strain"], cervical_arterial_signs=True),
        REFER,
        make(conditions=["low_back_pain"], areas=[LOW_BACK], cervical_arterial_signs=True),
    ),
    # The C-Spine Rule is for acute trauma: a two-year-old whiplash with the same answer is quiet.
    "red_flag.whiplash_high_risk": Case(
        make(diagnoses=[whiplash(5)], neck_dangerous_mechanism=True),
        REFER,
        make(diagnoses=[whiplash(730)], neck_dangerous_mechanism=True),
    ),
    "red_flag.neck_rotation_limited": Case(
        make(diagnoses=[whiplash(5)], neck_rotation_limited=True),
        REFER,
        make(diagnoses=[whiplash(730)], neck_rotation_limited=True),
    ),
    "red_flag.neck_injury_unassessed": Case(
        make(diagnoses=[whiplash(2)], neck_injury_unassessed=True), REFER, make(diagnoses=[whiplash(90)])
    ),
    "red_flag.neck_midline_tenderness": Case(
        make(diagnoses=[whiplash(2)], neck_midline_tenderness=True), REFER, make(diagnoses=[whiplash(2)])
    ),
    "red_flag.suspected_clot": Case(make(clot_signs=True), REFER, make(anticoagulants=True)),
    "red_flag.pregnancy_warning_signs": Case(
        make(pregnancy="low_risk", pregnancy_weeks=30, pregnancy_warning_signs=True),
        REFER,
        make(pregnancy="no", pregnancy_warning_signs=True),
    ),
    "red_flag.tendon_rupture": Case(
        make(conditions=["tendinopathy"], tendon_rupture_signs=True), REFER, make(conditions=["tendinopathy"])
    ),
    "red_flag.jaw_trauma": Case(
        make(conditions=["tmj_disorder"], jaw_trauma=True), REFER, make(conditions=["tmj_disorder"])
    ),
    "red_flag.jaw_locked": Case(
        make(conditions=["tmj_disorder"], jaw_locked=True), REFER, make(conditions=["tmj_disorder"])
    ),
    "red_flag.cauda_equina": Case(
        make(conditions=["low_back_pain"], cauda_equina_signs=True), REFER, make(conditions=["low_back_pain"])
    ),
    "red_flag.progressive_weakness": Case(
        make(conditions=["radiating_pain"], progressive_weakness=True),
        REFER,
        make(conditions=["radiating_pain"]),
    ),
    # The first 72 hours after a sprain hold the injured area; on day 5 the signs decide.
    "local.acute_injury_first_72_hours": Case(make(diagnoses=[sprain(1)]), PREC, make(diagnoses=[sprain(5)])),
    "local.ottawa_fracture_rules": Case(
        make(diagnoses=[sprain(10)], ottawa_ankle=True),
        CLEAR,
        make(diagnoses=[sprain(10)], ottawa_knee=False),
    ),
    # The strain/sprain gate covers the sprained area only; elsewhere the general rule speaks.
    "local.strain_sprain_inflammation_gate": Case(
        make(
            diagnoses=[Diagnosis("strain_sprain", areas=(RIGHT_WRIST,))],
            inflamed_regions=(inflamed(RIGHT_WRIST, "swelling"),),
        ),
        PREC,
        make(
            diagnoses=[Diagnosis("strain_sprain", areas=(RIGHT_ANKLE,))],
            inflamed_regions=(inflamed(RIGHT_WRIST, "swelling"),),
        ),
    ),
    "local.acute_inflammation": Case(
        make(areas=[RIGHT_WRIST], inflamed_regions=(inflamed(RIGHT_WRIST, "heat"),)),
        PREC,
        make(areas=[RIGHT_WRIST], inflamed_regions=(inflamed(RIGHT_WRIST),)),  # no sign recorded
    ),
    "local.open_wound": Case(make(open_wound_regions=(RIGHT_KNEE,)), PREC, make(areas=[RIGHT_KNEE])),
    "local.fracture": Case(make(fracture_regions=(RIGHT_WRIST,)), CLEAR, make(areas=[RIGHT_WRIST])),
    "clearance.scar_work": Case(
        make(conditions=["post_surgical_scar"], areas=[RIGHT_KNEE]),
        CLEAR,
        make(
            conditions=["post_surgical_scar"],
            areas=[RIGHT_KNEE],
            clearances=[clearance("scar_work", RIGHT_KNEE)],
        ),
    ),
    "clearance.recent_surgery": Case(
        make(recent_surgery=(surgery(RIGHT_KNEE),)),
        CLEAR,
        make(recent_surgery=(surgery(RIGHT_KNEE),), clearances=[clearance("surgical_site", RIGHT_KNEE)]),
    ),
    "clearance.high_risk_pregnancy": Case(make(pregnancy="high_risk"), CLEAR, make(pregnancy="low_risk")),
    "clearance.known_clot": Case(make(suspected_dvt=True), CLEAR, make()),
    "clearance.unexplained_pain": Case(make(unexplained_pain=True), CLEAR, make()),
    "clearance.whiplash_nerve_root": Case(
        make(diagnoses=[Diagnosis("whiplash", icd10="S14.2XXD", onset=days_ago(60))]),
        CLEAR,
        make(diagnoses=[Diagnosis("whiplash", icd10="S13.4XXD", onset=days_ago(60))]),
    ),
    "clearance.shoulder_rule_out": Case(
        make(diagnoses=[Diagnosis("frozen_shoulder", areas=(RIGHT_SHOULDER,))], shoulder_not_examined=True),
        CLEAR,
        make(diagnoses=[Diagnosis("frozen_shoulder", areas=(RIGHT_SHOULDER,))]),
    ),
    "precaution.bleeding_anticoagulant": Case(make(anticoagulants=True), PREC, make()),
    "precaution.osteoporosis": Case(make(osteoporosis=True), PREC, make()),
    "precaution.cancer": Case(make(cancer=True), PREC, make()),
    "precaution.pregnancy": Case(make(pregnancy="low_risk"), PREC, make(pregnancy="no")),
    "precaution.intraoral_scope": Case(
        make(conditions=["tmj_disorder"]), PREC, make(conditions=["migraine"])
    ),
    "precaution.irritated_nerve_trunk": Case(
        make(conditions=["radiating_pain"]), PREC, make(conditions=["low_back_pain"])
    ),
    "precaution.consult_and_adapt": Case(make(nerve_skin_heart=True), PREC, make()),
    "precaution.recent_steroid_injection": Case(
        make(
            conditions=["tendinopathy"], areas=[Area("forearm", "right")], steroid_injection_date=days_ago(14)
        ),
        PREC,
        make(
            conditions=["tendinopathy"],
            areas=[Area("forearm", "right")],
            steroid_injection_date=days_ago(200),
        ),
    ),
}


def test_every_rule_has_a_firing_and_a_quiet_case():
    registered = {r.id for r in rules()}
    assert registered - CASES.keys() == set(), "rules without test cases"
    assert CASES.keys() - registered == set(), "test cases for rules that do not exist"


def _from(rule_id: str, inp: ScreeningInput):
    return [f for f in screen(inp).findings if f.rule == rule_id]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_with_its_decision(rule_id):
    case = CASES[rule_id]
    findings = _from(rule_id, case.fires)
    assert findings, f"{rule_id} did not fire"
    assert {f.severity for f in findings} == {case.decision}
    assert screen(case.fires).decision >= case.decision


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_is_quiet_on_the_near_miss(rule_id):
    assert [f for f in _from(rule_id, CASES[rule_id].quiet) if f.severity > Decision.PROCEED] == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_findings_carry_the_rule_flag_and_its_sources(rule_id):
    flags = cat.flags()
    rule = next(r for r in rules() if r.id == rule_id)
    for f in _from(rule_id, CASES[rule_id].fires):
        assert f.code in rule.flags
        assert f.sources == flags[f.code].sources
        assert f.verified == flags[f.code].verified
        assert set(f.sources) <= cat.sources().keys()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_messages_are_written_for_each_audience(rule_id):
    findings = _from(rule_id, CASES[rule_id].fires)
    for code in {f.code for f in findings}:
        # Staff see the catalogue's wording (on the rule's main finding; per-area ones may be short).
        flag = cat.flags()[code]
        assert any(flag.text in f.message_staff for f in findings if f.code == code)
    for f in findings:
        flag = cat.flags()[f.code]
        assert flag.text not in f.message_patient  # patients get our own plain words
        assert "[R" not in f.message_patient
        assert f.message_patient.strip()
        # No catalogue keys or rule ids in what people read.
        for text in (f.message_staff, f.message_patient):
            assert f.rule not in text
            assert "_" not in text, text


def test_unverified_flags_stay_labelled_on_their_findings():
    # irritated_nerve_trunk and intraoral_scope are (unverified) in REFERENCE.
    result = screen(make(conditions=["radiating_pain", "tmj_disorder"]))
    unverified = {f.code for f in result.findings if not f.verified}
    assert unverified == {"irritated_nerve_trunk", "intraoral_scope"}


def test_rule_list_describes_each_rule_with_its_sources():
    for r in rules():
        assert r.description
        assert "\n" not in r.description
        assert all(f in cat.flags() for f in r.flags)
        assert set(r.sources()) <= cat.sources().keys()
    # A verified rule cites at least one source; the unverified one says so instead.
    by_id = {r.id: r for r in rules()}
    assert by_id["red_flag.cauda_equina"].sources() == ("R36",)
    assert not by_id["precaution.irritated_nerve_trunk"].verified()
