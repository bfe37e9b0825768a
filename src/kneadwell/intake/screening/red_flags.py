"""Red flags: answers that stop the visit (refer out) or postpone it (defer). REFERENCE §1.3.

Scope choices (the catalogue marks these flags "condition"-scoped; REFERENCE does not say what to do
with a yes outside that condition):

- An answer that itself describes the red-flag picture fires whatever the diagnosis, because ignoring a
  yes would be unsafe: a thunderclap headache or a headache that began after 50 *is* a headache, a
  high-risk neck injury *is* whiplash context, and cauda equina signs or progressive weakness need a
  doctor whatever the patient came in for.
- Answers that are red flags only in a context fire only in that context, as the catalogue lists them:
  systemic symptoms (fever, weight loss, cancer, immunosuppression, pregnancy) with a headache
  condition (SNOOP4); a neurologic deficit with a headache condition (SNOOP4) or with whiplash
  (Quebec Task Force grade III); cervical arterial signs when the neck may be worked.
- Fever defers every visit; with a headache it is a headache red flag (refer out), except that the
  catalogue says a sinus headache with fever is deferred under the fever rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from .registry import Family, RuleContext, rule
from .types import Finding, ScreeningInput

PATIENT_EMERGENCY = (
    "Some of your answers need a doctor's attention today, before any massage. Please contact your "
    "doctor or urgent care now. We will gladly rebook you afterwards."
)
PATIENT_REFER = (
    "Some of your answers are best checked by your doctor before massage. Please talk to your doctor "
    "first; we look forward to seeing you once they have."
)
PATIENT_DEFER = (
    "Massage is best postponed while you have a fever or an infection. Please rebook once you feel well."
)


def _patient_message(ctx: RuleContext, flag_id: str) -> str:
    return PATIENT_EMERGENCY if ctx.flag(flag_id).urgency == "emergency" else PATIENT_REFER


def _refer(ctx: RuleContext, flag_id: str, answer: str, context: str = "") -> Finding:
    flag = ctx.flag(flag_id)
    urgency = f"{flag.urgency.upper()} referral. " if flag.urgency else "Refer out. "
    where = f" Context: {context}." if context else ""
    return ctx.finding(
        flag_id,
        message_staff=f"{urgency}Intake answer: {answer}.{where} {flag.text}",
        message_patient=_patient_message(ctx, flag_id),
    )


def _headache_context(ctx: RuleContext, flag_id: str) -> str:
    listed = ctx.diagnosed_with_flag(flag_id)
    return f"diagnosed {ctx.condition_names(listed)}" if listed else "reported without a headache diagnosis"


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


@rule(
    "red_flag.thunderclap_headache",
    family=Family.RED_FLAG,
    flags=("snoop_thunderclap",),
    description="Sudden-onset (thunderclap) headache: emergency referral, whatever the diagnosis.",
)
def thunderclap_headache(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.thunderclap_headache:
        yield _refer(
            ctx, "snoop_thunderclap", "thunderclap headache", _headache_context(ctx, "snoop_thunderclap")
        )


@rule(
    "red_flag.headache_onset_after_50",
    family=Family.RED_FLAG,
    flags=("snoop_onset_after_50",),
    description="Headache that began after age 50: refer out, whatever the diagnosis.",
)
def headache_onset_after_50(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.headache_onset_after_50:
        yield _refer(
            ctx,
            "snoop_onset_after_50",
            "headache began after age 50",
            _headache_context(ctx, "snoop_onset_after_50"),
        )


@rule(
    "red_flag.headache_systemic_signs",
    family=Family.RED_FLAG,
    flags=("snoop_systemic",),
    description="Systemic signs with a headache condition: refer out (SNOOP4).",
)
def headache_systemic_signs(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    listed = ctx.diagnosed_with_flag("snoop_systemic")
    if inp.answers.systemic_symptoms and listed:
        yield _refer(ctx, "snoop_systemic", "systemic symptoms", f"diagnosed {ctx.condition_names(listed)}")


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
    "red_flag.whiplash_high_risk",
    family=Family.RED_FLAG,
    flags=("canadian_c_spine_high_risk",),
    description="Canadian C-Spine Rule high-risk factor: imaging before any treatment (refer out).",
)
def whiplash_high_risk(inp: ScreeningInput, ctx: RuleContext) -> Iterator[Finding]:
    if inp.answers.whiplash_high_risk:
        listed = ctx.diagnosed_with_flag("canadian_c_spine_high_risk")
        context = (
            f"diagnosed {ctx.condition_names(listed)}" if listed else "reported without a whiplash diagnosis"
        )
        yield _refer(ctx, "canadian_c_spine_high_risk", "Canadian C-Spine high-risk factor", context)


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
