from __future__ import annotations

from django.db.models import QuerySet

from .models import Location, Service


def location_list() -> QuerySet[Location]:
    return Location.objects.filter(active=True).order_by("name")


def service_list() -> QuerySet[Service]:
    return Service.objects.filter(active=True)
