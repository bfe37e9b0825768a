from __future__ import annotations

from typing import Any

from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce

from kneadwell.accounts.models import Role
from kneadwell.lib.clock import now

from .models import Patient


def patient_scope(user) -> QuerySet[Patient]:  # type: ignore[no-untyped-def]
    """The patients `user` may see.

    Patients see themselves; therapists the patients they have appointments
    or plans of care with, or were handed by a colleague; referrers the patients they referred; front desk
    and admins all.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    role = user.role
    if role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        return Patient.objects.all()
    if role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    if role == Role.THERAPIST:
        return Patient.objects.filter(
            Q(appointments__therapist__user=user)
            | Q(care_plans__therapist__user=user)
            | Q(handoffs__to_therapist__user=user)
        ).distinct()
    if role == Role.REFERRER:
        return Patient.objects.filter(referrals__provider__user=user).distinct()
    return Patient.objects.none()


def recent_patients(user: Any, *, limit: int) -> list[Patient]:
    """The patients in `user`'s scope with the latest activity: a visit up to now, else registration.

    For the search page before anything is typed: who the desk most likely wants next.
    """
    latest_visit = Max("appointments__start", filter=Q(appointments__start__lte=now()))
    return list(
        patient_scope(user)
        .annotate(active_at=Coalesce(latest_visit, "created_at"))
        .order_by("-active_at", "family_name")[:limit]
    )
