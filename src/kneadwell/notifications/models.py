"""Messages and their delivery log, contact preferences, the clinic's message settings, feed tokens.

A message is a row before it is anything else: it is written in the transaction that books, moves or
cancels the appointment (or by the reminder scheduler), and a background task sends it. Every try is
a DeliveryAttempt. Nothing about a message lives only in a task queue, so nothing is lost when a
worker dies: the watchdog finds what is overdue and sends it again (notifications/delivery.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Therapist

from . import policy


class MessageKind(models.TextChoices):
    CONFIRMATION = policy.CONFIRMATION, "Confirmation"
    REMINDER = policy.REMINDER, "Reminder"
    CHANGE = policy.CHANGE, "Change of time"
    CANCELLATION = policy.CANCELLATION, "Cancellation"
    WAITLIST_OFFER = policy.WAITLIST_OFFER, "Waitlist offer"


class MessageChannel(models.TextChoices):
    EMAIL = policy.EMAIL, "E-mail"
    SMS = policy.SMS, "Text message"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SUPPRESSED = "suppressed", "Not sent (patient's choice)"


# Waiting for a worker: the watchdog re-enqueues these when they are overdue.
WAITING_STATUSES = (MessageStatus.QUEUED, MessageStatus.RETRYING)
# Not finished: the Today page counts these when they are late (is the worker running?).
PENDING_STATUSES = (MessageStatus.QUEUED, MessageStatus.RETRYING, MessageStatus.SENDING)


class FeedPatientDetail(models.TextChoices):
    NONE = policy.DETAIL_NONE, "No name (“Client”)"
    INITIALS = policy.DETAIL_INITIALS, "Initials (P. P.)"
    SHORT = policy.DETAIL_SHORT, "First name and last initial (Pat P.)"
    FULL = policy.DETAIL_FULL, "Full name"


class NotificationSettings(models.Model):
    """The clinic's choices about messages and calendars (one row, edited in the Django admin).

    Clinic settings, not clinical claims.
    """

    reminder_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="Hours before a visit that its reminder goes out (elapsed time, 1 to 168).",
    )
    feed_patient_detail = models.CharField(
        max_length=10,
        choices=FeedPatientDetail.choices,
        default=FeedPatientDetail.SHORT,
        help_text="How much of a patient's name a therapist's calendar feed shows. A feed is read by "
        "calendar apps and phones outside the clinic: show no more than the therapist needs.",
    )

    class Meta:
        verbose_name = "message settings"
        verbose_name_plural = "message settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reminder_hours__gte=1, reminder_hours__lte=168),
                name="notifications_settings_reminder_hours",
            ),
            models.CheckConstraint(
                condition=models.Q(feed_patient_detail__in=FeedPatientDetail.values),
                name="notifications_settings_feed_detail_valid",
            ),
        ]

    def __str__(self) -> str:
        return "Message settings"

    @classmethod
    def current(cls) -> NotificationSettings:
        """The settings row, or (unsaved) the defaults until a clinic admin saves it."""
        return cls.objects.order_by("pk").first() or cls(pk=1)


sms_number_validator = RegexValidator(
    r"^\+[1-9][0-9]{6,14}$",
    "Use the international form: + then the country code and number, digits only (e.g. +13125550123).",
    code="invalid_sms_number",
)


class ContactPreference(models.Model):
    """How a patient wants to hear from the clinic. No row means the defaults: e-mail on, no texts,
    reminders on. A message the patient opted out of is kept as `suppressed`, never sent."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="contact_preference")
    email_enabled = models.BooleanField("e-mail", default=True)
    sms_enabled = models.BooleanField("text messages", default=False)
    sms_number = models.CharField(
        "mobile number for texts", max_length=16, blank=True, validators=[sms_number_validator]
    )
    reminders_enabled = models.BooleanField("reminders before each visit", default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sms_enabled=False) | ~models.Q(sms_number=""),
                name="notifications_pref_sms_needs_number",
            )
        ]

    def __str__(self) -> str:
        return f"Contact preferences of {self.patient}"

    def choices(self) -> policy.ContactChoices:
        return policy.ContactChoices(
            email_enabled=self.email_enabled,
            sms_enabled=self.sms_enabled,
            sms_number=self.sms_number,
            reminders_enabled=self.reminders_enabled,
        )


class Message(PublicIdModel):
    """One message to one patient on one channel, from queued to sent (or failed, for all to see)."""

    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # The appointment's start when the message was written: a confirmation or reminder for a time
    # the visit has since left is cancelled rather than sent (the change notice says the new time).
    appointment_start = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True, help_text="Where it went (last attempt).")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="What the wording needs beyond the visit.")
    due_at = models.DateTimeField(help_text="When it should go out.")
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(help_text="Attempts allowed in all, before it fails.")
    # Attempts made before the current round (a retry from the front desk starts a new round of backoff).
    round_start = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="While sending: after this the send is taken to have died."
    )
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True, help_text="The provider's last answer, or why it was not sent.")
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=MessageKind.values), name="notifications_message_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=MessageChannel.values),
                name="notifications_message_channel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values),
                name="notifications_message_status_valid",
            ),
            # One message per event and channel, however often the booking code reports it.
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notifications_message_dedupe",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notifications_msg_due"),
            models.Index(fields=["patient", "created_at"], name="notifications_msg_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()} to {self.patient} ({self.status})"

    @property
    def needs_attention(self) -> bool:
        return self.status == MessageStatus.FAILED and self.handled_at is None


class AttemptOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SENT = "sent", "Sent"
    ERROR = "error", "Error"
    INTERRUPTED = "interrupted", "Interrupted (worker stopped)"
    SUPPRESSED = "suppressed", "Not sent (patient's choice)"
    CANCELLED = "cancelled", "Cancelled"


class DeliveryAttempt(models.Model):
    """One try at sending a message: when, to where, and what the provider answered."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=12, choices=AttemptOutcome.choices, default=AttemptOutcome.IN_PROGRESS
    )
    recipient = models.CharField(max_length=254, blank=True)
    detail = models.TextField(blank=True, help_text="The provider's answer or the error.")
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["message", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="notifications_attempt_unique"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=AttemptOutcome.values),
                name="notifications_attempt_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.message_id}: {self.outcome}"


class FeedToken(models.Model):
    """A secret, revocable address for one therapist's or one patient's calendar feed.

    Only a SHA-256 digest of the secret is stored (as for API tokens); the address is shown once.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, help_text="Shown to tell feeds apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(therapist__isnull=False) & models.Q(patient__isnull=True))
                | (models.Q(therapist__isnull=True) & models.Q(patient__isnull=False)),
                name="notifications_feed_one_owner",
            )
        ]

    def __str__(self) -> str:
        owner = self.therapist or self.patient
        state = "revoked" if self.revoked_at else "active"
        return f"Calendar feed {self.prefix}… of {owner} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
