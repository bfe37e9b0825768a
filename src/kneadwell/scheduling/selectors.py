from __future__ import annotations

from django.db.models import QuerySet

from kneadwell.accounts.models import Role

from .models import Appointment


def appointment_scope(user) -> QuerySet[Appointment]:  # type: ignore[no-untyped-def]
    """Appointments `user` may see: their own (patient, therapist), their referred patients' (referrer), all (staff)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Appointment.objects.none()
    qs = Appointment.objects.select_related("patient", "therapist", "room", "location", "service")
    role = user.role
    if role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        return qs
    if role == Role.PATIENT:
        return qs.filter(patient__user=user)
    if role == Role.THERAPIST:
        return qs.filter(therapist__user=user)
    if role == Role.REFERRER:
        return qs.filter(patient__referrals__provider__user=user).distinct()
    return qs.none()
