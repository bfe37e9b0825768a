from __future__ import annotations

import uuid
from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from kneadwell.lib.admin_lists import LongListAdmin

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


# Object types offered are those of the latest events: a bounded read, where Django's own filter
# reads the distinct types of the whole trail. Any type can still be asked for (?object_type=note).
RECENT_EVENTS_FOR_TYPES = 2000


class _ObjectTypeFilter(admin.SimpleListFilter):
    title = "object type (recent)"
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        recent = AuditEvent.objects.order_by("-seq").values_list("object_type", flat=True)
        types = set(recent[:RECENT_EVENTS_FOR_TYPES])
        if self.value():
            types.add(str(self.value()))
        return [(t, t) for t in sorted(types)]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(LongListAdmin):
    """The audit trail is append-only: readable here, never added, changed or deleted, not even by superusers.

    The trail is the longest table: the list counts a few pages ahead only (LongListAdmin), its
    filters are fixed choices or bounded reads, dates are fixed ranges (no `date_hierarchy`: it
    reads the distinct years of the whole trail), and a patient's or object's id is searched exactly.
    """

    list_display = ("seq", "at", "actor_username", "action", "object_type", "patient_id", "channel", "ip")
    list_filter = ("at", "action", _ChannelFilter, _ObjectTypeFilter)
    search_fields = ("actor_username", "patient_id", "object_id", "path")
    search_help_text = (
        "A patient's or record's id finds its events exactly (fast); other words are looked for in "
        "user names, ids and paths (a scan of the whole trail)."
    )
    # Newest first by the chain's sequence (unique, so indexed): a page reads its rows from the index
    # instead of sorting the whole trail by time.
    ordering = ("-seq",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent], search_term: str
    ) -> tuple[QuerySet[AuditEvent], bool]:
        # An id (who read this patient, who touched this note): equality on indexed columns, where
        # the default search is a substring match over four columns of every row.
        try:
            key = str(uuid.UUID(search_term.strip()))
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(Q(patient_id=key) | Q(object_id=key)), False

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
