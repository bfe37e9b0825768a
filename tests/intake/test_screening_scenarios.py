"""Screening scenarios from the care-pathway issue (issue 3, point 4 and the end-to-end list)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kneadwell.intake.screening import Area, Decision, Diagnosis, Finding, Pressure, screen
from kneadwell.intake.screening.engine import decide
from kneadwell.knowledge import catalogue as cat

from .builders import (
    LEFT_KNEE,
    LEFT_WRIST,
    NECK,
    ON,
    RIGHT_KNEE,
    RIGHT_WRIST,
    clearance,
    inflamed,
    make,
    surgery,
)

SCAR = Diagnosis("post_surgical_scar", areas=(RIGHT_KNEE,))


# --- Post-surgical scar: scar work waits for a clearance ------------------------------------


def test_scar_without_clearance_needs_clearance_and_forbids_scar_work_at_the_scar():
    result = screen(make(diagnoses=[SCAR], areas=[RIGHT_KNEE]))
    assert result.decision == Decision.NEEDS_CLEARANCE
    assert not result.blocked
    assert "scar_mobilization" in result.forbidden_at(RIGHT_KNEE)
    # Only scar work is held back: the knee itself is not off limits, the other knee is untouched.
    assert not result.off_limits(RIGHT_KNEE)
    assert "scar_mobilization" not in result.forbidden_at(LEFT_KNEE)


def test_scar_with_a_clearance_in_force_allows_scar_work():
    result = screen(make(diagnoses=[SCAR], clearances=[clearance("scar_work", RIGHT_KNEE)]))
    assert result.decision == Decision.PROCEED
    assert "scar_mobilization" not in result.forbidden_at(RIGHT_KNEE)
    (info,) = result.findings
    assert info.severity == Decision.PROCEED
    assert "clearance given" in info.message_staff


def test_scar_with_an_expired_clearance_needs_clearance_again():
    expired = clearance("scar_work", RIGHT_KNEE, granted_days_ago=60, expires_in_days=-1)
    result = screen(make(diagnoses=[SCAR], clearances=[expired]))
    assert result.decision == Decision.NEEDS_CLEARANCE
    assert "scar_mobilization" in result.forbidden_at(RIGHT_KNEE)


def test_clearance_expiring_on_the_screening_day_is_still_in_force():
    grant = clearance("scar_work", RIGHT_KNEE, expires_in_days=0)
    assert screen(make(diagnoses=[SCAR], clearances=[grant])).decision == Decision.PROCEED


def test_clearance_granted_after_the_screening_day_does_not_count_yet():
    grant = clearance("scar_work", RIGHT_KNEE, granted_days_ago=-3)
    assert screen(make(diagnoses=[SCAR], clearances=[grant])).decision == Decision.NEEDS_CLEARANCE


@pytest.mark.parametrize(
    "grant",
    [clearance("scar_work", LEFT_KNEE), clearance("pregnancy"), clearance("general", RIGHT_KNEE)],
    ids=["other knee", "other scope", "general scope"],
)
def test_scar_clearance_must_match_scope_and_area(grant):
    assert screen(make(diagnoses=[SCAR], clearances=[grant])).decision == Decision.NEEDS_CLEARANCE


def test_scar_site_comes_from_the_recent_surgery_when_the_diagnosis_names_none():
    inp = make(
        conditions=["post_surgical_scar"],
        recent_surgery=(surgery(RIGHT_KNEE, days_ago=40),),
        clearances=[clearance("scar_work", RIGHT_KNEE)],
    )
    result = screen(inp)
    # The scar-work clearance at the operated knee clears both the scar work and the surgical site.
    assert result.decision == Decision.PROCEED
    assert result.restricted_areas == ()


def test_scar_site_unknown_forbids_scar_work_everywhere_until_cleared():
    result = screen(make(conditions=["post_surgical_scar"]))
    assert result.decision == Decision.NEEDS_CLEARANCE
    assert "scar_mobilization" in result.forbidden_at(LEFT_WRIST)


# --- Recent surgery: the site is off limits until cleared -----------------------------------


def test_recent_surgery_site_is_off_limits_until_cleared():
    result = screen(make(recent_surgery=(surgery(RIGHT_KNEE),)))
    assert result.decision == Decision.NEEDS_CLEARANCE
    assert result.restricted_areas == (RIGHT_KNEE,)
    cleared = screen(
        make(recent_surgery=(surgery(RIGHT_KNEE),), clearances=[clearance("surgical_site", RIGHT_KNEE)])
    )
    assert cleared.decision == Decision.PROCEED
    assert cleared.restricted_areas == ()


# --- Inflamed wrist: the wrist is off limits, the rest proceeds ------------------------------


def test_inflamed_right_wrist_is_off_limits_and_the_rest_proceeds():
    inp = make(
        diagnoses=[Diagnosis("strain_sprain", areas=(RIGHT_WRIST,))],
        areas=[RIGHT_WRIST, NECK],
        inflamed_regions=(inflamed(RIGHT_WRIST, "swelling", "redness"),),
    )
    result = screen(inp)
    assert result.decision == Decision.PROCEED_WITH_PRECAUTIONS
    assert not result.blocked
    assert result.restricted_areas == (RIGHT_WRIST,)
    assert result.off_limits(RIGHT_WRIST)
    assert not result.off_limits(LEFT_WRIST)
    assert not result.off_limits(NECK)
    (finding,) = result.findings
    assert finding.code == "acute_inflammatory_phase"  # the strain/sprain gate, not the general rule
    assert "swelling" in finding.message_staff


def test_bilateral_inflammation_restricts_both_wrists():
    result = screen(make(inflamed_regions=(inflamed(Area("wrist_hand", "bilateral"), "heat"),)))
    assert result.off_limits(RIGHT_WRIST)
    assert result.off_limits(LEFT_WRIST)


def test_open_wound_and_fracture_restrict_their_areas_only():
    result = screen(make(open_wound_regions=(LEFT_KNEE,), fracture_regions=(RIGHT_WRIST,)))
    assert set(result.restricted_areas) == {LEFT_KNEE, RIGHT_WRIST}
    assert result.decision == Decision.NEEDS_CLEARANCE  # the fracture flag asks for clearance
    assert not result.off_limits(NECK)


def test_cleared_fracture_stays_off_limits_but_no_longer_holds_the_visit():
    result = screen(
        make(fracture_regions=(RIGHT_WRIST,), clearances=[clearance("fracture_site", RIGHT_WRIST)])
    )
    assert result.decision == Decision.PROCEED_WITH_PRECAUTIONS
    assert result.off_limits(RIGHT_WRIST)


# --- Red flags, fever ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"conditions": ["migraine"], "thunderclap_headache": True}, "thunderclap"),
        ({"conditions": ["low_back_pain"], "cauda_equina_signs": True}, "Cauda equina"),
        ({"conditions": ["whiplash"], "cervical_arterial_signs": True}, "5 Ds & 3 Ns"),
        ({"conditions": ["whiplash"], "whiplash_high_risk": True}, "Canadian C-Spine"),
    ],
)
def test_red_flags_refer_out_with_the_reason_for_staff(answers, reason):
    result = screen(make(**answers))
    assert result.decision == Decision.REFER_OUT
    assert result.blocked
    assert any(reason in f.message_staff for f in result.findings if f.severity == Decision.REFER_OUT)


def test_emergency_red_flags_are_marked_for_staff_and_patients():
    (finding,) = screen(make(conditions=["low_back_pain"], cauda_equina_signs=True)).findings
    assert finding.message_staff.startswith("Emergency referral")
    assert "today" in finding.message_patient


def test_thunderclap_headache_refers_out_even_without_a_headache_diagnosis():
    result = screen(make(conditions=["low_back_pain"], thunderclap_headache=True))
    assert result.decision == Decision.REFER_OUT
    assert "without a headache diagnosis" in result.findings[0].message_staff


def test_fever_defers_and_blocks_the_visit():
    result = screen(make(conditions=["low_back_pain"], fever=True))
    assert result.decision == Decision.DEFER
    assert result.blocked


def test_no_answers_proceed():
    result = screen(make(conditions=["low_back_pain"], areas=[Area("low_back")]))
    assert result.decision == Decision.PROCEED
    assert result.findings == ()
    assert result.pressure_cap is None


# --- Precautions ----------------------------------------------------------------------------


def test_anticoagulants_cap_pressure_light_and_forbid_deep_tissue_everywhere():
    result = screen(make(conditions=["low_back_pain"], anticoagulants=True))
    assert result.decision == Decision.PROCEED_WITH_PRECAUTIONS
    assert result.pressure_cap == Pressure.LIGHT
    for key, region in cat.regions().items():
        for side in region.sides or (None,):
            assert "deep_tissue" in result.forbidden_at(Area(key, side))


def test_cancer_caps_pressure_at_medium_and_the_lowest_cap_wins():
    assert screen(make(cancer=True)).pressure_cap == Pressure.MEDIUM
    assert screen(make(cancer=True, bleeding_disorder=True)).pressure_cap == Pressure.LIGHT


def test_high_risk_pregnancy_holds_the_whole_visit_until_a_pregnancy_clearance_is_in_force():
    held = screen(make(pregnancy="high_risk"))
    assert held.decision == Decision.NEEDS_CLEARANCE
    assert held.blocked  # the whole visit waits: no plan, no booking
    cleared = screen(make(pregnancy="high_risk", clearances=[clearance("pregnancy")]))
    assert cleared.decision == Decision.PROCEED_WITH_PRECAUTIONS
    assert not cleared.blocked
    assert cleared.forbidden_at(NECK) == frozenset()


def test_a_known_clot_holds_all_massage_until_cleared():
    held = screen(make(suspected_dvt=True))
    assert held.decision == Decision.NEEDS_CLEARANCE
    assert held.blocked
    # Cleared, with the clot's limb not recorded: light pressure everywhere (which limb is unknown).
    cleared = screen(make(suspected_dvt=True, clearances=[clearance("clot")]))
    assert cleared.decision == Decision.PROCEED_WITH_PRECAUTIONS
    assert not cleared.blocked
    assert cleared.pressure_cap == Pressure.LIGHT


# --- Decision ordering ----------------------------------------------------------------------


def test_refer_out_beats_every_other_finding():
    inp = make(
        diagnoses=[SCAR],
        conditions=["migraine"],
        fever=True,
        anticoagulants=True,
        pregnancy="high_risk",
        open_wound_regions=(LEFT_KNEE,),
        thunderclap_headache=True,
    )
    result = screen(inp)
    assert result.decision == Decision.REFER_OUT
    assert {f.severity for f in result.findings} >= {
        Decision.DEFER,
        Decision.NEEDS_CLEARANCE,
        Decision.PROCEED_WITH_PRECAUTIONS,
    }


def _finding(severity: Decision) -> Finding:
    return Finding(code="x", rule="r", severity=severity, message_staff="", message_patient="", sources=())


@pytest.mark.parametrize(
    "decisions", [list(Decision), list(reversed(Decision)), [Decision.DEFER, Decision.NEEDS_CLEARANCE]]
)
def test_decision_is_the_most_restrictive_severity(decisions):
    expected = {d.rank: d for d in decisions}[max(d.rank for d in decisions)]
    assert decide(_finding(d) for d in decisions) == expected


def test_decision_order_is_refer_defer_clearance_precautions_proceed():
    assert [d.value for d in sorted(Decision, reverse=True)] == [
        "refer_out",
        "defer",
        "needs_clearance",
        "proceed_with_precautions",
        "proceed",
    ]


# --- Chronicity -----------------------------------------------------------------------------


@pytest.mark.parametrize(("weeks_ago", "label"), [(2, "acute"), (8, "subacute"), (20, "chronic")])
def test_chronicity_per_condition_from_onset(weeks_ago, label):
    inp = make(diagnoses=[Diagnosis("low_back_pain", onset=ON - timedelta(weeks=weeks_ago))])
    (chron,) = screen(inp).chronicity
    assert (chron.condition, chron.label, chron.sources) == ("low_back_pain", label, ("R30",))
    assert "acute < 4 weeks" in chron.rule_text


def test_chronicity_skips_missing_onsets_and_conditions_without_a_rule():
    inp = make(
        diagnoses=[
            Diagnosis("relaxation", onset=ON - timedelta(days=400)),
            Diagnosis("whiplash"),
            Diagnosis("frozen_shoulder", onset=ON - timedelta(days=200)),
        ]
    )
    assert [(c.condition, c.label) for c in screen(inp).chronicity] == [("frozen_shoulder", "chronic")]


def test_onset_in_the_future_is_rejected():
    with pytest.raises(ValueError, match="onset"):
        screen(make(diagnoses=[Diagnosis("low_back_pain", onset=ON + timedelta(days=1))]))


# --- Bad input (safety net behind the interfaces' validation) -------------------------------


@pytest.mark.parametrize(
    ("inp", "named"),
    [
        (lambda: make(conditions=["lumbago"]), "'lumbago'"),
        (lambda: make(areas=[Area("elbow", "left")]), "'elbow'"),
        (lambda: make(areas=[Area("wrist_hand", "up")]), "'up'"),
        (lambda: make(areas=[Area("neck", "left")]), "'left'"),
        (lambda: make(open_wound_regions=(Area("toe"),)), "'toe'"),
        (lambda: make(fracture_regions=(Area("rib"),)), "fracture_regions"),
        (lambda: make(inflamed_regions=(inflamed(RIGHT_WRIST, "itching"),)), "'itching'"),
        (lambda: make(pregnancy="maybe"), "'maybe'"),
        (lambda: make(diagnoses=[Diagnosis("whiplash", areas=(Area("nape"),))]), "'nape'"),
        (lambda: make(clearances=[clearance("scar_work", Area("kneecap", "left"))]), "'kneecap'"),
        (lambda: make(recent_surgery=(surgery(RIGHT_KNEE, days_ago=-2),)), "recent_surgery"),
    ],
)
def test_unknown_keys_and_impossible_values_are_rejected_by_name(inp, named):
    with pytest.raises(ValueError, match=named):
        screen(inp())
