"""The matching rule for duplicate patients (pure: no database)."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.patients.identity import Identity, email_key, name_key, phone_key, same_person

BORN = dt.date(1980, 5, 1)
PAT = Identity("Pat", "Palmer", BORN, phone="(212) 555-0100", email="pat@example.org")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zoë", "ZOE"),
        ("José", "jose"),
        ("Anne-Marie", "anne marie"),
        ("O'Neil", "O’Neil"),
        ("  Pat  ", "pat"),
        ("Straße", "STRASSE"),
    ],
)
def test_names_compare_without_case_accents_or_punctuation(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Bjørn", "Bjorn"), ("Pat", "Patricia"), ("Ann", "Anne")])
def test_different_names_stay_different(a, b):
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize("typed", ["(212) 555-0100", "212.555.0100", "+1 212 555 0100", "1-212-555-0100"])
def test_phone_numbers_compare_as_numbers(typed):
    assert phone_key(typed, "US") == "+12125550100"


@pytest.mark.parametrize("typed", ["", "12", "call me", "+99 1"])
def test_text_that_is_not_a_phone_number_matches_nothing(typed):
    assert phone_key(typed, "US") is None


def test_a_number_without_a_plus_is_read_in_the_clinics_country():
    assert phone_key("020 7946 0018", "GB") == "+442079460018"
    assert phone_key("020 7946 0018", "US") != phone_key("020 7946 0018", "GB")


def test_e_mail_addresses_compare_without_case():
    assert email_key(" Pat@Example.ORG ") == email_key("pat@example.org")
    assert email_key("") is None


@pytest.mark.parametrize(
    "other",
    [
        Identity("PAT", "palmer", BORN, phone="+1 212 555 0100"),
        Identity("Pat", "Palmer", BORN, email="PAT@example.org"),
        Identity("Pàt", "Pälmer", BORN, phone="212-555-0100", email="other@example.org"),
    ],
)
def test_name_birth_date_and_a_phone_or_e_mail_in_common_is_the_same_person(other):
    assert same_person(PAT, other, region="US")


@pytest.mark.parametrize(
    "other",
    [
        # Name and birth date alone: people share them.
        Identity("Pat", "Palmer", BORN),
        Identity("Pat", "Palmer", BORN, phone="212 555 0199", email="another@example.org"),
        # A twin: same family name, birth date, phone.
        Identity("Sam", "Palmer", BORN, phone="(212) 555-0100"),
        Identity("Pat", "Palmer", dt.date(1980, 5, 2), phone="(212) 555-0100"),
    ],
)
def test_anything_less_is_not_the_same_person(other):
    assert not same_person(PAT, other, region="US")


names = st.text(st.characters(categories=["L", "Mn", "Zs", "Pd"]), min_size=1, max_size=20)
identities = st.builds(
    Identity,
    given_name=names,
    family_name=names,
    birth_date=st.dates(dt.date(1900, 1, 1), dt.date(2026, 1, 1)),
    phone=st.sampled_from(["", "(212) 555-0100", "+1 212 555 0199", "12"]),
    email=st.sampled_from(["", "a@example.org", "B@example.org"]),
)


@given(identities, identities)
def test_the_rule_is_symmetric(a, b):
    assert same_person(a, b, region="US") == same_person(b, a, region="US")


@given(names)
def test_a_name_key_ignores_case_folding_and_composition_and_is_its_own_key(name):
    assert name_key(name.casefold()) == name_key(name)
    assert name_key(unicodedata.normalize("NFC", name)) == name_key(unicodedata.normalize("NFD", name))
    assert name_key(name_key(name)) == name_key(name)
