from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce

from kneadwell.accounts.models import STAFF_ROLES, Role
from kneadwell.lib.clock import now

from .identity import Identity, same_person
from .models import Patient


def patient_scope(user) -> QuerySet[Patient]:  # type: ignore[no-untyped-def]
    """The patients `user` may see.

    Patients see themselves; therapists the patients they have appointments
    or plans of care with, or were handed by a colleague; referrers the patients they referred; front desk
    and admins all. A record merged into another is no one's: its rows are the other record's now.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    current = Patient.objects.filter(merged_into__isnull=True)
    role = user.role
    if role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        return current
    if role == Role.PATIENT:
        return current.filter(user=user)
    if role == Role.THERAPIST:
        # Three subqueries keyed by the therapist (each served by its table's therapist index), no join
        # and no DISTINCT on the patient rows: a lookup of one patient stays one index probe per table.
        return current.filter(
            Q(pk__in=_rows_of("appointments").filter(therapist__user_id=user.pk).values("patient_id"))
            | Q(pk__in=_rows_of("care_plans").filter(therapist__user_id=user.pk).values("patient_id"))
            | Q(pk__in=_rows_of("handoffs").filter(to_therapist__user_id=user.pk).values("patient_id"))
        )
    if role == Role.REFERRER:
        return current.filter(
            pk__in=_rows_of("referrals").filter(provider__user_id=user.pk).values("patient_id")
        )
    return Patient.objects.none()


def _rows_of(relation: str) -> QuerySet[Any]:
    """All rows of the model behind the patient's reverse relation `relation` (appointments, care
    plans, handoffs, referrals), reached through the relation so this app imports none of theirs."""
    model = Patient._meta.get_field(relation).related_model
    return model._default_manager.all()  # type: ignore[union-attr]


def patient_visible(user: Any, patient: Patient) -> bool:
    """Whether `user` may see `patient`: one EXISTS, for checks about a patient already in hand."""
    return patient_scope(user).filter(pk=patient.pk).exists()


def merged_patient_scope(user: Any) -> QuerySet[Patient]:
    """The records merged into others that `user` may unmerge: the clinic staff's (all), no one else's."""
    if user is None or not user.is_authenticated or not user.is_active or user.role not in STAFF_ROLES:
        return Patient.objects.none()
    return Patient.objects.filter(merged_into__isnull=False)


def phone_region() -> str:
    """The country whose numbering a phone number without a + is read in (KNEADWELL_PHONE_REGION, default US)."""
    return str(getattr(settings, "KNEADWELL_PHONE_REGION", "US")).upper()


def identity_of(patient: Patient) -> Identity:
    return Identity(
        given_name=patient.given_name,
        family_name=patient.family_name,
        birth_date=patient.birth_date,
        phone=patient.phone,
        email=patient.email,
    )


def patient_duplicates(identity: Identity, *, exclude: Patient | None = None) -> list[Patient]:
    """The current patients `identity` seems to repeat (patients/identity.py: same name, birth date, and
    phone or e-mail), oldest record first.

    Not scoped: the caller decides what the actor may learn of them (a referrer learns nothing).
    """
    candidates = Patient.objects.filter(merged_into__isnull=True, birth_date=identity.birth_date).order_by(
        "created_at", "id"
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    region = phone_region()
    return [p for p in candidates if same_person(identity, identity_of(p), region=region)]


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
