from kneadwell.knowledge import catalogue

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
