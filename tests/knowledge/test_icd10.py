"""ICD-10-CM codes in the catalogue against the installed official code set [R1]."""

import pytest

from kneadwell.knowledge import catalogue, icd10, loader

CONDITIONS = catalogue.conditions()


def _all_codes():
    for c in CONDITIONS.values():
        for code in c.icd10:
            yield c.key, "icd10", code
        for code in c.header_codes:
            yield c.key, "header_codes", code
        for code in c.do_not_map:
            yield c.key, "do_not_map", code


@pytest.mark.parametrize(
    ("condition", "code"), [(c.key, code.code) for c in CONDITIONS.values() for code in c.icd10]
)
def test_every_catalogue_code_is_valid_and_billable(condition, code):
    lookup = icd10.icd10_lookup(code)
    assert lookup.valid, f"{condition}: {code} is not in the installed ICD-10-CM code set"
    assert lookup.billable, f"{condition}: {code} is a header, not a billable leaf"


@pytest.mark.parametrize(
    ("condition", "code"), [(c.key, code.code) for c in CONDITIONS.values() for code in c.header_codes]
)
def test_every_header_code_is_valid_and_not_billable(condition, code):
    lookup = icd10.icd10_lookup(code)
    assert lookup.valid, f"{condition}: {code} is not in the code set"
    assert not lookup.billable, f"{condition}: {code} is billable, so it is not a header"
    assert lookup.children, f"{condition}: header {code} offers no billable children"


def test_codes_never_to_auto_map_are_real_codes():
    codes = [code.code for c in CONDITIONS.values() for code in c.do_not_map]
    assert codes == ["G44.1"]
    assert icd10.icd10_lookup("G44.1").valid


def test_every_title_is_the_official_title():
    mismatched = [
        (key, field, code.code)
        for key, field, code in _all_codes()
        if code.title != icd10.icd10_title(code.code)
    ]
    assert mismatched == []


def test_the_invalid_unsided_jaw_sprain_code_is_nowhere_in_the_catalogue():
    # REFERENCE §7A: S03.4XXA is still cited on the web but is invalid in the 2026 code set.
    assert not icd10.icd10_lookup("S03.4XXA").valid
    assert "S03.4XXA" not in {code.code for _, _, code in _all_codes()}
    for path in loader.data_dir().glob("*.toml"):
        assert "S03.4XXA" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize(
    ("header", "billable"),
    [
        ("M54.5", ("M54.50", "M54.51", "M54.59")),
        ("M75.0", ("M75.00", "M75.01", "M75.02")),
        ("M26.60", ("M26.601", "M26.602", "M26.603", "M26.609")),
    ],
)
def test_lookup_of_a_header_suggests_its_billable_children(header, billable):
    assert icd10.icd10_lookup(header) == (True, False, billable)


def test_lookup_of_a_header_two_levels_up_suggests_only_full_length_codes():
    children = icd10.icd10_lookup("S03.4").children
    assert "S03.41XA" in children
    assert "S03.41" not in children


def test_lookup_normalises_case_and_dots():
    assert icd10.icd10_lookup(" m54.50 ") == (True, True, ())
    assert icd10.icd10_lookup("M5450") == (True, True, ())


@pytest.mark.parametrize("code", ["", "S03.4XXA", "M54.5Z", "M50-M54", "XYZ"])
def test_lookup_rejects_what_is_not_a_code(code):
    assert icd10.icd10_lookup(code) == (False, False, ())


def test_every_condition_except_relaxation_has_a_diagnosis_code():
    for c in CONDITIONS.values():
        assert any(code.role == "diagnosis" for code in c.icd10), c.key
