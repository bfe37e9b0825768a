"""Session notes (SOAP, work lines, pressure feedback, body chart), their versions, consents, and the
clinic's record-keeping settings.

A note belongs to one appointment. Its content lives in versions: version 1 is written during and
after the session and signed; an amendment is a new version with a reason, and every signed version
stays readable (DESIGN §5 invariant 4). The database itself refuses to change or delete a signed
version or anything hanging from it (triggers, migration 0002), whoever asks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from kneadwell.knowledge.vocabulary import FEEDBACK_VALUES, Pressure
from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.planning.consents import CONSENT_KINDS
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Therapist

NPRS_RANGE = (0, 10)  # REFERENCE §1.4: 0 = no pain … 10 = worst


class RecordsSettings(models.Model):
    """The clinic's record-keeping settings (one row, edited in the admin). Clinic settings, not clinical claims."""

    unsigned_note_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text="A session without a signed note this many hours after it ended is listed as overdue "
        "on the front desk's and the therapist's pages.",
    )
    share_notes_with_patients = models.BooleanField(
        default=False,
        help_text="Patients may read their signed session notes (findings, assessment). Off: they see "
        "their measures and reports only.",
    )
    not_improving_after_visits = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="After this many visits since baseline, a measure no better than at baseline prompts "
        "a re-assessment or a message to the referrer (clinic setting; REFERENCE gives no number).",
    )
    questionnaire_every_visits = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="Condition questionnaires are due at baseline, every this many visits, and at discharge.",
    )
    report_every_visits = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="A progress report goes to the referrer every this many signed visits of a referral.",
    )
    mental_health_screeners = models.BooleanField(
        default=False,
        help_text="Offer PHQ-2 and GAD-2 with the wellbeing items for relaxation visits.",
    )

    class Meta:
        verbose_name = "record-keeping settings"
        verbose_name_plural = "record-keeping settings"

    def __str__(self) -> str:
        return "Record-keeping settings"

    @classmethod
    def current(cls) -> RecordsSettings:
        """The settings row, or (unsaved) the defaults until a clinic admin saves it."""
        return cls.objects.order_by("pk").first() or cls(pk=1)


class Note(PublicIdModel):
    """The session record of one appointment. Its content is in `versions`."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="note")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="notes")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="notes")
    # A copy of the appointment's start, so lists of notes by visit time read a page from an index
    # instead of sorting every note by its appointment's (GET /api/v1/notes). Set when the note starts,
    # moved with the appointment (charting.receivers, on scheduling's appointment_changed).
    appointment_start = models.DateTimeField(help_text="The appointment's start (a copy, kept in step).")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Newest visit first: the whole list (staff, a therapist's patients) and one patient's notes.
            models.Index(fields=["appointment_start", "id"], name="charting_note_start_id"),
            models.Index(fields=["patient", "appointment_start", "id"], name="charting_note_patient_start"),
        ]

    def __str__(self) -> str:
        return f"Note for {self.appointment}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class NoteVersion(PublicIdModel):
    """One version of a note. Signed versions never change (database triggers)."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    # S — the patient's report
    subjective = models.TextField(blank=True, max_length=4000)
    nprs_before = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # O — findings and what was done (work lines, marks and feedback hang from the version)
    objective = models.TextField(blank=True, max_length=4000)
    # A — response
    assessment = models.TextField(blank=True, max_length=4000)
    nprs_after = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # P — next focus and home care
    plan_next = models.TextField(blank=True, max_length=4000)
    home_care = models.TextField(blank=True, max_length=4000)
    safety_statement = models.TextField(
        blank=True,
        max_length=2000,
        help_text="Why the work was safe, required to sign a note for a visit the screening held back.",
    )
    amendment_reason = models.TextField(blank=True, max_length=2000)
    screening_decision = models.CharField(max_length=30, blank=True)
    screening_reasons = models.JSONField(default=list, blank=True)
    plan_snapshot = models.JSONField(
        default=dict, blank=True, help_text="The session plan the note started from."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["note", "number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="charting_version_number_unique"),
            # At most one open (unsigned) version per note: the draft, or the amendment in progress.
            models.UniqueConstraint(
                fields=["note"], condition=models.Q(status="draft"), name="charting_one_open_version"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=VersionStatus.values), name="charting_version_status_valid"
            ),
            models.CheckConstraint(
                condition=(models.Q(status="signed") & models.Q(signed_at__isnull=False))
                | (models.Q(status="draft") & models.Q(signed_at__isnull=True)),
                name="charting_version_signed_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(number=1) | ~models.Q(amendment_reason=""),
                name="charting_amendment_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(nprs_before__isnull=True) | models.Q(nprs_before__lte=10),
                name="charting_nprs_before_range",
            ),
            models.CheckConstraint(
                condition=models.Q(nprs_after__isnull=True) | models.Q(nprs_after__lte=10),
                name="charting_nprs_after_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.note} v{self.number} ({self.status})"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        # The database refuses this on PostgreSQL; on SQLite only here (see charting/guard.py).
        if (
            self.pk is not None
            and NoteVersion.objects.filter(pk=self.pk, status=VersionStatus.SIGNED).exists()
        ):
            raise TypeError("A signed note version cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def signed(self) -> bool:
        return self.status == VersionStatus.SIGNED


PRESSURE_CHOICES = [(p.value, p.value.capitalize()) for p in Pressure]


class LineResponse(models.TextChoices):
    NONE = "", "Not noted"
    EASED = "eased", "Eased"
    NO_CHANGE = "no_change", "No change"
    PAIN_INCREASED = "pain_increased", "Pain increased"


class WorkLine(models.Model):
    """Hands-on work at one region: minutes, techniques, pressure (verbal scale, REFERENCE §6.3), billing code."""

    version = models.ForeignKey(NoteVersion, on_delete=models.CASCADE, related_name="work_lines")
    position = models.PositiveSmallIntegerField()
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    minutes = models.PositiveSmallIntegerField(validators=[MaxValueValidator(240)])
    techniques = models.JSONField(default=list)
    pressure = models.CharField(max_length=10, choices=PRESSURE_CHOICES)
    code = models.CharField(max_length=5, blank=True, help_text="CPT timed code billed for these minutes.")
    response = models.CharField(max_length=20, choices=LineResponse.choices, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.CheckConstraint(condition=models.Q(minutes__lte=240), name="charting_line_minutes_range"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.side} {self.minutes} min".replace("  ", " ")


FEEDBACK_CHOICES = [(v, v.replace("_", " ").capitalize()) for v in FEEDBACK_VALUES]


class FeedbackEvent(models.Model):
    """The patient's word on pressure during the session (S17) and what the therapist changed."""

    version = models.ForeignKey(NoteVersion, on_delete=models.CASCADE, related_name="feedback")
    position = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    pressure = models.CharField(max_length=10, choices=PRESSURE_CHOICES)
    feedback = models.CharField(max_length=10, choices=FEEDBACK_CHOICES)
    change = models.CharField(max_length=300, blank=True, help_text="What the therapist changed.")

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return f"{self.feedback} at {self.region}"


class MarkKind(models.TextChoices):
    TRIGGER_POINT = "trigger_point", "Trigger point"
    HYPERTONICITY = "hypertonicity", "Hypertonicity"
    ADHESION_SCAR = "adhesion_scar", "Adhesion or scar"
    TENDERNESS = "tenderness", "Tenderness"
    PAIN = "pain", "Pain"
    NUMBNESS = "numbness", "Numbness"


class BodyMark(models.Model):
    """A coded finding on the body chart: where (region, side, point on the figure) and what."""

    version = models.ForeignKey(NoteVersion, on_delete=models.CASCADE, related_name="marks")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=MarkKind.choices)
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    view = models.CharField(max_length=5, choices=[("front", "Front"), ("back", "Back")])
    x = models.PositiveSmallIntegerField(validators=[MaxValueValidator(200)])
    y = models.PositiveSmallIntegerField(validators=[MaxValueValidator(400)])
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.region}"


CONSENT_CHOICES = [(k, k.replace("_", " ").capitalize()) for k in CONSENT_KINDS]


class SignedVia(models.TextChoices):
    PORTAL = "portal", "Patient portal"
    TABLET = "tablet", "Clinic tablet"
    API = "api", "API"


class Consent(PublicIdModel):
    """A consent the patient gave: the kind, the exact text version they read, how and when.

    Never edited: a withdrawal is recorded on the row (withdrawn_at), a new consent is a new row.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=20, choices=CONSENT_CHOICES)
    text_version = models.CharField(max_length=20)
    text = models.TextField(help_text="The text as signed.")
    signer_name = models.CharField(max_length=160)
    signed_via = models.CharField(max_length=10, choices=SignedVia.choices)
    signed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CONSENT_KINDS), name="charting_consent_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} consent v{self.text_version} for {self.patient}"
