"""The next plan learns from the last signed note and holds back work that needs a missing consent (pure)."""

import pytest

from kneadwell.knowledge.vocabulary import Area, Diagnosis
from kneadwell.planning.consents import INTRAORAL, SENSITIVE_AREAS, TREATMENT, missing_gates
from kneadwell.planning.learning import Finding, PainfulTechnique
from kneadwell.planning.tailoring import PlanRequest, PressureFeedback, plan_session
from tests.planning.builders import CLEAR

TRAINED = frozenset(
    {"swedish", "trigger_point", "myofascial_release", "deep_tissue", "passive_stretching", "intraoral_tmj"}
)


def request(**kwargs):  # type: ignore[no-untyped-def]
    base = {
        "service_family": "therapeutic",
        "hands_on_minutes": 60,
        "diagnoses": (Diagnosis("repetitive_strain"),),
        "areas": (Area("neck"),),
        "screening": CLEAR,
        "therapist_trainings": TRAINED,
    }
    return PlanRequest(**{**base, **kwargs})


def rules(plan):  # type: ignore[no-untyped-def]
    return [r.rule for r in plan.rationale]


def test_too_deep_last_time_lowers_the_pressure_and_says_so():
    before = plan_session(request())
    after = plan_session(request(last_feedback=(PressureFeedback(Area("neck"), "too_deep"),)))
    assert after.pressure[1].rank == before.pressure[1].rank - 1
    assert any("too deep at Neck" in r.text for r in after.rationale)


def test_a_finding_becomes_a_focus_with_a_plain_reason():
    plan = plan_session(request(learned_focus=(Finding(Area("shoulder", "right"), "trigger_point"),)))
    focus = [(s.region, s.side) for s in plan.segments if s.role == "focus"]
    assert ("shoulder", "right") in focus
    assert any(
        r.rule == "tailoring.learn.focus" and "trigger point at Shoulder (right)" in r.text
        for r in plan.rationale
    )


def test_a_technique_that_raised_pain_is_not_used_first():
    plain = plan_session(request())
    neck = next(s for s in plain.segments if s.region == "neck")
    first = neck.techniques[0]
    learned = plan_session(request(painful_techniques=(PainfulTechnique(Area("neck"), first),)))
    neck_after = next(s for s in learned.segments if s.region == "neck")
    assert neck_after.techniques[0] != first
    assert neck_after.techniques[-1] == first
    assert "tailoring.learn.painful" in rules(learned)


def test_intraoral_work_needs_its_consent():
    tmj = {"diagnoses": (Diagnosis("tmj_disorder", side="right"),), "areas": (Area("jaw", "right"),)}
    with_consent = plan_session(request(**tmj, consent_gates=missing_gates({TREATMENT, INTRAORAL})))
    without = plan_session(request(**tmj, consent_gates=missing_gates({TREATMENT})))
    assert "intraoral_tmj" in with_consent.techniques
    assert "intraoral_tmj" not in without.techniques
    assert any("needs the patient's intraoral consent" in r.text for r in without.rationale)


def test_sensitive_areas_need_their_consent():
    chest = {"areas": (Area("chest"),)}
    assert "chest" not in {
        s.region for s in plan_session(request(**chest, consent_gates=missing_gates(set()))).segments
    }
    assert "chest" in {
        s.region
        for s in plan_session(request(**chest, consent_gates=missing_gates({SENSITIVE_AREAS}))).segments
    }


@pytest.mark.parametrize("consents", [None])
def test_callers_that_do_not_look_consents_up_gate_nothing(consents):
    assert missing_gates(consents) == ()
