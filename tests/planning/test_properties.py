"""Properties of the tailoring engine over generated requests (issue 3 point 10)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneadwell.intake.screening.types import Decision, Finding
from kneadwell.knowledge.catalogue import catalogue
from kneadwell.knowledge.vocabulary import SERVICE_FAMILIES as FAMILIES
from kneadwell.knowledge.vocabulary import Area, Diagnosis, Pressure
from kneadwell.planning.tailoring import (
    RULES,
    PlanRequest,
    PressureFeedback,
    apportion,
    plan_session,
)
from tests.planning.builders import screening

CAT = catalogue()
REGIONS = sorted(CAT.regions)
TECHNIQUES = sorted(CAT.techniques)
CONDITIONS = sorted(CAT.conditions)


@st.composite
def areas(draw: st.DrawFn) -> Area:
    region = draw(st.sampled_from(REGIONS))
    if CAT.regions[region].paired:
        return Area(region, draw(st.sampled_from([None, "left", "right", "bilateral"])))
    return Area(region, None)


diagnoses = st.builds(
    Diagnosis,
    condition=st.sampled_from(CONDITIONS),
    side=st.sampled_from([None, "left", "right", "bilateral"]),
    areas=st.lists(areas(), max_size=2).map(tuple),
)

findings = st.builds(
    Finding,
    code=st.sampled_from(sorted(CAT.flags)),
    rule=st.just("generated"),
    # Mostly non-blocking findings, so most generated plans have segments to check.
    severity=st.sampled_from([*Decision, *[Decision.PROCEED_WITH_PRECAUTIONS, Decision.NEEDS_CLEARANCE] * 3]),
    message_staff=st.just("staff message"),
    message_patient=st.just("patient message"),
    sources=st.just(("R37",)),
    area=st.none() | areas(),
    area_off_limits=st.booleans(),
    forbidden_techniques=st.frozensets(st.sampled_from(TECHNIQUES), max_size=4),
    pressure_cap=st.none() | st.sampled_from(list(Pressure)),
)


@st.composite
def requests(draw: st.DrawFn) -> PlanRequest:
    found = draw(st.lists(findings, max_size=4))
    # Usually the decision follows the findings; sometimes it is set directly (a rule without findings).
    scr = screening(*found, decision=draw(st.sampled_from([None] * 6 + list(Decision))))
    return PlanRequest(
        service_family=draw(st.sampled_from(FAMILIES)),
        hands_on_minutes=draw(st.integers(15, 120)),
        diagnoses=tuple(draw(st.lists(diagnoses, max_size=3))),
        areas=tuple(draw(st.lists(areas(), max_size=4))),
        screening=scr,
        therapist_trainings=draw(st.frozensets(st.sampled_from(TECHNIQUES), min_size=2)),
        pressure_preference=draw(st.none() | st.sampled_from(list(Pressure))),
        lighting=draw(st.sampled_from(["", "soft", "bright"])),
        music=draw(st.sampled_from(["", "calm", "none"])),
        last_feedback=tuple(
            draw(
                st.lists(
                    st.builds(
                        PressureFeedback,
                        area=areas(),
                        feedback=st.sampled_from(["too_light", "ok", "too_deep"]),
                    ),
                    max_size=2,
                )
            )
        ),
        first_visit=draw(st.booleans()),
        avoid_areas=tuple(draw(st.lists(areas(), max_size=2))),
    )


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(requests())
def test_minutes_sum_exactly_and_no_segment_is_below_the_minimum(req):
    plan = plan_session(req)
    if plan.blocked:
        assert plan.segments == ()
        return
    assert sum(s.minutes for s in plan.segments) == req.hands_on_minutes
    minimum = req.settings.min_segment_minutes
    assert all(s.minutes >= minimum for s in plan.segments)
    if req.service_family == "spot_work":
        assert len(plan.segments) == 1
        assert plan.segments[0].role == "focus"


@PROPERTY
@given(requests())
def test_no_segment_at_a_restricted_or_avoided_area(req):
    plan = plan_session(req)
    for s in plan.segments:
        assert not req.screening.off_limits(s.area), s
        assert not any(v.covers(s.area) or s.area.covers(v) for v in req.avoid_areas), s


@PROPERTY
@given(requests())
def test_only_trained_and_allowed_techniques_in_phase_order(req):
    plan = plan_session(req)
    order = CAT.phase_order
    for s in plan.segments:
        assert set(s.techniques) <= req.therapist_trainings
        assert not set(s.techniques) & req.screening.forbidden_at(s.area)
        ranks = [min(order.index(p) for p in CAT.techniques[t].phases) for t in s.techniques]
        assert ranks == sorted(ranks)
        assert len(set(s.techniques)) == len(s.techniques)
        if s.role != "focus":
            assert not {"scar_mobilization", "intraoral_tmj"} & set(s.techniques)
        if "intraoral_tmj" in s.techniques:
            assert s.region == "jaw"


@PROPERTY
@given(requests())
def test_loose_clothing_iff_stretching_is_planned(req):
    plan = plan_session(req)
    stretching = any(CAT.techniques[t].is_stretching for s in plan.segments for t in s.techniques)
    assert ("loose_clothing" in plan.instructions) == stretching


@PROPERTY
@given(requests())
def test_blocked_iff_screening_blocks_or_nothing_is_workable(req):
    plan = plan_session(req)
    nothing_workable = "tailoring.blocked.no_workable_region" in [r.rule for r in plan.rationale]
    assert plan.blocked == (req.screening.blocked or nothing_workable)
    if req.screening.blocked:
        assert plan.reasons
    if plan.blocked:
        assert plan.pressure is None
        assert plan.instructions == ()


@PROPERTY
@given(requests())
def test_pressure_range_is_ordered_and_under_the_cap(req):
    plan = plan_session(req)
    if plan.pressure is None:
        return
    low, high = plan.pressure
    assert low.rank <= high.rank
    if req.screening.pressure_cap is not None:
        assert high.rank <= req.screening.pressure_cap.rank


@PROPERTY
@given(requests())
def test_plans_are_deterministic_and_json_able(req):
    first, second = plan_session(req), plan_session(req)
    assert first == second
    json.dumps(first.to_dict())
    assert all(r.text for r in first.rationale)


@given(
    total=st.integers(1, 240),
    weights=st.lists(st.integers(1, 10), min_size=1, max_size=12),
    minimum=st.integers(1, 10),
)
def test_apportion_sums_exactly_and_respects_the_minimum(total, weights, minimum):
    weights = weights[: max(1, total // minimum)]
    floor = min(minimum, total)
    out = apportion(total, weights, floor)
    assert sum(out) == total
    assert min(out) >= floor


@PROPERTY
@given(requests())
def test_every_rationale_rule_is_in_the_registry(req):
    plan = plan_session(req)
    for r in plan.rationale:
        assert r.rule in RULES or r.rule.startswith("screening."), r.rule
        assert r.source is None or r.source == "clinic_setting" or r.source in CAT.sources, r


@PROPERTY
@given(requests())
def test_no_segment_is_ever_without_a_technique(req):
    """Issue 7: an area the therapist cannot work is left out and said, never planned empty."""
    plan = plan_session(req)
    assert all(s.techniques for s in plan.segments)


@PROPERTY
@given(requests())
def test_a_segment_ceiling_is_below_the_sessions_range_and_within_any_local_cap(req):
    plan = plan_session(req)
    if plan.pressure is None:
        return
    for seg in plan.segments:
        if seg.pressure_max is not None:
            assert seg.pressure_max.rank < plan.pressure[1].rank
        local = req.screening.pressure_cap_at(seg.area)
        if local is not None:
            top = seg.pressure_max or plan.pressure[1]
            assert top.rank <= local.rank
