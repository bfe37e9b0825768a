from __future__ import annotations

from django.db.models import QuerySet

from kneadwell.accounts.models import Role

from .models import Referral


def referral_scope(user) -> QuerySet[Referral]:  # type: ignore[no-untyped-def]
    if user is None or not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    qs = Referral.objects.select_related("patient", "provider")
    role = user.role
    if role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        return qs
    if role == Role.REFERRER:
        return qs.filter(provider__user=user)
    if role == Role.PATIENT:
        return qs.filter(patient__user=user)
    if role == Role.THERAPIST:
        return qs.filter(patient__appointments__therapist__user=user).distinct()
    return qs.none()
