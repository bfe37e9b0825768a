from __future__ import annotations

from django.contrib import admin

from kneadwell.lib.admin_lists import LongListAdmin

from .models import CareTeamMember, Clearance, Referral, ReferringProvider


@admin.register(ReferringProvider)
class ReferringProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "npi", "organisation", "user")
    list_filter = ("kind",)
    search_fields = ("name", "npi", "organisation", "email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(Referral)
class ReferralAdmin(LongListAdmin):
    """Every referral of the clinic's history, newest received first from the (received_on, id)
    index, counted a few pages ahead only; dates filter by fixed ranges (no `date_hierarchy`, which
    reads the distinct years of every referral)."""

    list_display = ("patient", "provider", "received_on", "status", "requested_sessions")
    list_filter = ("status", "provider__kind", "received_on")
    search_fields = ("patient__given_name", "patient__family_name", "provider__name", "reason")
    list_select_related = ("patient", "provider")
    raw_id_fields = ("patient", "provider")
    ordering = ("-received_on", "-id")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(Clearance)
class ClearanceAdmin(admin.ModelAdmin):
    list_display = ("patient", "scope", "region", "side", "status", "provider", "granted_on", "expires_on")
    list_filter = ("status", "scope")
    search_fields = ("patient__given_name", "patient__family_name", "provider__name", "region", "note")
    list_select_related = ("patient", "provider")
    raw_id_fields = ("patient", "provider", "referral", "requested_by", "decided_by")
    date_hierarchy = "granted_on"
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(CareTeamMember)
class CareTeamMemberAdmin(admin.ModelAdmin):
    list_display = ("patient", "provider", "role", "note", "created_at")
    list_filter = ("role",)
    list_select_related = ("patient", "provider")
    raw_id_fields = ("patient", "provider", "created_by")
    search_fields = ("patient__family_name", "provider__name")
