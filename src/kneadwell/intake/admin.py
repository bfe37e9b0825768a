from django.contrib import admin

from kneadwell.lib.admin_lists import LongListAdmin

from .models import Intake


@admin.register(Intake)
class IntakeAdmin(LongListAdmin):
    """Every intake, newest first by id (the order they were recorded in, from the primary key),
    counted a few pages ahead only; dates filter by fixed ranges (no `date_hierarchy`)."""

    list_display = ("patient", "channel", "created_at", "recorded_by", "referral")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient", "recorded_by", "referral__patient", "referral__provider")
    list_filter = ("channel", "created_at")
    search_fields = ("patient__given_name", "patient__family_name", "chief_complaint", "public_id")
    raw_id_fields = ("patient", "referral", "recorded_by")
    readonly_fields = ("public_id", "created_at", "updated_at")
    ordering = ("-id",)
