import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kneadwell.therapists.models import Expertise, Licence, Training, WorkingHours


def test_training_must_be_a_catalogue_technique(cast):
    with pytest.raises(ValidationError) as exc:
        Training(therapist=cast.tess, technique="reiki").full_clean()
    assert "technique" in exc.value.message_dict


def test_expertise_must_be_a_catalogue_condition(cast):
    with pytest.raises(ValidationError) as exc:
        Expertise(therapist=cast.tess, condition="hangover", level=2).full_clean()
    assert "condition" in exc.value.message_dict


def test_a_licence_cannot_expire_before_it_is_issued(cast):
    licence = Licence(
        therapist=cast.tess,
        jurisdiction="US-NY",
        number="9",
        title="LMT",
        issued=dt.date(2026, 1, 2),
        expires=dt.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        licence.full_clean()
    assert "expires" in exc.value.message_dict


def test_valid_licence_is_judged_by_jurisdiction_and_date(cast):
    assert cast.tess.valid_licence("US-NY", dt.date(2026, 12, 1)) is not None
    assert cast.tess.valid_licence("US-IL", dt.date(2026, 12, 1)) is None
    assert cast.tess.valid_licence("US-NY", dt.date(2031, 1, 1)) is None


def test_working_hours_must_end_after_they_start(cast):
    hours = WorkingHours(
        therapist=cast.tess,
        location=cast.hospital,
        weekday=0,
        start_time=dt.time(17),
        end_time=dt.time(9),
        effective_from=dt.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        hours.full_clean()
    assert "end_time" in exc.value.message_dict


def test_working_hours_apply_within_their_dates_only(cast):
    hours = WorkingHours(
        weekday=0,
        start_time=dt.time(9),
        end_time=dt.time(17),
        effective_from=dt.date(2026, 1, 5),
        effective_until=dt.date(2026, 1, 31),
    )
    assert hours.applies_on(dt.date(2026, 1, 5))
    assert not hours.applies_on(dt.date(2026, 1, 6))  # a Tuesday
    assert not hours.applies_on(dt.date(2026, 2, 2))  # after the end date
