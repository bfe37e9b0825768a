"""Issue 9, item 11: a patient's birth date and phone are checked where every interface registers them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kneadwell.patients.models import Patient
from kneadwell.patients.services import patient_create, patient_update

NEW = {"given_name": "Nina", "family_name": "Noor", "birth_date": dt.date(1990, 4, 2)}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"birth_date": dt.date(1899, 12, 31)}, "birth_date", id="born-before-1900"),
        pytest.param({"birth_date": dt.date(1, 1, 1)}, "birth_date", id="born-in-year-1"),
        pytest.param({"birth_date": dt.date(9999, 12, 31)}, "birth_date", id="born-in-9999"),
        pytest.param({"phone": "1"}, "phone", id="phone-of-one-digit"),
        pytest.param({"phone": "call me"}, "phone", id="phone-in-words"),
        pytest.param({"phone": "12345678901234567890"}, "phone", id="phone-too-long"),
    ],
)
def test_a_new_patient_with_an_impossible_value_is_refused_on_the_field(cast, changes, field):
    before = Patient.objects.count()

    with pytest.raises(ValidationError) as refused:
        patient_create(actor=cast.desk, **{**NEW, **changes})

    assert list(refused.value.message_dict) == [field]
    assert Patient.objects.count() == before


@pytest.mark.parametrize("phone", ["(212) 555-0100", "212 555 0100", "+44 20 7946 0000", "555-0101", ""])
def test_real_phone_numbers_and_none_are_taken(cast, phone):
    patient = patient_create(actor=cast.desk, **NEW, phone=phone)
    assert patient.phone == phone


def test_a_birth_date_on_1900_01_01_is_taken(cast):
    assert patient_create(actor=cast.desk, **{**NEW, "birth_date": dt.date(1900, 1, 1)}).pk


def test_the_phone_region_reads_numbers_without_a_plus(cast, settings):
    # 07700 900123 is a British mobile number: too long for one dialled in the US.
    with pytest.raises(ValidationError):
        patient_create(actor=cast.desk, **NEW, phone="07700 900123")
    settings.KNEADWELL_PHONE_REGION = "GB"
    assert patient_create(actor=cast.desk, **NEW, phone="07700 900123").pk


def test_an_update_is_checked_on_the_fields_it_changes(cast):
    with pytest.raises(ValidationError) as refused:
        patient_update(actor=cast.desk, patient=cast.pat, data={"phone": "12"})
    assert list(refused.value.message_dict) == ["phone"]
    cast.pat.refresh_from_db()
    assert cast.pat.phone == ""


def test_a_record_from_before_the_rule_does_not_block_other_changes(cast):
    # An old record with a number that is not one can still have its city changed.
    Patient.objects.filter(pk=cast.pat.pk).update(phone="ext. 12")
    cast.pat.refresh_from_db()

    patient_update(actor=cast.desk, patient=cast.pat, data={"city": "Troy"})

    cast.pat.refresh_from_db()
    assert (cast.pat.city, cast.pat.phone) == ("Troy", "ext. 12")
