"""Appointments.

No double booking is enforced by the database where it can be: on PostgreSQL
three exclusion constraints (therapist, room, patient) over the blocked
interval of active appointments, added by migration 0002 only on that vendor.
On SQLite, writes run in BEGIN IMMEDIATE transactions (see settings) and the
booking service re-checks overlap inside the transaction.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from kneadwell.clinic.models import Location, Room, Service
from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan
from kneadwell.therapists.models import Therapist


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    # A freed slot offered to a waiting patient (waitlist): it blocks therapist, room and patient like a
    # booking until `hold_expires_at`; accepting turns it into a booking, declining or expiry deletes it.
    HELD = "held", "Held for a waitlist offer"


# Appointments in these states hold their therapist, room and patient.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)
# ... and so does a hold, until it expires. The booking service deletes an expired hold inside the
# transaction that books over it (services._release_stale_holds), so the PostgreSQL exclusion
# constraints, which cannot read the clock, can count every held row (migration 0004).
BLOCKING_STATUSES = (*ACTIVE_STATUSES, AppointmentStatus.HELD)


def blocking_q(at: dt.datetime) -> models.Q:
    """The appointments that keep their time from others at `at`: the active ones and unexpired holds."""
    return models.Q(status__in=ACTIVE_STATUSES) | models.Q(
        status=AppointmentStatus.HELD, hold_expires_at__gt=at
    )


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    ONLINE = "online", "Online"
    REFERRAL = "referral", "Referral"
    API = "api", "API"


class SeriesMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
    BOOK_WHAT_FITS = "book_what_fits", "Book what fits"


class Series(PublicIdModel):
    """A plan of care's cadence booked as one unit: e.g. Tuesdays 17:00 local, weekly for six weeks.

    The pattern is local wall-clock (weekday, time) pairs, so 17:00 stays 17:00 across a DST
    change. Its appointments carry `series` and their `series_index` (0-based, in time order of
    the planned occurrences); cancelling or moving "from an occurrence onward" acts on the
    booked ones at or after it.
    """

    care_plan = models.ForeignKey(
        CarePlan, null=True, blank=True, on_delete=models.PROTECT, related_name="series"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="series")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="series")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="series")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="series")
    pattern = models.JSONField(help_text='Local wall-clock times: [{"weekday": 1, "time": "17:00"}].')
    starts_on = models.DateField(help_text="The local date from which occurrences are planned.")
    weeks = models.PositiveSmallIntegerField(help_text="How many times each weekly time recurs.")
    every_weeks = models.PositiveSmallIntegerField(
        default=1, help_text="The cadence: every week (1), every other week (2), …"
    )
    mode = models.CharField(max_length=20, choices=SeriesMode.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "series"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=SeriesMode.values), name="scheduling_series_mode_valid"
            )
        ]

    def __str__(self) -> str:
        return f"Series for {self.patient} with {self.therapist} ({self.weeks} weeks)"


class Appointment(PublicIdModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_until = models.DateTimeField(
        help_text="End plus the service's turnover buffer: therapist and room stay busy until then."
    )
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    idempotency_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="What was asked for under the key: the same key with another body is refused.",
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    series_index = models.PositiveSmallIntegerField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    cancelled_by_patient = models.BooleanField(
        default=False, help_text="The patient cancelled (themself, or through the front desk)."
    )
    late_cancellation = models.BooleanField(
        default=False, help_text="The patient cancelled inside the clinic's late-cancellation window."
    )
    policy_override = models.CharField(
        max_length=500, blank=True, help_text="Why staff overrode the late-cancellation policy."
    )
    hold_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A held slot (waitlist offer) stops blocking others at this instant."
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="scheduling_appt_order"
            ),
            models.CheckConstraint(
                condition=models.Q(blocked_until__gte=models.F("end")), name="scheduling_appt_blocked"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AppointmentStatus.values), name="scheduling_appt_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(hold_expires_at__isnull=False),
                name="scheduling_appt_hold_expires",
            ),
            models.UniqueConstraint(
                fields=["booked_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="scheduling_appt_idempotency",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "start"], name="scheduling_appt_therapist"),
            models.Index(fields=["room", "start"], name="scheduling_appt_room"),
            models.Index(fields=["patient", "start"], name="scheduling_appt_patient"),
            models.Index(fields=["location", "start"], name="scheduling_appt_location"),
            # Keyset pages of the whole list in time order (GET /api/v1/appointments).
            models.Index(fields=["start", "id"], name="scheduling_appt_start_id"),
            # A series' visits in time order. Few appointments belong to a series, so the plain
            # series index looks unselective to SQLite's statistics and it walked the whole (start, id)
            # index instead (GET /series/{id}: 80 ms at ×100 of history, 15 ms at ×1).
            models.Index(
                fields=["series", "start"],
                name="scheduling_appt_series",
                condition=models.Q(series__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.therapist} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
