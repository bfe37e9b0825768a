"""Plans of care and hand-offs through their services."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.errors import DomainError
from kneadwell.patients.selectors import patient_scope
from kneadwell.planning.models import CarePlanStatus
from kneadwell.planning.services import care_plan_approve, care_plan_draft, handoff_create


def _intake(cast, condition, area):
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Sore",
        areas=[area],
        diagnoses=[DiagnosisIn(condition=condition, onset=dt.date(2026, 9, 1))],
    )


def test_a_draft_takes_the_evidence_dose_and_mcid_goals(cast):
    _intake(cast, "tension_headache", AreaIn(region="neck"))
    plan = care_plan_draft(actor=cast.tess_user, patient=cast.pat, starts_on=dt.date(2026, 12, 1))
    # Moraska 2015: 12 sessions of 45 minutes over 6 weeks [R63].
    assert (plan.frequency_per_week, plan.weeks, plan.planned_sessions) == (2, 6, 12)
    assert "R63" in plan.frequency_basis
    assert "45 minutes" in plan.frequency_basis
    assert plan.therapist == cast.tess
    assert plan.reassess_on == dt.date(2027, 1, 12)
    measures = {g.measure: g.target_change for g in plan.goals.all()}
    assert measures["nprs"] == -2


def test_a_condition_without_evidence_takes_the_labelled_clinic_default(cast):
    _intake(cast, "tendinopathy", AreaIn(region="forearm", side="right"))
    plan = care_plan_draft(actor=cast.desk, patient=cast.pat, starts_on=dt.date(2026, 12, 1))
    assert (plan.frequency_per_week, plan.weeks) == (1, 6)
    # Said in plain words: a convention, not a study's finding (no "(unverified …)" notes).
    assert "convention, not a study's finding" in plan.frequency_basis
    assert "unverified" not in plan.frequency_basis
    assert "REFERENCE" not in plan.frequency_basis


def test_higher_is_better_measures_aim_upwards(cast):
    _intake(cast, "strain_sprain", AreaIn(region="ankle_foot", side="left"))
    plan = care_plan_draft(actor=cast.desk, patient=cast.pat, starts_on=dt.date(2026, 12, 1))
    goals = {g.measure: g.target_change for g in plan.goals.all()}
    assert goals["psfs"] > 0  # PSFS: higher is better
    assert goals["nprs"] < 0


def test_a_draft_needs_a_condition(cast):
    with pytest.raises(DomainError) as exc:
        care_plan_draft(actor=cast.desk, patient=cast.paula)
    assert exc.value.field == "conditions"


def test_only_a_therapist_approves_and_the_previous_plan_completes(cast):
    _intake(cast, "low_back_pain", AreaIn(region="low_back"))
    first = care_plan_draft(actor=cast.desk, patient=cast.pat)
    with pytest.raises(PermissionDenied):
        care_plan_approve(actor=cast.desk, plan=first)
    care_plan_approve(actor=cast.tess_user, plan=first)
    second = care_plan_draft(actor=cast.desk, patient=cast.pat)
    care_plan_approve(actor=cast.tess_user, plan=second)
    first.refresh_from_db()
    assert (first.status, second.status) == (CarePlanStatus.COMPLETED, CarePlanStatus.ACTIVE)
    with pytest.raises(DomainError):
        care_plan_approve(actor=cast.tess_user, plan=second)


def test_a_hand_off_puts_the_patient_in_the_colleagues_scope(cast):
    assert not patient_scope(cast.theo_user).filter(pk=cast.pat.pk).exists()
    handoff = handoff_create(
        actor=cast.tess_user, patient=cast.pat, to_therapist=cast.theo, note="Whiplash: Theo is trained"
    )
    assert handoff.from_therapist == cast.tess
    assert patient_scope(cast.theo_user).filter(pk=cast.pat.pk).exists()


def test_a_hand_off_needs_a_colleague_and_a_note(cast):
    with pytest.raises(DomainError) as own:
        handoff_create(actor=cast.tess_user, patient=cast.pat, to_therapist=cast.tess, note="x")
    with pytest.raises(DomainError) as silent:
        handoff_create(actor=cast.tess_user, patient=cast.pat, to_therapist=cast.theo, note="  ")
    with pytest.raises(PermissionDenied):
        handoff_create(actor=cast.desk, patient=cast.pat, to_therapist=cast.theo, note="x")
    assert (own.value.field, silent.value.field) == ("to_therapist", "note")


def test_a_therapist_cannot_approve_a_draft_made_for_a_colleague(cast):
    _intake(cast, "low_back_pain", AreaIn(region="low_back"))
    draft = care_plan_draft(actor=cast.tess_user, patient=cast.pat)  # drafted in Tess's name
    assert draft.therapist == cast.tess
    with pytest.raises(PermissionDenied):
        care_plan_approve(actor=cast.theo_user, plan=draft)
    draft.refresh_from_db()
    assert draft.status == CarePlanStatus.DRAFT
    care_plan_approve(actor=cast.tess_user, plan=draft)
    assert draft.status == CarePlanStatus.ACTIVE


# --- Goals: within-person MCIDs on each instrument's own scale (issue 7, item 10) --------------------


def _goals(cast, condition, area, icd10=None):  # type: ignore[no-untyped-def]
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Sore",
        areas=[area],
        diagnoses=[DiagnosisIn(condition=condition, icd10=icd10, onset=dt.date(2026, 9, 1))],
    )
    plan = care_plan_draft(actor=cast.desk, patient=cast.pat, starts_on=dt.date(2026, 12, 1))
    return {g.measure: g for g in plan.goals.all()}


@pytest.mark.parametrize(
    ("condition", "area", "icd10", "measure", "target", "scale"),
    [
        ("migraine", AreaIn(region="head"), None, "hit6", -6, "36–78"),
        ("tension_headache", AreaIn(region="neck"), "G44.229", "hit6", -8, "36–78"),
        ("frozen_shoulder", AreaIn(region="shoulder", side="right"), "M75.01", "spadi", -13, "0–100"),
        ("whiplash", AreaIn(region="neck"), None, "ndi", -7.5, "0–50"),
        ("low_back_pain", AreaIn(region="low_back"), None, "odi", -12, "0–100"),
        ("strain_sprain", AreaIn(region="ankle_foot", side="left"), None, "psfs", 2, "0–10"),
        ("strain_sprain", AreaIn(region="ankle_foot", side="left"), None, "nprs", -2, "0–10"),
    ],
)
def test_default_goals_use_within_person_mcids_stated_with_the_scale(
    cast, condition, area, icd10, measure, target, scale
):
    goal = _goals(cast, condition, area, icd10)[measure]
    assert goal.target_change == target
    assert f"on the {scale} scale" in goal.description
    assert "between-group" not in goal.basis.lower()
    assert "detectable" not in goal.basis.lower()


def test_a_published_range_is_stated_with_its_top_as_the_target(cast):
    goal = _goals(cast, "frozen_shoulder", AreaIn(region="shoulder", side="right"), "M75.01")["spadi"]
    assert "(published range 8–13 points)" in goal.description
    assert goal.description.startswith("Shoulder Pain and Disability Index (SPADI): down 13 points")


# --- A held visit cannot have its plan of care approved (issue 7, item 6) ----------------------------


def test_a_plan_of_care_cannot_be_approved_while_screening_holds_the_visit(cast):
    _intake(cast, "low_back_pain", AreaIn(region="low_back"))
    plan = care_plan_draft(actor=cast.desk, patient=cast.pat)
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Back",
        areas=[AreaIn(region="low_back")],
        diagnoses=[DiagnosisIn(condition="low_back_pain", onset=dt.date(2026, 9, 1))],
        answers=HealthAnswersIn(cauda_equina_signs=True),
    )
    with pytest.raises(DomainError) as exc:
        care_plan_approve(actor=cast.tess_user, plan=plan)
    assert (exc.value.code, exc.value.field) == ("screening_hold", "plan")
    assert "Emergency care first" in exc.value.message
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.DRAFT
