"""Properties of screening over generated intakes (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kneadwell.intake.screening import (
    Area,
    ClearanceGrant,
    Diagnosis,
    HealthAnswers,
    InflamedArea,
    RecentSurgery,
    ScreeningInput,
    screen,
)
from kneadwell.knowledge import catalogue as cat

from .builders import ON

PREGNANCY_ORDER = ("no", "low_risk", "high_risk")
BOOLEAN_ANSWERS = (
    "fever",
    "suspected_dvt",
    "anticoagulants",
    "bleeding_disorder",
    "osteoporosis",
    "cancer",
    "thunderclap_headache",
    "neuro_deficit",
    "headache_onset_after_50",
    "systemic_symptoms",
    "cervical_arterial_signs",
    "whiplash_high_risk",
    "cauda_equina_signs",
    "progressive_weakness",
)
AREA_ANSWERS = ("recent_surgery", "open_wound_regions", "fracture_regions", "inflamed_regions")


@st.composite
def areas(draw: st.DrawFn) -> Area:
    key = draw(st.sampled_from(sorted(cat.regions())))
    sides = cat.regions()[key].sides
    return Area(key, draw(st.sampled_from(sides)) if sides else None)


area_lists = st.lists(areas(), max_size=3).map(tuple)
past_dates = st.integers(min_value=0, max_value=400).map(lambda d: ON - timedelta(days=d))

answers_st = st.builds(
    HealthAnswers,
    **{name: st.booleans() for name in BOOLEAN_ANSWERS},
    pregnancy=st.sampled_from(PREGNANCY_ORDER),
    recent_surgery=st.lists(st.builds(RecentSurgery, date=past_dates, area=areas()), max_size=2).map(tuple),
    open_wound_regions=area_lists,
    fracture_regions=area_lists,
    inflamed_regions=st.lists(
        st.builds(
            InflamedArea,
            area=areas(),
            signs=st.frozensets(st.sampled_from(["swelling", "heat", "redness"])),
        ),
        max_size=3,
    ).map(tuple),
)

diagnoses_st = st.lists(
    st.builds(
        Diagnosis,
        condition=st.sampled_from(sorted(cat.conditions())),
        onset=st.none() | past_dates,
        areas=st.lists(areas(), max_size=2).map(tuple),
    ),
    max_size=3,
).map(tuple)

clearances_st = st.lists(
    st.builds(
        ClearanceGrant,
        scope=st.sampled_from(
            ["scar_work", "surgical_site", "fracture_site", "pregnancy", "clot", "general"]
        ),
        area=st.none() | areas(),
        granted=past_dates,
        expires=st.none() | st.integers(min_value=-30, max_value=90).map(lambda d: ON + timedelta(days=d)),
    ),
    max_size=3,
).map(tuple)


def _input(answers: HealthAnswers, diagnoses, concern, clearances) -> ScreeningInput:
    return ScreeningInput(
        on=ON, birth_date=None, diagnoses=diagnoses, areas=concern, answers=answers, clearances=clearances
    )


def _combine(a: HealthAnswers, b: HealthAnswers) -> HealthAnswers:
    """Every answer of `a` plus every answer of `b` (the more worrying value wins)."""
    merged: dict[str, object] = {name: getattr(a, name) or getattr(b, name) for name in BOOLEAN_ANSWERS}
    merged.update({name: getattr(a, name) + getattr(b, name) for name in AREA_ANSWERS})
    merged["pregnancy"] = max(a.pregnancy, b.pregnancy, key=PREGNANCY_ORDER.index)
    return HealthAnswers(**merged)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(answers_st, answers_st, diagnoses_st, area_lists, clearances_st)
def test_more_answers_never_make_the_decision_less_restrictive(base, extra, diagnoses, concern, clearances):
    before = screen(_input(base, diagnoses, concern, clearances))
    after = screen(_input(_combine(base, extra), diagnoses, concern, clearances))
    assert after.decision >= before.decision
    assert set(before.restricted_areas) <= set(after.restricted_areas)
    if before.pressure_cap is not None:
        assert after.pressure_cap is not None
        assert after.pressure_cap.rank <= before.pressure_cap.rank


@settings(max_examples=150, deadline=None)
@given(answers_st, diagnoses_st, area_lists, clearances_st)
def test_restricted_areas_come_only_from_area_answers(answers, diagnoses, concern, clearances):
    result = screen(_input(answers, diagnoses, concern, clearances))
    named = {
        *answers.open_wound_regions,
        *answers.fracture_regions,
        *(s.area for s in answers.recent_surgery),
        *(i.area for i in answers.inflamed_regions),
    }
    assert set(result.restricted_areas) <= named


@settings(max_examples=150, deadline=None)
@given(answers_st, diagnoses_st, area_lists, clearances_st)
def test_every_finding_cites_catalogue_sources_and_the_result_is_consistent(
    answers, diagnoses, concern, clearances
):
    result = screen(_input(answers, diagnoses, concern, clearances))
    sources, flags = cat.sources(), cat.flags()
    for f in result.findings:
        assert set(f.sources) <= sources.keys()
        assert f.code in flags
        assert f.verified == flags[f.code].verified
        assert f.severity <= result.decision
        if f.area_off_limits:
            assert f.area in result.restricted_areas
    caps = [f.pressure_cap for f in result.findings if f.pressure_cap is not None]
    assert result.pressure_cap == (min(caps, key=lambda p: p.rank) if caps else None)
    assert result.blocked == (result.decision.value in ("defer", "refer_out"))


@settings(max_examples=50, deadline=None)
@given(answers_st, diagnoses_st, area_lists, clearances_st)
def test_screening_is_deterministic(answers, diagnoses, concern, clearances):
    inp = _input(answers, diagnoses, concern, clearances)
    assert screen(inp) == screen(inp)
