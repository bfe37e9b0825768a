"""Reads for session notes and consents: the scopes, what the last signed note tells the next plan,
the consents in force, and the visits still waiting for a signed note."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from kneadwell.accounts.models import CARE_ROLES, STAFF_ROLES, Role, Viewer
from kneadwell.clinic.selectors import local_day_of
from kneadwell.intake.screening.types import ScreeningResult
from kneadwell.knowledge.vocabulary import Area
from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import in_patient_scope, patient_scope
from kneadwell.planning.learning import NO_LAST_SESSION, Feedback, Finding, LastSession, PainfulTechnique
from kneadwell.planning.selectors import screened_session_plan
from kneadwell.planning.tailoring import SessionPlan
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.selectors import appointment_scope, visit_history

from .models import Consent, Note, NoteVersion, RecordsSettings, VersionStatus

# Visits that took place: their notes are due.
ATTENDED = (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)
# How far back the "Notes to sign" panel looks: the visits that started in this window, read on the
# (start) indexes, so the panel costs the same in a clinic's tenth year as in its first month. A note
# still unsigned after this long is a records question for the admin, not a reminder on today's page.
OVERDUE_WINDOW = dt.timedelta(days=90)


def note_scope(user: Viewer) -> QuerySet[Note]:
    """Notes `user` may read: staff all; therapists their patients'; patients their own only when the
    clinic shares notes (signed versions only, see `visible_versions`); referrers none (they get reports)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Note.objects.none()
    qs = Note.objects.select_related(
        "appointment", "appointment__location", "appointment__service", "patient", "therapist"
    )
    role = user.role
    if role in STAFF_ROLES:
        return qs
    if role == Role.THERAPIST:
        # EXISTS correlated on the note's patient: a list walks the notes' own index and checks each
        # patient (an index probe per link), where `patient__in` first lists every patient in scope.
        return qs.filter(Exists(patient_scope(user).filter(pk=OuterRef("patient_id"))))
    if role == Role.PATIENT and RecordsSettings.current().share_notes_with_patients:
        # EXISTS, not a join and DISTINCT: the notes stay in the order of their own index.
        signed = NoteVersion.objects.filter(note=OuterRef("pk"), status=VersionStatus.SIGNED)
        return qs.filter(Exists(signed), patient__user=user)
    return qs.none()


def visible_versions(note: Note, user: Viewer) -> list[NoteVersion]:
    """The versions of `note` `user` may read, oldest first: a patient sees signed ones only."""
    qs = note.versions.prefetch_related("work_lines", "feedback", "marks").select_related(
        "author", "signed_by"
    )
    if getattr(user, "role", None) == Role.PATIENT:
        qs = qs.filter(status=VersionStatus.SIGNED)
    return list(qs.order_by("number"))


def open_version(note: Note) -> NoteVersion | None:
    """The draft or amendment in progress, if any."""
    return note.versions.filter(status=VersionStatus.DRAFT).first()


def current_version(note: Note) -> NoteVersion:
    """What the note says now: the open version while one is being written, else the latest signed one."""
    version = note.versions.order_by("-number").first()
    assert version is not None  # a note is created with its first version
    return version


def latest_signed(note: Note) -> NoteVersion | None:
    return note.versions.filter(status=VersionStatus.SIGNED).order_by("-number").first()


def signed_versions_of(notes: QuerySet[Note]) -> QuerySet[NoteVersion]:
    """The latest signed version of each note (one query), with its lines, feedback and marks."""
    newer = NoteVersion.objects.filter(
        note=OuterRef("note"), status=VersionStatus.SIGNED, number__gt=OuterRef("number")
    )
    return (
        NoteVersion.objects.filter(note__in=notes, status=VersionStatus.SIGNED)
        .exclude(Exists(newer))
        .select_related("note", "note__appointment", "note__appointment__service", "note__therapist")
        .prefetch_related("work_lines", "feedback", "marks")
        .order_by("note__appointment__start")
    )


def consent_scope(user: Viewer) -> QuerySet[Consent]:
    """Consents of the patients `user` may see; referrers none."""
    if user is None or not user.is_authenticated or not user.is_active or user.role == Role.REFERRER:
        return Consent.objects.none()
    return Consent.objects.filter(in_patient_scope(user)).select_related("patient")


def consents_in_force(patient: Patient) -> frozenset[str]:
    """The kinds of consent the patient has given and not withdrawn."""
    return frozenset(
        Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).values_list("kind", flat=True)
    )


def _area(region: str, side: str) -> Area:
    return Area(region, side or None)


def last_session(patient: Patient, *, before: dt.datetime | None = None) -> LastSession:
    """What the patient's latest signed note (of a visit before `before`) tells the next plan."""
    notes = Note.objects.filter(patient=patient)
    if before is not None:
        notes = notes.filter(appointment_start__lt=before)
    # The latest note with a signed version, found walking the (patient, appointment_start, id) index
    # backwards: a long history is not read to find its last visit.
    signed = NoteVersion.objects.filter(note=OuterRef("pk"), status=VersionStatus.SIGNED)
    latest = notes.filter(Exists(signed)).order_by("-appointment_start", "-id").values("pk")[:1]
    version = signed_versions_of(Note.objects.filter(pk__in=latest)).first()
    if version is None:
        return NO_LAST_SESSION
    appointment = version.note.appointment
    return LastSession(
        signed_on=local_day_of(appointment.start, appointment.location),
        # The patient's last word at each area is what counts (they may have said "too deep", then "right").
        feedback=tuple(
            {
                (f.region, f.side): Feedback(_area(f.region, f.side), f.feedback)
                for f in version.feedback.all()
            }.values()
        ),
        findings=tuple(Finding(_area(m.region, m.side), m.kind) for m in version.marks.all()),
        painful_techniques=tuple(
            PainfulTechnique(_area(line.region, line.side), technique)
            for line in version.work_lines.all()
            if line.response == "pain_increased"
            for technique in line.techniques
        ),
    )


class PlanInputs(TypedDict):
    last_session: LastSession
    consents: frozenset[str]


def plan_inputs(patient: Patient) -> PlanInputs:
    """What the plan assembler needs from the records, as keyword arguments: the last signed note and
    the consents in force (for `care_overview(...)`, `screened_session_plan(...)`)."""
    return PlanInputs(last_session=last_session(patient), consents=consents_in_force(patient))


def appointment_session_plan(appointment: Appointment) -> tuple[SessionPlan, ScreeningResult]:
    """The tailored plan for one booked session, learning from the last signed note before it and
    holding back work that needs a consent the patient has not given (raises ValueError)."""
    return screened_session_plan(
        patient=appointment.patient,
        service=appointment.service,
        therapist=appointment.therapist,
        on=local_day_of(appointment.start, appointment.location),
        history=visit_history(appointment.patient),
        last_session=last_session(appointment.patient, before=appointment.start),
        consents=consents_in_force(appointment.patient),
    )


@dataclass(frozen=True)
class OverdueNote:
    appointment: Appointment
    note: Note | None  # None: no note started
    hours_overdue: int


def overdue_notes(user: Viewer, *, limit: int = 50) -> list[OverdueNote]:
    """Attended visits in `user`'s scope still without a signed note past the clinic's number of hours,
    among those that started in the last `OVERDUE_WINDOW`.

    A therapist sees their own; front desk and admins every therapist's. Oldest first.
    """
    role = getattr(user, "role", None)
    if role not in CARE_ROLES:
        return []
    hours = RecordsSettings.current().unsigned_note_hours
    at = now()
    cutoff = at - dt.timedelta(hours=hours)
    signed = NoteVersion.objects.filter(note__appointment=OuterRef("pk"), status=VersionStatus.SIGNED)
    # The window on `start` is what bounds the read: a range on the (start, id) index, or on the
    # (therapist, start) one for a therapist; every visit of the history before it is never touched.
    qs = (
        appointment_scope(user)
        .filter(start__gte=at - OVERDUE_WINDOW, status__in=ATTENDED, end__lte=cutoff)
        .filter(~Exists(signed))
    )
    if role == Role.THERAPIST:
        qs = qs.filter(therapist__user=user)  # type: ignore[misc]  # role is set: a signed-in user
    appointments = list(
        qs.select_related("note").prefetch_related(Prefetch("note__versions")).order_by("end")[:limit]
    )
    return [
        OverdueNote(
            appointment=a,
            note=getattr(a, "note", None),
            hours_overdue=int((at - a.end).total_seconds() // 3600),
        )
        for a in appointments
    ]


def notes_of_patient(patient: Patient) -> QuerySet[Note]:
    return (
        Note.objects.filter(patient=patient)
        .select_related("appointment", "therapist")
        .order_by("-appointment__start")
    )


def attended_filter() -> Q:
    return Q(status__in=ATTENDED)
