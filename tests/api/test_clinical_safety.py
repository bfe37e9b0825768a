"""Issue 7 through the API: held visits, flag clearances, the clinician's examination, bad input."""

from __future__ import annotations

import pytest

from kneadwell.intake.models import InflammationCheck, Intake
from kneadwell.planning.models import CarePlan
from kneadwell.referrals.models import Clearance, Referral
from kneadwell.therapists.models import Training

from .conftest import fields_of, row_counts

ON = "2026-12-01"


def _refer(api, diagnoses, areas=()):  # type: ignore[no-untyped-def]
    body = {
        "new_patient": {"given_name": "Nora", "family_name": "New", "birth_date": "1960-04-02"},
        "reason": "Headaches since the spring",
        "diagnoses": diagnoses,
        "areas": list(areas),
    }
    response = api.post("/referrals", body)
    assert response.status_code == 201, response.json()
    return response.json()


def _intake(api, patient_id, **body):  # type: ignore[no-untyped-def]
    response = api.post(f"/patients/{patient_id}/intakes", {"chief_complaint": "Headaches", **body})
    assert response.status_code == 201, response.json()
    return response.json()


def _screening(api, patient_id):  # type: ignore[no-untyped-def]
    response = api.get(f"/patients/{patient_id}/screening", date=ON)
    assert response.status_code == 200, response.json()
    return response.json()


def _plan(api, patient_id, therapist):  # type: ignore[no-untyped-def]
    response = api.get(
        f"/patients/{patient_id}/session-plan",
        service="therapeutic-60",
        therapist=str(therapist.public_id),
        date=ON,
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_headache_after_50_refers_out_until_the_referrers_evaluation_is_on_file(api_as, cast):
    for technique in ("swedish", "trigger_point", "myofascial_release"):
        Training.objects.create(therapist=cast.tess, technique=technique)
    referral = _refer(
        api_as(cast.rita_user),
        [{"condition": "tension_headache", "icd10": "G44.209", "onset": "2026-06-01"}],
        [{"region": "neck"}],
    )
    patient_id = referral["patient"]["id"]
    _intake(
        api_as(cast.desk), patient_id, areas=[{"region": "neck"}], answers={"headache_onset_after_50": True}
    )
    desk = api_as(cast.desk)
    held = _screening(desk, patient_id)
    assert (held["decision"], held["blocked"]) == ("refer_out", True)
    (finding,) = [f for f in held["findings"] if f["holds_visit"]]
    assert (finding["code"], finding["clearance_scope"]) == ("snoop_onset_after_50", "flag")
    plan = _plan(desk, patient_id, cast.tess)
    assert plan["blocked"] is True
    assert plan["segments"] == []
    assert any("Headache that began after age 50" in u for u in plan["unblock"])

    granted = api_as(cast.rita_user).post(
        f"/referrals/{referral['id']}/clearances",
        {"scope": "flag", "flag": "snoop_onset_after_50", "note": "CT normal. Light pressure on the neck."},
    )
    assert granted.status_code == 201, granted.json()
    assert granted.json()["flag"] == "snoop_onset_after_50"
    cleared = _screening(desk, patient_id)
    assert (cleared["decision"], cleared["blocked"]) == ("proceed_with_precautions", False)
    assert any("Light pressure on the neck" in f["message_staff"] for f in cleared["findings"])
    after = _plan(desk, patient_id, cast.tess)
    assert after["blocked"] is False
    assert after["segments"]
    assert all(s["techniques"] for s in after["segments"])


def test_a_fresh_sprain_waits_out_72_hours_unless_a_clinician_records_no_signs(api_as, cast):
    desk = api_as(cast.desk)
    _intake(
        desk,
        cast.pat.public_id,
        areas=[{"region": "ankle_foot", "side": "right"}, {"region": "calf", "side": "right"}],
        diagnoses=[{"condition": "strain_sprain", "icd10": "S93.401A", "onset": "2026-11-30"}],
    )
    held = _screening(desk, cast.pat.public_id)
    assert {"region": "ankle_foot", "side": "right"} in held["restricted_regions"]
    response = api_as(cast.tess_user).post(
        f"/patients/{cast.pat.public_id}/inflammation-checks",
        {
            "region": "ankle_foot",
            "side": "right",
            "checked_on": ON,
            "clinician_name": "Dr Ana Ortiz",
            "reason": "No heat, redness or swelling.",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["clinician_name"] == "Dr Ana Ortiz"
    lifted = _screening(desk, cast.pat.public_id)
    assert {"region": "ankle_foot", "side": "right"} not in lifted["restricted_regions"]


def test_a_held_visit_blocks_approving_the_plan_of_care(api_as, cast):
    desk = api_as(cast.desk)
    _intake(
        desk,
        cast.pat.public_id,
        areas=[{"region": "low_back"}],
        diagnoses=[{"condition": "low_back_pain", "onset": "2026-06-01"}],
    )
    draft = desk.post(f"/patients/{cast.pat.public_id}/care-plans", {"starts_on": ON})
    assert draft.status_code == 201, draft.json()
    _intake(
        desk,
        cast.pat.public_id,
        areas=[{"region": "low_back"}],
        diagnoses=[{"condition": "low_back_pain", "onset": "2026-06-01"}],
        answers={"suspected_dvt": True},
    )
    refused = api_as(cast.tess_user).post(f"/care-plans/{draft.json()['id']}/approve", {})
    assert refused.status_code == 422
    assert fields_of(refused) == ["plan"]
    assert "blood clot" in refused.json()["detail"]
    assert CarePlan.objects.get(public_id=draft.json()["id"]).status == "draft"


class TestBadInput:
    """Issue 7's bad input: a clear 422 naming the field, nothing written."""

    MODELS = (Intake, Clearance, InflammationCheck, Referral)

    @pytest.mark.parametrize(
        ("answers", "field"),
        [
            ({"pregnancy": "low_risk", "pregnancy_weeks": 43}, "answers.pregnancy_weeks"),
            ({"pregnancy": "low_risk", "pregnancy_weeks": -1}, "answers.pregnancy_weeks"),
            ({"steroid_injection_date": "2099-01-01"}, "answers.steroid_injection_date"),
            ({"lymph_node_regions": [{"region": "chest"}]}, "answers.lymph_node_regions"),
        ],
    )
    def test_a_bad_answer(self, api_as, cast, answers, field):
        before = row_counts(*self.MODELS)
        response = api_as(cast.desk).post(
            f"/patients/{cast.pat.public_id}/intakes",
            {"chief_complaint": "Neck", "areas": [{"region": "neck"}], "answers": answers},
        )
        assert response.status_code == 422, response.json()
        assert field in fields_of(response)
        assert row_counts(*self.MODELS) == before

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"clinician_name": "", "reason": "No signs."}, "clinician_name"),
            ({"clinician_name": "   ", "reason": "No signs."}, "clinician_name"),
            ({"clinician_name": "Dr Ana Ortiz", "reason": ""}, "reason"),
            ({"reason": "No signs."}, "clinician_name"),
            ({"clinician_name": "Dr Ana Ortiz"}, "reason"),
        ],
    )
    def test_a_clinician_override_without_a_name_or_a_reason(self, api_as, cast, body, field):
        before = row_counts(*self.MODELS)
        response = api_as(cast.tess_user).post(
            f"/patients/{cast.pat.public_id}/inflammation-checks",
            {"region": "ankle_foot", "side": "right", **body},
        )
        assert response.status_code == 422, response.json()
        assert field in fields_of(response)
        assert row_counts(*self.MODELS) == before

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"scope": "flag", "flag": "headache_on_tuesdays"}, "flag"),
            ({"scope": "flag"}, "flag"),
            ({"scope": "flag", "flag": "fever_infection"}, "flag"),  # a fever is waited out, not cleared
            (
                {"scope": "scar_work", "region": "knee", "side": "right", "flag": "snoop_onset_after_50"},
                "flag",
            ),
        ],
    )
    def test_a_clearance_for_a_flag_that_does_not_exist_or_cannot_be_cleared(self, api_as, cast, body, field):
        referral = Referral.objects.get(patient=cast.pat)
        before = row_counts(*self.MODELS)
        response = api_as(cast.rita_user).post(f"/referrals/{referral.public_id}/clearances", body)
        assert response.status_code == 422, response.json()
        assert fields_of(response) == [field]
        assert row_counts(*self.MODELS) == before

    def test_a_clearance_request_for_an_unknown_flag(self, api_as, cast):
        before = row_counts(*self.MODELS)
        response = api_as(cast.desk).post(
            f"/patients/{cast.pat.public_id}/clearance-requests",
            {"provider": str(cast.rita.public_id), "scope": "flag", "flag": "nonsense"},
        )
        assert response.status_code == 422
        assert fields_of(response) == ["flag"]
        assert row_counts(*self.MODELS) == before


@pytest.mark.parametrize("who", ["pat_user", "rita_user"])
def test_only_the_clinic_records_a_clinicians_examination(api_as, cast, who):
    response = api_as(getattr(cast, who)).post(
        f"/patients/{cast.pat.public_id}/inflammation-checks",
        {"region": "ankle_foot", "side": "right", "clinician_name": "Me", "reason": "Looks fine"},
    )
    assert response.status_code == 403
    assert not InflammationCheck.objects.exists()
