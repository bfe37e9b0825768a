"""Issue 7's clinical corrections, screened directly (firing and quiet cases for each point)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kneadwell.intake.screening import (
    ClearanceGrant,
    Decision,
    Diagnosis,
    InflammationCheck,
    Pressure,
    screen,
    visit_gate,
)

from .builders import NECK, ON, RIGHT_KNEE, Area, clearance, inflamed, make

ANKLE = Area("ankle_foot", "right")
LEFT_CALF = Area("calf", "left")


def ago(days: int) -> date:
    return ON - timedelta(days=days)


def born(age: int) -> date:
    return date(ON.year - age, 1, 1)


def codes(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for f in result.findings if f.severity > Decision.PROCEED}


def flag_clearance(flag: str, note: str = "") -> ClearanceGrant:
    return ClearanceGrant(
        scope="flag", area=None, granted=ago(2), flag=flag, provider="Dr Rita Reyes", note=note
    )


# --- 2. Headache ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    ["headache_peak_within_hour", "headache_pattern_change", "thunderclap_headache"],
)
def test_a_new_changed_or_fast_peaking_headache_refers_out(answer):
    result = screen(make(conditions=["tension_headache"], **{answer: True}))
    assert result.decision == Decision.REFER_OUT
    assert result.blocked


def test_the_ottawa_sah_rule_is_an_emergency_and_not_only_within_a_minute():
    (finding,) = screen(make(conditions=["migraine"], headache_peak_within_hour=True)).findings
    assert finding.code == "ottawa_sah"
    assert "R56" in finding.sources
    assert finding.message_staff.startswith("Emergency referral")


@pytest.mark.parametrize(
    ("answers", "said"),
    [
        ({"pregnancy": "low_risk"}, "pregnancy"),
        ({"cancer": True}, "cancer"),
        ({"systemic_symptoms": True}, "immune"),
    ],
)
def test_headache_with_pregnancy_cancer_or_immunosuppression_is_a_systemic_red_flag(answers, said):
    result = screen(make(conditions=["migraine"], **answers))
    flagged = [f for f in result.findings if f.code == "snoop_systemic"]
    assert flagged
    assert said in flagged[0].message_staff
    # Without a headache these are not a headache red flag.
    assert "snoop_systemic" not in codes(screen(make(conditions=["low_back_pain"], **answers)))


def test_cognitive_change_is_the_elderly_flag_from_65_derived_from_the_birth_date():
    older = screen(make(conditions=["migraine"], birth_date=born(70), headache_cognitive_change=True))
    younger = screen(make(conditions=["migraine"], birth_date=born(40), headache_cognitive_change=True))
    assert codes(older) == {"headache_new_cognitive_change_elderly"}
    assert codes(younger) == {"snoop_neurologic"}  # still a neurological sign: refer out
    assert younger.decision == Decision.REFER_OUT


# --- 3. Neck after trauma ------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["neck_midline_tenderness", "neck_injury_unassessed"])
def test_midline_tenderness_or_an_unexamined_neck_injury_refers_out(answer):
    result = screen(make(diagnoses=[Diagnosis("whiplash", onset=ago(400))], **{answer: True}))
    assert result.decision == Decision.REFER_OUT


def test_c_spine_high_risk_factors_apply_to_acute_trauma_not_an_old_whiplash():
    acute = Diagnosis("whiplash", onset=ago(3))
    old = Diagnosis("whiplash", onset=ago(730))
    for answer in ("neck_dangerous_mechanism", "limb_paresthesia", "neck_rotation_limited"):
        assert screen(make(diagnoses=[acute], **{answer: True})).decision == Decision.REFER_OUT, answer
        assert screen(make(diagnoses=[old], **{answer: True})).decision == Decision.PROCEED, answer


def test_age_65_from_the_birth_date_is_a_high_risk_factor_after_acute_neck_trauma():
    acute = Diagnosis("whiplash", onset=ago(3))
    assert "canadian_c_spine_high_risk" in codes(screen(make(diagnoses=[acute], birth_date=born(70))))
    assert "canadian_c_spine_high_risk" not in codes(screen(make(diagnoses=[acute], birth_date=born(40))))
    old = Diagnosis("whiplash", onset=ago(730))
    assert "canadian_c_spine_high_risk" not in codes(screen(make(diagnoses=[old], birth_date=born(70))))


def test_a_whiplash_with_no_onset_recorded_is_treated_as_acute():
    result = screen(make(conditions=["whiplash"], limb_paresthesia=True))
    assert result.decision == Decision.REFER_OUT
    assert "treated as acute" in result.findings[0].message_staff


def test_a_cervical_nerve_root_injury_waits_for_clearance_before_neck_work():
    coded = Diagnosis("whiplash", icd10="S14.2XXA", onset=ago(60))
    held = screen(make(diagnoses=[coded], areas=[NECK, Area("upper_back")]))
    assert held.decision == Decision.NEEDS_CLEARANCE
    assert held.off_limits(NECK)
    assert not held.blocked  # the rest of the body may be worked
    cleared = screen(
        make(diagnoses=[coded], clearances=[flag_clearance("wad_nerve_root", "Gentle neck work only")])
    )
    assert not cleared.off_limits(NECK)
    assert "Gentle neck work only" in cleared.findings[0].message_staff


# --- 4. Blood clots --------------------------------------------------------------------------------


def test_a_suspected_clot_refers_out_the_same_day():
    result = screen(make(clot_signs=True))
    (finding,) = result.findings
    assert (finding.code, finding.severity) == ("suspected_dvt", Decision.REFER_OUT)
    assert "R58" in finding.sources
    assert "today" in finding.message_patient
    assert result.blocked


def test_a_treated_clot_keeps_its_limb_off_limits_for_good_with_light_pressure_while_anticoagulated():
    cleared = [clearance("clot")]
    limb = screen(make(suspected_dvt=True, clot_regions=(LEFT_CALF,), clearances=cleared))
    assert not limb.blocked
    for region in ("thigh", "knee", "calf", "ankle_foot"):
        assert limb.off_limits(Area(region, "left")), region
        assert not limb.off_limits(Area(region, "right")), region
    assert limb.pressure_cap is None  # not on blood thinners: no cap elsewhere
    thinned = screen(
        make(suspected_dvt=True, clot_regions=(LEFT_CALF,), anticoagulants=True, clearances=cleared)
    )
    assert thinned.pressure_cap == Pressure.LIGHT
    # The clearance expiring does not free the limb: without it the whole visit waits again.
    expired = [clearance("clot", granted_days_ago=60, expires_in_days=-1)]
    assert screen(make(suspected_dvt=True, clot_regions=(LEFT_CALF,), clearances=expired)).blocked


# --- 5. Acute injuries -----------------------------------------------------------------------------


def sprain(days: int) -> Diagnosis:
    return Diagnosis("strain_sprain", onset=ago(days), areas=(ANKLE,))


def test_the_first_72_hours_hold_the_injured_area_unless_a_clinician_records_no_signs():
    fresh = screen(make(diagnoses=[sprain(1)]))
    assert fresh.off_limits(ANKLE)
    assert fresh.decision == Decision.PROCEED_WITH_PRECAUTIONS
    check = InflammationCheck(
        area=ANKLE, on=ago(0), clinician="Dr Ana Ortiz", reason="No heat, redness or swelling"
    )
    checked = screen(make(diagnoses=[sprain(1)], inflammation_checks=(check,)))
    assert not checked.off_limits(ANKLE)
    assert "Dr Ana Ortiz" in checked.findings[0].message_staff
    # A check of another area, or from before the injury, does not lift it.
    other = InflammationCheck(area=RIGHT_KNEE, on=ago(0), clinician="Dr A", reason="fine")
    before = InflammationCheck(area=ANKLE, on=ago(5), clinician="Dr A", reason="fine")
    assert screen(make(diagnoses=[sprain(1)], inflammation_checks=(other, before))).off_limits(ANKLE)


def test_after_72_hours_swelling_alone_allows_only_light_lymphatic_drainage_there():
    result = screen(make(diagnoses=[sprain(5)], inflamed_regions=(inflamed(ANKLE, "swelling"),)))
    assert not result.off_limits(ANKLE)
    assert "lymphatic_drainage" not in result.forbidden_at(ANKLE)
    assert "swedish" in result.forbidden_at(ANKLE)
    assert result.pressure_cap_at(ANKLE) == Pressure.LIGHT
    assert result.pressure_cap is None  # elsewhere the session's range holds
    assert "swedish" not in result.forbidden_at(NECK)


@pytest.mark.parametrize("sign", ["heat", "redness"])
def test_after_72_hours_heat_or_redness_keep_the_injury_off_limits(sign):
    assert screen(
        make(diagnoses=[sprain(5)], inflamed_regions=(inflamed(ANKLE, sign, "swelling"),))
    ).off_limits(ANKLE)


def test_whiplash_in_its_first_72_hours_holds_the_neck():
    assert screen(make(diagnoses=[Diagnosis("whiplash", onset=ago(1))])).off_limits(NECK)
    assert not screen(make(diagnoses=[Diagnosis("whiplash", onset=ago(10))])).off_limits(NECK)


def test_an_ottawa_rule_holds_the_injured_ankle_until_a_fracture_is_ruled_out():
    held = screen(make(diagnoses=[sprain(10)], ottawa_ankle=True))
    assert held.off_limits(ANKLE)
    assert held.decision == Decision.NEEDS_CLEARANCE
    assert not held.blocked
    cleared = screen(
        make(diagnoses=[sprain(10)], ottawa_ankle=True, clearances=[flag_clearance("rule_out_fracture")])
    )
    assert not cleared.off_limits(ANKLE)


# --- 7. A documented medical evaluation lifts a referral out ----------------------------------------


def test_a_flag_clearance_lifts_headache_onset_after_50_with_its_precautions():
    held = screen(make(conditions=["migraine"], headache_onset_after_50=True))
    assert held.decision == Decision.REFER_OUT
    note = "MRI normal. Light neck work only."
    cleared = screen(
        make(
            conditions=["migraine"],
            headache_onset_after_50=True,
            clearances=[flag_clearance("snoop_onset_after_50", note)],
        )
    )
    assert cleared.decision == Decision.PROCEED_WITH_PRECAUTIONS
    assert not cleared.blocked
    assert note in cleared.findings[0].message_staff
    assert "Dr Rita Reyes" in cleared.findings[0].message_staff


def test_a_flag_clearance_lifts_the_c_spine_referral_but_not_another_flag():
    acute = Diagnosis("whiplash", onset=ago(3))
    answers = {"neck_dangerous_mechanism": True}
    cleared = screen(
        make(diagnoses=[acute], clearances=[flag_clearance("canadian_c_spine_high_risk")], **answers)
    )
    assert cleared.decision == Decision.PROCEED_WITH_PRECAUTIONS
    wrong = screen(make(diagnoses=[acute], clearances=[flag_clearance("snoop_onset_after_50")], **answers))
    assert wrong.decision == Decision.REFER_OUT


def test_a_fever_cannot_be_cleared_away():
    result = screen(make(fever=True, clearances=[flag_clearance("fever_infection")]))
    assert result.decision == Decision.DEFER


# --- 9. Pregnancy and cancer -------------------------------------------------------------------------


def test_after_the_first_trimester_side_lying_and_light_pressure_on_the_legs():
    later = screen(make(pregnancy="low_risk", pregnancy_weeks=20))
    assert any("side_lying" in f.instructions for f in later.findings)
    assert later.pressure_cap_at(Area("calf", "left")) == Pressure.LIGHT
    assert later.pressure_cap_at(NECK) is None
    early = screen(make(pregnancy="low_risk", pregnancy_weeks=10))
    assert not any(f.instructions for f in early.findings)
    assert early.pressure_cap_at(Area("calf", "left")) is None


def test_pregnancy_warning_signs_refer_out():
    result = screen(make(pregnancy="low_risk", pregnancy_weeks=30, pregnancy_warning_signs=True))
    assert result.decision == Decision.REFER_OUT


def test_weeks_outside_0_to_42_are_refused_by_the_engine():
    with pytest.raises(ValueError, match="pregnancy_weeks"):
        screen(make(pregnancy="low_risk", pregnancy_weeks=43))


def test_cancer_follows_walton_and_a_cancer_long_past_carries_no_cap():
    past = screen(make(cancer=True, cancer_active_treatment=False))
    assert past.pressure_cap is None
    assert past.decision == Decision.PROCEED
    active = screen(make(cancer=True, cancer_active_treatment=True))
    assert active.pressure_cap == Pressure.MEDIUM
    bone = screen(
        make(cancer=True, cancer_active_treatment=False, cancer_bone_regions=(Area("thigh", "right"),))
    )
    assert bone.off_limits(Area("thigh", "right"))
    nodes = screen(
        make(cancer=True, cancer_active_treatment=False, lymph_node_regions=(Area("upper_arm", "left"),))
    )
    for region in ("shoulder", "upper_arm", "forearm", "wrist_hand"):
        assert nodes.pressure_cap_at(Area(region, "left")) == Pressure.LIGHT, region
        assert nodes.pressure_cap_at(Area(region, "right")) is None, region
    assert nodes.pressure_cap_at(Area("chest")) == Pressure.LIGHT  # the arm's quadrant of the trunk
    assert nodes.pressure_cap is None
    # Low platelets: the bleeding question caps pressure light.
    assert (
        screen(make(cancer=True, cancer_active_treatment=False, bleeding_disorder=True)).pressure_cap
        == Pressure.LIGHT
    )


def test_an_intake_that_never_asked_about_treatment_stays_cautious():
    assert screen(make(cancer=True)).pressure_cap == Pressure.MEDIUM


# --- 6. The gate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "unblock"),
    [
        ({"fever": True}, "Rebook once the patient is well"),
        ({"clot_signs": True}, "A doctor's assessment today"),
        ({"suspected_dvt": True}, "clearance for massage with the blood clot"),
        ({"pregnancy": "high_risk"}, "clearance for massage during the high-risk pregnancy"),
        ({"unexplained_pain": True}, "“Pain without a known cause”"),
    ],
)
def test_the_gate_holds_the_visit_and_says_what_unblocks_it(answers, unblock):
    gate = visit_gate(screen(make(**answers)))
    assert not gate.clear
    assert any(unblock in u for u in gate.unblock), gate.unblock
    assert unblock in gate.message("The booking")


def test_the_gate_is_clear_for_local_holds_and_precautions():
    assert visit_gate(screen(make(anticoagulants=True, open_wound_regions=(RIGHT_KNEE,)))).clear
    assert visit_gate(screen(make(fracture_regions=(RIGHT_KNEE,)))).clear  # needs clearance, locally
