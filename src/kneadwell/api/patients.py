"""Patients: each user sees the patients in their scope; clinic staff register them; PATCH by field rights."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from kneadwell.accounts.models import AuditAction, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.api.auth import api_user
from kneadwell.lib.errors import DomainError
from kneadwell.patients.merging import MergeResult, patient_merge, patient_unmerge
from kneadwell.patients.models import Lighting, Music, Patient, Pressure, TherapistGenderPreference
from kneadwell.patients.selectors import merged_patient_scope, patient_scope
from kneadwell.patients.services import patient_create, patient_update

from .idempotency import idempotent
from .schemas import (
    DETAIL_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InSchema,
    KeysetParams,
    PatchSchema,
    keyset_page,
)

router = Router(tags=["patients"])

Area = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class PatientOut(Schema):
    id: UUID = Field(alias="public_id")
    given_name: str
    family_name: str
    birth_date: dt.date
    email: str
    phone: str
    address_line: str
    city: str
    postal_code: str
    pressure: Pressure
    lighting: Lighting
    music: Music
    therapist_gender: TherapistGenderPreference
    therapist_gender_required: bool
    areas_to_avoid: list[str]
    oil_allergies: str


class PatientMatch(Schema):
    id: UUID
    given_name: str
    family_name: str
    birth_date: dt.date


class DuplicatePatientOut(ErrorOut):
    """409: the new patient looks like one on file (same name and birth date, and phone or e-mail)."""

    matches: list[PatientMatch] = Field(
        description="The patients on file, oldest first: use one, or send `?confirm_new=true` if this is someone else."
    )


class CreateOptions(Schema):
    confirm_new: bool = Field(
        False,
        description=(
            "Clinic staff: register the patient even though they look like one on file (you have "
            "checked that this is someone else). Without it, such a patient is a 409 naming the matches."
        ),
    )


class PatientPage(Schema):
    items: list[PatientOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    count: int | None = Field(description="The total number of matches, when asked for with `count=true`.")


class PatientIn(InSchema):
    given_name: str = Field(min_length=1, max_length=80)
    family_name: str = Field(min_length=1, max_length=80)
    birth_date: dt.date = Field(description="Not in the future, not before 1900.")
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    address_line: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    pressure: Pressure = Pressure.MEDIUM
    lighting: Lighting = Lighting.NO_PREFERENCE
    music: Music = Music.NO_PREFERENCE
    therapist_gender: TherapistGenderPreference = TherapistGenderPreference.ANY
    therapist_gender_required: bool = False
    areas_to_avoid: list[Area] = Field(default=[], max_length=30)
    oil_allergies: str = Field("", max_length=200)


# An absent field is left alone; an explicit null is an error.
class PatientPatch(PatchSchema):
    given_name: str | None = Field(None, min_length=1, max_length=80)
    family_name: str | None = Field(None, min_length=1, max_length=80)
    birth_date: dt.date | None = Field(None, description="Not in the future, not before 1900.")
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    address_line: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    postal_code: str | None = Field(None, max_length=20)
    pressure: Pressure | None = Field(None)
    lighting: Lighting | None = Field(None)
    music: Music | None = Field(None)
    therapist_gender: TherapistGenderPreference | None = Field(None)
    therapist_gender_required: bool | None = Field(None)
    areas_to_avoid: list[Area] | None = Field(None, max_length=30)
    oil_allergies: str | None = Field(None, max_length=200)


def _audit(
    request: HttpRequest,
    action: AuditAction,
    patients: list[Patient],
    object_id: object = "",
    detail: dict[str, object] | None = None,
) -> None:
    audit_record(
        actor=request.user if isinstance(request.user, User) else None,
        action=action,
        object_type="patient",
        object_id=object_id,
        patient_ids=[patient.public_id for patient in patients],
        channel="api",
        request=request,
        detail=detail,
    )


@router.get("/patients", response={200: PatientPage, **READ_ERRORS}, summary="List the patients you may see")
def list_patients(request: HttpRequest, page: Query[KeysetParams]) -> dict[str, object]:
    # Keyset pages in name order on the (family_name, given_name, id) index: the last page costs what
    # the first does, and the scope is counted only when asked for.
    items, next_cursor, count = keyset_page(
        patient_scope(request.user), page, order=("family_name", "given_name", "id")
    )
    if items:
        _audit(request, AuditAction.READ, items)
    return {"items": items, "next_cursor": next_cursor, "count": count}


@router.post(
    "/patients",
    response={201: PatientOut, 409: DuplicatePatientOut, **WRITE_ERRORS},
    summary="Register a patient (front desk, clinic admins)",
    description=(
        "A patient who looks like one on file (same given and family name, ignoring case and accents, "
        "same birth date, and the same phone number or e-mail) is not registered twice: 409 with the "
        "`matches`. Send `?confirm_new=true` once you have checked that this is someone else."
    ),
)
@idempotent
def create_patient(request: HttpRequest, payload: PatientIn, options: Query[CreateOptions]) -> Status:
    patient = patient_create(
        actor=api_user(request),
        confirm_new=options.confirm_new,
        **payload.model_dump(),
    )
    _audit(request, AuditAction.CREATE, [patient], patient.public_id)
    return Status(201, patient)


@router.get("/patients/{id}", response={200: PatientOut, **DETAIL_ERRORS}, summary="One patient")
def get_patient(request: HttpRequest, id: UUID) -> Patient:
    patient = get_in_scope_or_404(patient_scope(request.user), id, request=request)
    _audit(request, AuditAction.READ, [patient], patient.public_id)
    return patient


@router.patch(
    "/patients/{id}",
    response={200: PatientOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Change some of a patient's fields",
)
def update_patient(request: HttpRequest, id: UUID, payload: PatientPatch) -> Patient:
    patient = get_in_scope_or_404(patient_scope(request.user), id, request=request)
    data = payload.model_dump(exclude_unset=True)
    patient = patient_update(actor=api_user(request), patient=patient, data=data)
    # Which fields changed, not their values: the trail must not become a copy of the chart.
    _audit(request, AuditAction.UPDATE, [patient], patient.public_id, {"fields": sorted(data)})
    return patient


# --- Merging duplicate records ---------------------------------------------------------------------


class MergeIn(InSchema):
    source: UUID = Field(description="The other record of the same person: it is merged into this one.")


class MergeOut(Schema):
    merge_id: UUID = Field(description="Names the merge in the audit trail (`object_id` of its events).")
    target: PatientOut = Field(description="The record kept.")
    source: PatientOut = Field(description="The record merged into it (after an undo: separate again).")
    moved: dict[str, int] = Field(
        description="How many rows moved, by relation (`app.model.field`, e.g. `referrals.referral.patient`)."
    )


def _merge_out(result: MergeResult) -> dict[str, object]:
    # Validated against MergeOut by ninja on the way out (PatientOut reads the model's attributes).
    return {
        "merge_id": result.merge_id,
        "target": result.target,
        "source": result.source,
        "moved": result.moved,
    }


@router.post(
    "/patients/{id}/merge",
    response={200: MergeOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Merge another record of the same person into this one (front desk, clinic admins)",
    description=(
        "Every row of `source` (intakes, referrals, clearances, plans of care, appointments, hand-offs, "
        "care team) moves to this patient; `source` is then out of every scope. Recorded in the audit "
        "trail with what moved, and undone with `POST /patients/{source}/unmerge`. 409 when one of the "
        "records is already merged, or the database refuses to combine their rows (overlapping appointments)."
    ),
)
def merge_patient(request: HttpRequest, id: UUID, payload: MergeIn) -> dict[str, object]:
    target = get_in_scope_or_404(patient_scope(request.user), id, request=request)
    if not request.user.has_perm("patients.merge_patient"):
        raise PermissionDenied(
            "You do not have permission to merge patient records: the front desk does that."
        )
    source = patient_scope(request.user).filter(public_id=payload.source).first()
    if source is None:
        raise DomainError("No such patient among those you can see.", field="source")
    result = patient_merge(
        actor=api_user(request),
        source=source,
        target=target,
        request=request,
        channel="api",
    )
    return _merge_out(result)


@router.post(
    "/patients/{id}/unmerge",
    response={200: MergeOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Undo the merge of this record into another (front desk, clinic admins)",
    description=(
        "`id` is the record that was merged away. The rows that moved (as the merge's audit event "
        "recorded them) and are still with the kept record move back; rows recorded since stay."
    ),
)
def unmerge_patient(request: HttpRequest, id: UUID) -> dict[str, object]:
    source = get_in_scope_or_404(merged_patient_scope(request.user), id, request=request)
    result = patient_unmerge(
        actor=api_user(request),
        source=source,
        request=request,
        channel="api",
    )
    return _merge_out(result)
