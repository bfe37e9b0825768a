"""The typed answers say what was said before they were typed, and stay in step with their sources.

The engines' results are mapped into schemas by `kneadwell.api.clinical`; each
mapping must give exactly the engine's `to_dict()` (the shape clients had, and
the one the CLI and web pages show). Stored JSON (areas, diagnoses, health
answers) comes back exactly as stored. The closed vocabularies published as
enums must be the ones the engines and the catalogue loader use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.api import catalogue as catalogue_api
from kneadwell.api.clinical import (
    AreaOut,
    ChronicityLabel,
    DiagnosisOut,
    HealthAnswersOut,
    InflamedAreaOut,
    RecentSurgeryOut,
    SegmentRole,
    matches_out,
    screening_out,
    session_plan_out,
)
from kneadwell.intake.models import Intake
from kneadwell.intake.schemas import HealthAnswersIn, InflamedAreaIn, RecentSurgeryIn
from kneadwell.intake.screening.types import Chronicity, Decision, Finding, ScreeningResult
from kneadwell.knowledge import types as kt
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.knowledge.vocabulary import LIGHTING_VALUES, MUSIC_VALUES, SIDES, Area, Pressure
from kneadwell.planning.matching import Excluded, Match, MatchResult, Reason
from kneadwell.planning.models import CarePlan
from kneadwell.planning.tailoring import Rationale, Segment, SessionPlan
from kneadwell.planning.tailoring.rules import ROLES
from kneadwell.referrals.models import Referral
from tests.cast import Cast

from .conftest import Api
from .test_care_pathway import ON, _intake, _refer

# --- Engine results: the mapping gives exactly to_dict() ------------------------------------------

words = st.text(max_size=12)
ids = st.lists(words, max_size=3).map(tuple)
sides = st.sampled_from([None, *SIDES])
areas = st.builds(Area, region=words, side=sides)

findings = st.builds(
    Finding,
    code=words,
    rule=words,
    severity=st.sampled_from(list(Decision)),
    message_staff=words,
    message_patient=words,
    sources=ids,
    area=st.none() | areas,
    area_off_limits=st.booleans(),
    forbidden_techniques=st.frozensets(words, max_size=3),
    pressure_cap=st.none() | st.sampled_from(list(Pressure)),
    verified=st.booleans(),
)

screening_results = st.builds(
    ScreeningResult,
    decision=st.sampled_from(list(Decision)),
    findings=st.lists(findings, max_size=4).map(tuple),
    restricted_areas=st.lists(areas, max_size=3).map(tuple),
    chronicity=st.lists(
        st.builds(
            Chronicity,
            condition=words,
            label=st.sampled_from(kt.CHRONICITY_LABELS),
            rule_text=words,
            sources=ids,
        ),
        max_size=3,
    ).map(tuple),
    pressure_cap=st.none() | st.sampled_from(list(Pressure)),
)

finite = st.floats(allow_nan=False, allow_infinity=False)
reasons = st.lists(
    st.builds(Reason, code=words, text=words, weight=st.none() | finite, sources=ids, verified=st.booleans()),
    max_size=4,
).map(tuple)
therapist_ids = st.uuids().map(str)
matches = st.builds(Match, therapist_id=therapist_ids, name=words, score=st.floats(0, 100), reasons=reasons)
match_results = st.builds(
    MatchResult,
    matches=st.lists(matches, max_size=3).map(tuple),
    excluded=st.lists(
        st.builds(Excluded, therapist_id=therapist_ids, name=words, reasons=reasons), max_size=3
    ).map(tuple),
    current_is_poor_match=st.booleans(),
    suggestions=st.lists(matches, max_size=2).map(tuple),
)

pressures = st.sampled_from(list(Pressure))
session_plans = st.builds(
    SessionPlan,
    blocked=st.booleans(),
    reasons=ids,
    segments=st.lists(
        st.builds(
            Segment,
            region=words,
            side=sides,
            minutes=st.integers(0, 120),
            techniques=ids,
            role=st.sampled_from(ROLES),
        ),
        max_size=4,
    ).map(tuple),
    pressure=st.none() | st.tuples(pressures, pressures),
    instructions=ids,
    # A blocked plan has no ambience at all; a plan has both keys.
    ambience=st.just({})
    | st.fixed_dictionaries(
        {"lighting": st.sampled_from(LIGHTING_VALUES), "music": st.sampled_from(MUSIC_VALUES)}
    ),
    precautions=st.lists(findings, max_size=3).map(tuple),
    rationale=st.lists(
        st.builds(Rationale, rule=words, source=st.none() | words, text=words, verified=st.booleans()),
        max_size=4,
    ).map(tuple),
)


@given(screening_results, st.booleans())
def test_the_screening_answer_is_the_engines_own_dict(result: ScreeningResult, for_patient: bool) -> None:
    answer = screening_out(result, for_patient=for_patient).model_dump(mode="json")

    assert answer == result.to_dict(for_patient=for_patient)


@given(match_results)
def test_the_matches_answer_is_the_engines_own_dict(result: MatchResult) -> None:
    assert matches_out(result).model_dump(mode="json") == result.to_dict()


@given(session_plans, st.sampled_from(list(Decision)))
def test_the_session_plan_answer_is_the_engines_own_dict(plan: SessionPlan, decision: Decision) -> None:
    answer = session_plan_out(plan, decision).model_dump(mode="json")

    assert answer == {**plan.to_dict(), "screening_decision": decision.value}


# --- Closed vocabularies: the published enums are the sources' own ---------------------------------


@pytest.mark.parametrize(
    ("published", "source"),
    [
        (ChronicityLabel, kt.CHRONICITY_LABELS),
        (SegmentRole, ROLES),
        (catalogue_api.IcdRole, kt.ICD_ROLES),
        (catalogue_api.FlagKind, kt.FLAG_KINDS),
        (catalogue_api.FlagAction, kt.FLAG_ACTIONS),
        (catalogue_api.Urgency, ("", *kt.URGENCIES)),
        (catalogue_api.Phase, kt.PHASES),
        (catalogue_api.Direction, kt.DIRECTIONS),
        (catalogue_api.McidKind, kt.MCID_KINDS),
    ],
)
def test_a_published_enum_lists_exactly_its_sources_values(published: Any, source: tuple[str, ...]) -> None:
    assert get_args(published) == source


# --- Stored JSON: the output schemas repeat the input schemas ------------------------------------


@pytest.mark.parametrize(
    ("out", "stored"),
    [
        (AreaOut, AreaIn),
        (DiagnosisOut, DiagnosisIn),
        (RecentSurgeryOut, RecentSurgeryIn),
        (InflamedAreaOut, InflamedAreaIn),
        (HealthAnswersOut, HealthAnswersIn),
    ],
)
def test_an_output_schema_has_the_fields_its_stored_json_has(out: Any, stored: Any) -> None:
    # A field added to the input (say a new health question) and not to the answer would be
    # silently dropped from every answer: this names the schema to extend.
    assert list(out.model_fields) == list(stored.model_fields)


def test_health_answers_left_out_read_back_as_the_inputs_defaults() -> None:
    assert HealthAnswersOut().model_dump(mode="json") == HealthAnswersIn().model_dump(mode="json")


RICH_ANSWERS = {
    "anticoagulants": True,
    "pregnancy": "low_risk",
    "recent_surgery": [{"date": "2026-10-01", "region": "knee", "side": "right"}],
    "open_wound_regions": [{"region": "calf", "side": "left"}],
    "fracture_regions": [{"region": "neck"}],
    "inflamed_regions": [{"region": "wrist_hand", "side": "right", "signs": ["swelling", "heat"]}],
}


def test_an_intake_answers_with_the_json_it_stored(api_as: Callable[[Any], Api], cast: Cast) -> None:
    body = _intake(
        api_as(cast.desk),
        cast.pat.public_id,
        areas=[{"region": "wrist_hand", "side": "right"}, {"region": "neck"}],
        diagnoses=[
            {"condition": "repetitive_strain", "onset": "2026-06-01", "areas": [{"region": "neck"}]},
            {"condition": "frozen_shoulder", "icd10": "M75.01", "side": "left"},
        ],
        answers=RICH_ANSWERS,
    )
    stored = Intake.objects.get(public_id=body["id"])

    listed = api_as(cast.desk).get(f"/patients/{cast.pat.public_id}/intakes").json()["items"][0]

    for answer in (body, listed):
        assert (answer["areas"], answer["diagnoses"], answer["answers"]) == (
            stored.areas,
            stored.diagnoses,
            stored.answers,
        )


def test_an_intake_stored_before_a_question_existed_answers_it_with_the_default(
    api_as: Callable[[Any], Api], cast: Cast
) -> None:
    body = _intake(api_as(cast.desk), cast.pat.public_id, areas=[{"region": "neck"}], answers=RICH_ANSWERS)
    intake = Intake.objects.get(public_id=body["id"])
    del intake.answers["progressive_weakness"]
    intake.save(update_fields=["answers"])

    response = api_as(cast.desk).get(f"/patients/{cast.pat.public_id}/intakes")

    assert response.status_code == 200
    assert response.json()["items"][0]["answers"] == {**body["answers"], "progressive_weakness": False}


def test_a_referral_and_its_plan_of_care_answer_with_the_json_they_stored(
    api_as: Callable[[Any], Api], cast: Cast
) -> None:
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
        [{"region": "knee", "side": "right"}, {"region": "low_back"}],
    )
    stored = Referral.objects.get(public_id=referral["id"])
    plan = (
        api_as(cast.desk).post(f"/patients/{referral['patient']['id']}/care-plans", {"starts_on": ON}).json()
    )

    fetched = api_as(cast.desk).get(f"/referrals/{referral['id']}").json()

    for answer in (referral, fetched):
        assert (answer["diagnoses"], answer["areas"]) == (stored.diagnoses, stored.areas)
    assert plan["areas"] == CarePlan.objects.get(public_id=plan["id"]).areas
