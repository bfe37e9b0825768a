import pytest
from django.core.exceptions import ValidationError

from kneadwell.clinic.models import Location, Room, Service


def _location(**kw):
    fields = {"name": "X", "kind": "hospital", "time_zone": "America/New_York", "jurisdiction": "US-NY", **kw}
    return Location(**fields)


def test_a_valid_location_passes(db):
    _location().full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_zone", "Mars/Olympus"), ("jurisdiction", "Ohio"), ("jurisdiction", "us-oh"), ("kind", "spa")],
)
def test_a_bad_location_names_the_field(db, field, value):
    with pytest.raises(ValidationError) as exc:
        _location(**{field: value}).full_clean()
    assert field in exc.value.message_dict


def test_room_features_must_be_known(cast):
    room = Room(location=cast.hospital, name="New", features=["massage_table", "jacuzzi"])
    with pytest.raises(ValidationError) as exc:
        room.full_clean()
    assert "jacuzzi" in str(exc.value.message_dict["features"])


def test_default_services_exist_with_spot_work_only_at_chiro_and_pt(db):
    codes = set(Service.objects.values_list("code", flat=True))
    assert {"relaxation-60", "therapeutic-30", "therapeutic-60", "therapeutic-90", "spot-work-15"} <= codes
    spot = Service.objects.get(code="spot-work-15")
    assert sorted(spot.location_kinds) == ["chiropractic_office", "physical_therapy_clinic"]
    assert spot.duration_minutes == 15


def test_a_service_offered_nowhere_is_refused(db):
    service = Service(code="x", name="X", family="therapeutic", duration_minutes=60, location_kinds=[])
    with pytest.raises(ValidationError) as exc:
        service.full_clean()
    assert "location_kinds" in exc.value.message_dict
