"""docs/clinical-rules.md is generated from the catalogue and must not drift."""

from pathlib import Path

from kneadwell import docgen as docs

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "clinical-rules.md"


def test_committed_clinical_rules_match_the_generator():
    # If this fails, run: .venv/bin/python -m kneadwell.docgen
    assert COMMITTED.read_text(encoding="utf-8") == docs.render()


def test_every_screening_rule_is_listed_with_its_sources():
    from kneadwell.intake.screening import rules

    text = docs.render()
    section = text.split("## Screening rules", 1)[1].split("\n## ", 1)[0]
    for rule in rules():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{rule.id}` |"))
        assert all(source in row for source in rule.sources())


def test_every_tailoring_rule_is_listed():
    from kneadwell.planning.tailoring import RULES

    text = docs.render()
    assert all(f"| `{rule_id}` |" in text for rule_id in RULES)


def test_the_document_shows_sources_and_unverified_labels():
    text = docs.render()
    assert "- **R30** (verified)" in text
    assert "(unverified)" in text
    assert "M54.5 — Low back pain." in text
    assert "M54.50, M54.51, M54.59" in text


def test_check_mode_detects_drift(tmp_path):
    target = tmp_path / "clinical-rules.md"
    target.write_text("stale\n", encoding="utf-8")
    assert docs.main(["--check", "--output", str(target)]) == 1
    assert docs.main(["--output", str(target)]) == 0
    assert docs.main(["--check", "--output", str(target)]) == 0


def test_every_flag_is_listed_with_the_question_that_asks_it():
    from kneadwell.knowledge import catalogue

    text = docs.render()
    section = text.split("## Health questions", 1)[1].split("\n## ", 1)[0]
    for flag_id in catalogue.flags():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{flag_id}` |"))
        assert "`?`" not in row, row


def test_the_gate_doses_and_stage_adaptations_are_documented():
    text = docs.render()
    assert "## The clinical gate" in text
    assert "screening_hold" in text
    assert "| Tension-type headache | 2×/week × 6 weeks, 45 min |" in text
    assert "**Adaptations by stage or chronicity** (tailoring)" in text
    assert "Cervical radiculopathy (M54.12, M50.121, M50.122, M50.123)" in text
