"""The shared vocabulary is defined once; the Django choices that store it must carry the same values."""

from kneadwell.clinic.models import ServiceFamily
from kneadwell.knowledge import vocabulary as v
from kneadwell.knowledge.types import LATERALITIES
from kneadwell.patients.models import Lighting, Music, Pressure


def test_service_families_match_the_stored_choices() -> None:
    assert tuple(ServiceFamily.values) == v.SERVICE_FAMILIES
    assert set(v.SERVICE_FAMILIES) > v.CLINICAL_FAMILIES


def test_pressure_scale_matches_the_stored_choices() -> None:
    assert tuple(Pressure.values) == tuple(p.value for p in v.Pressure)


def test_ambience_matches_the_stored_choices() -> None:
    assert tuple(Lighting.values) == v.LIGHTING_VALUES
    assert tuple(Music.values) == v.MUSIC_VALUES


def test_the_catalogue_uses_the_same_sides() -> None:
    assert LATERALITIES == v.SIDES
