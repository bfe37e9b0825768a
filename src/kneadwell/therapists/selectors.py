from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .matching import LicenceInfo, TherapistProfile
from .models import Therapist, WorkingHours


def therapist_scope(user) -> QuerySet[Therapist]:  # type: ignore[no-untyped-def]
    """Therapists are visible to every signed-in user (patients choose one when booking)."""
    if user is None or not user.is_authenticated:
        return Therapist.objects.none()
    return Therapist.objects.filter(active=True).prefetch_related(
        "locations",
        "licences",
        "trainings",
        "expertise",
        Prefetch("working_hours", queryset=WorkingHours.objects.select_related("location")),
    )


def therapist_profiles(*, patient_id: int | None = None) -> list[TherapistProfile]:
    """Every active therapist as a matching profile, with past completed sessions with `patient_id`.

    Three queries whatever the number of therapists: therapists with their
    related rows prefetched, and one aggregate over appointments.
    """
    from django.db.models import Count

    from kneadwell.scheduling.models import Appointment, AppointmentStatus

    sessions: dict[int, int] = {}
    if patient_id is not None:
        sessions = dict(
            Appointment.objects.filter(patient_id=patient_id, status=AppointmentStatus.COMPLETED)
            .values_list("therapist_id")
            .annotate(n=Count("id"))
            .values_list("therapist_id", "n")
        )
    therapists = Therapist.objects.filter(active=True).prefetch_related(
        "locations", "licences", "trainings", "expertise"
    )
    return [
        TherapistProfile(
            id=str(t.public_id),
            name=t.full_name,
            gender=t.gender,
            location_ids=frozenset(str(loc.public_id) for loc in t.locations.all()),
            licences=tuple(
                LicenceInfo(
                    jurisdiction=lic.jurisdiction,
                    title=lic.title,
                    issued=lic.issued,
                    expires=lic.expires,
                    verified=lic.verified,
                )
                for lic in t.licences.all()
            ),
            trainings=frozenset(tr.technique for tr in t.trainings.all()),
            expertise={e.condition: e.level for e in t.expertise.all()},
            intraoral_scope_jurisdictions=frozenset(
                lic.jurisdiction for lic in t.licences.all() if lic.intraoral_scope
            ),
            past_patient_sessions=sessions.get(t.pk, 0),
            active=t.active,
        )
        for t in therapists
    ]
