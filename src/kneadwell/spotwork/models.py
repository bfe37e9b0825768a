"""Host visits and spot-work requests (issue 10).

A host visit is the patient's appointment with the chiropractor or physical therapist at a
chiropractic or physical-therapy location. It is never a Kneadwell `Appointment`: it holds no
massage therapist and no room, and blocks only the patient (spot work never overlaps it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kneadwell.clinic.models import Location
from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Therapist


class HostVisitSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "CSV import"
    ICS = "ics", "iCalendar import"


class HostVisit(PublicIdModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="host_visits")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="host_visits")
    provider_name = models.CharField(max_length=120, help_text="The chiropractor or physical therapist.")
    provider_ref = models.CharField(
        max_length=120, blank=True, help_text="Their own reference for the visit (an id in their calendar)."
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    source = models.CharField(max_length=10, choices=HostVisitSource.choices, default=HostVisitSource.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="spotwork_host_order"),
            models.CheckConstraint(
                condition=models.Q(source__in=HostVisitSource.values), name="spotwork_host_source_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "start"], name="spotwork_host_patient"),
            models.Index(fields=["location", "start"], name="spotwork_host_location"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.provider_name} at {self.start:%Y-%m-%d %H:%M} UTC"


class SpotWorkStatus(models.TextChoices):
    OPEN = "open", "Open"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"


class SpotWorkRequest(PublicIdModel):
    """One spot work wanted beside one host visit; the day planner books it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="spot_work_requests")
    host_visit = models.ForeignKey(HostVisit, on_delete=models.CASCADE, related_name="requests")
    region = models.CharField(max_length=40, help_text="The one area to work on (catalogue region key).")
    preferred_therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    earliest_start = models.DateTimeField(null=True, blank=True)
    latest_end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=SpotWorkStatus.choices, default=SpotWorkStatus.OPEN)
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="spot_work_request"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["host_visit__start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SpotWorkStatus.values), name="spotwork_request_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(earliest_start__isnull=True)
                | models.Q(latest_end__isnull=True)
                | models.Q(latest_end__gt=models.F("earliest_start")),
                name="spotwork_request_bounds_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Spot work ({self.region}) for {self.patient}"
