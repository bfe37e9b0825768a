from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from kneadwell.accounts.models import Viewer

from .models import Therapist, WorkingHours


def therapist_scope(user: Viewer) -> QuerySet[Therapist]:
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
