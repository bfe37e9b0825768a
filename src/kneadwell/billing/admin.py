from django.contrib import admin

from .models import Coverage, Payer


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ("name", "unit_rule")
    search_fields = ("name",)


@admin.register(Coverage)
class CoverageAdmin(admin.ModelAdmin):
    list_display = ("patient", "payer", "member_id", "active")
    raw_id_fields = ("patient",)
