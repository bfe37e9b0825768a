"""Red flags: answers that stop the visit (refer out) or postpone it (defer). REFERENCE §1.3, §10.

Scope choices (the catalogue marks most of these flags "condition"-scoped; REFERENCE does not say what
to do with a yes outside that condition):

- An answer that itself describes the red-flag picture fires whatever the diagnosis, because ignoring a
  yes would be unsafe: a thunderclap headache, one that peaked within an hour, a new or changed
  headache, or one that began after 50 *is* a headache; an unexamined neck injury or tenderness over
  the neck bones *is* neck trauma; cauda equina signs, progressive weakness, a suspected clot or a torn
  tendon need a doctor whatever the patient came in for.
- Answers that are red flags only in a context fire only in that context, as the catalogue lists them:
  systemic symptoms, pregnancy or cancer with a headache condition (SNOOP4); a neurologic deficit with
  a headache condition (SNOOP4) or with whiplash (Quebec Task Force grade III); cervical arterial signs
  when the neck may be worked; the Canadian C-Spine Rule's high-risk factors and the 45° rotation test
  after *acute* neck trauma (REFERENCE §10), not after a whiplash that is months or years old.
- Fever defers every visit; with a headache it is a headache red flag (refer out), except that the
  catalogue says a sinus headache with fever is deferred under the fever rule.

A referral out is lifted by the referrer's clearance for that flag (a documented medical evaluation,
`ClearanceGrant` with scope "flag"): the visit then goes ahead with the precautions the clearance
states. A deferral (fever) is waited out, never cleared.
"""

from __future__ import annotations

from collections.abc import Iterator

from kneadwell.knowledge import chronicity as chron

from .registry import FLAG_SCOPE, Family, RuleContext, rule
from .types import Finding, ScreeningInput

PATIENT_EMERGENCY = (
    "Some of your answers need a doctor's attention today, before any massage. Please contact your "
    "doctor or urgent care now. We will gladly rebook you afterwards."
)
PATIENT_URGENT = (
    "Some of your answers need a doctor's check today, before any massage. Please call your doctor "
    "today. We will gladly rebook you afterwards."
)
PATIENT_REFER = (
    "Some of your answers are best checked by your doctor before massage. Please talk to your doctor "
    "first; we look forward to seeing you once they have."
)
PATIENT_DEFER = (
    "Massage is best postponed while you have a fever or an infection. Please rebook once you feel well."
)

# "Elderly" in the massage red-flag screen [R35] is not given an age; the Canadian C-Spine Rule's 65
# (REFERENCE §10) is used for both, derived from the birth date. Clinic default.
OLDER_AGE = 65

# The whiplash entry whose onset tells whether neck trauma is acute.
WHIPLASH = "whiplash"


def _patient_message(ctx: RuleContext, flag_id: str) -> str:
    urgency = ctx.flag(flag_id).urgency
    if urgency == "emergency":
        return PATIENT_EMERGENCY
    return PATIENT_URGENT if urgency == "urgent" else PATIENT_REFER


def _refer(ctx: RuleContext, flag_id: str, answer: str, context: str = "") -> Finding:
    """Refer out, unless the referrer's clearance for this flag is on file (then proceed, adapted)."""
    grant = ctx.flag_clearance(flag_id)
    if grant is not None:
        return ctx.cleared(flag_id, grant, what=answer)
    flag = ctx.flag(flag_id)
    urgency = {"emergency": "Emergency referral. ", "urgent": "Urgent referral (same day). "}.get(
        flag.urgency, "Refer out. "
    )
    where = f" Context: {context}." if context else ""
    return ctx.finding(
        flag_id,
        message_staff=f"{urgency}Intake answer: {answer}.{where} {flag.text}",
        message_patient=_patient_message(ctx, flag_id),
        clearance_scope=FLAG_SCOPE,
    )


def _headache_context(ctx: RuleContext, flag_id: str) -> str:
    listed = ctx.diagnosed_with_flag(flag_id)
    return f"diagnosed {ctx.condition_names(listed)}" if listed else "reported without a headache diagnosis"


# --- Fever ---------------------------------------------------------------------------------------


@rule(
    "red_flag.fever",
    family=Family.RED_FLAG,
    flags=("fever_infection",),
    description="Fever or acute systemic infection defers the whole visit.",
)
def fever(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.fever:
        flag = ctx.flag("fever_infection")
        yield ctx.finding(
            "fever_infection",
            message_staff=f"Defer the session. Intake answer: fever. {flag.text}",
            message_patient=PATIENT_DEFER,
        )


@rule(
    "red_flag.headache_with_fever",
    family=Family.RED_FLAG,
    flags=("headache_fever_meningitis",),
    description="Fever with a migraine, cluster or tension-type headache: refer out (emergency).",
)
def headache_with_fever(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    # A sinus headache lists both this flag and the more specific sinus_fever_infection (defer):
    # the specific flag wins for it, so only the other headache conditions refer out here.
    listed = set(ctx.diagnosed_with_flag("headache_fever_meningitis"))
    listed -= set(ctx.diagnosed_with_flag("sinus_fever_infection"))
    if inp.answers.fever and listed:
        yield _refer(
            ctx, "headache_fever_meningitis", "fever", f"diagnosed {ctx.condition_names(sorted(listed))}"
        )


@rule(
    "red_flag.sinus_headache_with_fever",
    family=Family.RED_FLAG,
    flags=("sinus_fever_infection",),
    description="Fever with a sinus headache defers the visit (fever rule).",
)
def sinus_headache_with_fever(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    listed = ctx.diagnosed_with_flag("sinus_fever_infection")
    if inp.answers.fever and listed:
        flag = ctx.flag("sinus_fever_infection")
        yield ctx.finding(
            "sinus_fever_infection",
            message_staff=f"Defer the session. Intake answer: fever, with {ctx.condition_names(listed)}. {flag.text}",
            message_patient=PATIENT_DEFER,
        )


# --- Headache (SNOOP4 [R34, R57], Ottawa SAH Rule [R56]) -----------------------------------------


def _headache_answer(rule_id: str, flag_id: str, answer_field: str, answer: str, description: str) -> None:
    """Register a rule that refers out on one yes/no headache answer, whatever the diagnosis."""

    def fires(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
        if getattr(inp.answers, answer_field):
            yield _refer(ctx, flag_id, answer, _headache_context(ctx, flag_id))

    fires.__name__ = rule_id.split(".", 1)[1]
    rule(rule_id, family=Family.RED_FLAG, flags=(flag_id,), description=description)(fires)


_headache_answer(
    "red_flag.thunderclap_headache",
    "snoop_thunderclap",
    "thunderclap_headache",
    "sudden headache at its worst within a minute",
    "Sudden-onset (thunderclap) headache: emergency referral, whatever the diagnosis.",
)
_headache_answer(
    "red_flag.headache_peak_within_hour",
    "ottawa_sah",
    "headache_peak_within_hour",
    "headache at its worst within an hour",
    "A headache that reached its peak within an hour (Ottawa SAH Rule): emergency referral.",
)
_headache_answer(
    "red_flag.headache_pattern_change",
    "snoop_pattern_change",
    "headache_pattern_change",
    "new, worst-ever or changed headache",
    "A new, worst-ever or changed headache: refer out (SNOOP4).",
)
_headache_answer(
    "red_flag.headache_positional",
    "snoop_positional",
    "headache_positional",
    "headache that changes with posture",
    "A headache that changes markedly with posture: refer out (SNOOP4).",
)
_headache_answer(
    "red_flag.headache_valsalva",
    "snoop_valsalva",
    "headache_valsalva",
    "headache brought on by coughing, sneezing or straining",
    "A headache brought on by coughing, sneezing or straining: refer out (SNOOP4).",
)
_headache_answer(
    "red_flag.papilledema",
    "snoop_papilledema",
    "papilledema",
    "swelling at the back of the eye (papilledema) found by a doctor",
    "Papilledema found by a doctor or optician: refer out (SNOOP4).",
)
_headache_answer(
    "red_flag.headache_onset_after_50",
    "snoop_onset_after_50",
    "headache_onset_after_50",
    "headache began after age 50",
    "Headache that began after age 50: refer out, whatever the diagnosis.",
)


@rule(
    "red_flag.headache_cognitive_change",
    family=Family.RED_FLAG,
    flags=("headache_new_cognitive_change_elderly", "snoop_neurologic"),
    description=(
        "New confusion or change in thinking with a headache: refer out (age 65 or more, from the birth "
        "date: the elderly red flag; younger: a neurological sign)."
    ),
)
def headache_cognitive_change(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if not inp.answers.headache_cognitive_change:
        return
    age = inp.age
    # An unknown age is read as older: the cautious choice, and either way the patient is referred.
    older = age is None or age >= OLDER_AGE
    flag_id = "headache_new_cognitive_change_elderly" if older else "snoop_neurologic"
    aged = f"age {age}" if age is not None else "age not known"
    yield _refer(
        ctx, flag_id, f"new confusion or change in thinking, {aged}", _headache_context(ctx, flag_id)
    )


@rule(
    "red_flag.headache_systemic_signs",
    family=Family.RED_FLAG,
    flags=("snoop_systemic",),
    description="Headache with systemic signs, pregnancy, cancer or a weak immune system: refer out (SNOOP4).",
)
def headache_systemic_signs(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    listed = ctx.diagnosed_with_flag("snoop_systemic")
    if not listed:
        return
    answers = inp.answers
    said = [
        text
        for text, given in (
            ("fever, weight loss or a weak immune system", answers.systemic_symptoms),
            ("pregnancy", answers.pregnancy != "no"),
            ("cancer", answers.cancer),
        )
        if given
    ]
    if said:
        yield _refer(ctx, "snoop_systemic", " and ".join(said), f"diagnosed {ctx.condition_names(listed)}")


@rule(
    "red_flag.headache_neurologic_deficit",
    family=Family.RED_FLAG,
    flags=("snoop_neurologic",),
    description="Neurologic deficit with a headache condition: refer out (SNOOP4).",
)
def headache_neurologic_deficit(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    listed = ctx.diagnosed_with_flag("snoop_neurologic")
    if inp.answers.neuro_deficit and listed:
        yield _refer(
            ctx, "snoop_neurologic", "neurologic deficit", f"diagnosed {ctx.condition_names(listed)}"
        )


# --- Neck (NEXUS [R53], Canadian C-Spine Rule [R33, R54], Quebec Task Force [R32, R55], CAD [R49]) ---


@rule(
    "red_flag.whiplash_neurologic_signs",
    family=Family.RED_FLAG,
    flags=("wad_grade_3_4",),
    description="Neurologic signs with whiplash (Quebec Task Force grade III or IV): medical management.",
)
def whiplash_neurologic_signs(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    listed = ctx.diagnosed_with_flag("wad_grade_3_4")
    if inp.answers.neuro_deficit and listed:
        yield _refer(ctx, "wad_grade_3_4", "neurologic deficit", f"diagnosed {ctx.condition_names(listed)}")


def _neck_work(inp: ScreeningInput, ctx: RuleContext, flag_id: str) -> str:
    """Why the neck may be worked this visit ("" when it will not be), for a neck-work flag."""
    regions = set(ctx.flag(flag_id).regions)
    if listed := ctx.diagnosed_with_flag(flag_id):
        return f"diagnosed {ctx.condition_names(listed)}"
    if any(a.region in regions for a in inp.areas):
        return "neck among the areas of concern"
    for d in inp.diagnoses:
        condition = ctx.catalogue.conditions[d.condition]
        planned = {a.region for a in d.areas} | set(condition.regions) | set(condition.related_regions)
        if planned & regions or condition.regions_scope == "whole_body":
            return f"{condition.name} work includes the neck"
    return ""


@rule(
    "red_flag.cervical_arterial_signs",
    family=Family.RED_FLAG,
    flags=("cervical_arterial_dysfunction",),
    description="Cervical arterial dysfunction signs (5 Ds and 3 Ns) when the neck may be worked: refer out.",
)
def cervical_arterial_signs(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.cervical_arterial_signs and (why := _neck_work(inp, ctx, "cervical_arterial_dysfunction")):
        yield _refer(ctx, "cervical_arterial_dysfunction", "cervical arterial dysfunction signs", why)


@rule(
    "red_flag.neck_injury_unassessed",
    family=Family.RED_FLAG,
    flags=("neck_injury_unassessed",),
    description="A neck injury no clinician has examined yet: refer out (NEXUS, Canadian C-Spine Rule).",
)
def neck_injury_unassessed(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.neck_injury_unassessed:
        yield _refer(ctx, "neck_injury_unassessed", "neck injury not yet examined by a clinician")


@rule(
    "red_flag.neck_midline_tenderness",
    family=Family.RED_FLAG,
    flags=("nexus_midline_tenderness",),
    description="Tenderness over the midline of the neck after an injury: refer out (NEXUS).",
)
def neck_midline_tenderness(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.neck_midline_tenderness:
        yield _refer(ctx, "nexus_midline_tenderness", "tenderness over the neck bones since the injury")


def _acute_neck_trauma(inp: ScreeningInput, ctx: RuleContext) -> str:
    """Why the neck trauma counts as acute ("" when it does not): the C-Spine Rule is for acute trauma.

    A whiplash diagnosis is acute while its chronicity is acute (REFERENCE §2 thresholds, from the
    onset); with no onset recorded it is treated as acute, the cautious reading. Answers given with no
    whiplash diagnosis cannot be dated, so they count too.
    """
    whiplash = [d for d in inp.diagnoses if d.condition == WHIPLASH]
    if not whiplash:
        return "reported without a whiplash diagnosis"
    rule_ = ctx.catalogue.conditions[WHIPLASH].chronicity
    for d in whiplash:
        if d.onset is None:
            return "whiplash with no onset date recorded (treated as acute)"
        if rule_ is None or chron.chronicity(WHIPLASH, d.onset, inp.on, rule=rule_).label == "acute":
            return f"acute whiplash, onset {d.onset.isoformat()}"
    return ""


@rule(
    "red_flag.whiplash_high_risk",
    family=Family.RED_FLAG,
    flags=("canadian_c_spine_high_risk",),
    description=(
        "After acute neck trauma, a Canadian C-Spine Rule high-risk factor (age 65 or more from the birth "
        "date, dangerous mechanism, tingling limbs): imaging before any treatment (refer out)."
    ),
)
def whiplash_high_risk(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    answers = inp.answers
    age = inp.age
    factors = [
        text
        for text, given in (
            (f"age {age}", age is not None and age >= OLDER_AGE and WHIPLASH in ctx.conditions),
            ("dangerous mechanism", answers.neck_dangerous_mechanism),
            ("tingling in the arms or legs", answers.limb_paresthesia),
            ("high-risk injury", answers.whiplash_high_risk),
        )
        if given
    ]
    if factors and (acute := _acute_neck_trauma(inp, ctx)):
        yield _refer(ctx, "canadian_c_spine_high_risk", ", ".join(factors), acute)


@rule(
    "red_flag.neck_rotation_limited",
    family=Family.RED_FLAG,
    flags=("neck_rotation_below_45",),
    description="After acute neck trauma, unable to turn the head 45° each way: imaging before any treatment.",
)
def neck_rotation_limited(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.neck_rotation_limited and (acute := _acute_neck_trauma(inp, ctx)):
        yield _refer(ctx, "neck_rotation_below_45", "cannot turn the head 45° each way", acute)


# --- Blood clot (Wells [R58]) and pregnancy ---------------------------------------------------------


@rule(
    "red_flag.suspected_clot",
    family=Family.RED_FLAG,
    flags=("suspected_dvt",),
    description="New one-sided calf or leg swelling, pain or warmth: same-day medical assessment (refer out).",
)
def suspected_clot(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.clot_signs:
        yield _refer(ctx, "suspected_dvt", "new swelling, pain or warmth in one calf or leg")


@rule(
    "red_flag.pregnancy_warning_signs",
    family=Family.RED_FLAG,
    flags=("pregnancy_warning_signs",),
    description="Pregnancy with bleeding, a severe headache, changes in vision or sudden swelling: refer out.",
)
def pregnancy_warning_signs(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.pregnancy != "no" and inp.answers.pregnancy_warning_signs:
        yield _refer(
            ctx,
            "pregnancy_warning_signs",
            "pregnant, with bleeding, a severe headache, changes in vision or sudden swelling",
        )


# --- Back and radiating pain [R36] ----------------------------------------------------------------


@rule(
    "red_flag.cauda_equina",
    family=Family.RED_FLAG,
    flags=("cauda_equina",),
    description="Cauda equina signs: same-day emergency referral, whatever the diagnosis.",
)
def cauda_equina(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.cauda_equina_signs:
        listed = ctx.diagnosed_with_flag("cauda_equina")
        context = f"diagnosed {ctx.condition_names(listed)}" if listed else ""
        yield _refer(ctx, "cauda_equina", "cauda equina signs", context)


@rule(
    "red_flag.progressive_weakness",
    family=Family.RED_FLAG,
    flags=("progressive_motor_deficit",),
    description="Progressive or multi-level weakness: urgent physician referral, whatever the diagnosis.",
)
def progressive_weakness(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.progressive_weakness:
        listed = ctx.diagnosed_with_flag("progressive_motor_deficit")
        context = f"diagnosed {ctx.condition_names(listed)}" if listed else ""
        yield _refer(ctx, "progressive_motor_deficit", "progressive weakness", context)


# --- Tendon and jaw (REFERENCE §1.3, unverified detail) ---------------------------------------------


@rule(
    "red_flag.tendon_rupture",
    family=Family.RED_FLAG,
    flags=("suspected_tendon_rupture",),
    description="A sudden snap with loss of strength (suspected tendon rupture): refer out.",
)
def tendon_rupture(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.tendon_rupture_signs:
        yield _refer(ctx, "suspected_tendon_rupture", "sudden snap or pop with loss of strength")


@rule(
    "red_flag.jaw_trauma",
    family=Family.RED_FLAG,
    flags=("jaw_trauma",),
    description="A recent blow or injury to the jaw (possible fracture or dislocation): refer out.",
)
def jaw_trauma(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.jaw_trauma:
        yield _refer(ctx, "jaw_trauma", "recent injury to the jaw")


@rule(
    "red_flag.jaw_locked",
    family=Family.RED_FLAG,
    flags=("acute_closed_lock",),
    description="A jaw that has suddenly locked and will not open fully (acute closed lock): refer out.",
)
def jaw_locked(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.jaw_locked:
        yield _refer(ctx, "acute_closed_lock", "jaw suddenly locked")
