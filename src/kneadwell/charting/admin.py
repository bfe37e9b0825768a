from django.contrib import admin
from django.http import HttpRequest

from kneadwell.lib.admin_lists import LongListAdmin

from .models import Consent, Note, NoteVersion, RecordsSettings


@admin.register(RecordsSettings)
class RecordsSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "unsigned_note_hours",
        "share_notes_with_patients",
        "not_improving_after_visits",
    )


class VersionInline(admin.TabularInline):
    model = NoteVersion
    extra = 0
    can_delete = False
    fields = ("number", "status", "signed_at", "amendment_reason")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Note)
class NoteAdmin(LongListAdmin):
    """Read-only: notes are written, signed and amended through the note services, never here.

    Newest first by id (the order they were started in, from the primary key), counted a few pages
    ahead only (LongListAdmin)."""

    list_display = ("appointment", "patient", "therapist", "created_at")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("appointment__patient", "appointment__therapist", "patient", "therapist")
    ordering = ("-id",)
    raw_id_fields = ("appointment", "patient", "therapist")
    readonly_fields = (
        "public_id",
        "appointment",
        "patient",
        "therapist",
        "appointment_start",
        "created_at",
        "updated_at",
    )
    inlines = [VersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("patient", "kind", "text_version", "signed_via", "signed_at", "withdrawn_at")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient",)
    show_full_result_count = False
    list_filter = ("kind", "signed_via")
    raw_id_fields = ("patient", "recorded_by", "withdrawn_by")
    readonly_fields = (
        "public_id",
        "text",
        "text_version",
        "signed_at",
        "signer_name",
        "created_at",
        "updated_at",
    )
