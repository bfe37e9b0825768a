"""The care pathway through the API, end to end, for patients created through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.intake.models import Intake
from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan
from kneadwell.referrals.models import Clearance, Referral
from kneadwell.therapists.models import Expertise, Training

from .conftest import assert_public_ids, fields_of, row_counts

ON = "2026-12-01"  # a Tuesday; the cast's therapists work weekdays at the hospital


def _train(therapist, *techniques, expertise=()):
    for key in techniques:
        Training.objects.create(therapist=therapist, technique=key)
    for condition, level in expertise:
        Expertise.objects.create(therapist=therapist, condition=condition, level=level)


def _refer(api, diagnoses, areas=(), **extra):
    body = {
        "new_patient": {"given_name": "Nora", "family_name": "New", "birth_date": "1979-04-02"},
        "reason": "Not improving with physiotherapy alone.",
        "diagnoses": diagnoses,
        "areas": list(areas),
        **extra,
    }
    response = api.post("/referrals", body)
    assert response.status_code == 201, response.json()
    return response.json()


def _intake(api, patient_id, **body):
    payload = {"chief_complaint": "Stiff and sore", **body}
    response = api.post(f"/patients/{patient_id}/intakes", payload)
    assert response.status_code == 201, response.json()
    return response.json()


def _plan(api, patient_id, therapist, service="therapeutic-60"):
    response = api.get(
        f"/patients/{patient_id}/session-plan", service=service, therapist=str(therapist.public_id), date=ON
    )
    assert response.status_code == 200, response.json()
    return response.json()


def _techniques(plan):
    return {t for s in plan["segments"] for t in s["techniques"]}


def test_a_referrer_sends_a_referral_and_the_desk_sees_it(api_as, cast):
    referral = _refer(
        api_as(cast.rita_user),
        [{"condition": "whiplash", "icd10": "S13.4XXA", "onset": "2026-10-20"}],
        [{"region": "neck"}],
        requested_sessions=8,
        requested_frequency_per_week=2,
    )
    assert referral["provider"]["name"] == "Dr Rita Reyes"
    assert referral["status"] == "received"
    assert_public_ids(referral)
    desk = api_as(cast.desk).get(f"/referrals/{referral['id']}")
    assert desk.status_code == 200
    assert desk.json()["diagnoses"][0]["icd10"] == "S13.4XXA"
    # Another referrer cannot see it; the new patient is Rita's to see.
    assert api_as(cast.rob_user).get(f"/referrals/{referral['id']}").status_code == 404
    assert api_as(cast.rita_user).get(f"/patients/{referral['patient']['id']}").status_code == 200


def test_a_whiplash_patient_whose_therapist_lacks_the_training_gets_colleagues_suggested(api_as, cast):
    _train(cast.tess, "swedish")
    _train(cast.theo, "swedish", "myofascial_release", "trigger_point", expertise=[("whiplash", 3)])
    # Pat is Tess's patient (the cast's appointment); a whiplash diagnosis arrives.
    _intake(
        api_as(cast.desk),
        cast.pat.public_id,
        areas=[{"region": "neck"}],
        diagnoses=[{"condition": "whiplash", "onset": "2026-11-01"}],
    )
    response = api_as(cast.tess_user).get(
        f"/patients/{cast.pat.public_id}/matches",
        service="therapeutic-60",
        location=str(cast.hospital.public_id),
        date=ON,
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["current_is_poor_match"] is True
    assert [s["therapist"]["name"] for s in body["suggestions"]] == ["Theo Tanaka"]
    excluded = {e["therapist"]["name"]: e["reasons"] for e in body["excluded"]}
    assert any(r["code"] == "untrained_for_condition" for r in excluded["Tess Turner"])


def test_scar_work_waits_for_the_clearance_and_is_planned_once_granted(api_as, cast):
    _train(cast.tess, "swedish", "scar_mobilization", "myofascial_release")
    referral = _refer(
        api_as(cast.rita_user),
        [
            {
                "condition": "post_surgical_scar",
                "icd10": "L90.5",
                "onset": "2026-09-15",
                "areas": [{"region": "knee", "side": "right"}],
            }
        ],
        [{"region": "knee", "side": "right"}],
    )
    patient_id = referral["patient"]["id"]
    # The desk books Nora with Tess, which makes her Tess's patient.
    from kneadwell.scheduling.services import appointment_create

    appointment_create(
        patient=Patient.objects.get(public_id=patient_id),
        therapist=cast.tess,
        room=cast.hospital_room,
        service=cast.pat_appointment.service,
        start=dt.datetime(2026, 12, 1, 19, tzinfo=dt.UTC),
        channel="referral",
    )
    tess = api_as(cast.tess_user)
    screening = tess.get(f"/patients/{patient_id}/screening", date=ON).json()
    assert screening["decision"] == "needs_clearance"
    assert "scar_mobilization" not in _techniques(_plan(tess, patient_id, cast.tess))

    granted = api_as(cast.rita_user).post(
        f"/referrals/{referral['id']}/clearances", {"scope": "scar_work", "region": "knee", "side": "right"}
    )
    assert granted.status_code == 201, granted.json()
    assert tess.get(f"/patients/{patient_id}/screening", date=ON).json()["decision"] != "needs_clearance"
    assert "scar_mobilization" in _techniques(_plan(tess, patient_id, cast.tess))


def test_an_inflamed_wrist_is_off_limits_and_the_rest_proceeds(api_as, cast):
    _train(cast.tess, "swedish", "trigger_point", "myofascial_release")
    _intake(
        api_as(cast.desk),
        cast.pat.public_id,
        areas=[{"region": "wrist_hand", "side": "right"}, {"region": "neck"}],
        diagnoses=[{"condition": "repetitive_strain", "onset": "2026-06-01"}],
        answers={
            "inflamed_regions": [{"region": "wrist_hand", "side": "right", "signs": ["swelling", "heat"]}]
        },
    )
    tess = api_as(cast.tess_user)
    screening = tess.get(f"/patients/{cast.pat.public_id}/screening", date=ON).json()
    assert screening["decision"] == "proceed_with_precautions"
    assert screening["restricted_regions"] == [{"region": "wrist_hand", "side": "right"}]
    plan = _plan(tess, cast.pat.public_id, cast.tess)
    assert plan["blocked"] is False
    assert not any(
        s["region"] == "wrist_hand" and s["side"] in ("right", "bilateral") for s in plan["segments"]
    )
    assert any(s["region"] == "neck" for s in plan["segments"])
    assert sum(s["minutes"] for s in plan["segments"]) == 60


def test_a_frozen_shoulder_plan_with_stretching_asks_for_loose_clothing(api_as, cast):
    _train(cast.tess, "swedish", "myofascial_release", "passive_stretching")
    _intake(
        api_as(cast.desk),
        cast.pat.public_id,
        areas=[{"region": "shoulder", "side": "right"}],
        diagnoses=[{"condition": "frozen_shoulder", "icd10": "M75.01", "onset": "2026-05-01"}],
    )
    plan = _plan(api_as(cast.tess_user), cast.pat.public_id, cast.tess)
    assert "passive_stretching" in _techniques(plan)
    assert "loose_clothing" in plan["instructions"]
    assert all(r["rule"] and r["text"] for r in plan["rationale"])


def test_a_red_flag_refers_out_and_blocks_the_plan(api_as, cast):
    _intake(
        api_as(cast.desk),
        cast.pat.public_id,
        areas=[{"region": "low_back"}],
        diagnoses=[{"condition": "low_back_pain", "onset": "2026-11-10"}],
        answers={"cauda_equina_signs": True},
    )
    tess = api_as(cast.tess_user)
    screening = tess.get(f"/patients/{cast.pat.public_id}/screening", date=ON).json()
    assert screening["decision"] == "refer_out"
    assert screening["findings"][0]["message_staff"]
    assert screening["findings"][0]["sources"]
    assert {c["label"] for c in screening["chronicity"]} == {"acute"}
    plan = _plan(tess, cast.pat.public_id, cast.tess)
    assert plan["blocked"] is True
    assert plan["segments"] == []


def test_a_patient_sees_their_screening_in_plain_words_only(api_as, cast):
    _intake(
        api_as(cast.desk), cast.pat.public_id, areas=[{"region": "neck"}], answers={"anticoagulants": True}
    )
    response = api_as(cast.pat_user).get(f"/patients/{cast.pat.public_id}/screening", date=ON)
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert findings
    assert all(f["message_staff"] == "" and f["message_patient"] for f in findings)
    assert api_as(cast.pat_user).get(f"/patients/{cast.paula.public_id}/screening").status_code == 404


@pytest.mark.parametrize("role_user", ["pat_user", "rita_user"])
def test_matches_and_plans_are_for_the_clinic_only(api_as, cast, role_user):
    api = api_as(getattr(cast, role_user))
    matches = api.get(
        f"/patients/{cast.pat.public_id}/matches",
        service="therapeutic-60",
        location=str(cast.hospital.public_id),
    )
    plan = api.get(
        f"/patients/{cast.pat.public_id}/session-plan",
        service="therapeutic-60",
        therapist=str(cast.tess.public_id),
    )
    assert (matches.status_code, plan.status_code) == (403, 403)


def test_a_therapist_cannot_reach_another_therapists_patient(api_as, cast):
    api = api_as(cast.tess_user)
    for path in ("screening", "intakes", "care-plans"):
        assert api.get(f"/patients/{cast.paula.public_id}/{path}").status_code == 404


def test_a_care_plan_is_drafted_from_the_referral_then_approved_by_the_therapist(api_as, cast):
    referral = _refer(
        api_as(cast.rita_user),
        [{"condition": "low_back_pain", "icd10": "M54.50", "onset": "2026-06-01"}],
        [{"region": "low_back"}],
    )
    patient_id = referral["patient"]["id"]
    draft = api_as(cast.desk).post(
        f"/patients/{patient_id}/care-plans", {"starts_on": ON, "therapist": str(cast.tess.public_id)}
    )
    assert draft.status_code == 201, draft.json()
    plan = draft.json()
    assert plan["status"] == "draft"
    assert (plan["frequency_per_week"], plan["weeks"]) == (1, 10)  # Cherkin 2011 [R40]
    assert "R40" in plan["frequency_basis"]
    nprs = next(g for g in plan["goals"] if g["measure"] == "nprs")
    assert nprs["target_change"] == -2
    assert "R21" in nprs["basis"]
    assert plan["reassess_on"] == "2027-02-09"
    edited = api_as(cast.tess_user).patch(f"/care-plans/{plan['id']}", {"frequency_per_week": 2, "weeks": 5})
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["planned_sessions"], edited.json()["reassess_on"]) == (10, "2027-01-05")
    assert edited.json()["frequency_basis"] == "Set by the clinician."
    bad = api_as(cast.tess_user).patch(f"/care-plans/{plan['id']}", {"conditions": ["hangover"]})
    assert bad.status_code == 422
    assert fields_of(bad) == ["conditions[0]"]
    # The desk cannot approve; Tess (now seeing the patient through the plan) can.
    assert api_as(cast.desk).post(f"/care-plans/{plan['id']}/approve", {}).status_code == 403
    approved = api_as(cast.tess_user).post(f"/care-plans/{plan['id']}/approve", {})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "active"
    assert api_as(cast.tess_user).patch(f"/care-plans/{plan['id']}", {"weeks": 3}).status_code == 422
    assert api_as(cast.pat_user).get(f"/patients/{patient_id}/care-plans").status_code == 404


class TestBadInput:
    """Unknown ids, header codes and future onsets: 422 naming the field, nothing written."""

    MODELS = (Referral, Patient, Intake, Clearance, CarePlan)

    @pytest.mark.parametrize(
        ("diagnosis", "field", "text"),
        [
            ({"condition": "hangover"}, "diagnoses[0].condition", "Unknown condition"),
            (
                {"condition": "low_back_pain", "icd10": "M54.5"},
                "diagnoses[0].icd10",
                "M54.50, M54.51, M54.59",
            ),
            (
                {"condition": "tmj_disorder", "icd10": "S03.4XXA"},
                "diagnoses[0].icd10",
                "not an ICD-10-CM code",
            ),
            ({"condition": "whiplash", "onset": "2099-01-01"}, "diagnoses[0].onset", "future"),
            (
                {"condition": "whiplash", "areas": [{"region": "spleen"}]},
                "diagnoses[0].areas[0]",
                "Unknown region",
            ),
            (
                {"condition": "frozen_shoulder", "areas": [{"region": "shoulder"}]},
                "diagnoses[0].areas[0]",
                "side",
            ),
        ],
    )
    def test_a_bad_diagnosis_in_a_referral(self, api_as, cast, diagnosis, field, text):
        before = row_counts(*self.MODELS)
        response = api_as(cast.rita_user).post(
            "/referrals",
            {
                "new_patient": {"given_name": "A", "family_name": "B", "birth_date": "1990-01-01"},
                "diagnoses": [diagnosis],
            },
        )
        assert response.status_code == 422
        assert field in fields_of(response)
        assert text in str(response.json())
        assert row_counts(*self.MODELS) == before

    @pytest.mark.parametrize(
        ("answers", "field"),
        [
            ({"fevr": True}, "answers.fevr"),
            ({"pregnancy": "maybe"}, "answers.pregnancy"),
            (
                {"inflamed_regions": [{"region": "wrist_hand", "side": "left", "signs": ["itching"]}]},
                "answers.inflamed_regions[0].signs[0]",
            ),
            ({"open_wound_regions": [{"region": "tail"}]}, "answers.open_wound_regions[0]"),
        ],
    )
    def test_a_bad_screening_answer_in_an_intake(self, api_as, cast, answers, field):
        before = row_counts(*self.MODELS)
        response = api_as(cast.desk).post(
            f"/patients/{cast.pat.public_id}/intakes",
            {"chief_complaint": "Neck", "areas": [{"region": "neck"}], "answers": answers},
        )
        assert response.status_code == 422, response.json()
        assert field in fields_of(response)
        assert row_counts(*self.MODELS) == before

    def test_an_intake_with_a_future_onset(self, api_as, cast):
        response = api_as(cast.desk).post(
            f"/patients/{cast.pat.public_id}/intakes",
            {"chief_complaint": "Neck", "areas": [{"region": "neck"}], "onset": "2099-05-01"},
        )
        assert response.status_code == 422
        assert fields_of(response) == ["onset"]
        assert not Intake.objects.exists()

    def test_an_unknown_technique_for_a_therapist(self, api_as, cast):
        response = api_as(cast.admin).post(
            "/therapists",
            {
                "given_name": "Kim",
                "family_name": "Kay",
                "gender": "female",
                "locations": [str(cast.hospital.public_id)],
                "licences": [],
                "trainings": ["reiki"],
                "expertise": [],
                "working_hours": [],
            },
        )
        assert response.status_code == 422
        assert "trainings[0]" in fields_of(response)

    def test_an_unknown_clearance_scope(self, api_as, cast):
        referral = Referral.objects.get(patient=cast.pat)
        response = api_as(cast.rita_user).post(
            f"/referrals/{referral.public_id}/clearances", {"scope": "anything"}
        )
        assert response.status_code == 422
        assert "scope" in fields_of(response)
        assert not Clearance.objects.exists()

    def test_an_unknown_service_or_location_for_matches(self, api_as, cast):
        api = api_as(cast.desk)
        bad_service = api.get(
            f"/patients/{cast.pat.public_id}/matches",
            service="hot-stones",
            location=str(cast.hospital.public_id),
        )
        bad_location = api.get(
            f"/patients/{cast.pat.public_id}/matches",
            service="therapeutic-60",
            location="00000000-0000-0000-0000-000000000000",
        )
        assert fields_of(bad_service) == ["service"]
        assert fields_of(bad_location) == ["location"]
