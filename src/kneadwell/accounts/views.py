"""The audit log, for clinic admins: who read or changed which patient's data; the session status."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kneadwell.views import AuthenticatedRequest, role_required

from .models import AuditEvent, Role

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
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
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
