"""Decisions one after another through the API: a stale or repeated decision is 409 with the state that stands."""

from __future__ import annotations

from kneadwell.planning.services import care_plan_draft
from kneadwell.referrals.models import Referral, ReferralStatus
from kneadwell.referrals.services import clearance_request


def test_a_decided_clearance_answers_409_with_the_decision_not_404(api_as, cast):
    asked = clearance_request(actor=cast.desk, patient=cast.pat, provider=cast.rita, scope="pregnancy")
    api = api_as(cast.rita_user)

    first = api.post(f"/clearances/{asked.public_id}/decision", {"grant": True})
    again = api.post(f"/clearances/{asked.public_id}/decision", {"grant": False})

    assert first.status_code == 200
    assert again.status_code == 409
    body = again.json()
    assert body["current"] == {
        "status": "granted",
        "granted_on": first.json()["granted_on"],
        "expires_on": None,
    }
    assert body["detail"] == "This clearance has already been decided: it is granted."
    assert body["errors"] == [{"field": "status", "message": body["detail"]}]


def test_another_providers_clearance_stays_404_whatever_its_state(api_as, cast):
    asked = clearance_request(actor=cast.desk, patient=cast.pat, provider=cast.rita, scope="pregnancy")

    response = api_as(cast.rob_user).post(f"/clearances/{asked.public_id}/decision", {"grant": True})

    assert response.status_code == 404


def test_a_status_decided_on_a_stale_view_is_409_and_changes_nothing(api_as, cast):
    referral = cast.pat.referrals.get()
    api = api_as(cast.desk)
    assert api.post(f"/referrals/{referral.public_id}/status", {"status": "triaged"}).status_code == 200

    # Decided on the referral as it was before the triage: refused, though triaged → declined is legal.
    late = api.post(
        f"/referrals/{referral.public_id}/status",
        {"status": "declined", "note": "Out of area", "expected_status": "received"},
    )

    assert late.status_code == 409
    assert late.json()["current"] == {"status": "triaged", "status_note": ""}
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.TRIAGED


def test_a_step_the_journey_does_not_allow_is_409_with_the_current_status(api_as, cast):
    referral = cast.pat.referrals.get()

    response = api_as(cast.desk).post(f"/referrals/{referral.public_id}/status", {"status": "in_care"})

    assert response.status_code == 409
    assert response.json()["detail"] == "A received referral cannot become in care. It is received now."
    assert response.json()["current"] == {"status": "received", "status_note": ""}


def test_declining_without_a_reason_is_still_422(api_as, cast):
    referral = cast.pat.referrals.get()

    response = api_as(cast.desk).post(f"/referrals/{referral.public_id}/status", {"status": "declined"})

    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}


def test_approving_an_approved_plan_is_409_with_its_status(api_as, cast):
    plan = care_plan_draft(actor=cast.desk, patient=cast.pat, conditions=["low_back_pain"])
    api = api_as(cast.tess_user)

    first = api.post(f"/care-plans/{plan.public_id}/approve", {})
    again = api.post(f"/care-plans/{plan.public_id}/approve", {})

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json()["current"] == {"status": "active", "approved_at": first.json()["approved_at"]}
