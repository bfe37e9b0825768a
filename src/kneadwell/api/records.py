"""Session notes and consents (issue 11). See docs/api.md, "Session records".

Notes: the appointment's own therapist starts, saves, signs and amends; staff and the patient's
therapists read; a patient reads signed notes only when the clinic shares them; a referrer never
(reports are theirs). A signed version is never changed: writing to it is a 409.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal
from uuid import UUID

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kneadwell.accounts.models import AuditAction, Role, User, Viewer
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.api.auth import api_user
from kneadwell.charting import services
from kneadwell.charting.consent_texts import ALL_VERSIONS, CURRENT
from kneadwell.charting.content import FeedbackIn, MarkIn, NoteContent, WorkLineIn
from kneadwell.charting.models import Consent, FeedbackEvent, Note, NoteVersion, SignedVia, VersionStatus
from kneadwell.charting.selectors import consent_scope, note_scope, visible_versions
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.scheduling.models import Appointment
from kneadwell.scheduling.selectors import appointment_scope

from .idempotency import idempotent
from .schemas import (
    DETAIL_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InSchema,
    KeysetParams,
    StorableText,
    keyset_page,
)

router = Router(tags=["session records"])

NOTE_WRITE = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}


class PressureLevel(StrEnum):
    LIGHT = "light"
    MEDIUM = "medium"
    FIRM = "firm"
    DEEP = "deep"


class FeedbackValue(StrEnum):
    TOO_LIGHT = "too_light"
    OK = "ok"
    TOO_DEEP = "too_deep"


class MarkKindValue(StrEnum):
    TRIGGER_POINT = "trigger_point"
    HYPERTONICITY = "hypertonicity"
    ADHESION_SCAR = "adhesion_scar"
    TENDERNESS = "tenderness"
    PAIN = "pain"
    NUMBNESS = "numbness"


class ResponseValue(StrEnum):
    NONE = ""
    EASED = "eased"
    NO_CHANGE = "no_change"
    PAIN_INCREASED = "pain_increased"


Side = Literal["left", "right", "bilateral"]
Code = Literal["", "97124", "97140", "97110", "97112", "97530"]


class WorkLineSchema(InSchema):
    region: str = Field(max_length=40, description="Catalogue region key.")
    side: Side | None = Field(None, description="For paired regions: left, right or bilateral.")
    minutes: int = Field(ge=1, le=240)
    techniques: list[str] = Field(default=[], max_length=12, description="Catalogue technique keys.")
    pressure: PressureLevel
    code: Code | None = Field(None, description="Timed CPT code; left out: suggested from the techniques.")
    response: ResponseValue = ResponseValue.NONE


class FeedbackSchema(InSchema):
    region: str = Field(max_length=40)
    side: Side | None = None
    pressure: PressureLevel
    feedback: FeedbackValue
    change: str = Field("", max_length=300, description="What the therapist changed.")


class MarkSchema(InSchema):
    kind: MarkKindValue
    region: str = Field(max_length=40)
    side: Side | None = None
    view: Literal["front", "back"]
    x: int = Field(ge=0, le=200)
    y: int = Field(ge=0, le=400)
    note: str = Field("", max_length=200)


class NoteContentIn(InSchema):
    subjective: str = Field("", max_length=4000, description="S: the patient's report.")
    nprs_before: int | None = Field(None, ge=0, le=10, description="S: pain 0–10 before the session.")
    objective: str = Field(
        "", max_length=4000, description="O: findings (tone, tenderness, trigger points, adhesions)."
    )
    assessment: str = Field("", max_length=4000, description="A: response to the session.")
    nprs_after: int | None = Field(None, ge=0, le=10, description="A: pain 0–10 after the session.")
    plan_next: str = Field("", max_length=4000, description="P: next focus.")
    home_care: str = Field("", max_length=4000, description="P: home care.")
    safety_statement: str = Field(
        "", max_length=2000, description="Why the work was safe (screened-out visits)."
    )
    work_lines: list[WorkLineSchema] = Field(default=[], max_length=40)
    feedback: list[FeedbackSchema] = Field(default=[], max_length=100)
    marks: list[MarkSchema] = Field(default=[], max_length=100)


class WorkLineOut(Schema):
    region: str
    side: str | None
    minutes: int
    techniques: list[str]
    pressure: PressureLevel
    code: str
    response: str


class FeedbackOut(Schema):
    at: dt.datetime
    region: str
    side: str | None
    pressure: PressureLevel
    feedback: FeedbackValue
    change: str


class MarkOut(Schema):
    kind: MarkKindValue
    region: str
    side: str | None
    view: str
    x: int
    y: int
    note: str


class VersionOut(Schema):
    id: UUID
    number: int
    status: Literal["draft", "signed"]
    author: str | None
    signed_at: dt.datetime | None
    signed_by: str | None
    amendment_reason: str
    screening_decision: str
    screening_reasons: list[str]
    subjective: str
    nprs_before: int | None
    objective: str
    assessment: str
    nprs_after: int | None
    plan_next: str
    home_care: str
    safety_statement: str
    work_lines: list[WorkLineOut]
    feedback: list[FeedbackOut]
    marks: list[MarkOut]


class AppointmentRef(Schema):
    id: UUID
    start: dt.datetime
    service: str
    patient_id: UUID
    patient: str
    therapist_id: UUID
    therapist: str


class NoteOut(Schema):
    id: UUID
    appointment: AppointmentRef
    status: Literal["draft", "signed", "amending"]
    current: VersionOut
    versions: list[VersionOut]


class NoteSummary(Schema):
    id: UUID
    appointment: AppointmentRef
    status: Literal["draft", "signed", "amending"]
    versions: int
    signed_at: dt.datetime | None


class NotePage(Schema):
    items: list[NoteSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    count: int | None = Field(description="The total number of matches, when asked for with `count=true`.")


class AmendIn(InSchema):
    reason: str = Field(min_length=1, max_length=2000, description="Why the signed note is amended.")


def _name(user: User | None) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


def _side(value: str) -> str | None:
    return value or None


def version_out(v: NoteVersion) -> VersionOut:
    return VersionOut(
        id=v.public_id,
        number=v.number,
        status=v.status,  # type: ignore[arg-type]  # a TextChoices value stored under the database's check constraint
        author=_name(v.author),
        signed_at=v.signed_at,
        signed_by=_name(v.signed_by),
        amendment_reason=v.amendment_reason,
        screening_decision=v.screening_decision,
        screening_reasons=[str(r) for r in v.screening_reasons],
        subjective=v.subjective,
        nprs_before=v.nprs_before,
        objective=v.objective,
        assessment=v.assessment,
        nprs_after=v.nprs_after,
        plan_next=v.plan_next,
        home_care=v.home_care,
        safety_statement=v.safety_statement,
        work_lines=[
            WorkLineOut(
                region=w.region,
                side=_side(w.side),
                minutes=w.minutes,
                techniques=list(w.techniques),
                pressure=PressureLevel(w.pressure),
                code=w.code,
                response=w.response,
            )
            for w in v.work_lines.all()
        ],
        feedback=[_feedback_out(f) for f in v.feedback.all()],
        marks=[
            MarkOut(
                kind=MarkKindValue(m.kind),
                region=m.region,
                side=_side(m.side),
                view=m.view,
                x=m.x,
                y=m.y,
                note=m.note,
            )
            for m in v.marks.all()
        ],
    )


def _feedback_out(f: FeedbackEvent) -> FeedbackOut:
    return FeedbackOut(
        at=f.at,
        region=f.region,
        side=_side(f.side),
        pressure=PressureLevel(f.pressure),
        feedback=FeedbackValue(f.feedback),
        change=f.change,
    )


def _appointment_ref(a: Appointment) -> AppointmentRef:
    return AppointmentRef(
        id=a.public_id,
        start=a.start,
        service=a.service.name,
        patient_id=a.patient.public_id,
        patient=a.patient.full_name,
        therapist_id=a.therapist.public_id,
        therapist=a.therapist.full_name,
    )


def _status(versions: list[NoteVersion]) -> Literal["draft", "signed", "amending"]:
    last = versions[-1]
    if last.status == VersionStatus.SIGNED:
        return "signed"
    return "draft" if last.number == 1 else "amending"


def note_out(note: Note, user: Viewer) -> NoteOut:
    versions = visible_versions(note, user)
    if not versions:
        raise Http404("Not found.")
    return NoteOut(
        id=note.public_id,
        appointment=_appointment_ref(note.appointment),
        status=_status(versions),
        current=version_out(versions[-1]),
        versions=[version_out(v) for v in versions],
    )


def _audit(
    request: HttpRequest, action: AuditAction, object_type: str, obj: object, patient: Patient
) -> None:
    audit_record(
        actor=request.user if isinstance(request.user, User) else None,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", ""),
        patient_ids=[patient.public_id],
        channel="api",
        request=request,
    )


def content_from(payload: NoteContentIn) -> NoteContent:
    return NoteContent(
        subjective=payload.subjective,
        nprs_before=payload.nprs_before,
        objective=payload.objective,
        assessment=payload.assessment,
        nprs_after=payload.nprs_after,
        plan_next=payload.plan_next,
        home_care=payload.home_care,
        safety_statement=payload.safety_statement,
        work_lines=tuple(
            WorkLineIn(
                region=w.region,
                side=w.side or "",
                minutes=w.minutes,
                techniques=tuple(w.techniques),
                pressure=w.pressure.value,
                code=w.code,
                response=w.response.value,
            )
            for w in payload.work_lines
        ),
        feedback=tuple(
            FeedbackIn(
                region=f.region,
                side=f.side or "",
                pressure=f.pressure.value,
                feedback=f.feedback.value,
                change=f.change,
            )
            for f in payload.feedback
        ),
        marks=tuple(
            MarkIn(
                kind=m.kind.value, region=m.region, side=m.side or "", view=m.view, x=m.x, y=m.y, note=m.note
            )
            for m in payload.marks
        ),
    )


def _note(request: HttpRequest, id: UUID) -> Note:
    return get_in_scope_or_404(note_scope(request.user), id, request=request)


def _appointment(request: HttpRequest, id: UUID) -> Appointment:
    return get_in_scope_or_404(appointment_scope(request.user), id, request=request)


@router.post(
    "/appointments/{id}/note",
    response={200: NoteOut, 201: NoteOut, **NOTE_WRITE},
    summary="Start the appointment's session note (pre-filled from the session plan), or get it",
)
@idempotent
def start_note(request: HttpRequest, id: UUID) -> Status:
    appointment = _appointment(request, id)
    existed = Note.objects.filter(appointment=appointment).exists()
    note = services.note_start(actor=api_user(request), appointment=appointment)
    _audit(request, AuditAction.READ if existed else AuditAction.CREATE, "note", note, note.patient)
    return Status(200 if existed else 201, note_out(note, request.user))


@router.get(
    "/appointments/{id}/note",
    response={200: NoteOut, **DETAIL_ERRORS},
    summary="The appointment's session note with every version",
)
def get_appointment_note(request: HttpRequest, id: UUID) -> NoteOut:
    appointment = _appointment(request, id)
    note = note_scope(request.user).filter(appointment=appointment).first()
    if note is None:
        raise Http404("Not found.")
    _audit(request, AuditAction.READ, "note", note, note.patient)
    return note_out(note, request.user)


class NoteFilters(StorableText):
    status: Literal["unsigned", "signed"] | None = Field(
        None, description="unsigned: a draft or amendment is open."
    )
    patient: UUID | None = None


@router.get(
    "/notes",
    response={200: NotePage, **READ_ERRORS},
    summary="Session notes in your scope, the latest visit first",
)
def list_notes(request: HttpRequest, filters: Query[NoteFilters], page: Query[KeysetParams]) -> NotePage:
    qs = note_scope(request.user)
    if filters.patient is not None:
        qs = qs.filter(patient__public_id=filters.patient)
    drafts = NoteVersion.objects.filter(status=VersionStatus.DRAFT)
    # A patient reads signed versions only (charting.selectors.visible_versions): to them no note is
    # unsigned, and an amendment in progress shows neither in the filter nor in the summary.
    patient_viewer = getattr(request.user, "role", None) == Role.PATIENT
    if filters.status == "unsigned" and patient_viewer:
        qs = qs.none()
    elif filters.status == "unsigned":
        # From the open versions (few at any history; the partial unique index of one open version
        # per note lists them), not a walk through every note looking for one.
        qs = qs.filter(pk__in=drafts.values("note_id"))
    elif filters.status == "signed" and not patient_viewer:
        qs = qs.filter(~Exists(drafts.filter(note=OuterRef("pk"))))
    # Keyset pages by the visit's start (the note's copy of it, indexed), newest first: the first
    # page and the last cost the same at any history, and the total only when asked for. The page is
    # chosen from the notes alone, then read with the rows each summary shows (joined or prefetched):
    # with the related tables joined in, SQLite's planner starts from the small ones and sorts every
    # note (5 s at ×100).
    items, next_cursor, count = keyset_page(
        qs.select_related(None),
        page,
        order=("-appointment_start", "-id"),
        rows_from=Note.objects.select_related(
            "appointment__patient", "appointment__therapist", "appointment__service", "patient"
        ).prefetch_related("versions"),
    )
    out = []
    patients = set()
    for note in items:
        versions = sorted(note.versions.all(), key=lambda v: v.number)
        signed = [v for v in versions if v.status == VersionStatus.SIGNED]
        if patient_viewer:
            versions = signed
        patients.add(note.patient.public_id)
        out.append(
            NoteSummary(
                id=note.public_id,
                appointment=_appointment_ref(note.appointment),
                status=_status(versions),
                versions=len(versions),
                signed_at=signed[-1].signed_at if signed else None,
            )
        )
    if patients:
        audit_record(
            actor=request.user if isinstance(request.user, User) else None,
            action=AuditAction.READ,
            object_type="note_list",
            patient_ids=sorted(str(p) for p in patients),
            channel="api",
            request=request,
        )
    return NotePage(items=out, next_cursor=next_cursor, count=count)


@router.get(
    "/notes/{id}", response={200: NoteOut, **DETAIL_ERRORS}, summary="A session note with every version"
)
def get_note(request: HttpRequest, id: UUID) -> NoteOut:
    note = _note(request, id)
    _audit(request, AuditAction.READ, "note", note, note.patient)
    return note_out(note, request.user)


@router.put(
    "/notes/{id}",
    response={200: VersionOut, **NOTE_WRITE},
    summary="Save the open version (the whole note); 409 once signed",
)
def save_note(request: HttpRequest, id: UUID, payload: NoteContentIn) -> VersionOut:
    note = _note(request, id)
    version = services.note_save(actor=api_user(request), note=note, content=content_from(payload))
    _audit(request, AuditAction.UPDATE, "note", note, note.patient)
    return version_out(version)


@router.post(
    "/notes/{id}/feedback",
    response={201: FeedbackOut, **NOTE_WRITE},
    summary="Record the patient's pressure feedback during the session (one touch)",
)
@idempotent
def add_feedback(request: HttpRequest, id: UUID, payload: FeedbackSchema) -> Status:
    note = _note(request, id)
    event = services.note_feedback_add(
        actor=api_user(request),
        note=note,
        feedback=FeedbackIn(
            region=payload.region,
            side=payload.side or "",
            pressure=payload.pressure.value,
            feedback=payload.feedback.value,
            change=payload.change,
        ),
    )
    _audit(request, AuditAction.UPDATE, "note", note, note.patient)
    return Status(201, _feedback_out(event))


@router.post(
    "/notes/{id}/sign",
    response={200: VersionOut, **NOTE_WRITE},
    summary="Sign the open version (the note's own therapist only); it never changes after",
)
def sign_note(request: HttpRequest, id: UUID) -> VersionOut:
    note = _note(request, id)
    version = services.note_sign(actor=api_user(request), note=note)
    _audit(request, AuditAction.UPDATE, "note_sign", note, note.patient)
    return version_out(version)


@router.post(
    "/notes/{id}/amend",
    response={201: VersionOut, **NOTE_WRITE},
    summary="Amend a signed note: a new version with a reason (the old one stays readable)",
)
@idempotent
def amend_note(request: HttpRequest, id: UUID, payload: AmendIn) -> Status:
    note = _note(request, id)
    version = services.note_amend(actor=api_user(request), note=note, reason=payload.reason)
    _audit(request, AuditAction.CREATE, "note_amendment", note, note.patient)
    return Status(201, version_out(version))


@router.get(
    "/notes/{id}/versions",
    response={200: list[VersionOut], **DETAIL_ERRORS},
    summary="Every version of a note",
)
def list_versions(request: HttpRequest, id: UUID) -> list[VersionOut]:
    note = _note(request, id)
    _audit(request, AuditAction.READ, "note", note, note.patient)
    return [version_out(v) for v in visible_versions(note, request.user)]


@router.get(
    "/notes/{id}/versions/{number}",
    response={200: VersionOut, **DETAIL_ERRORS},
    summary="One version of a note",
)
def get_version(request: HttpRequest, id: UUID, number: int) -> VersionOut:
    note = _note(request, id)
    version = next((v for v in visible_versions(note, request.user) if v.number == number), None)
    if version is None:
        raise Http404("Not found.")
    _audit(request, AuditAction.READ, "note", note, note.patient)
    return version_out(version)


# --- Consents --------------------------------------------------------------------------------------


class ConsentKind(StrEnum):
    TREATMENT = "treatment"
    INTRAORAL = "intraoral"
    SENSITIVE_AREAS = "sensitive_areas"
    PHOTOGRAPHS = "photographs"


class ConsentTextOut(Schema):
    kind: ConsentKind
    version: str
    title: str
    body: str
    current: bool


class ConsentOut(Schema):
    id: UUID
    kind: ConsentKind
    text_version: str
    text: str
    signer_name: str
    signed_via: Literal["portal", "tablet", "api"]
    signed_at: dt.datetime
    withdrawn_at: dt.datetime | None
    in_force: bool


class ConsentIn(InSchema):
    kind: ConsentKind
    signer_name: str = Field(min_length=1, max_length=160, description="The full name of the person signing.")
    version: str | None = Field(
        None, max_length=20, description="The text version read; refused if no longer current."
    )
    via: Literal["portal", "tablet", "api"] = "api"


def consent_out(c: Consent) -> ConsentOut:
    return ConsentOut(
        id=c.public_id,
        kind=ConsentKind(c.kind),
        text_version=c.text_version,
        text=c.text,
        signer_name=c.signer_name,
        signed_via=c.signed_via,  # type: ignore[arg-type]  # a TextChoices value stored under the database's check constraint
        signed_at=c.signed_at,
        withdrawn_at=c.withdrawn_at,
        in_force=c.withdrawn_at is None,
    )


@router.get(
    "/consent-texts",
    response={200: list[ConsentTextOut], 401: ErrorOut},
    summary="The consent texts, every version",
)
def list_consent_texts(request: HttpRequest) -> list[ConsentTextOut]:
    return [
        ConsentTextOut(
            kind=ConsentKind(t.kind),
            version=t.version,
            title=t.title,
            body=t.body,
            current=CURRENT[t.kind] == t,
        )
        for t in ALL_VERSIONS
    ]


@router.get(
    "/patients/{id}/consents",
    response={200: list[ConsentOut], **DETAIL_ERRORS},
    summary="A patient's consents",
)
def list_consents(request: HttpRequest, id: UUID) -> list[ConsentOut]:
    patient = get_in_scope_or_404(patient_scope(request.user), id, request=request)
    rows = list(consent_scope(request.user).filter(patient=patient))
    _audit(request, AuditAction.READ, "consent_list", patient, patient)
    return [consent_out(c) for c in rows]


@router.post(
    "/patients/{id}/consents",
    response={201: ConsentOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Record a consent to the current text (the patient, or the clinic's tablet with the patient)",
)
@idempotent
def sign_consent(request: HttpRequest, id: UUID, payload: ConsentIn) -> Status:
    patient = get_in_scope_or_404(patient_scope(request.user), id, request=request)
    consent = services.consent_sign(
        actor=api_user(request),
        patient=patient,
        kind=payload.kind.value,
        signer_name=payload.signer_name,
        via=SignedVia(payload.via),
        version=payload.version,
    )
    _audit(request, AuditAction.CREATE, "consent", consent, patient)
    return Status(201, consent_out(consent))


@router.post(
    "/consents/{id}/withdraw",
    response={200: ConsentOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Withdraw a consent (work that needs it is no longer planned)",
)
def withdraw_consent(request: HttpRequest, id: UUID) -> ConsentOut:
    consent = get_in_scope_or_404(consent_scope(request.user), id, request=request)
    services.consent_withdraw(actor=api_user(request), consent=consent)
    _audit(request, AuditAction.UPDATE, "consent", consent, consent.patient)
    return consent_out(consent)
