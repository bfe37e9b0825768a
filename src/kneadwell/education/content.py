"""The words of the patient-education pages (DESIGN §3 S21), written by the project.

Each page joins a short text we wrote about the condition with what the clinical catalogue says
about it: where the therapist works, which techniques may be used, the flags that make us wait or
ask the doctor first, and the catalogue's sources for the condition. Nothing here claims more than
the catalogue: we say what we do and what we check, not what massage will achieve.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kneadwell.knowledge import catalogue

# What the problem is, in everyday words. One or two sentences each; no promises.
ABOUT = {
    "repetitive_strain": (
        "Aches and tightness that build up from holding one posture or repeating one movement for "
        "long stretches of time, such as sitting at a desk, standing at a counter or working a keyboard."
    ),
    "migraine": (
        "Migraine is a type of headache that comes in attacks. Many people also notice that light, "
        "noise or movement bother them during an attack."
    ),
    "cluster_headache": (
        "Cluster headache is a type of headache that comes in bouts: a run of attacks close together, "
        "then often a long break."
    ),
    "tension_headache": (
        "A tension-type headache is often described as pressure or a tight band around the head, "
        "sometimes with stiff muscles in the neck and shoulders."
    ),
    "sinus_headache": (
        "Pain and pressure around the forehead, cheeks and eyes, often with a blocked nose. Many "
        "headaches that feel like sinus trouble turn out to be another type of headache, so tell us "
        "if your doctor has said which type you have."
    ),
    "whiplash": (
        "Whiplash is a neck injury caused by a sudden jolt of the head, for example in a car crash or a fall."
    ),
    "tmj_disorder": (
        "Pain, stiffness or clicking in the jaw joint, just in front of the ear, and in the muscles you "
        "chew with."
    ),
    "strain_sprain": (
        "A strain is an overstretched or torn muscle or tendon; a sprain is an overstretched or torn "
        "ligament, the tissue that holds a joint together."
    ),
    "low_back_pain": "Pain, stiffness or tightness in the lower part of the back.",
    "tendinopathy": (
        "Pain in a tendon, the cord that joins a muscle to a bone, often after using the same "
        "movement over and over."
    ),
    "radiating_pain": (
        "Pain that travels, for example from the lower back down a leg (sciatica) or from the neck "
        "into an arm. It often comes from a nerve that is pinched or irritated."
    ),
    "post_surgical_scar": (
        "After an operation the scar and the tissue around it can feel tight, thick or stuck, and can "
        "limit how you move."
    ),
    "frozen_shoulder": (
        "The shoulder slowly becomes stiff and painful and gets harder to move. It tends to go through "
        "stages over many months."
    ),
    "relaxation": "A calm, whole-body massage for stress, everyday aches and winding down.",
}

# The catalogue's flags, as we explain them to a patient: why we would wait or ask the doctor first.
# Every flag a condition lists has words here (tests/web/test_care_education.py), and every flag here
# is fired by a screening rule, so a page never promises a check that does not run.
FLAG_WORDS = {
    "fever_infection": "If you have a fever or an infection, we postpone the visit until you are well.",
    "sinus_fever_infection": "If you have a fever with your sinus trouble, we postpone the visit until you are well.",
    "acute_inflammatory_phase": (
        "In the first three days after the injury we leave the injured area alone, unless a clinician has "
        "examined it and found no swelling, warmth or redness. After that, while it is warm or red we still "
        "leave it alone; if it is only a little swollen, we use just light strokes above it."
    ),
    "acute_inflammation": "We leave any place alone while it is swollen, warm or red.",
    "rule_out_fracture": (
        "After an ankle or knee injury, if pressing on the bone hurts or you cannot take four steps, your "
        "doctor checks for a broken bone first."
    ),
    "scar_closure_clearance": (
        "We only work on the scar once it is fully closed and healed, with stitches or staples out, "
        "and your surgeon or doctor has given their approval. Until then we leave the scar alone."
    ),
    "recent_surgery": "After recent surgery we leave the operated area alone until your doctor approves work there.",
    "shoulder_rule_out_before_stretching": (
        "Before any stretching, your doctor makes sure there is no break, dislocation or tear in the shoulder."
    ),
    "irritated_nerve_trunk": "We do not press hard over an irritated nerve.",
    "recent_steroid_injection": (
        "If you had a steroid injection at the sore spot in the last three months, we stay gentle there."
    ),
    "suspected_tendon_rupture": "If a tendon might be torn through, we ask you to see your doctor first.",
    "intraoral_scope": (
        "Work inside the mouth is only offered where the therapist's licence allows it, and only if you agree."
    ),
    "jaw_trauma": "After a recent blow to the jaw, see your doctor first.",
    "acute_closed_lock": "If your jaw is suddenly locked and will not open, see your doctor first.",
    "cauda_equina": (
        "Numbness between the legs, new trouble holding or passing urine or stool, or pain down both legs "
        "needs a doctor the same day, before any massage."
    ),
    "progressive_motor_deficit": "Weakness in an arm or leg that is getting worse needs a doctor first.",
    "neck_injury_unassessed": "After a neck injury, a doctor examines your neck before we treat it.",
    "nexus_midline_tenderness": (
        "If the bones in the middle of the back of your neck hurt to press after an injury, your doctor "
        "checks your neck first."
    ),
    "canadian_c_spine_high_risk": (
        "After a recent bad neck injury (for example a fall from a height or a fast crash), if your arms or "
        "legs tingle, or if you are 65 or older, your doctor checks your neck before any treatment."
    ),
    "neck_rotation_below_45": (
        "After a recent neck injury, if you cannot turn your head halfway to each side, your doctor checks "
        "your neck first."
    ),
    "wad_grade_3_4": "New weakness or numbness after a neck injury needs a doctor first.",
    "wad_nerve_root": "If a nerve in your neck was injured, we wait for your doctor's approval before working on the neck.",
    "cervical_arterial_dysfunction": (
        "If moving your neck makes you dizzy, see double, slur your words or have trouble swallowing, we "
        "stop and ask you to see a doctor."
    ),
    "snoop_thunderclap": "A sudden, very severe headache that peaks within a minute needs a doctor straight away.",
    "ottawa_sah": "A headache that reached its worst within an hour of starting needs a doctor straight away.",
    "snoop_pattern_change": "A new headache, your worst ever, or one unlike your usual headaches is checked by a doctor first.",
    "snoop_positional": "A headache that gets much worse when you lie down or stand up is checked by a doctor first.",
    "snoop_valsalva": "A headache brought on by coughing, sneezing or straining is checked by a doctor first.",
    "snoop_papilledema": "If a doctor or optician has found swelling at the back of your eye, see your doctor first.",
    "snoop_neurologic": "A headache with new weakness, numbness or trouble speaking or seeing needs a doctor first.",
    "snoop_systemic": (
        "A headache with fever, unexplained weight loss, a weak immune system, cancer or pregnancy needs a "
        "doctor first."
    ),
    "snoop_onset_after_50": "Headaches that first start after the age of 50 are checked by a doctor first.",
    "headache_fever_meningitis": "A headache with a fever or a stiff neck needs a doctor first.",
    "headache_new_cognitive_change_elderly": (
        "New confusion or forgetfulness with headaches, especially at 65 or older, needs a doctor first."
    ),
}

# What we check for everyone, whatever brings you in (the catalogue's global flags), keyed by flag.
GENERAL_WORDS = {
    "fever_infection": "If you have a fever or an infection, we postpone the visit until you are well.",
    "suspected_dvt": (
        "If one calf or leg is newly swollen, painful or warm, please see a doctor the same day: it can be a "
        "blood clot. We do not massage until it has been checked."
    ),
    "dvt_clot": (
        "If you have a blood clot, we wait for your doctor's approval. After a treated clot we always leave "
        "that arm or leg alone, and keep the pressure light while you take blood thinners."
    ),
    "pregnancy_high_risk": "In a high-risk pregnancy we wait for your doctor's or midwife's approval.",
    "pregnancy": (
        "From the second trimester you lie on your side for the massage, and we keep the pressure light on "
        "your legs."
    ),
    "pregnancy_warning_signs": (
        "If you are pregnant and have bleeding, a severe headache, changes in your vision or sudden swelling, "
        "please see your doctor or midwife before any massage."
    ),
    "bleeding_anticoagulant": "If you take blood thinners or bruise easily, we keep the pressure light.",
    "fracture_bone_weakness": "If you have thin bones or a broken bone, we keep the pressure light and leave the break alone.",
    "cancer_tumour": (
        "With cancer, we keep the pressure gentle during treatment, never press on bones the cancer has "
        "affected, and keep it light on the side where lymph nodes were removed. A cancer long past, with "
        "none of these, needs no change."
    ),
    "unexplained_pain": "Pain without a known cause is looked at by your doctor before your massage.",
    "acute_inflammation": "We leave any place alone while it is swollen, warm or red.",
    "open_wound_skin": "We never massage over an open wound or a skin infection.",
    "recent_surgery": "After recent surgery we leave the operated area alone until your doctor approves work there.",
    "consult_and_adapt": (
        "If you have nerve damage, fragile skin or a heart condition, or touch is difficult for you, your "
        "therapist talks with you first and adapts the session."
    ),
}


@dataclass(frozen=True)
class Cited:
    id: str
    citation: str
    url: str


@dataclass
class ConditionPage:
    """One condition's page: what it is, where and how we work, when we wait, and the sources."""

    key: str
    title: str
    about: str
    regions: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    whole_body: bool = False
    from_intake: bool = False
    techniques: list[str] = field(default_factory=list)
    stretching: bool = False
    waits: list[str] = field(default_factory=list)
    general: list[str] = field(default_factory=list)
    requires_clearance: bool = False
    inflammation_gate: bool = False
    sources: list[Cited] = field(default_factory=list)


def condition_page(key: str) -> ConditionPage | None:
    condition = catalogue.conditions().get(key)
    if condition is None:
        return None
    regions = catalogue.regions()
    techniques = catalogue.techniques()
    sources = catalogue.sources()
    flags = [f.id for f in (*condition.precautions, *condition.red_flags)]
    waits = list(dict.fromkeys(FLAG_WORDS[f] for f in flags if f in FLAG_WORDS))
    general = [line for line in GENERAL_WORDS.values() if line not in waits]
    cited_flags = [catalogue.flags()[f] for f in (*flags, *GENERAL_WORDS) if f in catalogue.flags()]
    source_ids = list(dict.fromkeys([*condition.sources, *(s for f in cited_flags for s in f.sources)]))
    return ConditionPage(
        key=key,
        title=condition.patient_name,
        about=ABOUT.get(key, ""),
        regions=[regions[r].patient_name.lower() for r in condition.regions if r in regions],
        related=[regions[r].patient_name.lower() for r in condition.related_regions if r in regions],
        whole_body=condition.regions_scope == "whole_body",
        from_intake=condition.regions_scope == "from_intake",
        techniques=[
            techniques[t].name
            for t in condition.techniques
            if t in techniques and not techniques[t].scope_restricted
        ],
        stretching=any(techniques[t].is_stretching for t in condition.techniques if t in techniques),
        waits=waits,
        general=general,
        requires_clearance=condition.requires_clearance,
        inflammation_gate=condition.inflammation_gate,
        sources=[
            Cited(s, sources[s].citation, sources[s].urls[0] if sources[s].urls else "")
            for s in source_ids
            if s in sources
        ],
    )


def index_entries() -> list[tuple[str, str]]:
    return [(key, c.patient_name) for key, c in catalogue.conditions().items()]


GENERAL = tuple(GENERAL_WORDS.values())
