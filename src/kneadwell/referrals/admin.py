from __future__ import annotations

from django.contrib import admin

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
class ReferralAdmin(admin.ModelAdmin):
    list_display = ("patient", "provider", "received_on", "status", "requested_sessions")
    list_filter = ("status", "provider__kind")
    search_fields = ("patient__given_name", "patient__family_name", "provider__name", "reason")
    list_select_related = ("patient", "provider")
    raw_id_fields = ("patient", "provider")
    date_hierarchy = "received_on"
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
