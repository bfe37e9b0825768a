"""Writes for plans of care: drafted from the referral and intake, edited and approved by the therapist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.core.exceptions import PermissionDenied
from django.db import transaction

from kneadwell.accounts.models import Role, User
from kneadwell.clinic.selectors import clinic_today
from kneadwell.intake.selectors import OPEN_REFERRAL_STATUSES, screening_input
from kneadwell.intake.services import require_clear
from kneadwell.knowledge import catalogue
from kneadwell.knowledge import types as ktypes
from kneadwell.knowledge.dosing import dose_for
from kneadwell.lib.clock import now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import FIRST_DAY, LAST_DAY, within_calendar
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Therapist

from .models import CarePlan, CarePlanStatus, Goal, HandOff


@dataclass(frozen=True)
class GoalIn:
    measure: str
    target_change: float
    baseline: float | None = None
    description: str = ""
    basis: str = ""


# What each within-person kind is called in a goal's basis (REFERENCE §1.4, §10).
GOAL_KIND_WORDS = {
    "mcid": "minimal clinically important change",
    "mic": "minimal important change",
    "mid": "minimal important difference within a person",
}


def _default_goals(conditions: Sequence[str], icd10_codes: Sequence[str] = ()) -> list[GoalIn]:
    """NPRS for every pain condition, plus each condition's first questionnaire, targeting its MCID.

    The target is the within-person value the catalogue marks as the goal (a range's top, so every
    published estimate is reached), on the instrument's own scale and stated with it; a value marked
    for a diagnosis code (HIT-6 −8 for chronic tension-type headache, G44.229) wins when the code is
    on file. A between-group difference or a detectable change is never a goal (the loader refuses
    one). Targets point the way the scale improves (down for "higher is worse", up for LEFS and PSFS)
    and cite where the value comes from.
    """
    measures = catalogue.measures()
    wanted: list[str] = []
    for key in conditions:
        for measure_key in catalogue.conditions()[key].outcome_measures:
            measure = measures.get(measure_key)
            if measure is None or measure_key in wanted or measure.default_goal() is None:
                continue
            wanted.append(measure_key)
            if measure_key != "nprs":
                break  # one questionnaire per condition keeps the plan focused
    goals: list[GoalIn] = []
    for measure_key in wanted:
        measure = measures[measure_key]
        mcid = measure.default_goal(tuple(icd10_codes))
        assert mcid is not None  # filtered above
        sign = 1 if measure.higher_is_better else -1
        target = ktypes.fmt_number(mcid.target)
        published = "" if mcid.value is not None else f" (published range {mcid.display})"
        unverified = "" if mcid.verified else " Not yet confirmed by a published source."
        cited = f" [{', '.join(mcid.sources)}]" if mcid.sources else ""
        goals.append(
            GoalIn(
                measure=measure_key,
                target_change=sign * mcid.target,
                description=(
                    f"{measure.name}: {'up' if sign > 0 else 'down'} {target} "
                    f"point{'' if mcid.target == 1 else 's'} from baseline, on the {measure.scale} scale{published}"
                ),
                basis=(
                    f"The {GOAL_KIND_WORDS[mcid.kind]} on the {measure.scale} scale: {mcid.display}, "
                    f"{mcid.population}.{unverified}{cited}"
                ),
            )
        )
    return goals


def _save_goals(plan: CarePlan, goals: Sequence[GoalIn]) -> None:
    Goal.objects.bulk_create(
        [
            Goal(
                care_plan=plan,
                measure=g.measure,
                baseline=g.baseline,
                target_change=g.target_change,
                description=g.description,
                basis=g.basis,
            )
            for g in goals
        ]
    )


def _check_goals(goals: Sequence[GoalIn]) -> None:
    for i, goal in enumerate(goals):
        if goal.measure not in catalogue.measures():
            raise DomainError(f"Unknown measure {goal.measure!r}.", field=f"goals[{i}].measure")


# How often and how long a plan of care may prescribe sessions (the model's validators say the same).
MAX_SESSIONS_PER_WEEK = 7
MAX_WEEKS = 52


def _check_dose(frequency_per_week: int | None, weeks: int | None, starts_on: dt.date) -> None:
    """Refuse a dose no plan can have (0 a week, 20 a week, 0 weeks) and a start the calendar cannot hold.

    Every interface (pages, API, CLI) drafts and edits plans through here, so each gets the same
    error, on the field, instead of a silent default (0 is not "use the default").
    """
    if frequency_per_week is not None and not 1 <= frequency_per_week <= MAX_SESSIONS_PER_WEEK:
        raise DomainError(
            f"A plan of care has 1 to {MAX_SESSIONS_PER_WEEK} sessions a week, not {frequency_per_week}.",
            field="frequency_per_week",
        )
    if weeks is not None and not 1 <= weeks <= MAX_WEEKS:
        raise DomainError(f"A plan of care runs 1 to {MAX_WEEKS} weeks, not {weeks}.", field="weeks")
    if not within_calendar(starts_on):  # then its reassessment date, up to MAX_WEEKS on, exists too
        raise DomainError(
            f"The start date must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.",
            field="starts_on",
        )


@transaction.atomic
def care_plan_draft(
    *,
    actor: User,
    patient: Patient,
    therapist: Therapist | None = None,
    starts_on: dt.date | None = None,
    conditions: Sequence[str] | None = None,
    frequency_per_week: int | None = None,
    weeks: int | None = None,
    goals: Sequence[GoalIn] | None = None,
    notes: str = "",
) -> CarePlan:
    """Draft a plan of care from the open referral and latest intake; anything given overrides the defaults."""
    if not actor.has_perm("planning.add_careplan", patient):
        raise PermissionDenied("You do not have permission to draft a plan of care: the clinic does that.")
    if actor.role == Role.THERAPIST:
        own = Therapist.objects.filter(user=actor).first()
        if therapist is not None and therapist != own:
            raise PermissionDenied("You do not have permission to draft a plan in another therapist's name.")
        therapist = own
    starts_on = starts_on or clinic_today()
    _check_dose(frequency_per_week, weeks, starts_on)
    inp = screening_input(patient=patient, on=starts_on)
    if conditions is None:
        conditions = list(dict.fromkeys(d.condition for d in inp.diagnoses))
    if not conditions:
        raise DomainError(
            "Record a referral or intake with a condition first, or name the conditions.", field="conditions"
        )
    for i, key in enumerate(conditions):
        if key not in catalogue.conditions():
            raise DomainError(f"Unknown condition {key!r}.", field=f"conditions[{i}]")
    dose = dose_for(list(conditions))
    referral = patient.referrals.filter(status__in=OPEN_REFERRAL_STATUSES).order_by("-received_on").first()
    if referral and referral.requested_frequency_per_week and frequency_per_week is None:
        frequency_per_week = referral.requested_frequency_per_week
        basis = f"Requested by the referrer ({referral.provider.name})."
    else:
        sources = f" [{', '.join(dose.sources)}]" if dose.sources else ""
        basis = (
            f"{dose.text}{sources}"
            if frequency_per_week is None and weeks is None
            else "Set by the clinician."
        )
    frequency_per_week = frequency_per_week if frequency_per_week is not None else dose.frequency_per_week
    weeks = weeks if weeks is not None else dose.weeks
    codes = [d.icd10 for d in inp.diagnoses if d.icd10]
    goals = list(goals) if goals is not None else _default_goals(conditions, codes)
    _check_goals(goals)
    plan = CarePlan(
        patient=patient,
        referral=referral,
        therapist=therapist,
        conditions=list(conditions),
        areas=[{"region": a.region, "side": a.side} for a in inp.areas],
        frequency_per_week=frequency_per_week,
        weeks=weeks,
        frequency_basis=basis,
        starts_on=starts_on,
        reassess_on=starts_on + dt.timedelta(weeks=weeks),
        notes=notes,
        created_by=actor,
    )
    plan.full_clean(exclude=["patient", "referral", "therapist", "created_by", "approved_by"])
    plan.save()
    _save_goals(plan, goals)
    return plan


def care_plan_approve(*, actor: User, plan: CarePlan) -> CarePlan:
    """The treating therapist approves a draft; it becomes the patient's active plan (the previous one completes).

    Refused (422, code "screening_hold") while screening holds the visit, saying what would unblock it.

    Approvals race (a double click, the API and the page at once, two drafts for one patient).
    Inside one transaction:

    - the patient's row is locked first (`select_for_update`; SQLite's BEGIN IMMEDIATE already
      serialises writers), so two drafts for the same patient are approved one after the other
      and never leave two active plans;
    - the draft becomes active by a compare-and-set, `UPDATE ... WHERE status = 'draft'`, judged
      against the row as committed: of two approvals of one draft exactly one changes it, and the
      other gets a Conflict (409) with the plan's state as stored, not a second "approved".
    """
    therapist = Therapist.objects.filter(user=actor).first()
    if therapist is None or not actor.has_perm("planning.approve_careplan", plan):
        raise PermissionDenied(
            "You do not have permission to approve this plan of care: the therapist it is drafted for does that."
        )
    if plan.status != CarePlanStatus.DRAFT:
        raise _approval_conflict(plan)
    # A held visit is held everywhere (issue 7): no plan of care is approved while screening refers the
    # patient out, defers the visit or waits for a clearance for the whole visit.
    require_clear(patient=plan.patient, on=clinic_today(), what="The plan of care", field="plan")
    approved_at = now()
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=plan.patient_id).values_list("pk").first()
        won = CarePlan.objects.filter(pk=plan.pk, status=CarePlanStatus.DRAFT).update(
            therapist=therapist,
            status=CarePlanStatus.ACTIVE,
            approved_by=actor,
            approved_at=approved_at,
            updated_at=approved_at,
        )
        if not won:
            raise _approval_conflict(plan)
        CarePlan.objects.filter(patient_id=plan.patient_id, status=CarePlanStatus.ACTIVE).exclude(
            pk=plan.pk
        ).update(status=CarePlanStatus.COMPLETED, updated_at=approved_at)
    plan.therapist = therapist
    plan.status = CarePlanStatus.ACTIVE
    plan.approved_by = actor
    plan.approved_at = approved_at
    return plan


def _approval_conflict(plan: CarePlan) -> Conflict:
    """A Conflict for approving `plan` when it is no longer a draft, with its state as stored now."""
    row = CarePlan.objects.filter(pk=plan.pk).values("status", "approved_at").first()
    current = row or {"status": plan.status, "approved_at": plan.approved_at}
    label = CarePlanStatus(current["status"]).label.lower()
    return Conflict(
        f"Only a draft can be approved: this plan of care is {label}.",
        field="status",
        code="stale",
        current=current,
    )


def handoff_create(
    *, actor: User, patient: Patient, to_therapist: Therapist, note: str, reasons: list | None = None
) -> HandOff:
    """The treating therapist hands `patient` to a colleague, saying why."""
    from_therapist = Therapist.objects.filter(user=actor).first()
    if from_therapist is None or not actor.has_perm("planning.add_handoff", patient):
        raise PermissionDenied(
            "You do not have permission to hand off a patient: the treating therapist does that."
        )
    if to_therapist == from_therapist:
        raise DomainError("Choose a colleague, not yourself.", field="to_therapist")
    if not to_therapist.active:
        raise DomainError("That colleague is not active.", field="to_therapist")
    if not note.strip():
        raise DomainError("Write a note for your colleague.", field="note")
    handoff = HandOff(
        patient=patient,
        from_therapist=from_therapist,
        to_therapist=to_therapist,
        note=note,
        reasons=reasons or [],
        created_by=actor,
    )
    handoff.full_clean(exclude=["patient", "from_therapist", "to_therapist", "created_by"])
    handoff.save()
    return handoff


def care_plan_update(
    *,
    actor: User,
    plan: CarePlan,
    frequency_per_week: int | None = None,
    weeks: int | None = None,
    conditions: Sequence[str] | None = None,
    goals: Sequence[GoalIn] | None = None,
    notes: str | None = None,
) -> CarePlan:
    """Edit a draft before approval (staff and therapists); an approved plan is changed by drafting a new one."""
    if not actor.has_perm("planning.change_careplan", plan):
        raise PermissionDenied("You do not have permission to edit a plan of care: the clinic does that.")
    if plan.status != CarePlanStatus.DRAFT:
        raise DomainError(
            "Only a draft can be edited; draft a new plan to change an approved one.", field="status"
        )
    if conditions is not None:
        if not conditions:
            raise DomainError("Name at least one condition.", field="conditions")
        for i, key in enumerate(conditions):
            if key not in catalogue.conditions():
                raise DomainError(f"Unknown condition {key!r}.", field=f"conditions[{i}]")
        plan.conditions = list(conditions)
    if goals is not None:
        _check_goals(goals)
    _check_dose(frequency_per_week, weeks, plan.starts_on)
    if frequency_per_week is not None or weeks is not None:
        plan.frequency_per_week = (
            frequency_per_week if frequency_per_week is not None else plan.frequency_per_week
        )
        plan.weeks = weeks if weeks is not None else plan.weeks
        plan.frequency_basis = "Set by the clinician."
        plan.reassess_on = plan.starts_on + dt.timedelta(weeks=plan.weeks)
    if notes is not None:
        plan.notes = notes
    plan.full_clean(exclude=["patient", "referral", "therapist", "created_by", "approved_by"])
    with transaction.atomic():
        plan.save()
        if goals is not None:
            plan.goals.all().delete()
            _save_goals(plan, [g if g.basis else replace(g, basis="Set by the clinician.") for g in goals])
    return plan
