"""Builders for the session-record tests: a treatable patient, visits, and signed notes."""

from __future__ import annotations

import datetime as dt

from kneadwell.accounts.models import User
from kneadwell.charting.content import FeedbackIn, MarkIn, NoteContent, WorkLineIn
from kneadwell.charting.models import Note
from kneadwell.charting.services import note_save, note_sign, note_start
from kneadwell.clinic.models import Service
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.therapists.models import Training
from tests.cast import Cast, _appointment

TRAININGS = ("swedish", "trigger_point", "myofascial_release", "deep_tissue", "passive_stretching")


def treatable(cast: Cast) -> None:
    """Tess trained in the usual techniques; Pat's intake: neck pain (whiplash-free, no red flags)."""
    for technique in TRAININGS:
        Training.objects.get_or_create(therapist=cast.tess, technique=technique)
        Training.objects.get_or_create(therapist=cast.theo, technique=technique)
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Stiff, sore neck from desk work",
        areas=[AreaIn(region="neck"), AreaIn(region="upper_back")],
        diagnoses=[DiagnosisIn(condition="repetitive_strain", icd10="M54.2")],
    )


def visit(
    cast: Cast,
    start: dt.datetime,
    *,
    status: str = AppointmentStatus.COMPLETED,
    service: str = "therapeutic-60",
) -> Appointment:
    appt = _appointment(cast.pat, cast.tess, cast.hospital_room, Service.objects.get(code=service), start)
    appt.status = status
    appt.save()
    return appt


def content(**changes: object) -> NoteContent:
    base = NoteContent(
        subjective="Neck stiff after a long week at the desk.",
        nprs_before=6,
        objective="Hypertonic upper trapezius, trigger point right.",
        assessment="Tone eased; rotation freer.",
        nprs_after=3,
        plan_next="Same focus; add pectoral stretch.",
        home_care="Chin tucks twice a day.",
        work_lines=(
            WorkLineIn(region="neck", minutes=25, pressure="firm", techniques=("swedish", "trigger_point")),
            WorkLineIn(region="upper_back", minutes=20, pressure="medium", techniques=("swedish",)),
        ),
        feedback=(FeedbackIn(region="neck", pressure="firm", feedback="too_deep", change="Eased to medium"),),
        marks=(MarkIn(kind="trigger_point", region="neck", view="back", x=100, y=60),),
    )
    return NoteContent(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def signed_note(actor: User, appointment: Appointment, body: NoteContent | None = None) -> Note:
    note = note_start(actor=actor, appointment=appointment)
    note_save(actor=actor, note=note, content=body or content())
    note_sign(actor=actor, note=note)
    return note
