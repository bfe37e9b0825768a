from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db.models import Count, Max, Q, QuerySet

from kneadwell.accounts.models import STAFF_ROLES, Role, Viewer
from kneadwell.patients.models import Patient
from kneadwell.planning.history import NO_HISTORY, VisitHistory

from .models import Appointment, AppointmentStatus, Series


def appointment_scope(user: Viewer) -> QuerySet[Appointment]:
    """Appointments `user` may see: their own (patient, therapist), their referred patients' (referrer), all (staff)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Appointment.objects.none()
    qs = Appointment.objects.select_related("patient", "therapist", "room", "location", "service")
    role = user.role
    if role in STAFF_ROLES:
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
    """What the patient's visits tell matching and tailoring (one query)."""
    return visit_history_and_last(patient)[0]


def visit_history_and_last(patient: Patient | None) -> tuple[VisitHistory, UUID | None]:
    """The patient's visit history and the public id of their last therapist, in one grouped query.

    Per therapist: the completed sessions and the start of the latest visit not cancelled or missed;
    the last therapist is the one with the latest such start. (One query instead of a count and an
    ordered lookup: the booking path reads this on every request, see docs/performance.md.)
    """
    if patient is None:
        return NO_HISTORY, None
    rows = (
        Appointment.objects.filter(patient=patient)
        .order_by()
        .values("therapist_id", "therapist__public_id")
        .annotate(
            n=Count("id", filter=Q(status=AppointmentStatus.COMPLETED)),
            latest=Max(
                "start",
                filter=~Q(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)),
            ),
        )
        .values_list("therapist_id", "therapist__public_id", "n", "latest")
    )
    completed: dict[int, int] = {}
    last: tuple[dt.datetime, int, UUID] | None = None
    for therapist_id, public_id, n, latest in rows:
        if n:
            completed[therapist_id] = n
        if latest is not None and (last is None or latest > last[0]):
            last = (latest, therapist_id, public_id)
    history = VisitHistory(completed_with=completed, last_therapist_id=last[1] if last else None)
    return history, last[2] if last else None


def series_scope(user: Viewer) -> QuerySet[Series]:
    """Series `user` may see: those of the patients in their scope."""
    from kneadwell.patients.selectors import in_patient_scope

    return Series.objects.filter(in_patient_scope(user))
