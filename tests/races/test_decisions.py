"""Issue 9, item 7: decisions that race are compare-and-set transitions.

Fifty requests decide the same thing at once, each on its own connection: exactly one is stored,
every other gets a Conflict (409) carrying the state that won, and no caller is told "declined"
while "granted" is stored. Through the services, the API and the pages, on SQLite and PostgreSQL
(run this file with DATABASE_URL set to a PostgreSQL database for the second).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kneadwell.accounts.models import User
from kneadwell.accounts.services import token_create
from kneadwell.lib.errors import Conflict
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.planning.services import care_plan_approve, care_plan_draft
from kneadwell.referrals.models import Clearance, ClearanceStatus, Referral, ReferralStatus
from kneadwell.referrals.services import (
    clearance_decide,
    clearance_request,
    referral_ask_more,
    referral_set_status,
    referral_version,
)
from tests.cast import Cast, build_cast

from .race import RACERS, race

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1"


@pytest.fixture
def cast() -> Cast:
    return build_cast()


def _user(user: User) -> User:
    # Each racer reads its own copies, as a request does.
    return User.objects.get(pk=user.pk)


def _api(user: User) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user).secret}"}


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _one_winner(outcomes: list[Any], won: Any) -> list[Any]:
    """Exactly one outcome equals `won`; the others are returned (an exception fails the test here)."""
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors[:3]
    winners = [o for o in outcomes if o == won or (callable(won) and won(o))]
    assert len(winners) == 1, Counter(map(str, outcomes)).most_common(5)
    return [o for o in outcomes if o is not winners[0]]


# --- Clearance decisions ---------------------------------------------------------------------------


def _requested_clearance(cast: Cast) -> Clearance:
    return clearance_request(actor=cast.desk, patient=cast.pat, provider=cast.rita, scope="pregnancy")


def _grant(i: int) -> bool:
    # Half the racers grant, half decline: the stored decision must be the winner's.
    return i % 2 == 0


def test_fifty_clearance_decisions_through_the_service(cast):
    asked = _requested_clearance(cast)

    def decide(i: int) -> tuple[str, str]:
        try:
            done = clearance_decide(
                actor=_user(cast.rita_user), clearance=Clearance.objects.get(pk=asked.pk), grant=_grant(i)
            )
        except Conflict as exc:
            return "conflict", str((exc.current or {}).get("status"))
        return "stored", done.status

    outcomes = race(decide)

    stored = Clearance.objects.get(pk=asked.pk)
    assert stored.status in (ClearanceStatus.GRANTED, ClearanceStatus.DECLINED)
    losers = _one_winner(outcomes, ("stored", stored.status))
    assert set(losers) == {("conflict", stored.status)}


def test_fifty_clearance_decisions_through_the_api(cast):
    asked = _requested_clearance(cast)
    headers = [_api(cast.rita_user) for _ in range(RACERS)]

    def decide(i: int) -> tuple[int, dict[str, Any]]:
        response = Client().post(
            f"{API}/clearances/{asked.public_id}/decision",
            json.dumps({"grant": _grant(i)}),
            content_type="application/json",
            **headers[i],
        )
        return response.status_code, response.json()

    outcomes = race(decide)

    stored = Clearance.objects.get(pk=asked.pk)
    losers = _one_winner(outcomes, lambda o: o[0] == 200 and o[1]["status"] == stored.status)
    assert {status for status, _ in losers} == {409}
    assert all(body["current"]["status"] == stored.status for _, body in losers)
    assert all(body["errors"] == [{"field": "status", "message": body["detail"]}] for _, body in losers)


def test_fifty_clearance_decisions_through_the_referrers_page(cast):
    asked = _requested_clearance(cast)
    clients = [_signed_in(cast.rita_user) for _ in range(RACERS)]
    url = reverse("clearance-decide", args=[asked.public_id])

    def decide(i: int) -> tuple[int, str]:
        response = clients[i].post(url, {"decision": "grant" if _grant(i) else "decline"})
        return response.status_code, response.content.decode()

    outcomes = race(decide)

    stored = Clearance.objects.get(pk=asked.pk)
    losers = _one_winner(outcomes, lambda o: o[0] == 302)
    assert {status for status, _ in losers} == {409}
    # Each loser is told the decision that stands, never their own.
    assert all(f"it is {stored.get_status_display().lower()}" in page for _, page in losers)


# --- Referral status changes -----------------------------------------------------------------------


def _decision(i: int) -> dict[str, str]:
    # Every racer decides on the referral as received. (Triaged → declined is a legal step of its
    # own, so a decision that does not say what it was taken on may follow the winner.)
    decision = {"status": "triaged"} if i % 2 == 0 else {"status": "declined", "note": f"Out of area ({i})"}
    return {**decision, "expected_status": "received"}


def test_fifty_referral_decisions_through_the_service(cast):
    referral = cast.pat.referrals.get()

    def decide(i: int) -> tuple[str, str, str]:
        try:
            done = referral_set_status(
                actor=_user(cast.desk), referral=Referral.objects.get(pk=referral.pk), **_decision(i)
            )
        except Conflict as exc:
            current = exc.current or {}
            return "conflict", str(current.get("status")), str(current.get("status_note"))
        return "stored", done.status, done.status_note

    outcomes = race(decide)

    stored = Referral.objects.get(pk=referral.pk)
    losers = _one_winner(outcomes, ("stored", stored.status, stored.status_note))
    assert set(losers) == {("conflict", stored.status, stored.status_note)}


def test_fifty_referral_decisions_through_the_api(cast):
    referral = cast.pat.referrals.get()
    headers = [_api(cast.desk) for _ in range(RACERS)]

    def decide(i: int) -> tuple[int, dict[str, Any]]:
        response = Client().post(
            f"{API}/referrals/{referral.public_id}/status",
            json.dumps(_decision(i)),
            content_type="application/json",
            **headers[i],
        )
        return response.status_code, response.json()

    outcomes = race(decide)

    stored = Referral.objects.get(pk=referral.pk)
    losers = _one_winner(outcomes, lambda o: o[0] == 200)
    assert {status for status, _ in losers} == {409}
    current = {"status": stored.status, "status_note": stored.status_note}
    assert all(body["current"] == current for _, body in losers)


def test_fifty_referral_decisions_through_the_inbox(cast):
    referral = cast.pat.referrals.get()
    clients = [_signed_in(cast.desk) for _ in range(RACERS)]
    url = reverse("referral-triage", args=[referral.public_id])
    # What the inbox page sends back with each decision: the referral as it showed it.
    seen = referral_version(referral)
    assert f'name="seen" value="{seen}"' in clients[0].get(reverse("referral-inbox")).content.decode()

    def decide(i: int) -> tuple[int, str]:
        form = {"action": "accept"} if i % 2 == 0 else {"action": "decline", "note": "Out of area"}
        response = clients[i].post(url, {**form, "seen": seen})
        return response.status_code, response.content.decode()

    outcomes = race(decide)

    stored = Referral.objects.get(pk=referral.pk)
    losers = _one_winner(outcomes, lambda o: o[0] == 302)
    assert {status for status, _ in losers} == {409}
    assert all(f"It is {stored.get_status_display().lower()} now" in page for _, page in losers)


def test_fifty_questions_to_the_referrer_at_once_store_one(cast):
    referral = cast.pat.referrals.get()
    seen = referral_version(referral)

    def ask(i: int) -> str:
        try:
            referral_ask_more(
                actor=_user(cast.desk),
                referral=Referral.objects.get(pk=referral.pk),
                note=f"Question {i}",
                seen_version=seen,
            )
        except Conflict as exc:
            return f"conflict: {(exc.current or {}).get('status_note')}"
        return f"stored: Asked the referrer: Question {i}"

    outcomes = race(ask)

    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == ReferralStatus.RECEIVED
    losers = _one_winner(outcomes, f"stored: {stored.status_note}")
    assert set(losers) == {f"conflict: {stored.status_note}"}


def test_a_question_racing_a_decline_never_overwrites_it(cast):
    referral = cast.pat.referrals.get()
    seen = referral_version(referral)

    def act(i: int) -> str:
        fresh = Referral.objects.get(pk=referral.pk)
        try:
            if i % 2:
                referral_ask_more(
                    actor=_user(cast.desk), referral=fresh, note="Send the imaging", seen_version=seen
                )
            else:
                referral_set_status(
                    actor=_user(cast.desk),
                    referral=fresh,
                    status=ReferralStatus.DECLINED,
                    note="Out of area",
                    seen_version=seen,
                )
        except Conflict:
            return "conflict"
        return "stored"

    outcomes = race(act)

    assert Counter(outcomes)["stored"] == 1
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.status_note) in {
        (ReferralStatus.DECLINED, "Out of area"),
        (ReferralStatus.RECEIVED, "Asked the referrer: Send the imaging"),
    }


# --- Plan-of-care approvals ------------------------------------------------------------------------


def _draft(cast: Cast) -> CarePlan:
    return care_plan_draft(actor=cast.desk, patient=cast.pat, conditions=["low_back_pain"])


def test_fifty_approvals_of_one_draft_through_the_service(cast):
    draft = _draft(cast)

    def approve(i: int) -> str:
        try:
            care_plan_approve(actor=_user(cast.tess_user), plan=CarePlan.objects.get(pk=draft.pk))
        except Conflict as exc:
            return f"conflict: {(exc.current or {}).get('status')}"
        return "stored"

    outcomes = race(approve)

    losers = _one_winner(outcomes, "stored")
    assert set(losers) == {"conflict: active"}
    assert CarePlan.objects.get(pk=draft.pk).status == CarePlanStatus.ACTIVE


def test_fifty_approvals_of_one_draft_through_the_api(cast):
    draft = _draft(cast)
    headers = [_api(cast.tess_user) for _ in range(RACERS)]

    def approve(i: int) -> tuple[int, dict[str, Any]]:
        response = Client().post(
            f"{API}/care-plans/{draft.public_id}/approve", "", content_type="application/json", **headers[i]
        )
        return response.status_code, response.json()

    outcomes = race(approve)

    losers = _one_winner(outcomes, lambda o: o[0] == 200)
    winner = next(body for status, body in outcomes if status == 200)
    assert {status for status, _ in losers} == {409}
    # Each loser is shown the approval that stands: the winner's.
    assert all(
        body["current"] == {"status": "active", "approved_at": winner["approved_at"]} for _, body in losers
    )


def test_fifty_approvals_of_one_draft_through_the_patient_page(cast):
    draft = _draft(cast)
    clients = [_signed_in(cast.tess_user) for _ in range(RACERS)]
    url = reverse("patient-care-plan-approve", args=[cast.pat.public_id, draft.public_id])

    def approve(i: int) -> tuple[int, str]:
        response = clients[i].post(url)
        return response.status_code, response.content.decode()

    outcomes = race(approve)

    losers = _one_winner(outcomes, lambda o: o[0] == 302)
    assert {status for status, _ in losers} == {409}
    assert all("this plan of care is active" in page for _, page in losers)


def test_two_drafts_approved_at_once_leave_one_active_plan(cast):
    first, second = _draft(cast), _draft(cast)

    def approve(i: int) -> str:
        plan = CarePlan.objects.get(pk=(first if i % 2 == 0 else second).pk)
        try:
            care_plan_approve(actor=_user(cast.tess_user), plan=plan)
        except Conflict:
            return "conflict"
        return "stored"

    outcomes = race(approve)

    # Each draft is approved once; the later approval completes the earlier plan.
    assert Counter(outcomes) == {"stored": 2, "conflict": RACERS - 2}
    statuses = sorted(CarePlan.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == [CarePlanStatus.ACTIVE, CarePlanStatus.COMPLETED]
