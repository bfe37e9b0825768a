from django.contrib import admin

from .models import CarePlan, Goal, HandOff


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0
    fields = ("measure", "baseline", "target_change", "description", "basis")


@admin.register(CarePlan)
class CarePlanAdmin(admin.ModelAdmin):
    list_display = (
        "patient",
        "therapist",
        "status",
        "frequency_per_week",
        "weeks",
        "starts_on",
        "reassess_on",
    )
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient", "therapist")
    show_full_result_count = False
    list_filter = ("status", "starts_on", "therapist")
    search_fields = ("patient__given_name", "patient__family_name", "therapist__family_name", "public_id")
    raw_id_fields = ("patient", "referral", "therapist", "created_by", "approved_by")
    readonly_fields = ("public_id", "created_at", "updated_at", "approved_at")
    inlines = [GoalInline]


@admin.register(HandOff)
class HandOffAdmin(admin.ModelAdmin):
    list_display = ("patient", "from_therapist", "to_therapist", "created_at")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient", "from_therapist", "to_therapist")
    show_full_result_count = False
    list_filter = ("created_at", "to_therapist")
    search_fields = ("patient__given_name", "patient__family_name", "note", "public_id")
    raw_id_fields = ("patient", "from_therapist", "to_therapist", "created_by")
    readonly_fields = ("public_id", "created_at", "updated_at")
