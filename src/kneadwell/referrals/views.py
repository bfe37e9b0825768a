"""The referring provider's home: the patients they referred and how their care is going."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import HttpResponse
from django.shortcuts import render

from kneadwell.accounts.models import AuditAction, Role
from kneadwell.accounts.services import audit_record
from kneadwell.lib.clock import now
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.views import AuthenticatedRequest, role_required

from .models import ReferringProvider
from .selectors import referral_scope


@role_required(Role.REFERRER)
def referrer_home(request: AuthenticatedRequest) -> HttpResponse:
    provider = ReferringProvider.objects.filter(user=request.user).first()
    current = now()
    visits = (
        Appointment.objects.filter(patient=OuterRef("patient"), status=AppointmentStatus.COMPLETED)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    upcoming = Appointment.objects.filter(
        Q(status=AppointmentStatus.BOOKED) | Q(status=AppointmentStatus.CHECKED_IN), end__gte=current
    ).select_related("location")
    referrals = list(
        referral_scope(request.user)
        .annotate(visits_attended=Subquery(visits))
        .prefetch_related(
            Prefetch("patient__appointments", queryset=upcoming.order_by("start"), to_attr="upcoming")
        )
        .order_by("-received_on", "-id")
    )
    patient_ids = sorted({str(r.patient.public_id) for r in referrals})
    if patient_ids:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="referral",
            patient_ids=patient_ids,
            channel="web",
            request=request,
            detail={"view": "referrer-home"},
        )
    context = {
        "provider": provider,
        "rows": [
            {
                "referral": r,
                "visits": r.visits_attended or 0,
                "next": next(iter(r.patient.upcoming), None),  # type: ignore[attr-defined]
            }
            for r in referrals
        ],
    }
    return render(request, "referrals/referrer_home.html", context)
