from django.contrib import admin

from .models import WaitlistOffer, WaitlistRequest


@admin.register(WaitlistRequest)
class WaitlistRequestAdmin(admin.ModelAdmin):
    list_display = ("patient", "service", "location", "urgency", "status", "first_day", "last_day")
    list_filter = ("status", "urgency", "location")
    raw_id_fields = ("patient", "referral")


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(admin.ModelAdmin):
    list_display = ("request", "therapist", "start", "expires_at", "status")
    list_filter = ("status",)
    raw_id_fields = ("request", "hold")
