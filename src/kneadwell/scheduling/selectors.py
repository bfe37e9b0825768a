from __future__ import annotations

from django.db.models import Count, QuerySet

from kneadwell.accounts.models import Role
from kneadwell.patients.models import Patient
from kneadwell.planning.history import NO_HISTORY, VisitHistory

from .models import Appointment, AppointmentStatus, Series


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
        # A subquery keyed by the referrer's provider records, no join and no DISTINCT over the visits.
        referred = Patient._meta.get_field("referrals").related_model._default_manager.filter(  # type: ignore[union-attr]
            provider__user_id=user.pk
        )
        return qs.filter(patient_id__in=referred.values("patient_id"))
    return qs.none()


def visit_history(patient: Patient | None) -> VisitHistory:
    """What the patient's visits tell matching and tailoring (two queries)."""
    if patient is None:
        return NO_HISTORY
    completed = dict(
        Appointment.objects.filter(patient=patient, status=AppointmentStatus.COMPLETED)
        .values_list("therapist_id")
        .annotate(n=Count("id"))
        .values_list("therapist_id", "n")
    )
    last = (
        Appointment.objects.filter(patient=patient)
        .exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW))
        .order_by("-start")
        .values_list("therapist_id", flat=True)
        .first()
    )
    return VisitHistory(completed_with=completed, last_therapist_id=last)


def series_scope(user) -> QuerySet[Series]:  # type: ignore[no-untyped-def]
    """Series `user` may see: those of the patients in their scope."""
    from kneadwell.patients.selectors import patient_scope

    return Series.objects.filter(patient__in=patient_scope(user))
