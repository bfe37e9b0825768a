"""Waitlist requests and the offers of freed slots made to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kneadwell.clinic.models import Location, Room, Service
from kneadwell.lib.models import PublicIdModel
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Therapist

from .ranking import URGENCY_LEVELS


class Urgency(models.TextChoices):
    ROUTINE = URGENCY_LEVELS[0], "Routine"
    SOON = URGENCY_LEVELS[1], "Soon"
    URGENT = URGENCY_LEVELS[2], "Urgent"


class RequestStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a time"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    LAPSED = "lapsed", "Window passed"


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OPEN_REQUEST_STATUSES = (RequestStatus.WAITING, RequestStatus.OFFERED)


class WaitlistRequest(PublicIdModel):
    """A patient waiting for a service at a location within a window (local dates, weekdays, times)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist_requests")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    therapists = models.ManyToManyField(
        Therapist, blank=True, related_name="+", help_text="Acceptable therapists; none chosen: any."
    )
    first_day = models.DateField(help_text="Local date from which a time suits.")
    last_day = models.DateField(help_text="Local date until which a time suits (inclusive).")
    weekdays = models.JSONField(default=list, help_text="Local weekdays that suit, Monday = 0.")
    earliest_time = models.TimeField(help_text="Local time of day the session may start from.")
    latest_time = models.TimeField(help_text="Local time of day the session must end by.")
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    referral = models.ForeignKey(
        Referral,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The referral whose urgency this request carries.",
    )
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.WAITING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="waitlist_request_days"
            ),
            models.CheckConstraint(
                condition=models.Q(latest_time__gt=models.F("earliest_time")), name="waitlist_request_times"
            ),
            models.CheckConstraint(
                condition=models.Q(urgency__in=Urgency.values), name="waitlist_urgency_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values), name="waitlist_request_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "location"], name="waitlist_request_open")]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.service} ({self.get_status_display()})"

    @property
    def weekday_names(self) -> str:
        """The chosen weekdays in words, Monday first: "Mon, Wed"."""
        return ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays) if 0 <= d < len(WEEKDAY_NAMES))


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class WaitlistOffer(PublicIdModel):
    """A freed slot offered to one request, held for it (the `hold` appointment) until `expires_at`.

    The slot is recorded here as well, so the offer outlives its hold (deleted on decline or expiry).
    """

    request = models.ForeignKey(WaitlistRequest, on_delete=models.CASCADE, related_name="offers")
    hold = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="waitlist_offers"
    )
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    reasons = models.JSONField(default=list, help_text="Why this request was first in line for the slot.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OfferStatus.values), name="waitlist_offer_status_valid"
            ),
            # One open offer per request at a time.
            models.UniqueConstraint(
                fields=["request"], condition=models.Q(status="open"), name="waitlist_one_open_offer"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="waitlist_offer_open")]

    def __str__(self) -> str:
        return f"Offer to {self.request.patient} at {self.start:%Y-%m-%d %H:%M} UTC ({self.get_status_display()})"
