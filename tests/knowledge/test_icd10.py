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


# --- Issue 7, item 10: the 7th character the encounter needs, and every side ------------------------


def test_visits_after_the_first_take_the_d_character_of_an_injury_code():
    from kneadwell.knowledge.icd10 import encounter_code

    assert encounter_code("S93.401A", initial=False) == "S93.401D"
    assert encounter_code("S93.401D", initial=True) == "S93.401A"
    assert encounter_code("S13.4XXS", initial=False) == "S13.4XXS"  # a sequela stays a sequela
    assert encounter_code("M54.50", initial=False) == "M54.50"  # no 7th character


def test_injury_codes_are_offered_with_a_and_d_and_left_right_and_unspecified_sides():
    from kneadwell.knowledge import catalogue

    codes = {c.code for c in catalogue.conditions()["strain_sprain"].icd10}
    for stem in ("S93.40", "S43.40", "S46.01", "S63.50", "S76.01", "S76.31", "S86.01"):
        for side in "129":
            for seventh in "AD":
                assert f"{stem}{side}{seventh}" in codes, f"{stem}{side}{seventh}"
    whiplash = {c.code for c in catalogue.conditions()["whiplash"].icd10}
    assert {"S13.4XXA", "S13.4XXD", "S16.1XXA", "S16.1XXD", "S14.2XXA", "S14.2XXD"} <= whiplash
