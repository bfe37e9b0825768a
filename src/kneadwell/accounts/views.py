"""The audit log, for clinic admins: who read or changed which patient's data."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

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
