"""Referrals and clearances: referrers send their own; the front desk enters faxed or phoned ones."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

import pydantic
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kneadwell.accounts.models import AuditAction, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.api.auth import api_user
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.errors import DomainError
from kneadwell.patients.selectors import patient_scope
from kneadwell.patients.services import patient_create
from kneadwell.referrals.models import (
    Clearance,
    ClearanceScope,
    ClearanceStatus,
    Referral,
    ReferralChannel,
    ReferralStatus,
    ReferringProvider,
)
from kneadwell.referrals.selectors import clearance_scope, referral_scope
from kneadwell.referrals.services import (
    clearance_decide,
    clearance_grant,
    clearance_request,
    referral_create,
    referral_set_status,
)

from .clinical import AreaOut, DiagnosisOut
from .idempotency import idempotent
from .patients import CreateOptions, DuplicatePatientOut
from .schemas import (
    DETAIL_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InSchema,
    KeysetParams,
    PageParams,
    keyset_page,
    paginate,
)

router = Router(tags=["referrals"])


class Ref(Schema):
    id: UUID
    name: str


class ReferralOut(Schema):
    id: UUID
    patient: Ref
    provider: Ref
    received_on: dt.date
    channel: ReferralChannel
    status: ReferralStatus
    status_note: str
    reason: str = Field(description="Why massage is recommended.")
    diagnoses: list[DiagnosisOut]
    areas: list[AreaOut] = Field(description="Where to work.")
    requested_sessions: int | None
    requested_frequency_per_week: int | None
    precautions: str


class ReferralPage(Schema):
    items: list[ReferralOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    count: int | None = Field(description="The total number of matches, when asked for with `count=true`.")


class NewPatientIn(InSchema):
    given_name: str = Field(min_length=1, max_length=80)
    family_name: str = Field(min_length=1, max_length=80)
    birth_date: dt.date
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)


class ReferralIn(InSchema):
    patient: UUID | None = Field(None, description="An existing patient you can see; or give `new_patient`.")
    new_patient: NewPatientIn | None = None
    provider: UUID | None = Field(
        None, description="Clinic staff: the referring provider. Referrers send their own."
    )
    received_on: dt.date | None = None
    channel: ReferralChannel = ReferralChannel.API
    reason: str = Field("", max_length=4000, description="Why massage is recommended.")
    diagnoses: list[DiagnosisIn] = Field(min_length=1, max_length=10)
    areas: list[AreaIn] = Field(default=[], max_length=17)
    requested_sessions: int | None = Field(None, ge=1, le=100)
    requested_frequency_per_week: int | None = Field(None, ge=1, le=7)
    precautions: str = Field("", max_length=4000)


class StatusIn(InSchema):
    status: ReferralStatus
    note: str = Field("", max_length=500)
    expected_status: ReferralStatus | None = Field(
        None,
        description="The status you decided on; if the referral's status differs by now, 409 (nothing changes).",
    )


class ClearanceOut(Schema):
    id: UUID
    patient: Ref
    provider: Ref
    referral: UUID | None
    scope: ClearanceScope
    flag: str = Field("", description="For scope “flag”: the screening flag the evaluation clears.")
    region: str = Field(description="Region key from the catalogue; empty for the whole body.")
    side: Literal["left", "right", "bilateral", ""] = Field(description="Empty when the region has none.")
    status: ClearanceStatus
    granted_on: dt.date | None
    expires_on: dt.date | None
    note: str


class ClearancePage(Schema):
    items: list[ClearanceOut]
    count: int


class ClearanceIn(InSchema):
    scope: ClearanceScope
    flag: str = Field(
        "",
        max_length=60,
        description="With scope `flag`: the catalogue flag a documented medical evaluation clears, e.g. "
        "`snoop_onset_after_50`; it lifts that referral out.",
    )
    region: str | None = Field(None, max_length=40)
    side: Literal["left", "right", "bilateral"] | None = None
    granted_on: dt.date | None = None
    expires_on: dt.date | None = None
    note: str = Field("", max_length=2000)

    def area(self) -> AreaIn | None:
        if not self.region:
            return None
        try:
            return AreaIn(region=self.region, side=self.side)
        except pydantic.ValidationError as exc:
            # AreaIn checks the region against the catalogue after ninja's own validation
            # has passed, so its refusal must become a 422 here, not escape as a 500.
            message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise DomainError(message, field="region") from None


class ClearanceRequestIn(ClearanceIn):
    provider: UUID


class ReferralStateOut(Schema):
    status: ReferralStatus
    status_note: str


class ReferralConflictOut(ErrorOut):
    """409: the referral changed since it was read (or cannot take this step from its state)."""

    current: ReferralStateOut = Field(description="The referral's status and note as stored now.")


class ClearanceStateOut(Schema):
    status: ClearanceStatus
    granted_on: dt.date | None
    expires_on: dt.date | None


class ClearanceConflictOut(ErrorOut):
    """409: the clearance was already decided (e.g. a racing request won)."""

    current: ClearanceStateOut = Field(description="The decision as stored: the one that stands.")


class DecisionIn(InSchema):
    grant: bool
    expires_on: dt.date | None = None
    note: str = Field("", max_length=2000)


def _ref(obj: object, name: str) -> dict[str, object]:
    return {"id": obj.public_id, "name": name}  # type: ignore[attr-defined]  # both provider kinds carry a public_id


def _referral_out(r: Referral) -> dict[str, object]:
    return {
        "id": r.public_id,
        "patient": _ref(r.patient, r.patient.full_name),
        "provider": _ref(r.provider, r.provider.name),
        **{
            f: getattr(r, f)
            for f in (
                "received_on",
                "channel",
                "status",
                "status_note",
                "reason",
                "diagnoses",
                "areas",
                "requested_sessions",
                "requested_frequency_per_week",
                "precautions",
            )
        },
    }


def _clearance_out(c: Clearance) -> dict[str, object]:
    return {
        "id": c.public_id,
        "patient": _ref(c.patient, c.patient.full_name),
        "provider": _ref(c.provider, c.provider.name),
        "referral": c.referral.public_id if c.referral_id else None,  # type: ignore[union-attr]  # referral is set when referral_id is
        **{
            f: getattr(c, f)
            for f in ("scope", "flag", "region", "side", "status", "granted_on", "expires_on", "note")
        },
    }


def _audit(
    request: HttpRequest, action: AuditAction, object_type: str, obj: object, patient_ids: list
) -> None:
    audit_record(
        actor=request.user if isinstance(request.user, User) else None,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", ""),
        patient_ids=patient_ids,
        channel="api",
        request=request,
    )


class ReferralFilters(Schema):
    status: ReferralStatus | None = None


@router.get(
    "/referrals", response={200: ReferralPage, **READ_ERRORS}, summary="List the referrals you may see"
)
def list_referrals(
    request: HttpRequest, page: Query[KeysetParams], filters: Query[ReferralFilters]
) -> dict[str, object]:
    # Keyset pages newest first on the (received_on, id) index, or (status, received_on, id) with a
    # status: the last page costs what the first does, and the total is counted only when asked for.
    qs = referral_scope(request.user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    items, next_cursor, count = keyset_page(qs, page, order=("-received_on", "-id"))
    if items:
        _audit(request, AuditAction.READ, "referral_list", None, [r.patient.public_id for r in items])
    return {"items": [_referral_out(r) for r in items], "next_cursor": next_cursor, "count": count}


@router.post(
    "/referrals",
    response={201: ReferralOut, 409: DuplicatePatientOut, **WRITE_ERRORS},
    summary="Send or record a referral",
    description=(
        "Clinic staff: a `new_patient` who looks like a patient on file is a 409 with the `matches`; "
        "refer the existing `patient` instead, or send `?confirm_new=true`. A referrer's new patient "
        "is always accepted as sent (the clinic reconciles records); nothing tells a referrer whether "
        "someone is already a patient here."
    ),
)
@idempotent
def create_referral(request: HttpRequest, payload: ReferralIn, options: Query[CreateOptions]) -> Status:
    actor = api_user(request)
    if (payload.patient is None) == (payload.new_patient is None):
        raise DomainError("Give either an existing `patient` or a `new_patient`.", field="patient")
    provider = None
    if payload.provider is not None:
        provider = ReferringProvider.objects.filter(public_id=payload.provider).first()
        if provider is None:
            raise DomainError("No such referring provider.", field="provider")
    with transaction.atomic():
        if payload.patient is not None:
            patient = patient_scope(actor).filter(public_id=payload.patient).first()
            if patient is None:
                raise DomainError("No such patient among those you can see.", field="patient")
        else:
            assert payload.new_patient is not None
            patient = patient_create(
                actor=actor,
                referred=True,
                confirm_new=options.confirm_new,
                **payload.new_patient.model_dump(),
            )
        referral = referral_create(
            actor=actor,
            patient=patient,
            provider=provider,
            received_on=payload.received_on,
            channel=payload.channel,
            reason=payload.reason,
            diagnoses=payload.diagnoses,
            areas=payload.areas,
            requested_sessions=payload.requested_sessions,
            requested_frequency_per_week=payload.requested_frequency_per_week,
            precautions=payload.precautions,
        )
    _audit(request, AuditAction.CREATE, "referral", referral, [patient.public_id])
    return Status(201, _referral_out(referral))


@router.get("/referrals/{id}", response={200: ReferralOut, **DETAIL_ERRORS}, summary="One referral")
def get_referral(request: HttpRequest, id: UUID) -> dict[str, object]:
    referral = get_in_scope_or_404(referral_scope(request.user), id, request=request)
    _audit(request, AuditAction.READ, "referral", referral, [referral.patient.public_id])
    return _referral_out(referral)


@router.post(
    "/referrals/{id}/status",
    response={200: ReferralOut, 404: ErrorOut, 409: ReferralConflictOut, **WRITE_ERRORS},
    summary="Triage, schedule, decline or discharge a referral (clinic staff)",
    description=(
        "A compare-and-set on the referral's status: of requests racing to change it, one is "
        "stored and the others get 409 with the referral's status and note as they stand "
        "(`current`). A step the journey does not allow from the current status is also 409."
    ),
)
def set_referral_status(request: HttpRequest, id: UUID, payload: StatusIn) -> dict[str, object]:
    referral = get_in_scope_or_404(referral_scope(request.user), id, request=request)
    referral_set_status(
        actor=api_user(request),
        referral=referral,
        status=payload.status,
        note=payload.note,
        expected_status=payload.expected_status,
    )
    _audit(request, AuditAction.UPDATE, "referral", referral, [referral.patient.public_id])
    return _referral_out(referral)


@router.post(
    "/referrals/{id}/clearances",
    response={201: ClearanceOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Grant a clearance for this referral's patient (the referrer, or staff from a letter)",
)
@idempotent
def grant_clearance(request: HttpRequest, id: UUID, payload: ClearanceIn) -> Status:
    referral = get_in_scope_or_404(referral_scope(request.user), id, request=request)
    clearance = clearance_grant(
        actor=api_user(request),
        patient=referral.patient,
        provider=referral.provider,
        referral=referral,
        scope=payload.scope,
        area=payload.area(),
        granted_on=payload.granted_on,
        expires_on=payload.expires_on,
        note=payload.note,
        flag=payload.flag,
    )
    _audit(request, AuditAction.CREATE, "clearance", clearance, [referral.patient.public_id])
    return Status(201, _clearance_out(clearance))


@router.get("/clearances", response={200: ClearancePage, **READ_ERRORS}, summary="Clearances you may see")
def list_clearances(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    qs = clearance_scope(request.user).select_related("referral").order_by("-created_at", "-id")
    items, count = paginate(qs, page)
    if items:
        _audit(request, AuditAction.READ, "clearance_list", None, [c.patient.public_id for c in items])
    return {"items": [_clearance_out(c) for c in items], "count": count}


@router.post(
    "/patients/{id}/clearance-requests",
    response={201: ClearanceOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Ask a provider for a clearance (clinic staff, therapists)",
)
@idempotent
def request_clearance(request: HttpRequest, id: UUID, payload: ClearanceRequestIn) -> Status:
    patient = get_in_scope_or_404(patient_scope(request.user), id, request=request)
    provider = ReferringProvider.objects.filter(public_id=payload.provider).first()
    if provider is None:
        raise DomainError("No such referring provider.", field="provider")
    clearance = clearance_request(
        actor=api_user(request),
        patient=patient,
        provider=provider,
        scope=payload.scope,
        area=payload.area(),
        note=payload.note,
        flag=payload.flag,
    )
    _audit(request, AuditAction.CREATE, "clearance", clearance, [patient.public_id])
    return Status(201, _clearance_out(clearance))


@router.post(
    "/clearances/{id}/decision",
    response={200: ClearanceOut, 404: ErrorOut, 409: ClearanceConflictOut, **WRITE_ERRORS},
    summary="Grant or decline a requested clearance (the provider asked)",
    description=(
        "Decided once: of requests racing to decide it, one is stored and the others (and any "
        "later one) get 409 with the decision that stands (`current`)."
    ),
)
def decide_clearance(request: HttpRequest, id: UUID, payload: DecisionIn) -> dict[str, object]:
    # A decided clearance is still found (409 with its decision), not hidden as a 404: the
    # loser of a race must learn what was decided.
    clearance = get_in_scope_or_404(clearance_scope(request.user), id, request=request)
    clearance_decide(
        actor=api_user(request),
        clearance=clearance,
        grant=payload.grant,
        expires_on=payload.expires_on,
        note=payload.note,
    )
    _audit(request, AuditAction.UPDATE, "clearance", clearance, [clearance.patient.public_id])
    return _clearance_out(clearance)
