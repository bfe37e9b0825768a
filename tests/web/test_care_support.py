"""Clinical rows for the care-pathway page tests: therapists' trainings and expertise, and an intake for Pat."""

from __future__ import annotations

import datetime as dt

from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.therapists.models import Expertise, Training
from tests.cast import Cast


def train(cast: Cast) -> None:
    """Tess: stretching and myofascial work, a frozen-shoulder specialist. Theo: friction and deep work."""
    for technique in (
        "swedish",
        "myofascial_release",
        "trigger_point",
        "passive_stretching",
        "resistive_stretching",
    ):
        Training.objects.create(therapist=cast.tess, technique=technique)
    for technique in ("swedish", "cross_fiber_friction", "deep_tissue", "trigger_point", "scar_mobilization"):
        Training.objects.create(therapist=cast.theo, technique=technique)
    Expertise.objects.create(therapist=cast.tess, condition="frozen_shoulder", level=3)
    Expertise.objects.create(therapist=cast.theo, condition="low_back_pain", level=3)
    Expertise.objects.create(therapist=cast.theo, condition="post_surgical_scar", level=2)


def frozen_shoulder_intake(cast: Cast, **answers: object):  # type: ignore[no-untyped-def]
    """Pat's intake: a right frozen shoulder since spring, recorded by the front desk."""
    return intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Stiff right shoulder",
        areas=[AreaIn(region="shoulder", side="right")],
        diagnoses=[
            DiagnosisIn(condition="frozen_shoulder", icd10="M75.01", side="right", onset=dt.date(2025, 3, 1))
        ],
        onset=dt.date(2025, 3, 1),
        answers=HealthAnswersIn(**answers),  # type: ignore[arg-type]
    )
