"""Payers and the patient's coverage: which unit rule a visit's superbill uses (REFERENCE §3.2 item 6).

The superbill itself is not stored: it is computed from the signed note (immutable), the licence and
the referral, so it always matches the record it bills.
"""

from __future__ import annotations

from django.db import models

from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient

from .units import UnitRule


class Payer(PublicIdModel):
    """An insurer (commercial, auto, workers' compensation …) and how it turns minutes into units."""

    name = models.CharField(max_length=120, unique=True)
    unit_rule = models.CharField(
        max_length=20,
        choices=[(r.value, r.value.replace("_", " ")) for r in UnitRule],
        default=UnitRule.CMS_8_MINUTE.value,
        help_text="CMS 8-minute rule over the day's total timed minutes, or the CPT midpoint rule per code.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_rule__in=[r.value for r in UnitRule]), name="billing_payer_rule_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Coverage(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(active=True), name="billing_one_active_coverage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.payer}"
