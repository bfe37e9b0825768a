from __future__ import annotations

from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read and correct the status only.

    Booking and moving go through the booking service (web, API, CLI), which
    re-checks licences, working hours and double booking; an admin form would not.
    """

    list_display = ("start", "patient", "therapist", "location", "room", "service", "status", "channel")
    list_filter = ("status", "location", "channel", "service")
    search_fields = ("patient__given_name", "patient__family_name", "therapist__family_name")
    list_select_related = ("patient", "therapist", "location", "room", "service")
    date_hierarchy = "start"
    readonly_fields = (
        "public_id",
        "patient",
        "therapist",
        "location",
        "room",
        "service",
        "start",
        "end",
        "blocked_until",
        "channel",
        "booked_by",
        "idempotency_key",
        "created_at",
        "updated_at",
    )
    fields = ("status", *readonly_fields)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
