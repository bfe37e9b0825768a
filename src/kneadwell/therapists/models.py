"""Therapists: licences, trainings, expertise, working hours and time off."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from kneadwell.clinic.models import Location, jurisdiction_validator
from kneadwell.knowledge import catalogue
from kneadwell.lib.models import PublicIdModel


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NON_BINARY = "non_binary", "Non-binary"
    UNDISCLOSED = "undisclosed", "Prefers not to say"


class Therapist(PublicIdModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="therapist"
    )
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    gender = models.CharField(max_length=20, choices=Gender.choices, default=Gender.UNDISCLOSED)
    locations = models.ManyToManyField(Location, related_name="therapists", blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def valid_licence(self, jurisdiction: str, on: dt.date) -> Licence | None:
        """The licence that lets this therapist practise in `jurisdiction` on `on`, if any."""
        for licence in self.licences.all():
            if licence.is_valid_for(jurisdiction, on):
                return licence
        return None


class Licence(PublicIdModel):
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="licences")
    jurisdiction = models.CharField(max_length=6, validators=[jurisdiction_validator])
    number = models.CharField(max_length=40)
    title = models.CharField(max_length=20, help_text="e.g. LMT, LMBT, CMT")
    issued = models.DateField()
    expires = models.DateField()
    verified = models.BooleanField(default=False, help_text="Checked against the state board's register.")
    intraoral_scope = models.BooleanField(
        default=False,
        help_text="This jurisdiction's scope of practice lets the holder do intraoral work (e.g. TMJ); check the board.",
    )

    class Meta:
        ordering = ["jurisdiction", "-expires"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "number"], name="therapists_licence_unique"),
            models.CheckConstraint(
                condition=models.Q(expires__gte=models.F("issued")), name="therapists_licence_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.jurisdiction} {self.number}"

    def clean(self) -> None:
        if self.issued and self.expires and self.expires < self.issued:
            raise ValidationError({"expires": "The expiry date is before the issue date."})

    def is_valid_for(self, jurisdiction: str, on: dt.date) -> bool:
        return self.jurisdiction == jurisdiction and self.issued <= on <= self.expires


def validate_technique_key(value: str) -> None:
    if value not in catalogue.techniques():
        raise ValidationError("%(value)s is not a technique in the catalogue.", params={"value": value})


def validate_condition_key(value: str) -> None:
    if value not in catalogue.conditions():
        raise ValidationError("%(value)s is not a condition in the catalogue.", params={"value": value})


class Training(models.Model):
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="trainings")
    technique = models.CharField(max_length=40, validators=[validate_technique_key])
    certified_on = models.DateField(null=True, blank=True)
    issuer = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["technique"]
        constraints = [
            models.UniqueConstraint(fields=["therapist", "technique"], name="therapists_training_unique")
        ]

    def __str__(self) -> str:
        return self.technique


class ExpertiseLevel(models.IntegerChoices):
    FAMILIAR = 1, "Familiar"
    EXPERIENCED = 2, "Experienced"
    SPECIALIST = 3, "Specialist"


class Expertise(models.Model):
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="expertise")
    condition = models.CharField(max_length=40, validators=[validate_condition_key])
    level = models.PositiveSmallIntegerField(choices=ExpertiseLevel.choices)

    class Meta:
        ordering = ["-level", "condition"]
        constraints = [
            models.UniqueConstraint(fields=["therapist", "condition"], name="therapists_expertise_unique"),
            models.CheckConstraint(
                condition=models.Q(level__in=ExpertiseLevel.values), name="therapists_expertise_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.condition} ({self.get_level_display()})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(models.Model):
    """A weekly block of local wall-clock time at one location, valid between two dates.

    Stored as wall-clock times on purpose: "Tuesdays 9 to 5" stays 9 to 5
    across a DST change. Instants are computed per date in the location's zone.
    """

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="therapists_hours_order"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="therapists_hours_weekday"
            ),
        ]
        indexes = [models.Index(fields=["therapist", "weekday"], name="therapists_hours_lookup")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self) -> None:
        errors = {}
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = "The end time must be after the start time."
        if self.effective_until and self.effective_from and self.effective_until < self.effective_from:
            errors["effective_until"] = "The end date is before the start date."
        if errors:
            raise ValidationError(errors)

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and self.effective_from <= day
            and (self.effective_until is None or day <= self.effective_until)
        )


class TimeOff(models.Model):
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="therapists_timeoff_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist}: {self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"
