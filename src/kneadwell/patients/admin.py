from __future__ import annotations

from django.contrib import admin

from .models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "birth_date", "phone", "email", "pressure")
    list_filter = ("pressure", "therapist_gender")
    search_fields = ("given_name", "family_name", "email", "phone")
    raw_id_fields = ("user", "suspected_duplicate_of")
    # A merge is made and undone on the patient page (patients/merging.py), never by editing this field.
    readonly_fields = ("public_id", "created_at", "updated_at", "merged_into")
    fieldsets = (
        (None, {"fields": ("public_id", "user", "given_name", "family_name", "birth_date")}),
        ("Contact", {"fields": ("email", "phone", "address_line", "city", "postal_code")}),
        (
            "Preferences",
            {
                "fields": (
                    "pressure",
                    "lighting",
                    "music",
                    "therapist_gender",
                    "therapist_gender_required",
                    "areas_to_avoid",
                    "oil_allergies",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at", "suspected_duplicate_of", "merged_into")}),
    )
