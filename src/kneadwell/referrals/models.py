"""Referring providers and their referrals."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient


def validate_npi(value: str) -> None:
    """A US National Provider Identifier: 10 digits with a Luhn check digit over the 80840 prefix."""
    if len(value) != 10 or not value.isdigit():
        raise ValidationError("An NPI is 10 digits.", code="invalid_npi")
    digits = [int(c) for c in "80840" + value]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    if total % 10 != 0:
        raise ValidationError("This NPI's check digit is wrong.", code="invalid_npi")


class ProviderKind(models.TextChoices):
    PHYSICIAN = "physician", "Physician"
    CHIROPRACTOR = "chiropractor", "Chiropractor"
    PHYSICAL_THERAPIST = "physical_therapist", "Physical therapist"


class ReferringProvider(PublicIdModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referring_provider",
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=30, choices=ProviderKind.choices)
    npi = models.CharField(max_length=10, blank=True, validators=[validate_npi])
    organisation = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    fax = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["npi"], condition=~models.Q(npi=""), name="referrals_provider_npi_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    SCHEDULED = "scheduled", "Scheduled"
    IN_CARE = "in_care", "In care"
    DISCHARGED = "discharged", "Discharged"
    DECLINED = "declined", "Declined"


class Referral(PublicIdModel):
    """A provider's recommendation of massage for a patient's problem."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    provider = models.ForeignKey(ReferringProvider, on_delete=models.PROTECT, related_name="referrals")
    received_on = models.DateField()
    reason = models.TextField(blank=True)
    requested_sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.patient} ← {self.provider} ({self.received_on})"
