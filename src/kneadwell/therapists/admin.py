from __future__ import annotations

from django.contrib import admin

from .models import Expertise, Licence, Therapist, TimeOff, Training, WorkingHours


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0
    fields = ("jurisdiction", "title", "number", "issued", "expires", "verified")


class TrainingInline(admin.TabularInline):
    model = Training
    extra = 0


class ExpertiseInline(admin.TabularInline):
    model = Expertise
    extra = 0


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(Therapist)
class TherapistAdmin(admin.ModelAdmin):
    list_display = ("full_name", "gender", "user", "active")
    list_filter = ("active", "gender", "locations")
    search_fields = ("given_name", "family_name", "user__username")
    list_select_related = ("user",)
    filter_horizontal = ("locations",)
    raw_id_fields = ("user",)
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = [LicenceInline, TrainingInline, ExpertiseInline, WorkingHoursInline, TimeOffInline]

    @admin.display(ordering="family_name", description="Name")
    def full_name(self, obj: Therapist) -> str:
        return obj.full_name


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ("therapist", "title", "jurisdiction", "number", "issued", "expires", "verified")
    list_filter = ("jurisdiction", "verified", "title")
    search_fields = ("number", "therapist__given_name", "therapist__family_name")
    list_select_related = ("therapist",)
    date_hierarchy = "expires"
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ("therapist", "technique", "certified_on", "issuer")
    list_filter = ("technique",)
    search_fields = ("technique", "therapist__given_name", "therapist__family_name")
    list_select_related = ("therapist",)


@admin.register(Expertise)
class ExpertiseAdmin(admin.ModelAdmin):
    list_display = ("therapist", "condition", "level")
    list_filter = ("level", "condition")
    search_fields = ("condition", "therapist__given_name", "therapist__family_name")
    list_select_related = ("therapist",)


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = (
        "therapist",
        "location",
        "weekday",
        "start_time",
        "end_time",
        "effective_from",
        "effective_until",
    )
    list_filter = ("weekday", "location")
    search_fields = ("therapist__given_name", "therapist__family_name")
    list_select_related = ("therapist", "location")


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("therapist", "start", "end", "reason")
    search_fields = ("therapist__given_name", "therapist__family_name", "reason")
    list_select_related = ("therapist",)
    date_hierarchy = "start"
