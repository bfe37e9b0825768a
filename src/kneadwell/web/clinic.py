"""The clinic admin's pages (settings home with licence warnings, the audit log) and the session status."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kneadwell.accounts.models import AuditEvent, Role
from kneadwell.clinic.selectors import clinic_today
from kneadwell.lib.paging import page_window
from kneadwell.therapists.models import Licence
from kneadwell.web.base import AuthenticatedRequest, role_required

# Licences are flagged this far ahead, so a renewal can be filed before the board's deadline.
LICENCE_WARNING = dt.timedelta(days=60)


ADMIN_LINKS = [
    ("Locations", "admin:clinic_location_changelist", "Addresses, time zones and licensing jurisdictions."),
    ("Rooms", "admin:clinic_room_changelist", "Rooms per location and their features."),
    ("Services", "admin:clinic_service_changelist", "Durations, turnover buffers, where each is offered."),
    (
        "Clinic settings",
        "admin:clinic_clinicsettings_changelist",
        "How a session's time is shared between the areas of concern and the rest; the clinic's time zone.",
    ),
    (
        "Security policy",
        "admin:accounts_securitypolicy_changelist",
        "Second factors for front desk and therapists, idle and absolute session limits.",
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
    today = clinic_today()
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


PAGE_SIZE = 50


@role_required(Role.CLINIC_ADMIN)
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    patient = request.GET.get("patient", "").strip()[:64]
    username = request.GET.get("user", "").strip()[:150]
    events = AuditEvent.objects.all()
    if patient:
        events = events.filter(patient_id=patient)
    if username:
        events = events.filter(actor_username=username)
    # Newest first on the `at` index (or the patient's (patient_id, at) one), a page and one row more:
    # no count of the whole trail, which PostgreSQL scans (3.3× slower at ×100 of history than at ×1).
    page = page_window(events.order_by("-at", "-id"), PAGE_SIZE, request.GET.get("page"))
    filters = urlencode({key: value for key, value in (("patient", patient), ("user", username)) if value})
    context = {"page": page, "patient": patient, "username": username, "filters": filters}
    return render(request, "accounts/audit_log.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session has before it is signed out (GET), or keep it alive (POST).

    The page's timeout warning (static/kneadwell/session-timeout.js) asks this.
    A GET is not activity; a POST is (SessionTimeoutMiddleware stamps it), so
    "Stay signed in" extends the session.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse({"signed_in": True, "seconds_left": getattr(request, "session_seconds_left", None)})
