"""Plans of care: what is addressed, the goals, how often and for how long."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral
from kneadwell.therapists.models import Therapist


class CarePlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class CarePlan(PublicIdModel):
    """Drafted from the referral and intake, edited and approved by the therapist, shown to the patient."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_plans")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="care_plans"
    )
    therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.SET_NULL, related_name="care_plans"
    )
    conditions = models.JSONField(default=list, help_text="Condition keys addressed.")
    areas = models.JSONField(default=list, blank=True, help_text="[{region, side}] of concern.")
    frequency_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(52)])
    frequency_basis = models.TextField(
        blank=True, help_text="Where the frequency came from (source or clinic default)."
    )
    starts_on = models.DateField()
    reassess_on = models.DateField()
    status = models.CharField(max_length=10, choices=CarePlanStatus.choices, default=CarePlanStatus.DRAFT)
    notes = models.TextField(blank=True, max_length=4000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reassess_on__gte=models.F("starts_on")), name="planning_careplan_dates"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CarePlanStatus.values), name="planning_careplan_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Plan of care for {self.patient} ({self.get_status_display()})"

    @property
    def planned_sessions(self) -> int:
        return self.frequency_per_week * self.weeks


class Goal(models.Model):
    """A measurable goal, e.g. NPRS down 2 points from baseline."""

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    measure = models.CharField(max_length=30, help_text="Measure key from the catalogue, e.g. nprs.")
    baseline = models.FloatField(null=True, blank=True)
    target_change = models.FloatField(
        help_text="Change from baseline in the measure's units (negative = lower)."
    )
    description = models.CharField(max_length=300, blank=True)
    basis = models.TextField(
        blank=True, help_text="Why this target: the MCID and its source, or a clinic default."
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.measure} {self.target_change:+g}"


class HandOff(PublicIdModel):
    """A therapist hands a patient to a better-suited colleague, with a note and the matching reasons.

    The colleague sees the patient from then on; the front desk books the next
    session with them.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="handoffs")
    from_therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="handoffs_given")
    to_therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="handoffs_received")
    note = models.TextField(max_length=2000)
    reasons = models.JSONField(
        default=list, blank=True, help_text="The matching reasons shown when handing off."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_therapist=models.F("to_therapist")),
                name="planning_handoff_to_colleague",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.from_therapist} → {self.to_therapist}"
