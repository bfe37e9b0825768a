"""The rule registry: what docs/clinical-rules.md is generated from must stay honest."""

from __future__ import annotations

import pytest

from kneadwell.intake.screening import Family, rules
from kneadwell.intake.screening.registry import Rule, RuleContext, check, rule
from kneadwell.knowledge import catalogue as cat

from .builders import make


def test_rules_are_listed_by_family_with_unique_ids():
    listed = rules()
    assert len({r.id for r in listed}) == len(listed)
    families = [r.family for r in listed]
    assert families == sorted(families, key=list(Family).index)
    assert {r.family for r in listed} == set(Family)
    assert all(r.id.split(".")[0] in {"red_flag", "local", "clearance", "precaution"} for r in listed)


def test_registry_names_only_catalogue_flags():
    assert check(cat.catalogue()) == []


def test_registering_an_id_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        rule("red_flag.fever", family=Family.RED_FLAG, flags=("fever_infection",))(lambda inp, ctx: ())


def test_a_rule_needs_a_description_and_flags():
    def undocumented(inp, ctx):
        return ()

    with pytest.raises(ValueError, match="description"):
        rule("test.undocumented", family=Family.PRECAUTION, flags=("pregnancy",))(undocumented)
    with pytest.raises(ValueError, match="flags"):
        rule("test.flagless", family=Family.PRECAUTION, flags=(), description="x")(undocumented)
    assert "test.undocumented" not in {r.id for r in rules()}


def test_a_rule_cannot_report_a_flag_it_did_not_declare():
    def sneaky(inp, ctx):
        yield ctx.finding("cancer_tumour", message_staff="s", message_patient="p")

    bad = Rule("test.sneaky", Family.PRECAUTION, "d", ("pregnancy",), sneaky)
    inp = make()
    with pytest.raises(LookupError, match="without declaring"):
        bad.run(inp, RuleContext(inp, cat.catalogue()))


def test_description_defaults_to_the_docstring_first_line():
    def documented(inp, ctx):
        """First line.

        More detail.
        """
        return ()

    rule("test.documented", family=Family.PRECAUTION, flags=("pregnancy",))(documented)
    from kneadwell.intake.screening import registry

    try:
        assert registry._REGISTRY["test.documented"].description == "First line."
    finally:
        del registry._REGISTRY["test.documented"]
