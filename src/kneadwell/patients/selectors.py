from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from kneadwell.accounts.models import STAFF_ROLES, Role, Viewer
from kneadwell.lib.clock import now

from .identity import Identity, same_person
from .models import Patient


def patient_scope(user: Viewer) -> QuerySet[Patient]:
    """The patients `user` may see.

    Patients see themselves; therapists the patients they have appointments
    or plans of care with, or were handed by a colleague; referrers the patients they referred; front desk
    and admins all. A record merged into another is no one's: its rows are the other record's now.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    current = Patient.objects.filter(merged_into__isnull=True)
    role = user.role
    if role in STAFF_ROLES:
        return current
    if role == Role.PATIENT:
        return current.filter(user=user)
    if role == Role.THERAPIST:
        # EXISTS subqueries keyed by the therapist, correlated on the patient: no join and no DISTINCT
        # over the patient rows, and a check of one patient is an index probe per table (the
        # (patient, start) index of appointments, the patient keys of plans and hand-offs).
        return current.filter(
            _linked("appointments", therapist__user_id=user.pk)
            | _linked("care_plans", therapist__user_id=user.pk)
            | _linked("handoffs", to_therapist__user_id=user.pk)
        )
    if role == Role.REFERRER:
        return current.filter(_linked("referrals", provider__user_id=user.pk))
    return Patient.objects.none()


def in_patient_scope(user: Viewer, relation: str = "patient") -> Exists:
    """A filter for rows that belong to a patient (`relation`, a foreign key) in `user`'s scope.

    EXISTS correlated on the row's patient key, rather than `patient__in=patient_scope(user)`: SQLite
    builds that IN list from every patient in scope (14,000 at ×100, three EXISTS each for a
    therapist) before reading a single row, while this is one probe of the scope per row read.
    """
    return Exists(patient_scope(user).filter(pk=OuterRef(f"{relation}_id")))


def _linked(relation: str, **keyed: Any) -> Exists:
    """EXISTS a row of the patient's reverse relation `relation` (appointments, care plans, hand-offs,
    referrals) matching `keyed`; the model is reached through the relation, so this app imports none
    of theirs."""
    model = Patient._meta.get_field(relation).related_model
    rows = model._default_manager.filter(patient_id=OuterRef("pk"), **keyed)  # type: ignore[union-attr]
    return Exists(rows)


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


# Visits read a batch at a time, newest first, while looking for the recent patients.
RECENT_BATCH = 200


def recent_patients(user: Any, *, limit: int) -> list[Patient]:
    """The patients in `user`'s scope with the latest activity: a visit up to now, else registration.

    For the search page before anything is typed: who the desk most likely wants next. Read from the
    newest end of the history only, so the page costs the same at any size: the visits newest first
    on the (start, id) index, a batch at a time until `limit` distinct patients are found (one batch
    in any busy clinic), then, on the created_at index, the patients without a visit yet who
    registered after the last of those visits (the only ones who can rank above it).
    """
    at = now()
    scope = patient_scope(user)
    appointments = Patient._meta.get_field("appointments").related_model._default_manager  # type: ignore[union-attr]
    visits = appointments.filter(Exists(scope.filter(pk=OuterRef("patient_id"))), start__lte=at).order_by(
        "-start", "-id"
    )
    latest: dict[int, dt.datetime] = {}
    batch = visits
    while True:
        rows = list(batch.values_list("patient_id", "start", "id")[:RECENT_BATCH])
        for patient_id, start, _ in rows:
            latest.setdefault(patient_id, start)  # newest first: the first visit seen is the latest
        if len(latest) >= limit or len(rows) < RECENT_BATCH:
            break
        _, last_start, last_id = rows[-1]
        batch = visits.filter(Q(start__lt=last_start) | Q(start=last_start, id__lt=last_id))
    ranked = sorted(latest.items(), key=lambda item: item[1], reverse=True)[:limit]
    past_visit = appointments.filter(patient_id=OuterRef("pk"), start__lte=at)
    newcomers = scope.filter(~Exists(past_visit)).order_by("-created_at", "-id")
    if len(ranked) >= limit:
        newcomers = newcomers.filter(created_at__gt=ranked[-1][1])
    by_pk = scope.in_bulk([pk for pk, _ in ranked])
    active = [(by_pk[pk], when) for pk, when in ranked if pk in by_pk]
    active += [(patient, patient.created_at) for patient in newcomers[:limit]]
    active.sort(key=lambda item: (-item[1].timestamp(), item[0].family_name))
    return [patient for patient, _ in active[:limit]]
