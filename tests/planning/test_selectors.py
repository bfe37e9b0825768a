import pytest

from kneadwell.knowledge.vocabulary import Area
from kneadwell.planning.selectors import avoid_area


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("abdomen", Area("abdomen")),
        ("Left calf", Area("calf", "left")),
        ("knee", Area("knee", "bilateral")),
        ("right shoulder incision", None),  # a spot inside a region: the therapist reads the text
        ("left calf (DVT history)", None),
        ("tickly bits", None),
    ],
)
def test_only_a_whole_named_region_is_read_as_an_area_to_avoid(text, area):
    assert avoid_area(text) == area


def test_a_region_the_patient_asked_us_to_avoid_is_not_planned(cast):
    import datetime as dt

    from kneadwell.clinic.models import Service
    from kneadwell.intake.services import intake_record
    from kneadwell.knowledge.schemas import AreaIn
    from kneadwell.planning.selectors import screened_session_plan
    from kneadwell.scheduling.selectors import visit_history
    from kneadwell.therapists.models import Training

    Training.objects.create(therapist=cast.tess, technique="swedish")
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Neck and upper back",
        areas=[AreaIn(region="upper_back"), AreaIn(region="neck")],
    )
    service = Service.objects.get(code="therapeutic-60")

    def regions() -> set[str]:
        plan, _ = screened_session_plan(
            patient=cast.pat,
            service=service,
            therapist=cast.tess,
            on=dt.date(2026, 12, 1),
            history=visit_history(cast.pat),
        )
        return {s.region for s in plan.segments}

    assert "neck" in regions()
    cast.pat.areas_to_avoid = ["neck"]
    cast.pat.save()
    assert "neck" not in regions()
