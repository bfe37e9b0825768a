"""Cross-references, provenance and canonical keys of the catalogue data."""

import re
import shutil
import subprocess
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from kneadwell.knowledge import catalogue, loader
from kneadwell.knowledge import types as ktypes

REFERENCE_IDS = {f"R{n}" for n in range(1, 53)} | {"R25b", "R26b"}
REGIONS = {
    "head", "face", "jaw", "neck", "upper_back", "low_back", "chest", "abdomen", "shoulder", "upper_arm",
    "forearm", "wrist_hand", "hip_gluteal", "thigh", "knee", "calf", "ankle_foot",
}  # fmt: skip
PAIRED = {
    "jaw",
    "shoulder",
    "upper_arm",
    "forearm",
    "wrist_hand",
    "hip_gluteal",
    "thigh",
    "knee",
    "calf",
    "ankle_foot",
}


def test_the_catalogue_loads_without_errors():
    assert loader.load_errors() == []


def test_every_reference_source_is_in_the_sources_file():
    assert set(catalogue.sources()) >= REFERENCE_IDS


def test_every_source_has_a_citation_and_a_level():
    for source in catalogue.sources().values():
        assert source.citation.strip(), source.id
        assert source.level in ktypes.SOURCE_LEVELS, source.id


def _provenanced(obj, path):
    """Yield (path, item) for every item in an entry that carries sources/verified."""
    if isinstance(obj, tuple):
        for i, item in enumerate(obj):
            yield from _provenanced(item, f"{path}[{i}]")
        return
    if not is_dataclass(obj):
        return
    names = {f.name for f in fields(obj)}
    if {"sources", "verified"} <= names:
        yield path, obj
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value) or isinstance(value, tuple):
            yield from _provenanced(value, f"{path}.{f.name}")


def _every_item():
    cat = catalogue.catalogue()
    for table in (cat.regions, cat.techniques, cat.flags, cat.measures, cat.rom_motions, cat.conditions):
        for key, entry in table.items():
            yield from _provenanced(entry, key)
    yield from _provenanced(cat.chronicity_default, "chronicity_default")


def test_every_cited_source_id_exists():
    known = set(catalogue.sources())
    unknown = [(path, s) for path, item in _every_item() for s in item.sources if s not in known]
    assert unknown == []


def test_every_item_cites_a_source_or_is_marked_unverified_with_a_reason():
    bare = [path for path, item in _every_item() if item.verified and not item.sources]
    unexplained = [
        path for path, item in _every_item() if not item.verified and not item.unverified_reason.strip()
    ]
    assert bare == []
    assert unexplained == []


def test_items_the_reference_marks_unverified_stay_unverified():
    conditions = catalogue.conditions()
    flags = catalogue.flags()
    assert not conditions["whiplash"].techniques_basis.verified
    assert not conditions["frozen_shoulder"].regions_basis.verified
    assert not flags["jaw_trauma"].verified
    assert not flags["recent_steroid_injection"].verified
    assert not catalogue.techniques()["resistive_stretching"].billing_hint.verified
    assert conditions["tension_headache"].regions_basis.verified


def test_every_cross_reference_resolves():
    cat = catalogue.catalogue()
    for c in cat.conditions.values():
        assert set(c.regions) | set(c.related_regions) <= set(cat.regions), c.key
        assert set(c.techniques) <= set(cat.techniques), c.key
        assert set(c.outcome_measures) <= set(cat.measures), c.key
        assert set(c.rom_motions) <= set(cat.rom_motions), c.key
        assert all(cat.flags[f.id] == f for f in (*c.precautions, *c.red_flags)), c.key
    for rom in cat.rom_motions.values():
        assert rom.region in cat.regions, rom.key
    for flag in cat.flags.values():
        assert set(flag.regions) <= set(cat.regions), flag.id


def test_canonical_regions_and_laterality():
    regions = catalogue.regions()
    assert set(regions) >= REGIONS
    assert {k for k in REGIONS if regions[k].paired} == PAIRED
    assert regions["knee"].sides == ("left", "right", "bilateral")
    assert regions["neck"].sides == ()


def test_the_ten_conditions_of_the_document_plus_relaxation_have_clinical_content():
    for c in catalogue.conditions().values():
        assert c.icd10, c.key
        assert c.techniques, c.key
        assert c.outcome_measures, c.key
        if c.regions_scope == "listed":
            assert c.regions, c.key


def test_gates_from_the_document():
    conditions = catalogue.conditions()
    assert conditions["post_surgical_scar"].requires_clearance
    assert "R48" in conditions["post_surgical_scar"].requires_clearance_basis.sources
    assert conditions["strain_sprain"].inflammation_gate
    assert "R38" in conditions["strain_sprain"].inflammation_gate_basis.sources
    # Whiplash is a neck sprain or strain: the same first-72-hours gate (issue 7).
    assert conditions["whiplash"].inflammation_gate
    gated = {k for k, c in conditions.items() if c.requires_clearance or c.inflammation_gate}
    assert gated == {"post_surgical_scar", "strain_sprain", "whiplash"}


def test_headache_conditions_screen_the_snoop4_red_flags():
    for key in ("migraine", "cluster_headache", "tension_headache", "sinus_headache"):
        ids = {f.id for f in catalogue.conditions()[key].red_flags}
        assert {"snoop_thunderclap", "snoop_neurologic", "snoop_pattern_change"} <= ids, key


def test_low_back_and_radiating_pain_screen_cauda_equina():
    for key in ("low_back_pain", "radiating_pain"):
        flag = {f.id: f for f in catalogue.conditions()[key].red_flags}["cauda_equina"]
        assert (flag.action, flag.urgency, flag.sources) == ("refer_out", "emergency", ("R36",))


def test_techniques_phases_and_stretching():
    techniques = catalogue.techniques()
    assert catalogue.catalogue().phase_order == ("warm_up", "specific", "stretching", "finishing")
    assert "convention" in catalogue.catalogue().phase_order_basis
    assert {k for k, t in techniques.items() if t.is_stretching} == {
        "passive_stretching",
        "resistive_stretching",
    }
    assert techniques["swedish"].phases == ("warm_up", "finishing")
    assert catalogue.phase_rank("lymphatic_drainage") < catalogue.phase_rank("deep_tissue")
    assert catalogue.phase_rank("deep_tissue") < catalogue.phase_rank("passive_stretching")
    assert {k for k, t in techniques.items() if t.scope_restricted} == {"intraoral_tmj"}


def test_versions_are_read_from_every_file():
    assert set(catalogue.versions()) == set(loader.FILES)
    assert all(isinstance(v, int) and v >= 1 for v in catalogue.versions().values())


def test_knowledge_does_not_import_django():
    code = (
        "import sys, kneadwell.knowledge.catalogue as c, kneadwell.docgen; c.catalogue(); "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- Broken data is reported with the file and entry ---------------------------------------


@pytest.fixture
def data_dir(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(loader.data_dir(), target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_copy_of_the_data_is_clean(data_dir):
    assert loader.load_errors(data_dir) == []


def test_an_unknown_source_id_names_file_and_entry(data_dir):
    _edit(data_dir / "techniques.toml", 'sources = ["R48"]', 'sources = ["R99"]')
    errors = loader.load_errors(data_dir)
    assert any("techniques.toml" in e and "'scar_mobilization'" in e and "R99" in e for e in errors), errors


def test_an_unknown_technique_key_names_file_and_entry(data_dir):
    _edit(
        data_dir / "conditions.toml",
        'techniques = ["swedish", "myofascial_release", "trigger_point", "passive_stretching", "cross_fiber_friction"]',
        'techniques = ["cupping"]',
    )
    errors = loader.load_errors(data_dir)
    assert any("conditions.toml" in e and "'tendinopathy'" in e and "cupping" in e for e in errors), errors


def test_an_unknown_flag_id_names_file_and_entry(data_dir):
    _edit(data_dir / "conditions.toml", 'red_flags = ["cauda_equina"]', 'red_flags = ["cauda_equine"]')
    errors = loader.load_errors(data_dir)
    assert len(errors) == 1
    assert "conditions.toml: condition 'low_back_pain'" in errors[0]
    assert "cauda_equine" in errors[0]


def test_an_unsourced_item_without_reason_is_rejected(data_dir):
    _edit(data_dir / "flags.toml", 'id = "fever_infection"', 'id = "fever_infection"\nverified = false')
    errors = loader.load_errors(data_dir)
    assert any("flags.toml" in e and "'fever_infection'" in e and "unverified_reason" in e for e in errors)


def test_a_misspelt_field_is_rejected(data_dir):
    _edit(data_dir / "measures.toml", 'direction = "higher_is_better"', 'directoin = "higher_is_better"')
    errors = loader.load_errors(data_dir)
    assert len(errors) == 1
    assert re.search(r"measures\.toml: measure '(psfs|lefs)'", errors[0]), errors


def test_validate_raises_a_clear_error(data_dir):
    _edit(
        data_dir / "regions.toml",
        'paired = true\nsvg_area = "front:knee"',
        'paired = "yes"\nsvg_area = "front:knee"',
    )
    with pytest.raises(
        ktypes.CatalogueError,
        match=re.escape("regions.toml: region 'knee': field 'paired' has the wrong type"),
    ):
        loader.validate(data_dir)


def test_a_goal_on_a_between_group_difference_is_refused(data_dir):
    _edit(
        data_dir / "measures.toml",
        'population = "Between-group difference (Smelt 2014)", sources',
        'population = "Between-group difference (Smelt 2014)", goal_codes = ["G43.909"], sources',
    )
    errors = loader.load_errors(data_dir)
    assert any("'hit6'" in e and "between_group cannot be a goal" in e for e in errors), errors


def test_a_variant_code_outside_the_conditions_codes_is_refused(data_dir):
    _edit(
        data_dir / "conditions.toml", 'codes = ["G56.01", "G56.02", "G56.03"]', 'codes = ["G56.01", "M54.50"]'
    )
    errors = loader.load_errors(data_dir)
    assert any("'repetitive_strain'" in e and "carpal_tunnel" in e and "M54.50" in e for e in errors), errors


def test_an_adaptation_for_an_unknown_stage_is_refused(data_dir):
    _edit(data_dir / "conditions.toml", 'when = ["pre_freezing", "freezing"]', 'when = ["melting"]')
    errors = loader.load_errors(data_dir)
    assert any("'frozen_shoulder'" in e and "melting" in e for e in errors), errors


def test_every_flag_has_a_plain_label():
    for flag in catalogue.flags().values():
        assert flag.label.strip(), flag.id
        assert "_" not in flag.label, flag.id
