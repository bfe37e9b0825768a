"""Patients and their preferences."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from kneadwell.lib.models import PublicIdModel


class Pressure(models.TextChoices):
    LIGHT = "light", "Light"
    MEDIUM = "medium", "Medium"
    FIRM = "firm", "Firm"
    DEEP = "deep", "Deep"


class Lighting(models.TextChoices):
    NO_PREFERENCE = "", "No preference"
    SOFT = "soft", "Soft, dimmed"
    BRIGHT = "bright", "Normal"


class Music(models.TextChoices):
    NO_PREFERENCE = "", "No preference"
    CALM = "calm", "Calm music"
    NONE = "none", "Silence"


class TherapistGenderPreference(models.TextChoices):
    ANY = "", "No preference"
    FEMALE = "female", "Female therapist"
    MALE = "male", "Male therapist"


def validate_area_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 40 for v in value):
        raise ValidationError("Areas must be a list of short region names.", code="invalid_areas")


class Patient(PublicIdModel):
    """A person receiving care. Patients booked by phone may have no login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    birth_date = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    # Preferences: carried into session plans and room choice.
    pressure = models.CharField(max_length=10, choices=Pressure.choices, default=Pressure.MEDIUM)
    lighting = models.CharField(max_length=10, choices=Lighting.choices, blank=True, default="")
    music = models.CharField(max_length=10, choices=Music.choices, blank=True, default="")
    therapist_gender = models.CharField(
        max_length=10, choices=TherapistGenderPreference.choices, blank=True, default=""
    )
    therapist_gender_required = models.BooleanField(
        default=False, help_text="Only a therapist of the preferred gender may be booked."
    )
    areas_to_avoid = models.JSONField(default=list, blank=True, validators=[validate_area_list])
    oil_allergies = models.CharField(max_length=200, blank=True)
    # Duplicates (patients/services.py). A record a referrer registered that matches an existing
    # patient is kept apart, for the front desk to compare and merge; the referrer is not told.
    suspected_duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suspected_duplicates",
        help_text="An existing record this one seems to repeat, for the front desk to reconcile.",
    )
    # A record merged into another keeps its row (and public id) so the merge can be undone; it
    # is out of every scope while merged.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
        help_text="The record this one was merged into; its rows now belong there.",
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            # Name order with the id as the last tie, so a keyset page of GET /api/v1/patients is one
            # range of this index (it serves the name search's order as the two-column one did).
            models.Index(fields=["family_name", "given_name", "id"], name="patients_name_id"),
            # The newest registrations (the search page's recent patients who have no visit yet).
            models.Index(fields=["created_at", "id"], name="patients_created"),
            # New registrations are checked against existing patients born the same day.
            models.Index(fields=["birth_date"], name="patients_birth_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")), name="patients_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
