"""The clinic admin's settings home: where to change things, and what needs attention."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render

from kneadwell.accounts.models import Role
from kneadwell.lib.clock import now
from kneadwell.therapists.models import Licence
from kneadwell.views import AuthenticatedRequest, role_required

# Licences are flagged this far ahead, so a renewal can be filed before the board's deadline.
LICENCE_WARNING = dt.timedelta(days=60)

ADMIN_LINKS = [
    ("Locations", "admin:clinic_location_changelist", "Addresses, time zones and licensing jurisdictions."),
    ("Rooms", "admin:clinic_room_changelist", "Rooms per location and their features."),
    ("Services", "admin:clinic_service_changelist", "Durations, turnover buffers, where each is offered."),
    (
        "Clinic settings",
        "admin:clinic_clinicsettings_changelist",
        "How a session's time is shared between the areas of concern and the rest.",
    ),
    ("Therapists", "admin:therapists_therapist_changelist", "Trainings, expertise and working hours."),
    ("Licences", "admin:therapists_licence_changelist", "Numbers, jurisdictions and expiry dates."),
    ("Patients", "admin:patients_patient_changelist", "Contact details and preferences."),
    (
        "Referring providers",
        "admin:referrals_referringprovider_changelist",
        "Physicians, chiropractors, PTs.",
    ),
    ("Users", "admin:accounts_user_changelist", "Logins and roles."),
]


@role_required(Role.CLINIC_ADMIN)
def admin_home(request: AuthenticatedRequest) -> HttpResponse:
    today = now().date()
    licences = list(
        Licence.objects.filter(expires__lte=today + LICENCE_WARNING, therapist__active=True)
        .select_related("therapist")
        .order_by("expires")
    )
    context = {
        "admin_links": ADMIN_LINKS,
        "licences": [{"licence": lic, "expired": lic.expires < today} for lic in licences],
        "warning_days": LICENCE_WARNING.days,
        "today": today,
    }
    return render(request, "clinic/admin_home.html", context)
