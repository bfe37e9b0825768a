"""Writes for outcomes: measurements (ROM, wellbeing ratings) and questionnaire responses.

Each value is checked by the pure engines (`rom.rom_check`, `instruments.score`) and refused with a
4xx naming the field or item; nothing is stored half. A value tied to a visit whose note is signed
cannot be added or voided unless the note is being amended (the signed record stays as signed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import rules
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from kneadwell.accounts.models import User
from kneadwell.charting.models import Note, VersionStatus
from kneadwell.lib.clock import now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment

from .instruments import AnswerError, InstrumentError, instrument, instruments
from .models import Channel, Measurement, QuestionnaireResponse
from .rom import RomError, RomMeasurement, rom_check
from .selectors import QUESTIONNAIRES, SCREENERS, WELLBEING, offered_instruments

ROM_METHODS = ("goniometer", "inclinometer", "ruler", "visual")


def _require(actor: User, perm: str, patient: Patient) -> None:
    if not rules.has_perm(perm, actor, patient):
        raise PermissionDenied("You do not have permission to record this for the patient.")


def _visit(patient: Patient, appointment: Appointment | None) -> None:
    """A value for a visit: the visit must be the patient's, and its note not signed (unless amended)."""
    if appointment is None:
        return
    if appointment.patient_id != patient.pk:
        raise DomainError("This appointment is not the patient's.", field="appointment")
    note = Note.objects.filter(appointment=appointment).first()
    if note is None:
        return
    statuses = set(note.versions.values_list("status", flat=True))
    if VersionStatus.SIGNED in statuses and VersionStatus.DRAFT not in statuses:
        raise Conflict(
            "This visit's note is signed: amend the note, with a reason, to change its measurements.",
            field="appointment",
            code="note_signed",
        )


def _save(measurement: Measurement, replace: bool) -> Measurement:
    """Insert, voiding the visit's earlier value for the same measure when `replace` (a re-entry on the tablet)."""
    with transaction.atomic():
        if replace and measurement.appointment_id is not None:
            Measurement.objects.filter(
                appointment_id=measurement.appointment_id,
                measure=measurement.measure,
                motion=measurement.motion,
                side=measurement.side,
                voided_at__isnull=True,
            ).update(voided_at=now(), voided_by=measurement.recorded_by, void_reason="Re-entered")
        try:
            with transaction.atomic():
                measurement.save()
        except IntegrityError as exc:
            raise Conflict(
                "This visit already has a value for this measure: void it first, or re-enter it.",
                field="measure",
                code="already_recorded",
            ) from exc
    return measurement


def rom_record(
    *,
    actor: User,
    patient: Patient,
    motion: str,
    value: float,
    side: str | None = None,
    method: str = "goniometer",
    active: bool = True,
    appointment: Appointment | None = None,
    taken_at: dt.datetime | None = None,
    channel: Channel | str = Channel.WEB,
    replace: bool = False,
) -> Measurement:
    """A range-of-motion measurement (REFERENCE §1.5), checked against the catalogue's motion and limits."""
    _require(actor, "outcomes.add_measurement", patient)
    if method not in ROM_METHODS:
        raise DomainError(f"{method!r} is not a method ({', '.join(ROM_METHODS)}).", field="method")
    try:
        result = rom_check(RomMeasurement(motion, value, side=side or None))
    except RomError as exc:
        raise DomainError(exc.message, field=exc.field) from exc
    _visit(patient, appointment)
    reference = result.primary.reference
    return _save(
        Measurement(
            patient=patient,
            appointment=appointment,
            measure="rom",
            value=result.value,
            unit=result.motion.unit,
            motion=motion,
            side=side or "",
            method=method,
            active=active,
            reference_label=reference.label,
            reference_value=reference.value if reference.value is not None else reference.value_min,
            taken_at=taken_at or now(),
            channel=channel,
            recorded_by=actor,
        ),
        replace,
    )


def rating_record(
    *,
    actor: User,
    patient: Patient,
    measure: str,
    value: int,
    appointment: Appointment | None = None,
    taken_at: dt.datetime | None = None,
    channel: Channel | str = Channel.WEB,
    replace: bool = False,
) -> Measurement:
    """A 0–10 wellbeing rating (stress, sleep, mood) for a relaxation visit."""
    _require(actor, "outcomes.add_measurement", patient)
    if measure not in WELLBEING:
        raise DomainError(f"{measure!r} is not a rating ({', '.join(WELLBEING)}).", field="measure")
    inst = instrument(measure)
    try:
        score = inst.score({inst.items[0].key: value})
    except AnswerError as exc:
        raise DomainError(f"{exc.message}.", field="value") from exc
    _visit(patient, appointment)
    assert score.value is not None
    return _save(
        Measurement(
            patient=patient,
            appointment=appointment,
            measure=measure,
            value=score.value,
            unit=inst.unit,
            taken_at=taken_at or now(),
            channel=channel,
            recorded_by=actor,
        ),
        replace,
    )


def measurement_void(*, actor: User, measurement: Measurement, reason: str) -> Measurement:
    """Mark a measurement entered in error (it stays in the record, struck through)."""
    _require(actor, "outcomes.void_measurement", measurement.patient)
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise DomainError("Say why the value is void (up to 300 characters).", field="reason")
    if measurement.voided_at is not None:
        raise Conflict("This measurement is already void.", field="measurement", code="already_void")
    if measurement.response_id is not None:
        raise DomainError("A questionnaire's score is not voided on its own.", field="measurement")
    _visit(measurement.patient, measurement.appointment)
    measurement.voided_at = now()
    measurement.voided_by = actor
    measurement.void_reason = reason
    measurement.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    return measurement


def _answers_field(exc: AnswerError) -> str:
    return f"answers.{exc.item}" if exc.item is not None else "answers"


@transaction.atomic
def response_record(
    *,
    actor: User,
    patient: Patient,
    instrument_key: str,
    answers: Mapping[str, int | None],
    appointment: Appointment | None = None,
    channel: Channel | str = Channel.PORTAL,
    due_reason: str = "",
    language: str = "en",
) -> QuestionnaireResponse:
    """A filled questionnaire: item answers scored by the engine (missing-item rules included) and stored
    with its score; the score is also a measurement, so progress reads one series per instrument."""
    _require(actor, "outcomes.add_response", patient)
    if instrument_key not in instruments() or instrument_key not in (*QUESTIONNAIRES, *SCREENERS, *WELLBEING):
        raise DomainError(f"{instrument_key!r} is not a questionnaire.", field="instrument")
    text = offered_instruments(language).get(instrument_key)
    if text is None:
        raise DomainError(
            f"{instrument(instrument_key).name} is not offered: the clinic has no licensed text for it "
            "(load it as an instrument pack).",
            field="instrument",
            code="no_text",
        )
    if not isinstance(answers, Mapping) or not answers:
        raise DomainError(
            "Give an answer per item (item key → points of the chosen answer).", field="answers"
        )
    inst = instrument(instrument_key)
    try:
        score = inst.score(dict(answers))
    except AnswerError as exc:
        raise DomainError(f"{exc.message}.", field=_answers_field(exc)) from exc
    except InstrumentError as exc:
        raise DomainError(str(exc), field="answers") from exc
    if score.value is None:
        raise DomainError(
            f"{inst.name} cannot be scored: {score.reason}.", field="answers", code="unscorable"
        )
    _visit(patient, appointment)
    at = now()
    response = QuestionnaireResponse.objects.create(
        patient=patient,
        appointment=appointment,
        instrument=instrument_key,
        pack=text.pack,
        text_version=text.version,
        language=text.language,
        answers=dict(answers),
        score=score.value,
        detail={
            "subscales": dict(score.subscales),
            "alternates": dict(score.alternates),
            "missing": list(score.missing),
            "band": score.band,
            "notes": list(score.notes),
        },
        due_reason=due_reason,
        channel=channel,
        completed_at=at,
        entered_by=actor,
    )
    try:
        with transaction.atomic():
            Measurement.objects.create(
                patient=patient,
                appointment=appointment,
                measure=instrument_key,
                value=score.value,
                unit=score.unit,
                response=response,
                taken_at=at,
                channel=channel,
                recorded_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(
            f"{inst.name} was already filled for this visit.", field="instrument", code="already_recorded"
        ) from exc
    return response
