from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import ContactPreference, DeliveryAttempt, FeedToken, Message, NotificationSettings
from .services import feed_token_revoke


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "finished_at", "outcome", "recipient", "detail", "worker")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The delivery log, read-only: retry and "handled" are the front desk's actions on the Today page,
    which go through the services (audited, permission-checked)."""

    list_display = ("created_at", "kind", "channel", "patient", "status", "attempts", "sent_at", "handled_at")
    list_filter = ("status", "kind", "channel")
    search_fields = ("patient__given_name", "patient__family_name", "recipient", "subject")
    list_select_related = ("patient",)
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Message._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ("patient", "email_enabled", "sms_enabled", "reminders_enabled", "updated_at")
    list_filter = ("email_enabled", "sms_enabled", "reminders_enabled")
    search_fields = ("patient__given_name", "patient__family_name")
    list_select_related = ("patient",)
    readonly_fields = ("patient", "updated_at", "updated_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Made on the patient's page or in the portal, where the number is checked and the change audited.
        return False


@admin.action(description="Revoke the selected calendar feeds")
def revoke_feeds(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[FeedToken]) -> None:
    # Through the service, one by one: each revocation is permission-checked and audited.
    for token in queryset.filter(revoked_at__isnull=True).select_related("therapist", "patient"):
        feed_token_revoke(actor=request.user, token=token, request=request)  # type: ignore[arg-type]  # the admin site admits only signed-in staff


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "therapist", "patient", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("therapist", "patient")
    readonly_fields = (
        "public_id",
        "therapist",
        "patient",
        "prefix",
        "digest",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    )
    actions = [revoke_feeds]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reminder_hours", "feed_patient_detail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not NotificationSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: NotificationSettings | None = None) -> bool:
        return False
