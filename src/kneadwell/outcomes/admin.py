from django.contrib import admin

from .models import Measurement, ProgressReport, QuestionnaireResponse, ReportDelivery


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ("patient", "measure", "value", "unit", "motion", "side", "taken_at", "voided_at")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient",)
    show_full_result_count = False
    list_filter = ("measure",)
    raw_id_fields = ("patient", "appointment", "response", "recorded_by", "voided_by")


@admin.register(QuestionnaireResponse)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("patient", "instrument", "score", "channel", "completed_at")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient",)
    show_full_result_count = False
    raw_id_fields = ("patient", "appointment", "entered_by")


class DeliveryInline(admin.TabularInline):
    model = ReportDelivery
    extra = 0
    readonly_fields = ("event", "provider", "by", "at")


@admin.register(ProgressReport)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("patient", "kind", "visits", "created_at")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient",)
    show_full_result_count = False
    raw_id_fields = ("referral", "patient", "created_by")
    readonly_fields = ("content", "content_hash")
    inlines = [DeliveryInline]
