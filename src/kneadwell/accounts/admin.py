from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from .models import ApiToken, AuditEvent, IdempotencyRecord, SecurityPolicy, User

# The admin's own password-only login would skip allauth's two-factor stage and
# rate limits: send it through the allauth sign-in instead.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # route admin sign-in through allauth


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email", "first_name", "last_name")
    readonly_fields = ("public_id", "last_login", "date_joined")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Kneadwell", {"fields": ("role", "public_id")}),
    )
    add_fieldsets = (
        *(BaseUserAdmin.add_fieldsets or ()),
        ("Kneadwell", {"fields": ("role", "email", "first_name", "last_name")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `kneadwell token create` (the secret is shown once); here they can be revoked."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("public_id", "user", "prefix", "digest", "created_at", "last_used_at")
    fields = ("public_id", "user", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class _ChannelFilter(admin.SimpleListFilter):
    """The channels are a fixed few: listed as they are, not read from the whole trail (SELECT DISTINCT)."""

    title = "channel"
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("web", "web"), ("api", "api"), ("cli", "cli"), ("admin", "admin"), ("feed", "feed")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(channel=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only: readable here, never added, changed or deleted, not even by superusers."""

    list_display = ("seq", "at", "actor_username", "action", "object_type", "patient_id", "channel", "ip")
    list_filter = ("action", _ChannelFilter, "object_type")
    search_fields = ("actor_username", "patient_id", "object_id", "path")
    date_hierarchy = "at"
    # Newest first by the chain's sequence (unique, so indexed): a page reads its rows from the index
    # instead of sorting the whole trail by time; and no second count of the whole trail per page.
    ordering = ("-seq",)
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(admin.ModelAdmin):
    """Sign-in and session rules (one row). Changes are audited like every admin change."""

    list_display = (
        "__str__",
        "clinician_mfa",
        "staff_idle_minutes",
        "patient_idle_minutes",
        "session_max_hours",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row: until it is saved, the defaults apply (SecurityPolicy.current()).
        return not SecurityPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Stored answers to API creates (api/idempotency.py), deleted after 24 hours. Read-only, and
    without the stored answer: it may name a patient, and the API is where it is given back."""

    list_display = ("key", "user", "status_code", "created_at", "expires_at")
    search_fields = ("key", "user__username")
    list_select_related = ("user",)
    fields = ("user", "key", "fingerprint", "status_code", "created_at", "expires_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
