from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ClinicSettings, Location, Room, Service


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    fields = ("name", "features", "active")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "time_zone", "jurisdiction", "city", "active")
    list_filter = ("kind", "active", "jurisdiction")
    search_fields = ("name", "city", "address_line")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = [RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "location", "active")
    list_filter = ("location", "active")
    search_fields = ("name", "location__name")
    list_select_related = ("location",)
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "family", "duration_minutes", "buffer_minutes", "active")
    list_filter = ("family", "active")
    search_fields = ("name", "code")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "focus_percent", "min_segment_minutes", "time_zone")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row, added once (until then ClinicSettings.current() answers the defaults), then edited.
        return not ClinicSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: ClinicSettings | None = None) -> bool:
        return False
