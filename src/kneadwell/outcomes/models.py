"""Measurements (ROM, wellbeing items, questionnaire scores), questionnaire responses with their item
answers, and progress reports to the referrer with each delivery.

Pain before and after a session (NPRS) is part of the session note (charting), signed with it; the
progress pages read it from there. Measurements are never edited: a wrong entry is voided with a
reason and entered again, so what a signed note showed stays reconstructible.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral, ReferringProvider
from kneadwell.scheduling.models import Appointment


class Channel(models.TextChoices):
    TABLET = "tablet", "Clinic tablet"
    PORTAL = "portal", "Patient portal"
    WEB = "web", "Clinic web page"
    API = "api", "API"


class QuestionnaireResponse(PublicIdModel):
    """One filled questionnaire: the answers as given (points per item), the text it was filled in, its score."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="questionnaire_responses")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="questionnaire_responses"
    )
    instrument = models.CharField(max_length=30)
    pack = models.CharField(max_length=120, blank=True, help_text="The instrument pack whose text was shown.")
    text_version = models.CharField(max_length=120, blank=True)
    language = models.CharField(max_length=20, blank=True)
    answers = models.JSONField(
        help_text="Item key (PSFS: activity name) → points of the chosen answer, or null."
    )
    score = models.FloatField(
        null=True, blank=True, help_text="Null when it could not be scored (see detail)."
    )
    detail = models.JSONField(
        default=dict, blank=True, help_text="Subscales, alternates, missing items, reason."
    )
    due_reason = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    completed_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "completed_at"], name="outcomes_response_patient")
        ]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.patient} at {self.completed_at:%Y-%m-%d}"


class Measurement(PublicIdModel):
    """One measured value: a ROM measurement, a wellbeing rating, or a questionnaire's score."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="measurements"
    )
    measure = models.CharField(max_length=30, help_text="Instrument key, or 'rom'.")
    value = models.FloatField()
    unit = models.CharField(max_length=10)
    # Range of motion (REFERENCE §1.5: record side, active or passive, instrument)
    motion = models.CharField(max_length=40, blank=True)
    side = models.CharField(max_length=10, blank=True)
    method = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(null=True, blank=True, help_text="Active (true) or passive (false) ROM.")
    reference_label = models.CharField(max_length=120, blank=True)
    reference_value = models.FloatField(null=True, blank=True)
    response = models.OneToOneField(
        QuestionnaireResponse, null=True, blank=True, on_delete=models.PROTECT, related_name="measurement"
    )
    taken_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["patient", "measure", "taken_at"], name="outcomes_measure_patient")]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "measure", "motion", "side"],
                condition=models.Q(voided_at__isnull=True, appointment__isnull=False),
                name="outcomes_one_value_per_visit",
            ),
            models.CheckConstraint(
                condition=models.Q(voided_at__isnull=True) | ~models.Q(void_reason=""),
                name="outcomes_void_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.value:g} {self.unit} for {self.patient}"


class ReportKind(models.TextChoices):
    INTERIM = "interim", "Progress report (every few visits)"
    ON_DEMAND = "on_demand", "Progress report (on request)"
    NOT_IMPROVING = "not_improving", "Progress report: not improving"
    DISCHARGE = "discharge", "Discharge summary"


class ProgressReport(PublicIdModel):
    """A report to the referrer, frozen as sent: the content it showed, whatever changes later."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="progress_reports")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="progress_reports")
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    visits = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ReportKind.values), name="outcomes_report_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient} ({self.created_at:%Y-%m-%d})"


class DeliveryEvent(models.TextChoices):
    SENT = "sent", "Sent to the referrer's portal"
    OPENED = "opened", "Opened by the referrer"
    DOWNLOADED = "downloaded", "Downloaded as PDF"
    FETCHED = "fetched", "Fetched through the API"


class ReportDelivery(models.Model):
    """Each time a report reached someone: sent to the portal, opened, downloaded, fetched."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=12, choices=DeliveryEvent.choices)
    provider = models.ForeignKey(
        ReferringProvider, on_delete=models.PROTECT, related_name="report_deliveries"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_event_display()} at {self.at:%Y-%m-%d %H:%M}"
