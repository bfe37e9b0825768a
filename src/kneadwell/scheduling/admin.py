from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kneadwell.lib.admin_lists import LongListAdmin

from .models import Appointment, Series


@admin.register(Appointment)
class AppointmentAdmin(LongListAdmin):
    """Read and correct the status only.

    Booking and moving go through the booking service (web, API, CLI), which
    re-checks licences, working hours and double booking; an admin form would not.
    Newest first on the (start, id) index, counted a few pages ahead only (LongListAdmin): the
    list cost 1.3 s at ×100 of the demo's history with a full count and a date hierarchy.
    """

    list_display = ("start", "patient", "therapist", "location", "room", "service", "status", "channel")
    # A date filter offers fixed ranges (today, past 7 days, this month, this year) instead of
    # date_hierarchy, which reads the distinct years of the whole table.
    list_filter = ("start", "status", "location", "channel", "service")
    search_fields = ("patient__given_name", "patient__family_name", "therapist__family_name")
    # The room's name includes its location's: room__location, or one query per row.
    list_select_related = ("patient", "therapist", "location", "room__location", "service")
    ordering = ("-start", "-id")
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
        "series",
        "series_index",
        "checked_in_at",
        "completed_at",
        "cancelled_at",
        "cancellation_reason",
        "cancelled_by_patient",
        "late_cancellation",
        "policy_override",
        "created_at",
        "updated_at",
    )
    fields = ("status", *readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    """Read only: series are booked, cancelled and moved through the booking service."""

    list_display = ("created_at", "patient", "therapist", "location", "service", "weeks", "mode")
    list_select_related = ("patient", "therapist", "location", "service")
    readonly_fields = (
        "public_id",
        "care_plan",
        "patient",
        "therapist",
        "location",
        "service",
        "pattern",
        "starts_on",
        "weeks",
        "mode",
        "created_by",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
