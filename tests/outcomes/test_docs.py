"""docs/outcome-measures.md is generated from the instrument definitions and must not drift."""

from pathlib import Path

from kneadwell.outcomes import docs
from kneadwell.outcomes.instruments import instruments

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "outcome-measures.md"


def test_committed_outcome_measures_match_the_generator() -> None:
    # If this fails, run: .venv/bin/python -m kneadwell.outcomes.docs
    assert COMMITTED.read_text(encoding="utf-8") == docs.render()


def test_every_instrument_has_a_section_with_its_scoring_key() -> None:
    text = docs.render()
    for key, inst in instruments().items():
        assert f"## {inst.name} (`{key}`)" in text
        assert f"- Scoring key for packs: `{inst.method}`." in text


def test_detectable_changes_are_listed_apart_from_mcids() -> None:
    section = docs.render().split("## Neck Disability Index (NDI) (`ndi`)\n", 1)[1].split("\n## ", 1)[0]
    mcids, others = section.split("- Other thresholds (not MCIDs):")
    assert "7.5 points" in mcids
    assert "10.2" not in mcids
    assert "minimal detectable change (measurement error, not an MCID): 10.2 points" in others


def test_text_status_follows_the_shipped_pack() -> None:
    text = docs.render()
    assert "| Neck Disability Index (NDI) (`ndi`) | 10 | 0–50 points | higher_is_worse | no |" in text
    assert "- Item text ships: yes, in the shipped pack `kneadwell-free-en`." in text


def test_check_mode_detects_drift(tmp_path: Path) -> None:
    target = tmp_path / "outcome-measures.md"
    target.write_text("stale\n", encoding="utf-8")
    assert docs.main(["--check", "--output", str(target)]) == 1
    assert docs.main(["--output", str(target)]) == 0
    assert docs.main(["--check", "--output", str(target)]) == 0
