"""Intakes: the first call or the online form. What to work on, why, since when, and the health history."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral


class IntakeChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    ONLINE = "online", "Online form"
    API = "api", "API"


class Intake(PublicIdModel):
    """One intake. The newest one is the patient's current picture; older ones stay for the record.

    `diagnoses`, `areas` and `answers` hold the validated JSON of
    `intake.schemas.DiagnosisIn`, `AreaIn` and `HealthAnswersIn`.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="intakes"
    )
    channel = models.CharField(max_length=10, choices=IntakeChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chief_complaint = models.TextField(
        max_length=2000, help_text="What should be worked on, in the patient's words."
    )
    referral_reason = models.TextField(
        blank=True, max_length=2000, help_text="Why the doctor recommended massage, as the patient tells it."
    )
    areas = models.JSONField(default=list, blank=True)
    diagnoses = models.JSONField(default=list, blank=True)
    onset = models.DateField(null=True, blank=True, help_text="Since when.")
    prior_treatments = models.TextField(blank=True, max_length=2000, help_text="What has been tried.")
    goals = models.TextField(blank=True, max_length=2000)
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="intake_patient_latest")]

    def __str__(self) -> str:
        return f"Intake for {self.patient} ({self.created_at:%Y-%m-%d})"


class InflammationCheck(PublicIdModel):
    """A clinician's examination of an acute injury: no signs of inflammation at the area on that date.

    It lifts the first-72-hours hold on a strain, sprain or whiplash at that area (issue 7; REFERENCE §7A:
    documented signs plus a clinician's override, not a timer alone). The clinician's name and the reason
    are required and kept, with who recorded it.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="inflammation_checks")
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    checked_on = models.DateField(help_text="The date of the examination.")
    clinician_name = models.CharField(max_length=150, help_text="Who examined the area.")
    reason = models.TextField(
        max_length=2000, help_text="What the examination found (no heat, redness, swelling)."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-checked_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(clinician_name="") & ~models.Q(reason=""),
                name="intake_inflammation_check_named",
            )
        ]

    def __str__(self) -> str:
        where = f"{self.side} {self.region}".strip()
        return f"No inflammation at {where} ({self.checked_on}, {self.clinician_name})"
