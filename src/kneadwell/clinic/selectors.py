from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kneadwell.lib.clock import today_in
from kneadwell.lib.zones import local_date

from .models import ClinicSettings, Location, Service


def location_list() -> QuerySet[Location]:
    return Location.objects.filter(active=True).order_by("name")


def service_list() -> QuerySet[Service]:
    return Service.objects.filter(active=True)


def clinic_time_zone() -> str:
    """The zone for dates not tied to a location (a referral received, a form filled): the clinic's setting,
    else the first active location's zone, else UTC."""
    configured = ClinicSettings.current().time_zone
    if configured:
        return configured
    first = location_list().values_list("time_zone", flat=True).first()
    return first or "UTC"


def location_today(location: Location | None) -> dt.date:
    """Today at `location` (in its zone); without a location, today in the clinic's zone."""
    return today_in(location.time_zone if location is not None else clinic_time_zone())


def clinic_today() -> dt.date:
    """Today in the clinic's zone: the date stamped on referrals, clearances and plans of care."""
    return today_in(clinic_time_zone())


def local_day_of(instant: dt.datetime, location: Location) -> dt.date:
    """The local date of an instant at `location` (an appointment's day, a licence's day)."""
    return local_date(instant, location.time_zone)
