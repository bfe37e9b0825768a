"""Appointments.

No double booking is enforced by the database where it can be: on PostgreSQL
three exclusion constraints (therapist, room, patient) over the blocked
interval of active appointments, added by migration 0002 only on that vendor.
On SQLite, writes run in BEGIN IMMEDIATE transactions (see settings) and the
booking service re-checks overlap inside the transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kneadwell.clinic.models import Location, Room, Service
from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Therapist


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Appointments in these states hold their therapist, room and patient.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    ONLINE = "online", "Online"
    REFERRAL = "referral", "Referral"
    API = "api", "API"


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
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.therapist} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
