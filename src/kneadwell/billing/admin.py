from django.contrib import admin

from .models import Coverage, Payer


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ("name", "unit_rule")
    search_fields = ("name",)


@admin.register(Coverage)
class CoverageAdmin(admin.ModelAdmin):
    list_display = ("patient", "payer", "member_id", "active")
    # The related rows the list shows (its columns and __str__), joined in: one query per page.
    list_select_related = ("patient", "payer")
    show_full_result_count = False
    raw_id_fields = ("patient",)
