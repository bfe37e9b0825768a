"""The waitlist: requests (join, list, cancel) and the offers of freed slots (list, accept, decline).

Staff see and act on every request; a patient on their own. Therapists and referrers see none (their
lists are empty, a single id is 404). Accepting books the held slot (the offer's hold becomes the
appointment); two acceptances at once give one booking and one 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role, User
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import zone
from kneadwell.patients.selectors import patient_scope
from kneadwell.referrals.selectors import referral_scope
from kneadwell.waitlist.models import (
    OPEN_REQUEST_STATUSES,
    OfferStatus,
    RequestStatus,
    WaitlistOffer,
    WaitlistRequest,
)
from kneadwell.waitlist.selectors import offer_scope, ranked_requests, request_scope
from kneadwell.waitlist.services import offer_accept, offer_decline, request_cancel, request_create

from .idempotency import idempotent
from .scheduling import (
    AppointmentDetailOut,
    LocationRef,
    PersonRef,
    ServiceRef,
    _location,
    _service,
    _therapist,
)
from .schemas import DETAIL_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut, InSchema, WallClockTime

router = Router(tags=["waitlist"])

STATUS_ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 404: ErrorOut, 409: ErrorOut}


class WaitlistRequestIn(InSchema):
    patient: UUID
    service: str = Field(description="Service code, e.g. therapeutic-60.")
    location: UUID
    first_day: dt.date = Field(description="Local date from which a time suits (today or later).")
    last_day: dt.date = Field(description="Local date until which a time suits (inclusive).")
    weekdays: list[int] = Field(
        default=[0, 1, 2, 3, 4], description="Local weekdays that suit: 0 = Monday … 6 = Sunday."
    )
    earliest_time: WallClockTime = Field(description="Local time the session may start from.")
    latest_time: WallClockTime = Field(description="Local time the session must end by.")
    therapists: list[UUID] = Field(default=[], description="Acceptable therapists; empty: any.")
    urgency: Literal["routine", "soon", "urgent"] = Field("routine", description="Staff only.")
    referral: UUID | None = Field(None, description="The referral whose urgency this carries (staff only).")
    note: str = Field("", max_length=500)


class OfferOut(Schema):
    id: UUID
    request: UUID
    patient: PersonRef
    therapist: PersonRef
    location: LocationRef
    service: ServiceRef
    start: dt.datetime = Field(description="UTC instant.")
    end: dt.datetime = Field(description="UTC instant.")
    local_start: dt.datetime = Field(description="The start in the location's time zone, with its offset.")
    expires_at: dt.datetime = Field(description="UTC instant: the hold is released then.")
    status: OfferStatus
    reasons: list[str] = Field(description="Why this request was first in line for the slot.")


class WaitlistRequestOut(Schema):
    id: UUID
    patient: PersonRef
    service: ServiceRef
    location: LocationRef
    first_day: dt.date
    last_day: dt.date
    weekdays: list[int]
    earliest_time: str
    latest_time: str
    therapists: list[PersonRef]
    urgency: str
    status: RequestStatus
    created_at: dt.datetime
    position: int | None = Field(None, description="Place in line among the open requests (1 = first).")
    reasons: list[str] = Field([], description="Why the request stands where it does.")
    offer: OfferOut | None = Field(None, description="The open offer, if one is out.")


class WaitlistPage(Schema):
    items: list[WaitlistRequestOut]
    count: int


class OfferPage(Schema):
    items: list[OfferOut]
    count: int


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _offer_out(offer: WaitlistOffer) -> dict[str, Any]:
    item = offer.request
    location = item.location
    return {
        "id": offer.public_id,
        "request": item.public_id,
        "patient": {"id": item.patient.public_id, "name": item.patient.full_name},
        "therapist": {"id": offer.therapist.public_id, "name": offer.therapist.full_name},
        "location": {"id": location.public_id, "name": location.name, "time_zone": location.time_zone},
        "service": {"code": item.service.code, "name": item.service.name},
        "start": offer.start.astimezone(dt.UTC),
        "end": offer.end.astimezone(dt.UTC),
        "local_start": offer.start.astimezone(zone(location.time_zone)),
        "expires_at": offer.expires_at.astimezone(dt.UTC),
        "status": offer.status,
        "reasons": list(offer.reasons),
    }


def _request_out(
    item: WaitlistRequest, position: int | None = None, reasons: tuple[str, ...] = ()
) -> dict[str, Any]:
    location = item.location
    offer = next((o for o in item.offers.all() if o.status == OfferStatus.OPEN), None)
    return {
        "id": item.public_id,
        "patient": {"id": item.patient.public_id, "name": item.patient.full_name},
        "service": {"code": item.service.code, "name": item.service.name},
        "location": {"id": location.public_id, "name": location.name, "time_zone": location.time_zone},
        "first_day": item.first_day,
        "last_day": item.last_day,
        "weekdays": list(item.weekdays),
        "earliest_time": item.earliest_time.strftime("%H:%M"),
        "latest_time": item.latest_time.strftime("%H:%M"),
        "therapists": [{"id": t.public_id, "name": t.full_name} for t in item.therapists.all()],
        "urgency": item.urgency,
        "status": item.status,
        "created_at": item.created_at,
        "position": position,
        "reasons": list(reasons),
        "offer": _offer_out(offer) if offer is not None else None,
    }


def _audit(request: HttpRequest, kind: str, patients: list[Any], object_id: object = "") -> None:
    audit_record(
        actor=_actor(request),
        action=AuditAction.READ,
        object_type=kind,
        object_id=object_id,
        patient_ids=list(dict.fromkeys(p.public_id for p in patients)),
        channel="api",
        request=request,
    )


@router.get(
    "/waitlist/requests",
    response={200: WaitlistPage, **READ_ERRORS},
    summary="The waitlist you may see: open requests in clinical-priority order, with reasons, then the rest",
)
def list_requests(request: HttpRequest, closed: bool = False) -> dict[str, Any]:
    scope = request_scope(request.user)
    open_items = ranked_requests(scope.filter(status__in=OPEN_REQUEST_STATUSES))  # offers prefetched there
    items = [_request_out(r.request, r.ranked.position, r.ranked.reasons) for r in open_items]
    if closed:
        closed_items = scope.exclude(status__in=OPEN_REQUEST_STATUSES).prefetch_related("offers__therapist")
        items += [_request_out(item) for item in closed_items.order_by("-created_at")]
    patients = [r.request.patient for r in open_items]
    if patients:
        _audit(request, "waitlist_request", patients)
    return {"items": items, "count": len(items)}


@router.post(
    "/waitlist/requests",
    response={201: WaitlistRequestOut, **STATUS_ERRORS},
    summary="Join the waitlist (staff for any patient, a patient for themself)",
)
@idempotent
def create_request(request: HttpRequest, payload: WaitlistRequestIn) -> Status:
    actor = _actor(request)
    if actor.role not in (*STAFF_ROLES, Role.PATIENT):
        raise PermissionDenied("You do not have permission to put patients on the waitlist.")
    patient = get_in_scope_or_404(patient_scope(actor), payload.patient)
    referral = None
    if payload.referral is not None:
        referral = referral_scope(actor).filter(public_id=payload.referral).first()
        if referral is None:
            raise DomainError("No such referral.", field="referral")
    item = request_create(
        actor=actor,
        patient=patient,
        service=_service(payload.service),
        location=_location(payload.location),
        first_day=payload.first_day,
        last_day=payload.last_day,
        weekdays=payload.weekdays,
        earliest_time=payload.earliest_time,
        latest_time=payload.latest_time,
        therapists=[_therapist(request, t) for t in payload.therapists],
        urgency=payload.urgency,
        referral=referral,
        note=payload.note,
        via="api",
        request=request,
    )
    return Status(201, _request_out(item))


@router.get(
    "/waitlist/requests/{id}", response={200: WaitlistRequestOut, **DETAIL_ERRORS}, summary="One request"
)
def get_request(request: HttpRequest, id: UUID) -> dict[str, Any]:
    item = get_in_scope_or_404(request_scope(request.user), id, request=request)
    _audit(request, "waitlist_request", [item.patient], item.public_id)
    return _request_out(item)


@router.post(
    "/waitlist/requests/{id}/cancel",
    response={200: WaitlistRequestOut, **STATUS_ERRORS},
    summary="Leave the waitlist (an open offer is withdrawn and offered to the next)",
)
def cancel_request(request: HttpRequest, id: UUID) -> dict[str, Any]:
    item = get_in_scope_or_404(request_scope(request.user), id, request=request)
    return _request_out(request_cancel(actor=_actor(request), item=item, via="api", request=request))


@router.get(
    "/waitlist/offers", response={200: OfferPage, **READ_ERRORS}, summary="Offers you may see, newest first"
)
def list_offers(request: HttpRequest, status: OfferStatus | None = None) -> dict[str, Any]:
    qs = offer_scope(request.user)
    if status is not None:
        qs = qs.filter(status=status)
    offers = list(qs[:200])
    if offers:
        _audit(request, "waitlist_offer", [o.request.patient for o in offers])
    return {"items": [_offer_out(o) for o in offers], "count": len(offers)}


@router.post(
    "/waitlist/offers/{id}/accept",
    response={200: AppointmentDetailOut, **STATUS_ERRORS},
    summary="Accept an offer: the held slot is booked (409 when expired, taken or already answered)",
)
def accept_offer(request: HttpRequest, id: UUID) -> Any:
    offer = get_in_scope_or_404(offer_scope(request.user), id, request=request)
    return offer_accept(actor=_actor(request), offer=offer, via="api", request=request)


@router.post(
    "/waitlist/offers/{id}/decline",
    response={200: OfferOut, **STATUS_ERRORS},
    summary="Decline an offer: the slot is offered to the next request",
)
def decline_offer(request: HttpRequest, id: UUID) -> dict[str, Any]:
    offer = get_in_scope_or_404(offer_scope(request.user), id, request=request)
    return _offer_out(offer_decline(actor=_actor(request), offer=offer, via="api", request=request))
