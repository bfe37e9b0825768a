"""Instrument packs: validated against the scoring definition; only free text ships (REFERENCE §10)."""

from pathlib import Path

import pytest

from kneadwell.outcomes.instruments import FREE, LICENSED, OWN, instruments
from kneadwell.outcomes.packs import (
    SHIPPED_PACK_DIR,
    Pack,
    PackError,
    available_instruments,
    load_pack,
    load_packs,
    parse_pack,
    shipped_packs,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "instrument-packs.md"


def example_text() -> str:
    """The example pack of docs/instrument-packs.md (placeholder HIT-6 text)."""
    after = DOC.read_text(encoding="utf-8").split("<!-- example-pack -->", 1)[1]
    return after.split("```toml\n", 1)[1].split("```", 1)[0]


def example(**replacements: str) -> str:
    text = example_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def parse(text: str) -> Pack:
    return parse_pack(text, source="clinic.toml")


# --- The shipped pack ----------------------------------------------------------------------------


def test_the_shipped_pack_holds_only_free_and_own_instruments() -> None:
    shipped = {t.instrument for pack in shipped_packs() for t in pack.instruments}
    assert shipped == {k for k, i in instruments().items() if i.licence in {FREE, OWN}}
    assert not {k for k, i in instruments().items() if i.licence == LICENSED} & shipped


def test_without_a_clinic_pack_licensed_instruments_are_not_offered() -> None:
    offered = available_instruments(shipped_packs())
    assert list(offered) == ["nprs", "psfs", "phq2", "gad2", "stress_nrs", "sleep_nrs", "mood_nrs"]


def test_the_free_screeners_carry_their_owner_s_notice() -> None:
    offered = available_instruments(shipped_packs())
    assert "No permission required to reproduce" in offered["phq2"].attribution
    assert next(o.text for o in offered["gad2"].items[0].options) == "Not at all"


def test_the_shipped_pack_is_the_only_file_in_its_directory() -> None:
    assert [p.name for p in SHIPPED_PACK_DIR.glob("*.toml")] == ["free-en.toml"]


# --- The documented example ---------------------------------------------------------------------


def test_the_documented_example_loads_and_makes_hit6_available() -> None:
    pack = parse(example_text())
    text = pack.instruments[0]
    assert (pack.name, text.instrument, len(text.items)) == ("example-clinic-licensed", "hit6", 6)
    assert [o.points for o in text.items[0].options] == [6, 8, 10, 11, 13]
    assert "EXAMPLE-0000" in text.licence
    assert "hit6" in available_instruments([*shipped_packs(), pack])


def test_a_pack_file_and_a_pack_directory_load(tmp_path: Path) -> None:
    (tmp_path / "hit6.toml").write_text(example_text(), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a pack", encoding="utf-8")
    assert load_pack(tmp_path / "hit6.toml").source.endswith("hit6.toml")
    assert [p.name for p in load_packs(tmp_path)] == ["example-clinic-licensed"]


# --- A pack that does not match the scoring definition is refused --------------------------------


def test_a_scoring_key_mismatch_names_the_item_and_both_keys() -> None:
    bad = example(
        **{'{ points = 11, text = "Placeholder answer D" }': '{ points = 12, text = "Placeholder answer D" }'}
    )
    with pytest.raises(PackError) as err:
        parse(bad)
    message = str(err.value)
    assert "clinic.toml: instrument 'hit6': item 'q1'" in message
    assert "[6, 8, 10, 12, 13]" in message
    assert "scoring key for this item is [6, 8, 10, 11, 13]" in message


def test_a_different_scoring_method_is_refused() -> None:
    with pytest.raises(PackError, match=r"scoring method 'hit6_mean' does not match .* 'hit6_sum'"):
        parse(example(**{'method = "hit6_sum"': 'method = "hit6_mean"'}))


def test_a_different_range_is_refused() -> None:
    with pytest.raises(PackError, match=r"range \[0, 100\] does not match .*36–78 points"):
        parse(example(**{"range = [36, 78]": "range = [0, 100]"}))


def test_a_missing_item_is_refused_with_the_count() -> None:
    text = example_text()
    without_q6 = text[: text.index('[[instrument.item]]\nkey = "q6"')]
    with pytest.raises(PackError, match=r"has 5 item\(s\); Headache Impact Test \(HIT-6\) is scored over 6"):
        parse(without_q6)


def test_items_out_of_order_are_refused() -> None:
    bad = example(
        **{'key = "q2"': 'key = "q3"', 'key = "q3"\ntext = "Placeholder for item 3': 'key = "q2"\ntext = "x'}
    )
    with pytest.raises(PackError, match="item #2 is 'q3'; the scoring definition has 'q2' there"):
        parse(bad)


def test_inline_options_are_checked_too() -> None:
    bad = example(**{'options = "frequency"': 'options = [{ points = 6, text = "Only one answer" }]'})
    with pytest.raises(PackError, match=r"item 'q1': answer options score \[6\]"):
        parse(bad)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('key = "hit6"', 'key = "whodas"', "no scoring definition for 'whodas'"),
        ('version = "v1.1 (placeholder)"\n', "", "instrument 'hit6': missing field 'version'"),
        (
            'title = "Headache impact questionnaire (placeholder title)"',
            'title = ""',
            "field 'title' must be non-empty",
        ),
        ('language = "en"', 'language = "en"\ncolour = "blue"', r"unknown field\(s\) \['colour'\]"),
        ('options = "frequency"', 'options = "weekly"', "unknown option set 'weekly'"),
        ("format = 1", "format = 2", "pack format 2 is not supported"),
        ('text = "Placeholder for item 1 of the licensed form."', "text = 7", "item 'q1': field 'text'"),
        ('name = "example-clinic-licensed"', 'name = "unterminated', "not valid TOML"),
    ],
)
def test_malformed_packs_are_refused_precisely(old: str, new: str, message: str) -> None:
    with pytest.raises(PackError, match=message):
        parse(example(**{old: new}))


def test_the_same_instrument_twice_in_one_pack_is_refused() -> None:
    text = example_text()
    instrument_part = text[text.index("[[instrument]]") :]
    with pytest.raises(PackError, match=r"instrument 'hit6' \(en\) appears twice"):
        parse(text + "\n" + instrument_part)


def test_two_packs_providing_the_same_instrument_are_refused_when_combined() -> None:
    first = parse(example_text())
    second = parse(example(**{'name = "example-clinic-licensed"': 'name = "second"'}))
    with pytest.raises(PackError, match="provided by both pack 'example-clinic-licensed' and pack 'second'"):
        available_instruments([first, second])


def test_availability_is_per_language() -> None:
    spanish = parse(example(**{'language = "en"': 'language = "es"'}))
    assert "hit6" not in available_instruments([spanish])
    assert list(available_instruments([spanish], language="es")) == ["hit6"]


def test_an_unreadable_file_is_a_pack_error(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="cannot be read"):
        load_pack(tmp_path / "missing.toml")
