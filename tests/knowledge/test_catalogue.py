from kneadwell.knowledge import catalogue, loader

# The canonical keys (issue "Care pathway"): add more, never rename.
TECHNIQUES = {
    "swedish", "deep_tissue", "myofascial_release", "trigger_point", "cross_fiber_friction", "scar_mobilization",
    "movement_therapy", "passive_stretching", "resistive_stretching", "lymphatic_drainage", "intraoral_tmj",
}  # fmt: skip
CONDITIONS = {
    "repetitive_strain", "migraine", "cluster_headache", "tension_headache", "sinus_headache", "whiplash",
    "tmj_disorder", "strain_sprain", "low_back_pain", "tendinopathy", "radiating_pain", "post_surgical_scar",
    "frozen_shoulder", "relaxation",
}  # fmt: skip


def test_every_canonical_technique_key_is_in_the_catalogue():
    assert set(catalogue.techniques()) >= TECHNIQUES


def test_every_canonical_condition_key_is_in_the_catalogue():
    assert set(catalogue.conditions()) >= CONDITIONS


def test_every_entry_has_a_name():
    for entry in [*catalogue.techniques().values(), *catalogue.conditions().values()]:
        assert entry.name.strip()


def _run(env_dir, code):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {**os.environ, "KNEADWELL_CATALOGUE_DIR": str(env_dir)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def test_a_clinic_can_use_its_own_reviewed_copy_of_the_catalogue(tmp_path):
    import shutil

    copy = tmp_path / "catalogue"
    shutil.copytree(loader.SHIPPED_DATA_DIR, copy)
    dosing = copy / "dosing.toml"
    dosing.write_text(dosing.read_text().replace("weeks = 6\n", "weeks = 8\n", 1))
    result = _run(copy, "from kneadwell.knowledge.dosing import dose_for; print(dose_for([]).weeks)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8"


def test_a_broken_copy_fails_the_system_check(tmp_path):
    import shutil

    copy = tmp_path / "catalogue"
    shutil.copytree(loader.SHIPPED_DATA_DIR, copy)
    conditions = copy / "conditions.toml"
    conditions.write_text(conditions.read_text().replace('"R30"', '"R999"', 1))
    code = (
        "import os, django; os.environ['KNEADWELL_TESTING']='true';"
        "os.environ['DJANGO_SETTINGS_MODULE']='kneadwell.settings'; django.setup();"
        "from django.core.management import call_command; call_command('check')"
    )
    result = _run(copy, code)
    assert result.returncode != 0
    assert "kneadwell.E001" in result.stderr
    assert "R999" in result.stderr
