"""Properties of screening over generated intakes (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kneadwell.intake.screening import (
    Area,
    ClearanceGrant,
    Diagnosis,
    HealthAnswers,
    InflamedArea,
    InflammationCheck,
    RecentSurgery,
    ScreeningInput,
    screen,
)
from kneadwell.knowledge import catalogue as cat

from .builders import ON

PREGNANCY_ORDER = ("no", "low_risk", "high_risk")
BOOLEAN_ANSWERS = tuple(
    name
    for name, value in HealthAnswers().__dataclass_fields__.items()  # every yes/no answer
    if value.default is False
)
AREA_ANSWERS = (
    "recent_surgery",
    "open_wound_regions",
    "fracture_regions",
    "inflamed_regions",
    "cancer_bone_regions",
    "lymph_node_regions",
)
# Answers that make another answer more precise rather than more worrying (where the clot is, how
# many weeks pregnant, whether cancer treatment is ongoing): knowing them may rightly relax a
# cautious default, so the monotonicity property keeps them fixed.
PRECISION_ANSWERS = ("clot_regions", "pregnancy_weeks", "cancer_active_treatment", "steroid_injection_date")


@st.composite
def areas(draw: st.DrawFn) -> Area:
    key = draw(st.sampled_from(sorted(cat.regions())))
    sides = cat.regions()[key].sides
    return Area(key, draw(st.sampled_from(sides)) if sides else None)


area_lists = st.lists(areas(), max_size=3).map(tuple)
past_dates = st.integers(min_value=0, max_value=400).map(lambda d: ON - timedelta(days=d))
limb_areas = st.sampled_from(sorted(k for k, r in cat.regions().items() if r.limb)).flatmap(
    lambda key: st.sampled_from([Area(key, s) for s in cat.regions()[key].sides])
)

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
    clot_regions=st.lists(limb_areas, max_size=1).map(tuple),
    cancer_bone_regions=area_lists,
    lymph_node_regions=st.lists(limb_areas, max_size=2).map(tuple),
    cancer_active_treatment=st.none() | st.booleans(),
    pregnancy_weeks=st.none() | st.integers(min_value=0, max_value=42),
    steroid_injection_date=st.none() | past_dates,
)


@st.composite
def diagnoses(draw: st.DrawFn) -> Diagnosis:
    key = draw(st.sampled_from(sorted(cat.conditions())))
    codes = [c.code for c in cat.conditions()[key].icd10]
    return Diagnosis(
        condition=key,
        icd10=draw(st.none() | st.sampled_from(codes)) if codes else None,
        onset=draw(st.none() | past_dates),
        areas=draw(st.lists(areas(), max_size=2).map(tuple)),
    )


diagnoses_st = st.lists(diagnoses(), max_size=3).map(tuple)

clearances_st = st.lists(
    st.builds(
        ClearanceGrant,
        scope=st.sampled_from(
            ["scar_work", "surgical_site", "fracture_site", "pregnancy", "clot", "general", "flag"]
        ),
        area=st.none() | areas(),
        granted=past_dates,
        expires=st.none() | st.integers(min_value=-30, max_value=90).map(lambda d: ON + timedelta(days=d)),
        flag=st.sampled_from(sorted(cat.flags())),
    ),
    max_size=3,
).map(tuple)

checks_st = st.lists(
    st.builds(
        InflammationCheck, area=areas(), on=past_dates, clinician=st.just("Dr A"), reason=st.just("none")
    ),
    max_size=2,
).map(tuple)
birth_dates = st.none() | st.integers(min_value=18, max_value=95).map(lambda y: date(ON.year - y, 6, 1))


def _input(answers: HealthAnswers, diagnoses, concern, clearances, birth=None, checks=()) -> ScreeningInput:
    return ScreeningInput(
        on=ON,
        birth_date=birth,
        diagnoses=diagnoses,
        areas=concern,
        answers=answers,
        clearances=clearances,
        inflammation_checks=checks,
    )


def _combine(a: HealthAnswers, b: HealthAnswers) -> HealthAnswers:
    """Every answer of `a` plus every answer of `b` (the more worrying value wins); precision from `a`."""
    merged: dict[str, object] = {name: getattr(a, name) or getattr(b, name) for name in BOOLEAN_ANSWERS}
    merged.update({name: getattr(a, name) + getattr(b, name) for name in AREA_ANSWERS})
    merged.update({name: getattr(a, name) for name in PRECISION_ANSWERS})
    merged["pregnancy"] = max(a.pregnancy, b.pregnancy, key=PREGNANCY_ORDER.index)
    return HealthAnswers(**merged)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(answers_st, answers_st, diagnoses_st, area_lists, clearances_st, birth_dates, checks_st)
def test_more_answers_never_make_the_decision_less_restrictive(
    base, extra, diagnoses, concern, clearances, birth, checks
):
    before = screen(_input(base, diagnoses, concern, clearances, birth, checks))
    after = screen(_input(_combine(base, extra), diagnoses, concern, clearances, birth, checks))
    assert after.decision >= before.decision
    assert set(before.restricted_areas) <= set(after.restricted_areas)
    if before.pressure_cap is not None:
        assert after.pressure_cap is not None
        assert after.pressure_cap.rank <= before.pressure_cap.rank


def _overlaps(a: Area, b: Area) -> bool:
    return a.covers(b) or b.covers(a)


@settings(max_examples=150, deadline=None)
@given(answers_st, diagnoses_st, area_lists, clearances_st, checks_st)
def test_restricted_areas_come_only_from_answers_and_the_injured_sites(
    answers, diagnoses, concern, clearances, checks
):
    """An area is off limits only where an answer names it (or its limb), or where an injury is."""
    result = screen(_input(answers, diagnoses, concern, clearances, checks=checks))
    regions = cat.regions()

    def limb(area: Area) -> set[str]:
        kind = regions[area.region].limb
        return {k for k, r in regions.items() if r.limb == kind} if kind else {area.region}

    named = [
        *answers.open_wound_regions,
        *answers.fracture_regions,
        *(s.area for s in answers.recent_surgery),
        *(i.area for i in answers.inflamed_regions),
        *answers.cancer_bone_regions,
    ]
    injured = [
        *concern,
        *(a for d in diagnoses for a in d.areas),
        *(Area(r) for d in diagnoses for r in cat.conditions()[d.condition].regions),
        *(Area(r, "bilateral") for r in ("ankle_foot", "knee")),  # the Ottawa rules' default sites
    ]
    clot_limbs = {r for a in answers.clot_regions for r in limb(a)}
    for area in result.restricted_areas:
        assert (
            any(_overlaps(area, n) for n in named)
            or area.region in clot_limbs
            or any(area.region == i.region for i in injured)
        ), area


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
    visit_caps = [f.pressure_cap for f in result.findings if f.pressure_cap is not None and f.area is None]
    assert result.pressure_cap == (min(visit_caps, key=lambda p: p.rank) if visit_caps else None)
    # Held: a referral out or deferral always; a clearance only when the whole visit waits for it.
    assert result.blocked == any(f.holds_visit for f in result.findings)
    if result.decision.value in ("defer", "refer_out"):
        assert result.blocked
    for f in result.findings:
        if f.area is not None and f.pressure_cap is not None:
            cap = result.pressure_cap_at(f.area)
            assert cap is not None
            assert cap.rank <= f.pressure_cap.rank


@settings(max_examples=50, deadline=None)
@given(answers_st, diagnoses_st, area_lists, clearances_st)
def test_screening_is_deterministic(answers, diagnoses, concern, clearances):
    inp = _input(answers, diagnoses, concern, clearances)
    assert screen(inp) == screen(inp)
