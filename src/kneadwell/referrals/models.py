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
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ProviderKind.values), name="referrals_provider_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReferralChannel(models.TextChoices):
    PORTAL = "portal", "Referrer portal"
    FAX = "fax", "Fax"
    PHONE = "phone", "Phone"
    API = "api", "API"


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
    channel = models.CharField(max_length=10, choices=ReferralChannel.choices, default=ReferralChannel.PORTAL)
    reason = models.TextField(blank=True, max_length=4000, help_text="Why massage was recommended.")
    diagnoses = models.JSONField(
        default=list,
        blank=True,
        help_text="[{condition, icd10, side, onset, areas}], validated by intake.schemas.",
    )
    areas = models.JSONField(default=list, blank=True, help_text="[{region, side}] to work on.")
    requested_sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_frequency_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    precautions = models.TextField(blank=True, max_length=4000)
    status_note = models.CharField(max_length=500, blank=True, help_text="Why declined, or what was asked.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReferralStatus.values), name="referrals_referral_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=ReferralChannel.values),
                name="referrals_referral_channel_valid",
            ),
        ]
        indexes = [
            # The inbox (a status, oldest first) and the referrer's home (their referrals, newest first).
            models.Index(fields=["status", "received_on", "id"], name="referrals_status_received"),
            models.Index(fields=["provider", "received_on", "id"], name="referrals_provider_received"),
            # GET /api/v1/referrals and the admin's list: every referral, newest first, a page at a time.
            models.Index(fields=["received_on", "id"], name="referrals_received"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} ← {self.provider} ({self.received_on})"


class ClearanceScope(models.TextChoices):
    """What a provider's clearance permits. Screening rules look these up by key."""

    SCAR_WORK = "scar_work", "Scar work"
    SURGICAL_SITE = "surgical_site", "Work near a recent surgical site"
    FRACTURE_SITE = "fracture_site", "Work near a fracture"
    PREGNANCY = "pregnancy", "Massage during a high-risk pregnancy"
    CLOT = "clot", "Massage with a known or suspected clot"
    GENERAL = "general", "Massage in general"
    # A documented medical evaluation of one screening flag (e.g. a headache that began after 50):
    # `Clearance.flag` names the catalogue flag; it lifts that referral out (issue 7).
    FLAG = "flag", "Medical evaluation of a screening finding"


class ClearanceStatus(models.TextChoices):
    REQUESTED = "requested", "Awaiting the provider"
    GRANTED = "granted", "Granted"
    DECLINED = "declined", "Declined"


def clearance_upload_to(instance: Clearance, filename: str) -> str:
    return f"clearances/{instance.public_id}/{filename}"


class Clearance(PublicIdModel):
    """A provider's approval for work the screening holds back (e.g. scar work at the right knee)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clearances")
    provider = models.ForeignKey(ReferringProvider, on_delete=models.PROTECT, related_name="clearances")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="clearances"
    )
    scope = models.CharField(max_length=20, choices=ClearanceScope.choices)
    flag = models.CharField(
        max_length=60, blank=True, help_text="For scope “flag”: the screening flag evaluated (catalogue id)."
    )
    region = models.CharField(max_length=40, blank=True)
    side = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=10, choices=ClearanceStatus.choices, default=ClearanceStatus.GRANTED)
    granted_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    document = models.FileField(upload_to=clearance_upload_to, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ClearanceStatus.values), name="referrals_clearance_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(scope__in=ClearanceScope.values), name="referrals_clearance_scope_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="granted") | models.Q(granted_on__isnull=False),
                name="referrals_clearance_granted_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(granted_on__isnull=True)
                | models.Q(expires_on__gte=models.F("granted_on")),
                name="referrals_clearance_dates",
            ),
            # A flag clearance names its flag; other scopes name none.
            models.CheckConstraint(
                condition=(models.Q(scope="flag") & ~models.Q(flag=""))
                | (~models.Q(scope="flag") & models.Q(flag="")),
                name="referrals_clearance_flag_scope",
            ),
        ]

    def __str__(self) -> str:
        where = f" at {self.side} {self.region}".replace("  ", " ") if self.region else ""
        return f"{self.get_scope_display()}{where} ({self.get_status_display()})"


class CareTeamRole(models.TextChoices):
    REFERRING = "referring", "Referring provider"
    TREATING = "treating", "Treating provider (e.g. the surgeon)"


class CareTeamMember(models.Model):
    """A provider outside the clinic who cares for the patient: who referred them, or who treats them
    (the surgeon whose clearance scar work needs). Clearances are asked only of these providers."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    provider = models.ForeignKey(ReferringProvider, on_delete=models.PROTECT, related_name="care_team_links")
    role = models.CharField(max_length=20, choices=CareTeamRole.choices)
    note = models.CharField(max_length=200, blank=True, help_text="e.g. Orthopaedic surgeon, right knee")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "provider"], name="referrals_care_team_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=CareTeamRole.values), name="referrals_care_team_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} ({self.get_role_display()}) for {self.patient}"
