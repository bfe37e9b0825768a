"""Issue 7's tailoring corrections: stage and chronicity, anatomy by code, light lymphatic drainage, no
empty segments, held visits, pregnancy and oncology adaptations. Screening runs for real here."""

from __future__ import annotations

from datetime import date, timedelta

from kneadwell.intake.screening import (
    ClearanceGrant,
    Diagnosis,
    HealthAnswers,
    InflamedArea,
    ScreeningInput,
    screen,
)
from kneadwell.knowledge.vocabulary import Area, Pressure
from kneadwell.planning.tailoring import Colleague, SessionPlan, plan_session
from tests.planning.builders import request

ON = date(2026, 3, 16)
ALL = frozenset(
    {
        "swedish",
        "deep_tissue",
        "myofascial_release",
        "trigger_point",
        "cross_fiber_friction",
        "passive_stretching",
        "resistive_stretching",
        "lymphatic_drainage",
    }
)
RIGHT_SHOULDER = Area("shoulder", "right")
RIGHT_ANKLE = Area("ankle_foot", "right")


def ago(days: int) -> date:
    return ON - timedelta(days=days)


def plan(
    *diagnoses: Diagnosis,
    areas: tuple[Area, ...] = (),
    trainings: frozenset[str] = ALL,
    preference: Pressure = Pressure.DEEP,
    colleagues: tuple[Colleague, ...] = (),
    family: str = "therapeutic",
    **answers: object,
) -> SessionPlan:
    inp = ScreeningInput(
        on=ON,
        birth_date=None,
        diagnoses=diagnoses,
        areas=areas,
        answers=HealthAnswers(**answers),  # type: ignore[arg-type]
    )
    return plan_session(
        request(
            service_family=family,
            diagnoses=inp.diagnoses,
            areas=inp.areas,
            screening=screen(inp),
            therapist_trainings=trainings,
            pressure_preference=preference,
            colleagues=colleagues,
        )
    )


def at(result: SessionPlan, region: str):  # type: ignore[no-untyped-def]
    return next(s for s in result.segments if s.region == region)


def texts(result: SessionPlan) -> str:
    return " ".join(r.text for r in result.rationale)


# --- Frozen shoulder by stage (Kelley 2013) --------------------------------------------------------


def frozen(onset_days: int | None) -> Diagnosis:
    return Diagnosis(
        "frozen_shoulder",
        side="right",
        onset=ago(onset_days) if onset_days else None,
        areas=(RIGHT_SHOULDER,),
    )


def test_freezing_stage_frozen_shoulder_stretches_gently_with_no_resistive_stretching_or_deep_pressure():
    result = plan(frozen(150), areas=(RIGHT_SHOULDER,))  # 5 months: the freezing stage
    shoulder = at(result, "shoulder")
    assert "passive_stretching" in shoulder.techniques
    assert "resistive_stretching" not in shoulder.techniques
    assert "deep_tissue" not in shoulder.techniques
    assert shoulder.pressure_max == Pressure.MEDIUM
    assert "Freezing stage" in texts(result)


def test_later_stages_allow_progressive_stretching():
    result = plan(frozen(330), areas=(RIGHT_SHOULDER,))  # 11 months: frozen
    shoulder = at(result, "shoulder")
    assert "resistive_stretching" in shoulder.techniques
    assert shoulder.pressure_max is None


def test_an_unknown_onset_is_planned_as_the_painful_stage():
    shoulder = at(plan(frozen(None), areas=(RIGHT_SHOULDER,)), "shoulder")
    assert "resistive_stretching" not in shoulder.techniques


# --- Whiplash by chronicity ------------------------------------------------------------------------


def test_acute_whiplash_is_gentle_with_no_deep_pressure_and_chronic_is_not():
    acute = plan(Diagnosis("whiplash", onset=ago(10)), areas=(Area("neck"),))
    neck = at(acute, "neck")
    assert neck.pressure_max == Pressure.MEDIUM
    assert "deep_tissue" not in neck.techniques
    chronic = plan(Diagnosis("whiplash", onset=ago(400)), areas=(Area("neck"),))
    assert at(chronic, "neck").pressure_max is None


# --- Lymphatic drainage: always light; swelling after 72 hours ---------------------------------------


def test_swelling_after_72_hours_plans_only_light_lymphatic_drainage_at_the_injury():
    sprain = Diagnosis("strain_sprain", onset=ago(6), areas=(RIGHT_ANKLE,))
    result = plan(
        sprain,
        areas=(RIGHT_ANKLE,),
        inflamed_regions=(InflamedArea(RIGHT_ANKLE, frozenset({"swelling"})),),
    )
    ankle = at(result, "ankle_foot")
    assert ankle.techniques == ("lymphatic_drainage",)
    assert ankle.pressure_max == Pressure.LIGHT
    assert any("proximal to the injury" in n for n in ankle.notes)
    assert "lymphatic_proximal" in result.instructions


def test_lymphatic_drainage_is_always_light_even_beside_other_work():
    sprain = Diagnosis("strain_sprain", onset=ago(30), areas=(RIGHT_ANKLE,))
    ankle = at(plan(sprain, areas=(RIGHT_ANKLE,)), "ankle_foot")
    assert "lymphatic_drainage" in ankle.techniques
    assert any(n.startswith("Lymphatic drainage: light pressure") for n in ankle.notes)


# --- Tendinopathy: not cross-fibre friction alone (Loew 2014) --------------------------------------


def test_tendinopathy_uses_the_articles_techniques_not_friction_alone():
    tendon = Diagnosis("tendinopathy", areas=(Area("forearm", "right"),))
    forearm = at(plan(tendon, areas=(Area("forearm", "right"),)), "forearm")
    assert {"myofascial_release", "trigger_point"} <= set(forearm.techniques)
    only_friction = plan(
        tendon,
        areas=(Area("forearm", "right"),),
        trainings=frozenset({"swedish", "cross_fiber_friction"}),
    )
    # Swedish stays; friction never stands alone.
    assert at(only_friction, "forearm").techniques != ("cross_fiber_friction",)
    alone = plan(
        tendon,
        areas=(Area("forearm", "right"),),
        trainings=frozenset({"cross_fiber_friction"}),
        colleagues=(Colleague("Theo Tanaka", frozenset({"myofascial_release"})),),
    )
    assert all(s.region != "forearm" for s in alone.segments)
    assert any("Theo Tanaka" in r for r in alone.reasons)


# --- Anatomy by code --------------------------------------------------------------------------------


def test_carpal_tunnel_works_the_arm_neck_and_shoulder_with_no_sustained_pressure_over_the_tunnel():
    ct = Diagnosis("repetitive_strain", icd10="G56.01", side="right")
    result = plan(ct, preference=Pressure.FIRM)
    regions = {s.region for s in result.segments}
    assert "wrist_hand" in regions
    assert regions - {"wrist_hand"} <= {"forearm", "upper_arm", "shoulder", "neck"}
    assert not {"low_back", "hip_gluteal", "calf"} & regions
    wrist = at(result, "wrist_hand")
    assert not {"trigger_point", "myofascial_release"} & set(wrist.techniques)


def test_cervical_radiculopathy_works_the_neck_shoulder_girdle_and_arm_never_the_thighs():
    cervical = Diagnosis("radiating_pain", icd10="M54.12", side="right")
    regions = {s.region for s in plan(cervical).segments}
    assert "neck" in regions
    assert "thigh" not in regions
    assert "low_back" not in regions
    lumbar = Diagnosis("radiating_pain", icd10="M54.16")
    assert "neck" not in {s.region for s in plan(lumbar).segments}


# --- A held visit, and never a segment without a technique ------------------------------------------


def test_a_held_visit_gets_no_plan_and_says_what_unblocks_it():
    result = plan(Diagnosis("low_back_pain"), areas=(Area("low_back"),), suspected_dvt=True)
    assert result.blocked
    assert result.segments == ()
    assert result.unblock == ("The referrer's clearance for massage with the blood clot on file.",)


def test_relaxation_is_held_the_same_way():
    result = plan(family="relaxation", pregnancy="high_risk")
    assert result.blocked


def test_an_untrained_relaxation_therapist_gets_no_empty_segments():
    result = plan(family="relaxation", trainings=frozenset({"passive_stretching"}))
    assert result.blocked
    assert result.segments == ()


# --- Pregnancy and oncology --------------------------------------------------------------------------


def test_later_pregnancy_positions_side_lying_and_keeps_the_legs_light():
    result = plan(family="relaxation", preference=Pressure.FIRM, pregnancy="low_risk", pregnancy_weeks=24)
    assert "side_lying" in result.instructions
    for seg in result.segments:
        if seg.region in ("thigh", "calf", "ankle_foot", "hip_gluteal"):
            assert seg.pressure_max == Pressure.LIGHT, seg.region
        else:
            assert seg.pressure_max is None, seg.region


def test_lymph_node_removal_keeps_that_arms_quadrant_light():
    result = plan(
        family="relaxation",
        preference=Pressure.FIRM,
        cancer=True,
        cancer_active_treatment=False,
        lymph_node_regions=(Area("upper_arm", "left"),),
    )
    assert result.pressure == (Pressure.MEDIUM, Pressure.FIRM)  # no cap for the whole visit
    for seg in result.segments:
        light = seg.region in ("shoulder", "forearm", "upper_back") and seg.side in (
            "left",
            "bilateral",
            None,
        )
        if light:
            assert seg.pressure_max == Pressure.LIGHT, seg


def test_a_cleared_referral_out_plans_the_session():
    inp = ScreeningInput(
        on=ON,
        birth_date=None,
        diagnoses=(Diagnosis("migraine"),),
        areas=(Area("neck"),),
        answers=HealthAnswers(headache_onset_after_50=True),
        clearances=(ClearanceGrant(scope="flag", area=None, granted=ago(1), flag="snoop_onset_after_50"),),
    )
    result = plan_session(
        request(diagnoses=inp.diagnoses, areas=inp.areas, screening=screen(inp), therapist_trainings=ALL)
    )
    assert not result.blocked
    assert result.segments
