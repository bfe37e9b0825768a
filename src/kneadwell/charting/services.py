"""Writes for session notes and consents.

The rules every interface shares: only the appointment's own therapist starts, edits, signs or amends
its note (`charting.*` permissions in accounts/rules.py); a signed version is never changed
(409 here, and the database refuses it too); an amendment is a new version with a reason; a visit
that screening held back cannot be signed without the clinician's statement of why the work was
safe; bad content is a 422 naming every field at fault, and nothing is half-written.
"""

from __future__ import annotations

import rules
from django.core.exceptions import PermissionDenied
from django.db import transaction

from kneadwell.accounts.models import User
from kneadwell.intake.screening.types import Decision
from kneadwell.lib.clock import now
from kneadwell.lib.errors import Conflict, DomainError, FieldErrors
from kneadwell.patients.models import Patient
from kneadwell.planning.consents import CONSENT_KINDS
from kneadwell.planning.tailoring import SessionPlan
from kneadwell.scheduling.models import Appointment, AppointmentStatus

from .consent_texts import CURRENT
from .content import FeedbackIn, NoteContent, WorkLineIn, suggested_code, validate
from .models import BodyMark, Consent, FeedbackEvent, Note, NoteVersion, SignedVia, VersionStatus, WorkLine
from .selectors import appointment_session_plan, open_version
from .signals import note_signed

BLOCKING = (Decision.DEFER.value, Decision.REFER_OUT.value)
MIN_SAFETY_STATEMENT = 20  # characters: a reason, not "ok"


def _require(actor: User, perm: str, obj: object, message: str) -> None:
    # rules' own check, not user.has_perm: a superuser gets no pass to sign another therapist's note.
    if not rules.has_perm(perm, actor, obj):
        raise PermissionDenied(message)


def _prefill(plan: SessionPlan | None, patient: Patient) -> NoteContent:
    """Work lines from the session plan's segments: the note starts from what was planned (UX: session note)."""
    if plan is None or plan.blocked:
        return NoteContent()
    pressure = plan.pressure[1].value if plan.pressure else patient.pressure
    lines = tuple(
        WorkLineIn(
            region=s.region,
            side=s.side or "",
            minutes=s.minutes,
            techniques=s.techniques,
            pressure=pressure,
            code=suggested_code(s.techniques),
        )
        for s in plan.segments
    )
    return NoteContent(work_lines=lines)


@transaction.atomic
def note_start(*, actor: User, appointment: Appointment) -> Note:
    """The appointment's note, started now (version 1, pre-filled from the session plan) if it has none."""
    _require(
        actor,
        "charting.add_note",
        appointment,
        "You do not have permission to write this note: only the session's therapist writes it.",
    )
    existing = Note.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        raise DomainError(
            f"This appointment is {appointment.get_status_display().lower()}: there is no session to record.",
            field="appointment",
            code="not_attended",
        )
    plan = None
    decision, reasons = "", []
    try:
        plan, screening = appointment_session_plan(appointment)
        decision = screening.decision.value
        reasons = list(plan.reasons) if plan.blocked else []
    except ValueError as exc:
        reasons = [str(exc)]
    note = Note.objects.create(
        appointment=appointment,
        patient=appointment.patient,
        therapist=appointment.therapist,
        appointment_start=appointment.start,
    )
    version = NoteVersion.objects.create(
        note=note,
        number=1,
        author=actor,
        screening_decision=decision,
        screening_reasons=reasons,
        plan_snapshot=plan.to_dict() if plan is not None else {},
    )
    _write_children(version, _prefill(plan, appointment.patient))
    return note


def _open_or_conflict(note: Note) -> NoteVersion:
    version = open_version(note)
    if version is None:
        raise Conflict(
            "This note is signed and cannot be changed: amend it, with a reason, to record a correction.",
            field="note",
            code="note_signed",
        )
    return version


def _locked_open(note: Note) -> NoteVersion:
    """The open version, locked until the transaction ends; 409 when a concurrent request signed it."""
    version = _open_or_conflict(note)
    version = NoteVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise Conflict("This note was just signed.", field="note", code="note_signed")
    return version


def _write_children(version: NoteVersion, content: NoteContent) -> None:
    WorkLine.objects.bulk_create(
        WorkLine(
            version=version,
            position=i,
            region=line.region,
            side=line.side,
            minutes=line.minutes,
            techniques=list(line.techniques),
            pressure=line.pressure,
            code=suggested_code(line.techniques) if line.code is None else line.code,
            response=line.response,
        )
        for i, line in enumerate(content.work_lines)
    )
    at = now()
    FeedbackEvent.objects.bulk_create(
        FeedbackEvent(
            version=version,
            position=i,
            at=fb.at or at,
            region=fb.region,
            side=fb.side,
            pressure=fb.pressure,
            feedback=fb.feedback,
            change=fb.change,
        )
        for i, fb in enumerate(content.feedback)
    )
    BodyMark.objects.bulk_create(
        BodyMark(
            version=version,
            position=i,
            kind=m.kind,
            region=m.region,
            side=m.side,
            view=m.view,
            x=m.x,
            y=m.y,
            note=m.note,
        )
        for i, m in enumerate(content.marks)
    )


def _check(content: NoteContent, appointment: Appointment) -> None:
    errors = validate(content, appointment_minutes=appointment_minutes(appointment))
    if errors:
        raise FieldErrors("The note has fields to fix.", errors=dict(errors))


@transaction.atomic
def note_save(*, actor: User, note: Note, content: NoteContent) -> NoteVersion:
    """Replace the open version's content with `content` (the editor saves the whole note)."""
    _require(
        actor,
        "charting.change_note",
        note,
        "You do not have permission to change this note: only its own therapist may.",
    )
    version = _locked_open(note)
    _check(content, note.appointment)
    for name in (
        "subjective",
        "nprs_before",
        "objective",
        "assessment",
        "nprs_after",
        "plan_next",
        "home_care",
        "safety_statement",
    ):
        setattr(version, name, getattr(content, name))
    version.save()
    version.work_lines.all().delete()
    version.feedback.all().delete()
    version.marks.all().delete()
    _write_children(version, content)
    return version


def version_content(version: NoteVersion) -> NoteContent:
    """A version's content as input (to copy it into an amendment, or to add one line to it)."""
    from .content import MarkIn

    return NoteContent(
        subjective=version.subjective,
        nprs_before=version.nprs_before,
        objective=version.objective,
        assessment=version.assessment,
        nprs_after=version.nprs_after,
        plan_next=version.plan_next,
        home_care=version.home_care,
        safety_statement=version.safety_statement,
        work_lines=tuple(
            WorkLineIn(
                region=w.region,
                side=w.side,
                minutes=w.minutes,
                techniques=tuple(w.techniques),
                pressure=w.pressure,
                code=w.code,
                response=w.response,
            )
            for w in version.work_lines.all()
        ),
        feedback=tuple(
            FeedbackIn(
                region=f.region,
                side=f.side,
                pressure=f.pressure,
                feedback=f.feedback,
                change=f.change,
                at=f.at,
            )
            for f in version.feedback.all()
        ),
        marks=tuple(
            MarkIn(kind=m.kind, region=m.region, side=m.side, view=m.view, x=m.x, y=m.y, note=m.note)
            for m in version.marks.all()
        ),
    )


@transaction.atomic
def note_feedback_add(*, actor: User, note: Note, feedback: FeedbackIn) -> FeedbackEvent:
    """Record one pressure-feedback event mid-session (one touch on the tablet)."""
    _require(
        actor,
        "charting.change_note",
        note,
        "You do not have permission to change this note: only its own therapist may.",
    )
    version = _locked_open(note)
    content = NoteContent(feedback=(feedback,))
    errors = validate(content, appointment_minutes=appointment_minutes(note.appointment))
    if errors:
        raise FieldErrors("The feedback has fields to fix.", errors=dict(errors))
    position = version.feedback.count()
    return FeedbackEvent.objects.create(
        version=version,
        position=position,
        at=feedback.at or now(),
        region=feedback.region,
        side=feedback.side,
        pressure=feedback.pressure,
        feedback=feedback.feedback,
        change=feedback.change,
    )


@transaction.atomic
def note_sign(*, actor: User, note: Note) -> NoteVersion:
    """Sign the open version: from now on it never changes."""
    _require(
        actor,
        "charting.sign_note",
        note,
        "You do not have permission to sign this note: only its own therapist may.",
    )
    version = _locked_open(note)
    if (
        version.screening_decision in BLOCKING
        and len(version.safety_statement.strip()) < MIN_SAFETY_STATEMENT
    ):
        raise DomainError(
            "Screening held this visit back ("
            + (version.screening_decision.replace("_", " "))
            + "): state why the work was safe before signing (at least "
            f"{MIN_SAFETY_STATEMENT} characters).",
            field="safety_statement",
            code="safety_statement_required",
        )
    if not version.work_lines.exists() and not version.assessment.strip():
        raise DomainError(
            "An empty note cannot be signed: record the work done or an assessment.",
            field="work_lines",
            code="empty_note",
        )
    version.status = VersionStatus.SIGNED
    version.signed_at = now()
    version.signed_by = actor
    version.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
    if note.appointment.status == AppointmentStatus.CHECKED_IN:
        # The session was recorded and signed: it took place. (Booked stays booked: the desk checks in.)
        Appointment.objects.filter(pk=note.appointment_id).update(status=AppointmentStatus.COMPLETED)
    note_signed.send(sender=Note, note=note, version=version, actor=actor)
    return version


@transaction.atomic
def note_amend(*, actor: User, note: Note, reason: str) -> NoteVersion:
    """Open a new version with a reason, starting from the latest signed one (which stays readable)."""
    _require(
        actor,
        "charting.amend_note",
        note,
        "You do not have permission to amend this note: only its own therapist may.",
    )
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the note is amended.", field="reason", code="reason_required")
    if len(reason) > 2000:
        raise DomainError("At most 2000 characters.", field="reason")
    latest = note.versions.select_for_update().order_by("-number").first()
    assert latest is not None
    if latest.status == VersionStatus.DRAFT:
        raise Conflict(
            "This note has a version that is not signed yet: finish and sign it instead of amending.",
            field="note",
            code="version_open",
        )
    version = NoteVersion.objects.create(
        note=note,
        number=latest.number + 1,
        author=actor,
        amendment_reason=reason,
        screening_decision=latest.screening_decision,
        screening_reasons=latest.screening_reasons,
        plan_snapshot=latest.plan_snapshot,
    )
    content = version_content(latest)
    for name in (
        "subjective",
        "nprs_before",
        "objective",
        "assessment",
        "nprs_after",
        "plan_next",
        "home_care",
        "safety_statement",
    ):
        setattr(version, name, getattr(content, name))
    version.save()
    _write_children(version, content)
    return version


# --- Consents ---------------------------------------------------------------------------------------


@transaction.atomic
def consent_sign(
    *,
    actor: User,
    patient: Patient,
    kind: str,
    signer_name: str,
    via: SignedVia | str,
    version: str | None = None,
) -> Consent:
    """Record the patient's consent to the current text of `kind` (portal: the patient; tablet: staff with the patient)."""
    _require(
        actor,
        "charting.add_consent",
        patient,
        "You do not have permission to record consents for this patient.",
    )
    if kind not in CONSENT_KINDS:
        raise DomainError(f"{kind!r} is not a consent kind ({', '.join(CONSENT_KINDS)}).", field="kind")
    text = CURRENT[kind]
    if version is not None and version != text.version:
        raise Conflict(
            f"The {text.title.lower()} text is now version {text.version}: read it again before signing.",
            field="version",
            code="text_changed",
        )
    signer_name = signer_name.strip()
    if not signer_name or len(signer_name) > 160:
        raise DomainError(
            "Type the full name of the person signing (up to 160 characters).", field="signer_name"
        )
    if via not in SignedVia.values:
        raise DomainError(f"{via!r} is not one of {', '.join(SignedVia.values)}.", field="via")
    return Consent.objects.create(
        patient=patient,
        kind=kind,
        text_version=text.version,
        text=f"{text.title}\n\n{text.body}",
        signer_name=signer_name,
        signed_via=via,
        signed_at=now(),
        recorded_by=actor,
    )


@transaction.atomic
def consent_withdraw(*, actor: User, consent: Consent) -> Consent:
    _require(
        actor,
        "charting.withdraw_consent",
        consent.patient,
        "You do not have permission to withdraw this consent.",
    )
    if consent.withdrawn_at is not None:
        raise Conflict("This consent was already withdrawn.", field="consent", code="already_withdrawn")
    consent.withdrawn_at = now()
    consent.withdrawn_by = actor
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    return consent


def appointment_minutes(appointment: Appointment) -> int:
    """The booked length of the session: the work lines' minutes must fit in it."""
    return int((appointment.end - appointment.start).total_seconds() // 60)
