"""Locations, rooms and services."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from kneadwell.clinic.validators import validate_time_zone
from kneadwell.knowledge.vocabulary import CLINICAL_FAMILIES
from kneadwell.lib.models import PublicIdModel

jurisdiction_validator = RegexValidator(
    r"^[A-Z]{2}-[A-Z0-9]{1,3}$",
    "Use an ISO 3166-2 code such as US-OH.",
    code="invalid_jurisdiction",
)


class LocationKind(models.TextChoices):
    HOSPITAL = "hospital", "Hospital"
    MASSAGE_CLINIC = "massage_clinic", "Massage clinic"
    CHIROPRACTIC_OFFICE = "chiropractic_office", "Chiropractic office"
    PHYSICAL_THERAPY_CLINIC = "physical_therapy_clinic", "Physical-therapy clinic"


class Location(PublicIdModel):
    """A place where sessions happen. Its IANA zone governs every local time shown or computed there."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=LocationKind.choices)
    time_zone = models.CharField(
        max_length=64, validators=[validate_time_zone], help_text="IANA zone, e.g. America/New_York"
    )
    jurisdiction = models.CharField(
        max_length=6,
        validators=[jurisdiction_validator],
        help_text="Licensing jurisdiction (ISO 3166-2, e.g. US-OH).",
    )
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=LocationKind.values), name="clinic_location_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoomFeature(models.TextChoices):
    MASSAGE_TABLE = "massage_table", "Massage table"
    STRETCHING_SPACE = "stretching_space", "Stretching space"
    ACCESSIBLE = "accessible", "Wheelchair accessible"
    DIMMABLE_LIGHTING = "dimmable_lighting", "Dimmable lighting"
    MUSIC = "music", "Music"


def validate_room_features(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Features must be a list of feature keys.", code="invalid_features")
    unknown = sorted(set(value) - set(RoomFeature.values))
    if unknown:
        raise ValidationError(
            "Unknown room feature(s): %(unknown)s.",
            params={"unknown": ", ".join(unknown)},
            code="unknown_feature",
        )


class Room(PublicIdModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=80)
    features = models.JSONField(default=list, blank=True, validators=[validate_room_features])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="clinic_room_unique_name")]

    def __str__(self) -> str:
        return f"{self.location.name} · {self.name}"


class ServiceFamily(models.TextChoices):
    RELAXATION = "relaxation", "Relaxation"
    THERAPEUTIC = "therapeutic", "Therapeutic"
    SPOT_WORK = "spot_work", "Spot work"


def validate_location_kinds(value: object) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError("List at least one location kind.", code="no_location_kinds")
    unknown = sorted(set(value) - set(LocationKind.values))
    if unknown:
        raise ValidationError(
            "Unknown location kind(s): %(unknown)s.",
            params={"unknown": ", ".join(unknown)},
            code="unknown_location_kind",
        )


class Service(PublicIdModel):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    family = models.CharField(max_length=20, choices=ServiceFamily.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    hands_on_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Minutes of hands-on work the session plan fills; empty means the whole duration. "
        "Some clinics book 60 minutes and deliver about 50 hands-on (REFERENCE §7).",
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(60)],
        help_text="Turnover time after the session during which therapist and room stay blocked.",
    )
    location_kinds = models.JSONField(
        default=list,
        validators=[validate_location_kinds],
        help_text="Kinds of location where this service may be booked.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family", "duration_minutes", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(family__in=ServiceFamily.values), name="clinic_service_family_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.hands_on_minutes and self.duration_minutes and self.hands_on_minutes > self.duration_minutes:
            raise ValidationError({"hands_on_minutes": "Hands-on time cannot exceed the session's duration."})

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def hands_on(self) -> int:
        return self.hands_on_minutes or self.duration_minutes

    @property
    def buffer(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_minutes)

    @property
    def is_clinical(self) -> bool:
        return self.family in CLINICAL_FAMILIES

    def offered_at(self, location: Location) -> bool:
        return location.kind in self.location_kinds


class LateCancellationPolicy(models.TextChoices):
    FLAG = "flag", "Cancel it and flag it as late"
    REFUSE = "refuse", "Refuse it (the front desk may override with a reason)"


class ClinicSettings(models.Model):
    """The clinic's own defaults (one row). Clinic settings, not clinical claims: each says so where it shows."""

    focus_percent = models.PositiveSmallIntegerField(
        default=67,
        validators=[MinValueValidator(51), MaxValueValidator(100)],
        help_text="Share of a therapeutic session's hands-on minutes for the areas of concern, in percent: "
        "more than half, at most all (rounded to the nearest minute).",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA zone for dates not tied to a location (referrals received, forms filled). "
        "Empty: the first location's zone.",
    )
    min_segment_minutes = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="No body region is planned for less time than this, unless the whole session is shorter.",
    )
    # Booking policy (issue 8). Clinic settings, not clinical claims.
    booking_step_minutes = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Sessions start on multiples of this many minutes after local midnight "
        "(5: a 15- and a 60-minute service share one calendar without a fixed grid).",
    )
    booking_min_notice_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MaxValueValidator(30 * 24 * 60)],
        help_text="The earliest bookable start is this many minutes from now.",
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="Nothing starts more than this many days from now.",
    )
    late_cancellation_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(14 * 24)],
        help_text="A patient's cancellation or move this close to the start is a late cancellation.",
    )
    late_cancellation_policy = models.CharField(
        max_length=10,
        choices=LateCancellationPolicy.choices,
        default=LateCancellationPolicy.FLAG,
        help_text="What happens to a patient's late cancellation; staff may override either with a reason.",
    )
    # Waitlist (issue 10). A clinic setting, not a clinical claim.
    waitlist_hold_minutes = models.PositiveIntegerField(
        default=120,
        validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)],
        help_text="How long a freed slot offered to a waiting patient is held for them before it is "
        "offered to the next (minutes).",
    )

    # Spot work (issue 10). Clinic settings, not clinical claims.
    spot_work_wait_before_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(240)],
        help_text="Spot work before a host visit ends at most this many minutes before it starts.",
    )
    spot_work_wait_after_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(240)],
        help_text="Spot work after a host visit starts at most this many minutes after it ends.",
    )

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(focus_percent__gt=50, focus_percent__lte=100),
                name="clinic_settings_focus_majority",
            ),
            models.CheckConstraint(
                condition=models.Q(late_cancellation_policy__in=LateCancellationPolicy.values),
                name="clinic_settings_late_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return "Clinic settings"

    @classmethod
    def current(cls) -> ClinicSettings:
        """The settings row, or (unsaved) the defaults until a clinic admin saves it: reading it never
        writes (a GET writes nothing but its audit rows)."""
        return cls.objects.order_by("pk").first() or cls(pk=1)
