"""The session note on the tablet (UX: one hand free), the appointment's plan, and the note's history.

The editor is one form that works without JavaScript: every submit saves what is typed, then does
the button's action (sign, add a line, feedback). With htmx, the three feedback buttons post one
event and swap only the feedback list; `notes.js` makes a tap on the body chart pick the region and,
in mark mode, place a coded mark, and gives the minutes −/+ buttons.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from kneadwell.accounts.models import CARE_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.charting.content import MARK_KINDS, TIMED_CODES, FeedbackIn, MarkIn, NoteContent, WorkLineIn
from kneadwell.charting.models import MarkKind, Note, NoteVersion, RecordsSettings, VersionStatus
from kneadwell.charting.selectors import (
    appointment_session_plan,
    consents_in_force,
    current_version,
    last_session,
    note_scope,
    open_version,
    visible_versions,
)
from kneadwell.charting.services import (
    note_amend,
    note_feedback_add,
    note_save,
    note_sign,
    note_start,
    version_content,
)
from kneadwell.knowledge import catalogue
from kneadwell.lib.errors import DomainError, FieldErrors
from kneadwell.outcomes.models import Channel
from kneadwell.outcomes.selectors import WELLBEING, appointment_measurements
from kneadwell.outcomes.services import ROM_METHODS, rating_record, rom_record
from kneadwell.planning.consents import CONSENT_KINDS
from kneadwell.scheduling.models import Appointment
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.bodymap import BODY_OUTLINE, BODY_SHAPES
from kneadwell.web.presenters import area_label, plan_view

WELLBEING_WORDS = {
    "stress_nrs": "Stress (0 none – 10 extreme)",
    "sleep_nrs": "Sleep (0 very badly – 10 very well)",
    "mood_nrs": "Mood (0 very low – 10 very good)",
}
FEEDBACK_WORDS = {"too_light": "Too light", "ok": "Right", "too_deep": "Too deep"}
PRESSURES = ("light", "medium", "firm", "deep")
RESPONSES = (
    ("", "Response?"),
    ("eased", "Eased"),
    ("no_change", "No change"),
    ("pain_increased", "Pain increased"),
)
MARK_SYMBOLS = {
    "trigger_point": "×",
    "hypertonicity": "≈",
    "adhesion_scar": "#",
    "tenderness": "○",
    "pain": "!",
    "numbness": "/",
}
MAX_LINES = 30


def _audit(
    request: AuthenticatedRequest, action: AuditAction, object_type: str, obj: Any, patient: Any
) -> None:
    audit_record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", ""),
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
    )


def _appointment(request: AuthenticatedRequest, public_id: str) -> Appointment:
    return get_in_scope_or_404(appointment_scope(request.user), public_id, request=request)


# --- The appointment's plan ---------------------------------------------------------------------


@role_required(*CARE_ROLES)
def appointment_plan_page(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The tailored plan for one booked session: learning from the last signed note, with consents."""
    appointment = _appointment(request, public_id)
    error = ""
    plan = None
    try:
        plan, _ = appointment_session_plan(appointment)
    except ValueError as exc:
        error = str(exc)
    last = last_session(appointment.patient, before=appointment.start)
    _audit(request, AuditAction.READ, "session_plan", appointment, appointment.patient)
    return render(
        request,
        "charting/plan.html",
        {
            "appointment": appointment,
            "plan": plan_view(plan),
            "plan_error": error,
            "last": last,
            "learned": [
                r
                for r in (plan.rationale if plan else ())
                if r.rule.startswith(("tailoring.learn", "tailoring.pressure.feedback", "tailoring.consent"))
            ],
            "consents": sorted(consents_in_force(appointment.patient)),
            "missing_consents": [k for k in CONSENT_KINDS if k not in consents_in_force(appointment.patient)],
            "is_own": appointment.therapist.user_id == request.user.pk,
        },
    )


# --- Reading the form ---------------------------------------------------------------------------


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _area(token: str) -> tuple[str, str]:
    region, _, side = token.partition(":")
    return region, side


def read_form(post: Any) -> tuple[NoteContent, dict[str, list[str]]]:
    """The editor's fields as note content; unreadable numbers are errors named like the API's fields."""
    errors: dict[str, list[str]] = {}
    lines: list[WorkLineIn] = []
    for i in range(min(_int(post.get("lines", "0")) or 0, MAX_LINES)):
        prefix = f"line-{i}-"
        if post.get(prefix + "delete") or not post.get(prefix + "area"):
            continue
        region, side = _area(post.get(prefix + "area", ""))
        minutes = _int(post.get(prefix + "minutes", ""))
        if minutes is None:
            errors.setdefault(f"work_lines[{len(lines)}].minutes", []).append("Minutes are a whole number.")
            minutes = 0
        code = post.get(prefix + "code", "")
        lines.append(
            WorkLineIn(
                region=region,
                side=side,
                minutes=minutes,
                pressure=post.get(prefix + "pressure", ""),
                techniques=tuple(post.getlist(prefix + "tech")),
                code=code if code != "auto" else None,
                response=post.get(prefix + "response", ""),
            )
        )
    new_area = post.get("new-area", "")
    if new_area and _int(post.get("new-minutes", "")):
        region, side = _area(new_area)
        lines.append(
            WorkLineIn(
                region=region,
                side=side,
                minutes=_int(post.get("new-minutes", "")) or 0,
                pressure=post.get("new-pressure", "") or "medium",
                techniques=tuple(post.getlist("new-tech")),
            )
        )
    marks: list[MarkIn] = []
    for i in range(min(_int(post.get("marks", "0")) or 0, 100)):
        prefix = f"mark-{i}-"
        if post.get(prefix + "delete") or not post.get(prefix + "kind"):
            continue
        region, side = _area(post.get(prefix + "area", ""))
        marks.append(
            MarkIn(
                kind=post.get(prefix + "kind", ""),
                region=region,
                side=side,
                view=post.get(prefix + "view", ""),
                x=_int(post.get(prefix + "x", "")) or 0,
                y=_int(post.get(prefix + "y", "")) or 0,
                note=post.get(prefix + "note", "")[:200],
            )
        )

    def nprs(name: str) -> int | None:
        raw = post.get(name, "")
        if raw == "":
            return None
        value = _int(raw)
        if value is None:
            errors.setdefault(name, []).append("Choose a number from 0 to 10.")
        return value

    content = NoteContent(
        subjective=post.get("subjective", ""),
        nprs_before=nprs("nprs_before"),
        objective=post.get("objective", ""),
        assessment=post.get("assessment", ""),
        nprs_after=nprs("nprs_after"),
        plan_next=post.get("plan_next", ""),
        home_care=post.get("home_care", ""),
        safety_statement=post.get("safety_statement", ""),
        work_lines=tuple(lines),
        marks=tuple(marks),
    )
    return content, errors


# --- The editor ---------------------------------------------------------------------------------


def _chart(version: NoteVersion | None, planned: set[str], last_marks: list[Any]) -> list[dict[str, Any]]:
    """The two figures with the planned regions lit and the marks drawn (this version's and last time's)."""
    figures = []
    marks = list(version.marks.all()) if version is not None else []
    for view, title in (("front", "Front"), ("back", "Back")):
        shapes = []
        for token, parts in BODY_SHAPES.items():
            for v, kind, attrs in parts:
                if v != view:
                    continue
                region, side = _area(token)
                shapes.append(
                    {
                        "token": token,
                        "kind": kind,
                        "attrs": attrs,
                        "label": area_label(region, side or None),
                        "planned": token in planned or region in planned,
                    }
                )
        figures.append(
            {
                "view": view,
                "title": title,
                "shapes": shapes,
                "outline": [{"kind": k, "attrs": a} for k, a in BODY_OUTLINE[view]],
                "marks": [
                    {
                        "x": m.x,
                        "y": m.y,
                        "symbol": MARK_SYMBOLS.get(m.kind, "•"),
                        "label": m.get_kind_display(),
                        "kind": m.kind,
                    }
                    for m in marks
                    if m.view == view
                ],
                "last_marks": [
                    {
                        "x": m.x,
                        "y": m.y,
                        "symbol": MARK_SYMBOLS.get(m.kind, "•"),
                        "label": m.get_kind_display(),
                    }
                    for m in last_marks
                    if m.view == view
                ],
            }
        )
    return figures


def _area_options() -> list[tuple[str, str]]:
    out = []
    for key, region in catalogue.regions().items():
        if region.paired:
            out += [(f"{key}:{side}", area_label(key, side)) for side in ("right", "left", "bilateral")]
        else:
            out.append((key, region.name))
    return out


def _editor_context(
    request: AuthenticatedRequest,
    note: Note,
    *,
    errors: dict[str, list[str]] | None = None,
    posted: NoteContent | None = None,
) -> dict[str, Any]:
    version = current_version(note)
    editable = version.status == VersionStatus.DRAFT and note.therapist.user_id == request.user.pk
    content = posted or version_content(version)
    planned = {
        f"{s['region']}:{s['side']}" if s.get("side") and s["side"] != "bilateral" else s["region"]
        for s in (version.plan_snapshot or {}).get("segments", [])
    }
    previous = (
        NoteVersion.objects.filter(
            note__patient=note.patient,
            status=VersionStatus.SIGNED,
            note__appointment__start__lt=note.appointment.start,
        )
        .order_by("-note__appointment__start", "-number")
        .first()
    )
    techniques = [(k, t.name) for k, t in catalogue.techniques().items()]
    lines = [
        {
            "i": i,
            "area": f"{w.region}:{w.side}" if w.side else w.region,
            "minutes": w.minutes,
            "pressure": w.pressure,
            "techniques": set(w.techniques),
            "code": "auto" if w.code is None else w.code,
            "response": w.response,
        }
        for i, w in enumerate(content.work_lines)
    ]
    marks = [
        {
            "i": i,
            "kind": m.kind,
            "area": f"{m.region}:{m.side}" if m.side else m.region,
            "view": m.view,
            "x": m.x,
            "y": m.y,
            "note": m.note,
        }
        for i, m in enumerate(content.marks)
    ]
    appointment = note.appointment
    return {
        "note": note,
        "appointment": appointment,
        "version": version,
        "editable": editable,
        "content": content,
        "lines": lines,
        "marks": marks,
        "total_minutes": sum(w.minutes for w in content.work_lines),
        "booked_minutes": int((appointment.end - appointment.start).total_seconds() // 60),
        "figures": _chart(version, planned, list(previous.marks.all()) if previous else []),
        "previous": previous,
        "feedback": list(version.feedback.all()),
        "feedback_words": FEEDBACK_WORDS,
        "area_options": _area_options(),
        "techniques": techniques,
        "pressures": PRESSURES,
        "codes": TIMED_CODES,
        "responses": RESPONSES,
        "mark_kinds": [(k, MarkKind(k).label, MARK_SYMBOLS[k]) for k in MARK_KINDS],
        "nprs_range": range(11),
        "errors": errors or {},
        "held_back": version.screening_decision in ("defer", "refer_out"),
        "measurements": appointment_measurements(appointment),
        "consents": sorted(consents_in_force(note.patient)),
        "versions": visible_versions(note, request.user),
        "is_therapist": request.user.role == Role.THERAPIST,
        "relaxation": appointment.service.family == "relaxation",
        "wellbeing": [(k, WELLBEING_WORDS[k]) for k in WELLBEING],
        "wellbeing_values": {
            m.measure: int(m.value) for m in appointment_measurements(appointment) if m.measure in WELLBEING
        },
        "rom_motions": [
            (k, f"{m.region.replace('_', ' ').capitalize()}: {m.motion} ({m.unit})", m.per_side)
            for k, m in catalogue.rom_motions().items()
        ],
        "rom_methods": ROM_METHODS,
    }


@role_required(*CARE_ROLES)
def note_editor(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The appointment's note: the therapist writes it (started on first open); staff read it."""
    appointment = _appointment(request, public_id)
    note = Note.objects.filter(appointment=appointment).first()
    if note is None:
        if request.user.role != Role.THERAPIST or appointment.therapist.user_id != request.user.pk:
            return render(request, "charting/no_note.html", {"appointment": appointment}, status=404)
        try:
            note = note_start(actor=request.user, appointment=appointment)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("therapist-day")
        _audit(request, AuditAction.CREATE, "note", note, note.patient)
    note = get_in_scope_or_404(note_scope(request.user), note.public_id, request=request)
    if request.method == "POST":
        return _post(request, note)
    _audit(request, AuditAction.READ, "note", note, note.patient)
    return render(request, "charting/note.html", _editor_context(request, note))


def _post(request: AuthenticatedRequest, note: Note) -> HttpResponse:
    action = request.POST.get("action", "save")
    if action.startswith("feedback:") and getattr(request, "htmx", False):
        return _feedback_only(request, note, action.split(":", 1)[1])
    if action == "amend":
        try:
            note_amend(actor=request.user, note=note, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Amendment opened: make the correction, then sign it.")
            _audit(request, AuditAction.CREATE, "note_amendment", note, note.patient)
        return redirect("appointment-note", note.appointment.public_id)
    if open_version(note) is None:
        raise PermissionDenied("This note is signed: amend it, with a reason, to correct it.")
    content, errors = read_form(request.POST)
    if action.startswith("feedback:"):
        area = request.POST.get("focus-area", "")
        region, side = _area(area)
        pressure = request.POST.get("focus-pressure", "") or "medium"
        content = replace(
            content,
            feedback=(
                *version_content(current_version(note)).feedback,
                FeedbackIn(
                    region=region,
                    side=side,
                    pressure=pressure,
                    feedback=action.split(":", 1)[1],
                    change=request.POST.get("focus-change", "")[:300],
                ),
            ),
        )
    else:
        content = replace(content, feedback=version_content(current_version(note)).feedback)
    if not errors:
        try:
            note_save(actor=request.user, note=note, content=content)
            _measures(request, note)
        except FieldErrors as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {exc.field or "note": [exc.message]}
    if errors:
        messages.error(request, "The note was not saved: fix the fields marked below.")
        return render(
            request,
            "charting/note.html",
            _editor_context(request, note, errors=errors, posted=content),
            status=422,
        )
    _audit(request, AuditAction.UPDATE, "note", note, note.patient)
    if action == "sign":
        try:
            note_sign(actor=request.user, note=note)
        except DomainError as exc:
            context = _editor_context(request, note, errors={exc.field or "note": [exc.message]})
            messages.error(request, exc.message)
            return render(request, "charting/note.html", context, status=422)
        _audit(request, AuditAction.UPDATE, "note_sign", note, note.patient)
        messages.success(request, "Note signed.")
    else:
        messages.success(request, "Saved.")
    return redirect("appointment-note", note.appointment.public_id)


def _measures(request: AuthenticatedRequest, note: Note) -> None:
    """The visit's wellbeing ratings (relaxation visits) and a ROM measurement, when given in the form.

    Raises DomainError naming the field (`rom.value`, `wellbeing.stress_nrs`) so the editor shows it.
    """
    appointment = note.appointment
    for key in WELLBEING:
        raw = request.POST.get(f"wb-{key}", "")
        if raw == "":
            continue
        value = _int(raw)
        try:
            rating_record(
                actor=request.user,
                patient=note.patient,
                measure=key,
                value=value if value is not None else -1,
                appointment=appointment,
                channel=Channel.TABLET,
                replace=True,
            )
        except DomainError as exc:
            raise DomainError(exc.message, field=f"wellbeing.{key}") from exc
    motion, raw = request.POST.get("rom-motion", ""), request.POST.get("rom-value", "").strip()
    if motion and raw:
        try:
            degrees = float(raw)
        except ValueError:
            raise DomainError("Give the range of motion as a number.", field="rom.value") from None
        try:
            rom_record(
                actor=request.user,
                patient=note.patient,
                motion=motion,
                value=degrees,
                side=request.POST.get("rom-side") or None,
                method=request.POST.get("rom-method", "goniometer"),
                active=request.POST.get("rom-active", "1") == "1",
                appointment=appointment,
                channel=Channel.TABLET,
                replace=True,
            )
        except DomainError as exc:
            raise DomainError(exc.message, field=f"rom.{exc.field}") from exc


def _feedback_only(request: AuthenticatedRequest, note: Note, value: str) -> HttpResponse:
    """One touch: record the feedback event and answer with the updated list (htmx)."""
    region, side = _area(request.POST.get("focus-area", ""))
    error = ""
    try:
        note_feedback_add(
            actor=request.user,
            note=note,
            feedback=FeedbackIn(
                region=region,
                side=side,
                pressure=request.POST.get("focus-pressure", "") or "medium",
                feedback=value,
                change=request.POST.get("focus-change", "")[:300],
            ),
        )
        _audit(request, AuditAction.UPDATE, "note", note, note.patient)
    except FieldErrors as exc:
        error = " ".join(m for msgs in exc.errors.values() for m in msgs)
    except DomainError as exc:
        error = exc.message
    version = current_version(note)
    return render(
        request,
        "charting/includes/feedback_list.html",
        {"feedback": list(version.feedback.all()), "feedback_words": FEEDBACK_WORDS, "feedback_error": error},
        status=422 if error else 200,
    )


@role_required(*CARE_ROLES, Role.PATIENT)
def note_history(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Every version of a note, oldest first (a patient sees signed ones when the clinic shares notes)."""
    note = get_in_scope_or_404(note_scope(request.user), public_id, request=request)
    versions = visible_versions(note, request.user)
    if not versions:
        raise Http404("Not found.")
    _audit(request, AuditAction.READ, "note", note, note.patient)
    return render(
        request,
        "charting/history.html",
        {
            "note": note,
            "versions": versions,
            "feedback_words": FEEDBACK_WORDS,
            "shared": RecordsSettings.current().share_notes_with_patients,
        },
    )
