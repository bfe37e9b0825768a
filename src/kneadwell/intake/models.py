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
