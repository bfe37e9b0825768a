"""A new patient matching an existing one is offered as that record, except to those who may not learn of it."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.patients.services import DuplicatePatient, patient_create

PAT_AGAIN = {
    "given_name": "PAT",
    "family_name": "Pálmer",
    "birth_date": dt.date(1980, 5, 1),
    "phone": "212 555 0100",
}


@pytest.fixture
def pat_has_a_phone(cast):  # type: ignore[no-untyped-def]
    Patient.objects.filter(pk=cast.pat.pk).update(phone="(212) 555-0100")
    return cast


def test_the_desk_is_offered_the_existing_record(pat_has_a_phone):
    cast = pat_has_a_phone
    before = Patient.objects.count()

    with pytest.raises(DuplicatePatient) as exc:
        patient_create(actor=cast.desk, **PAT_AGAIN)

    assert exc.value.matches == [cast.pat]
    assert exc.value.status_code == 409
    assert exc.value.message.startswith("This looks like Pat Palmer, born 1 May 1980")
    assert Patient.objects.count() == before


def test_the_desk_registers_someone_else_once_confirmed(pat_has_a_phone):
    new = patient_create(actor=pat_has_a_phone.desk, confirm_new=True, **PAT_AGAIN)

    assert new.pk != pat_has_a_phone.pat.pk
    assert new.suspected_duplicate_of is None


def test_a_referrers_patient_matching_an_existing_one_is_held_for_the_desk_and_tells_nothing(pat_has_a_phone):
    cast = pat_has_a_phone
    # Rob referred Paula only: he must not learn that Pat is a patient here, nor reach Pat's chart.
    held = patient_create(actor=cast.rob_user, referred=True, **PAT_AGAIN)

    assert held.pk != cast.pat.pk
    assert held.suspected_duplicate_of == cast.pat
    assert not patient_scope(cast.rob_user).filter(pk=cast.pat.pk).exists()


def test_a_referrer_cannot_force_a_link_with_confirm_new(pat_has_a_phone):
    held = patient_create(actor=pat_has_a_phone.rob_user, referred=True, confirm_new=True, **PAT_AGAIN)

    assert held.suspected_duplicate_of == pat_has_a_phone.pat


@pytest.mark.parametrize(
    "other",
    [
        {"phone": ""},  # name and birth date only
        {"birth_date": dt.date(1980, 5, 2)},
        {"given_name": "Sam"},
    ],
)
def test_less_than_a_match_registers_a_new_patient(pat_has_a_phone, other):
    new = patient_create(actor=pat_has_a_phone.desk, **{**PAT_AGAIN, **other})

    assert new.pk != pat_has_a_phone.pat.pk


def test_a_merged_record_is_not_offered(pat_has_a_phone):
    cast = pat_has_a_phone
    Patient.objects.filter(pk=cast.pat.pk).update(merged_into=cast.paula)

    assert patient_create(actor=cast.desk, **PAT_AGAIN).pk
