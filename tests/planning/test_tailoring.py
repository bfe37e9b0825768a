"""Scenarios for the tailoring engine (issue 3 point 6; DESIGN S10, S13–S18)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from kneadwell.intake.screening.types import Decision
from kneadwell.knowledge.catalogue import catalogue
from kneadwell.knowledge.vocabulary import Area, Pressure
from kneadwell.planning.settings import CLINIC_SETTING, TailoringSettings
from kneadwell.planning.tailoring import (
    Colleague,
    PressureFeedback,
    Segment,
    SessionPlan,
    apportion,
    plan_session,
)
from tests.planning.builders import CLEAR, dx, finding, request, screening

RIGHT_SHOULDER = Area("shoulder", "right")
RIGHT_KNEE = Area("knee", "right")
RIGHT_WRIST = Area("wrist_hand", "right")


def rules(plan: SessionPlan) -> list[str]:
    return [r.rule for r in plan.rationale]


def by_region(plan: SessionPlan) -> dict[str, Segment]:
    return {s.region: s for s in plan.segments}


# --- Frozen shoulder, stretching and loose clothing (S16, S18) ----------------------------------


def test_frozen_shoulder_with_stretching_training_plans_stretching_and_loose_clothing():
    plan = plan_session(
        request(
            diagnoses=(dx("frozen_shoulder", side="right"),),
            areas=(RIGHT_SHOULDER,),
            therapist_trainings=frozenset({"swedish", "passive_stretching"}),
        )
    )
    shoulder = by_region(plan)["shoulder"]
    assert shoulder.role == "focus"
    assert shoulder.side == "right"
    assert "passive_stretching" in shoulder.techniques
    assert "loose_clothing" in plan.instructions


def test_frozen_shoulder_without_stretching_training_needs_no_loose_clothing():
    plan = plan_session(
        request(
            diagnoses=(dx("frozen_shoulder", side="right"),),
            areas=(RIGHT_SHOULDER,),
            therapist_trainings=frozenset({"swedish"}),
        )
    )
    assert not any(t.endswith("stretching") for t in plan.techniques)
    assert "loose_clothing" not in plan.instructions


def test_frozen_shoulder_related_regions_come_from_the_catalogue():
    plan = plan_session(request(diagnoses=(dx("frozen_shoulder", side="right"),), areas=(RIGHT_SHOULDER,)))
    related = {s.region for s in plan.segments if s.role == "related"}
    assert related
    assert related <= set(catalogue().conditions["frozen_shoulder"].related_regions)


# --- Scar work and clearance (S9) ---------------------------------------------------------------


def scar_request(scr):
    return request(
        diagnoses=(dx("post_surgical_scar", RIGHT_KNEE, side="right"),),
        areas=(RIGHT_KNEE,),
        screening=scr,
        therapist_trainings=frozenset({"swedish", "scar_mobilization", "myofascial_release"}),
    )


def test_scar_without_clearance_plans_no_scar_mobilization():
    no_clearance = finding(
        "scar_closure_clearance",
        severity=Decision.NEEDS_CLEARANCE,
        area=RIGHT_KNEE,
        forbidden=frozenset({"scar_mobilization"}),
        sources=("R48",),
    )
    plan = plan_session(scar_request(screening(no_clearance)))
    assert not plan.blocked
    assert "scar_mobilization" not in plan.techniques
    assert by_region(plan)["knee"].techniques == ("myofascial_release",)
    assert [f.code for f in plan.precautions] == ["scar_closure_clearance"]
    assert any(
        "Scar tissue mobilisation (not allowed here: Scar work before the surgeon's approval)" in r.text
        for r in plan.rationale
    )


def test_scar_with_clearance_plans_scar_mobilization_at_the_scar():
    plan = plan_session(scar_request(CLEAR))
    knee = by_region(plan)["knee"]
    assert knee.role == "focus"
    assert "scar_mobilization" in knee.techniques
    assert all("scar_mobilization" not in s.techniques for s in plan.segments if s.region != "knee")


def test_scar_mobilization_is_never_planned_away_from_the_scar():
    plan = plan_session(
        request(
            diagnoses=(dx("post_surgical_scar", RIGHT_KNEE), dx("low_back_pain")),
            areas=(Area("low_back"), RIGHT_KNEE),
            therapist_trainings=frozenset({"swedish", "scar_mobilization"}),
        )
    )
    assert by_region(plan)["knee"].techniques == ("scar_mobilization",)
    assert "scar_mobilization" not in by_region(plan)["low_back"].techniques


# --- Inflamed wrist: local restriction, the rest proceeds (S9) ----------------------------------


def test_inflamed_right_wrist_is_not_planned_and_the_rest_is():
    inflamed = finding(
        "acute_inflammation",
        severity=Decision.PROCEED_WITH_PRECAUTIONS,
        area=RIGHT_WRIST,
        off_limits=True,
        sources=("R38",),
    )
    plan = plan_session(
        request(
            diagnoses=(dx("repetitive_strain"),),
            areas=(RIGHT_WRIST, Area("forearm", "right"), Area("neck")),
            screening=screening(inflamed),
            therapist_trainings=frozenset({"swedish", "trigger_point", "myofascial_release"}),
            hands_on_minutes=60,
        )
    )
    assert not plan.blocked
    assert "wrist_hand" not in by_region(plan)
    assert {"forearm", "neck"} <= {s.region for s in plan.segments if s.role == "focus"}
    assert plan.minutes == 60
    assert "tailoring.restricted_area" in rules(plan)


def test_bilateral_area_with_one_restricted_side_keeps_the_other_side():
    inflamed = finding("acute_inflammation", area=RIGHT_WRIST, off_limits=True)
    plan = plan_session(
        request(
            diagnoses=(dx("repetitive_strain"),),
            areas=(Area("wrist_hand", "bilateral"),),
            screening=screening(inflamed),
        )
    )
    wrist = by_region(plan)["wrist_hand"]
    assert wrist.side == "left"


def test_all_areas_of_concern_restricted_plans_related_work_and_says_so():
    inflamed = finding("acute_inflammation", area=RIGHT_SHOULDER, off_limits=True)
    plan = plan_session(
        request(
            diagnoses=(dx("frozen_shoulder", side="right"),),
            areas=(RIGHT_SHOULDER,),
            screening=screening(inflamed),
        )
    )
    assert not plan.blocked
    assert plan.segments
    assert all(s.role in ("related", "general") for s in plan.segments)
    assert plan.minutes == 60
    assert any("off limits" in r for r in plan.reasons)
    assert "tailoring.focus.all_restricted" in rules(plan)


def test_patient_areas_to_avoid_are_not_planned():
    plan = plan_session(
        request(
            diagnoses=(dx("low_back_pain"),),
            areas=(Area("low_back"),),
            avoid_areas=(Area("hip_gluteal", "bilateral"),),
        )
    )
    assert "hip_gluteal" not in by_region(plan)
    assert plan.minutes == 60


# --- Service families ---------------------------------------------------------------------------


def test_spot_work_15_minutes_is_one_focus_segment_of_15():
    plan = plan_session(
        request(
            service_family="spot_work",
            hands_on_minutes=15,
            diagnoses=(dx("low_back_pain"),),
            areas=(Area("low_back"), Area("hip_gluteal", "left")),
            therapist_trainings=frozenset({"swedish", "trigger_point"}),
        )
    )
    assert len(plan.segments) == 1
    (segment,) = plan.segments
    assert (segment.region, segment.minutes, segment.role) == ("low_back", 15, "focus")
    assert "spot_work_timing" in plan.instructions


def test_spot_work_takes_the_first_allowed_area_of_concern():
    restricted = finding("open_wound_skin", area=Area("low_back"), off_limits=True)
    plan = plan_session(
        request(
            service_family="spot_work",
            hands_on_minutes=15,
            diagnoses=(dx("low_back_pain"),),
            areas=(Area("low_back"), Area("hip_gluteal", "left")),
            screening=screening(restricted),
        )
    )
    assert [(s.region, s.side, s.minutes) for s in plan.segments] == [("hip_gluteal", "left", 15)]


def test_relaxation_50_minutes_covers_the_whole_body_template():
    plan = plan_session(request(service_family="relaxation", hands_on_minutes=50))
    regions = {s.region for s in plan.segments}
    template = {r for r, _ in TailoringSettings().relaxation_template}
    assert regions == template
    assert {"upper_back", "low_back", "thigh", "calf", "forearm"} <= regions
    assert all(s.role == "general" and s.techniques == ("swedish",) for s in plan.segments)
    assert plan.minutes == 50
    assert min(s.minutes for s in plan.segments) >= 5


def test_relaxation_skips_restricted_regions_and_redistributes_their_time():
    restricted = finding("open_wound_skin", area=Area("low_back"), off_limits=True)
    plan = plan_session(
        request(service_family="relaxation", hands_on_minutes=50, screening=screening(restricted))
    )
    assert "low_back" not in by_region(plan)
    assert plan.minutes == 50


def test_relaxation_too_short_for_every_region_keeps_the_first_ones():
    plan = plan_session(request(service_family="relaxation", hands_on_minutes=15))
    assert [s.region for s in plan.segments] == ["upper_back", "low_back", "neck"]
    assert "tailoring.allocation.dropped" in rules(plan)


def test_60_minute_therapeutic_neck_and_upper_back_gives_focus_at_least_two_thirds():
    plan = plan_session(
        request(
            diagnoses=(dx("repetitive_strain"),),
            areas=(Area("neck"), Area("upper_back")),
            therapist_trainings=frozenset({"swedish", "trigger_point"}),
        )
    )
    focus = sum(s.minutes for s in plan.segments if s.role == "focus")
    assert focus >= 40
    assert {s.region for s in plan.segments if s.role == "focus"} == {"neck", "upper_back"}
    assert by_region(plan)["neck"].minutes > by_region(plan)["upper_back"].minutes
    assert any(s.role == "related" for s in plan.segments)
    assert plan.minutes == 60
    share = next(r for r in plan.rationale if r.rule == "tailoring.allocation.focus_share")
    assert share.source == CLINIC_SETTING


def test_focus_share_is_a_clinic_setting():
    settings = TailoringSettings(focus_share=Fraction(4, 5))
    plan = plan_session(
        request(diagnoses=(dx("low_back_pain"),), areas=(Area("low_back"),), settings=settings)
    )
    assert by_region(plan)["low_back"].minutes == 48


def test_without_related_regions_the_rest_goes_to_general_swedish():
    plan = plan_session(
        request(
            diagnoses=(dx("tendinopathy"),),
            areas=(Area("forearm", "right"),),
            therapist_trainings=frozenset({"swedish", "cross_fiber_friction"}),
        )
    )
    general = [s for s in plan.segments if s.role == "general"]
    assert general
    assert all(s.techniques == ("swedish",) for s in general)
    assert "cross_fiber_friction" in by_region(plan)["forearm"].techniques
    assert "tailoring.allocation.general" in rules(plan)


def test_untrained_therapist_for_the_focus_area_gets_no_empty_segment_and_colleagues_are_named():
    plan = plan_session(
        request(
            diagnoses=(dx("tension_headache"),),
            areas=(Area("neck"),),
            therapist_trainings=frozenset({"swedish"}),
            colleagues=(
                Colleague("Theo Tanaka", frozenset({"swedish", "trigger_point"})),
                Colleague("Sam Swede", frozenset({"swedish"})),
            ),
        )
    )
    assert "neck" not in by_region(plan)  # never a segment without a technique
    assert all(s.techniques for s in plan.segments)
    assert any(
        "Neck (cervical)" in r and "Colleagues trained for it: Theo Tanaka." in r for r in plan.reasons
    )
    assert "tailoring.techniques.untrained" in rules(plan)


def test_intraoral_tmj_needs_the_training_and_stays_at_the_jaw():
    base = {
        "diagnoses": (dx("tmj_disorder", side="right"),),
        "areas": (Area("jaw", "right"), Area("head")),
    }
    untrained = plan_session(request(**base, therapist_trainings=frozenset({"trigger_point"})))
    trained = plan_session(request(**base, therapist_trainings=frozenset({"trigger_point", "intraoral_tmj"})))
    assert "intraoral_tmj" not in untrained.techniques
    assert "intraoral_tmj" in by_region(trained)["jaw"].techniques
    assert "intraoral_tmj" not in by_region(trained)["head"].techniques


def test_techniques_follow_the_phase_order():
    plan = plan_session(
        request(
            diagnoses=(dx("low_back_pain"),),
            areas=(Area("low_back"),),
            therapist_trainings=frozenset({"passive_stretching", "trigger_point", "swedish"}),
        )
    )
    assert by_region(plan)["low_back"].techniques == ("swedish", "trigger_point", "passive_stretching")


def test_deep_tissue_is_planned_only_when_the_range_reaches_deep():
    base = {
        "diagnoses": (dx("low_back_pain"),),
        "areas": (Area("low_back"),),
        "therapist_trainings": frozenset({"deep_tissue", "swedish"}),
    }
    deep = plan_session(request(**base, pressure_preference=Pressure.DEEP))
    firm = plan_session(request(**base, pressure_preference=Pressure.FIRM))
    assert "deep_tissue" in by_region(deep)["low_back"].techniques
    assert "deep_tissue" not in by_region(firm)["low_back"].techniques


# --- Pressure (S17) -----------------------------------------------------------------------------


def test_pressure_range_comes_from_the_preference():
    plan = plan_session(request(pressure_preference=Pressure.FIRM))
    assert plan.pressure == (Pressure.MEDIUM, Pressure.FIRM)


def test_too_deep_feedback_lowers_the_pressure():
    before = plan_session(request(pressure_preference=Pressure.FIRM))
    after = plan_session(
        request(
            pressure_preference=Pressure.FIRM,
            last_feedback=(PressureFeedback(Area("upper_back"), "too_deep"),),
        )
    )
    assert after.pressure is not None
    assert before.pressure is not None
    assert after.pressure[1].rank < before.pressure[1].rank
    assert after.pressure == (Pressure.LIGHT, Pressure.MEDIUM)
    feedback = next(r for r in after.rationale if r.rule == "tailoring.pressure.feedback")
    assert "Upper back (thoracic)" in feedback.text


def test_too_light_feedback_raises_the_pressure_within_the_cap():
    raised = plan_session(
        request(
            pressure_preference=Pressure.MEDIUM,
            last_feedback=(PressureFeedback(Area("neck"), "too_light"),),
        )
    )
    capped = plan_session(
        request(
            pressure_preference=Pressure.MEDIUM,
            last_feedback=(PressureFeedback(Area("neck"), "too_light"),),
            screening=screening(finding("bleeding_anticoagulant", cap=Pressure.MEDIUM)),
        )
    )
    assert raised.pressure == (Pressure.MEDIUM, Pressure.FIRM)
    assert capped.pressure is not None
    assert capped.pressure[1] == Pressure.MEDIUM


def test_anticoagulant_cap_light_keeps_pressure_max_light():
    cap = finding("bleeding_anticoagulant", cap=Pressure.LIGHT, forbidden=frozenset({"deep_tissue"}))
    plan = plan_session(request(pressure_preference=Pressure.DEEP, screening=screening(cap)))
    assert plan.pressure == (Pressure.LIGHT, Pressure.LIGHT)
    capped = next(r for r in plan.rationale if r.rule == "tailoring.pressure.cap")
    assert capped.source == "R37"
    assert [f.code for f in plan.precautions] == ["bleeding_anticoagulant"]


# --- Blocked, instructions, ambience, output ----------------------------------------------------


def test_screening_block_gives_a_blocked_plan_with_the_reasons():
    fever = finding("fever_infection", severity=Decision.DEFER)
    plan = plan_session(request(screening=screening(fever)))
    assert plan.blocked
    assert plan.segments == ()
    assert plan.reasons == ("staff: fever_infection",)


def test_a_clearance_the_whole_visit_waits_for_blocks_the_plan_and_says_what_unblocks_it():
    held = finding("pregnancy_high_risk", severity=Decision.NEEDS_CLEARANCE)
    held = type(held)(
        **{**{f: getattr(held, f) for f in held.__dataclass_fields__}, "clearance_scope": "pregnancy"}
    )
    plan = plan_session(request(screening=screening(held)))
    assert plan.blocked
    assert plan.segments == ()
    assert plan.unblock == ("The referrer's clearance for massage during the high-risk pregnancy on file.",)


def test_a_local_needs_clearance_is_not_a_block():
    plan = plan_session(
        request(
            areas=(RIGHT_KNEE, Area("neck")),
            screening=screening(
                finding("recent_surgery", severity=Decision.NEEDS_CLEARANCE, area=RIGHT_KNEE, off_limits=True)
            ),
        )
    )
    assert not plan.blocked
    assert "knee" not in by_region(plan)
    assert [f.code for f in plan.precautions] == ["recent_surgery"]


def test_first_visit_instructions():
    first = plan_session(request(first_visit=True))
    later = plan_session(request(first_visit=False))
    assert {"bring_referral", "arrive_early"} <= set(first.instructions)
    assert not {"bring_referral", "arrive_early"} & set(later.instructions)


def test_ambience_follows_the_preference_or_the_clinic_default():
    chosen = plan_session(request(lighting="bright", music="none"))
    default = plan_session(request())
    assert chosen.ambience == {"lighting": "bright", "music": "none"}
    assert default.ambience == {"lighting": "soft", "music": "calm"}


def test_to_dict_is_plain_json_in_the_api_shape():
    plan = plan_session(
        request(
            diagnoses=(dx("post_surgical_scar", RIGHT_KNEE),),
            areas=(RIGHT_KNEE,),
            screening=screening(
                finding("scar_closure_clearance", severity=Decision.NEEDS_CLEARANCE, area=RIGHT_KNEE)
            ),
        )
    )
    data = json.loads(json.dumps(plan.to_dict()))
    assert set(data) == {
        "blocked",
        "reasons",
        "unblock",
        "segments",
        "pressure",
        "instructions",
        "ambience",
        "precautions",
        "rationale",
    }
    assert set(data["segments"][0]) == {
        "region",
        "side",
        "minutes",
        "techniques",
        "role",
        "pressure_max",
        "notes",
    }
    assert data["pressure"] == {"min": "light", "max": "medium"}
    assert {"code", "severity", "message_staff", "sources"} <= set(data["precautions"][0])
    assert {"rule", "source", "text"} <= set(data["rationale"][0])


def test_every_rationale_source_is_a_catalogue_source_or_clinic_setting():
    plan = plan_session(
        request(
            diagnoses=(dx("frozen_shoulder", side="right"),),
            areas=(RIGHT_SHOULDER,),
            first_visit=True,
            therapist_trainings=frozenset({"swedish", "passive_stretching"}),
        )
    )
    known = set(catalogue().sources) | {CLINIC_SETTING, None}
    assert {r.source for r in plan.rationale} <= known
    assert any(not r.verified for r in plan.rationale)  # frozen-shoulder techniques are unverified


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("service_family", "sports"),
        ("areas", (Area("elbow"),)),
        ("diagnoses", (dx("gout"),)),
        ("therapist_trainings", frozenset({"reiki"})),
        ("hands_on_minutes", 0),
        ("last_feedback", (PressureFeedback(Area("neck"), "ouch"),)),
    ],
)
def test_unknown_keys_are_rejected_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        plan_session(request(**{field: value}))


# --- Minutes ------------------------------------------------------------------------------------


def test_apportion_holds_small_shares_at_the_minimum():
    # 1/8 of 30 is 3.75 minutes: held at 5, the rest goes to the big share.
    assert apportion(30, [6, 1, 1], 5) == [20, 5, 5]


def test_apportion_rounds_by_largest_remainder_ties_to_the_earlier_entry():
    # Quotas 18.75, 12.5, 12.5, 6.25: two spare minutes go to entries 0 and 1.
    assert apportion(50, [3, 2, 2, 1], 5) == [19, 13, 12, 6]


def test_apportion_refuses_more_segments_than_fit():
    with pytest.raises(ValueError, match="do not fit"):
        apportion(9, [1, 1], 5)


def test_session_shorter_than_the_minimum_segment_is_one_segment():
    plan = plan_session(
        request(hands_on_minutes=4, diagnoses=(dx("low_back_pain"),), areas=(Area("low_back"),))
    )
    assert [(s.region, s.minutes) for s in plan.segments] == [("low_back", 4)]
