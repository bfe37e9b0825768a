"""Writes for the waitlist: requests (create, cancel), offers (make, accept, decline), the sweep.

How a freed slot travels:

1. Something frees a time: a cancellation or a move (scheduling's signals, see receivers.py), an
   offer declined or expired (here), new working hours or time off removed (`offer_open_times`, also
   run by the worker's sweep).
2. `offer_freed_time` ranks the waiting requests at that location (selectors.ranked_requests) and
   offers the time to the first whose window, service and therapists it fits, holding it for them:
   `scheduling.services.hold_create` writes an Appointment in status `held`, through the same guarded
   transaction as any booking, so the held time blocks everyone else (the PostgreSQL exclusion
   constraints count held rows; on SQLite the serialised re-check does).
3. The patient accepts (the hold becomes the booking: `hold_convert`), declines, or lets it expire
   (the clinic's `waitlist_hold_minutes`, default 2 hours): the hold is deleted and step 2 runs again
   without the patients already offered that time.

The races, and what closes each:

- W1, two acceptances of one offer at once (two tabs, a double tap, the patient and the desk): the
  offer's row is locked (SELECT ... FOR UPDATE; BEGIN IMMEDIATE on SQLite) before its status is read,
  so the second waits, then reads `accepted` and gets a 409. One booking.
- W2, an acceptance against the sweep expiring the same offer: both lock the offer's row first; the
  one that comes second sees the other's decision (accepted: nothing to expire; expired: 409).
- W3, an acceptance against a booking over the expired hold: the booking service deletes the expired
  hold in its own transaction (scheduling race H1); `hold_convert` locks the hold's row and finds it
  gone or expired (409), or converts first and the booking is refused (409).
- W4, two freed-slot offers for one time (a cancellation while the sweep re-offers it): each hold goes
  through the guarded booking transaction, so the second is refused like a second booking, and that
  request simply stays waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role, User
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import ClinicSettings, Location, Room, Service
from kneadwell.clinic.selectors import local_day_of, location_today
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import local_date, zone
from kneadwell.notifications.services import waitlist_offer as queue_offer_message
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral
from kneadwell.scheduling.gates import clinical_booking_gate
from kneadwell.scheduling.models import Appointment, Channel
from kneadwell.scheduling.policy import BookingPolicy
from kneadwell.scheduling.services import hold_convert, hold_create, hold_release
from kneadwell.scheduling.slots import check_bookable_here
from kneadwell.therapists.models import Therapist

from .models import OPEN_REQUEST_STATUSES, OfferStatus, RequestStatus, Urgency, WaitlistOffer, WaitlistRequest
from .ranking import fits
from .selectors import ranked_requests, window_of

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger("kneadwell.waitlist")


def hold_length() -> dt.timedelta:
    """The clinic's setting: how long an offered slot is held (default 2 hours)."""
    return dt.timedelta(minutes=ClinicSettings.current().waitlist_hold_minutes)


def _is_staff(actor: User) -> bool:
    return actor.role in STAFF_ROLES


def _own(actor: User, patient: Patient) -> bool:
    return actor.role == Role.PATIENT and patient.user_id == actor.pk


def _audit(
    *,
    actor: User | None,
    action: AuditAction,
    kind: str,
    obj: WaitlistRequest | WaitlistOffer,
    patient: Patient,
    via: str,
    request: HttpRequest | None,
    detail: dict[str, object],
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=kind,
        object_id=obj.public_id,
        patient_ids=[patient.public_id],
        channel=via,
        request=request,
        detail=detail,
    )


# --------------------------------------------------------------------------- requests


def request_create(
    *,
    actor: User,
    patient: Patient,
    service: Service,
    location: Location,
    first_day: dt.date,
    last_day: dt.date,
    weekdays: Iterable[int],
    earliest_time: dt.time,
    latest_time: dt.time,
    therapists: Iterable[Therapist] = (),
    urgency: str = Urgency.ROUTINE,
    referral: Referral | None = None,
    note: str = "",
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> WaitlistRequest:
    """Put `patient` on the waitlist for `service` at `location` within the window (local dates and times).

    Staff for any patient in their scope, a patient for themself (the caller fetched `patient` through
    the actor's scope). Only staff set the urgency or link a referral. Raises PermissionDenied (403),
    DomainError (422 naming the field: a window in the past or inverted, no weekday, a time range
    shorter than the session, a therapist not working here, a service not offered here) or Conflict
    (409: already waiting for this service here).
    """
    if not (_is_staff(actor) or _own(actor, patient)):
        raise PermissionDenied("You do not have permission to put this patient on the waitlist.")
    if not _is_staff(actor) and (urgency != Urgency.ROUTINE or referral is not None):
        raise PermissionDenied("You do not have permission to set a waitlist request's urgency.")
    if urgency not in Urgency.values:
        raise DomainError(f"Urgency is one of {', '.join(Urgency.values)}.", field="urgency")
    if referral is not None and referral.patient_id != patient.pk:
        raise DomainError("That referral is not this patient's.", field="referral")
    check_bookable_here(service=service, location=location)
    today = local_date(now, location.time_zone) if now is not None else location_today(location)
    if last_day < first_day:
        raise DomainError(
            "The window ends before it starts: last_day must be on or after first_day.",
            field="last_day",
            code="window_inverted",
        )
    if last_day < today:
        raise DomainError(
            f"The window has already passed (today is {today} at {location.name}).",
            field="last_day",
            code="window_past",
        )
    if first_day < today:
        raise DomainError(
            f"The window starts in the past: start on {today} or later.",
            field="first_day",
            code="window_past",
        )
    days = sorted(set(weekdays))
    if not days or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        raise DomainError("Choose at least one weekday (Monday = 0 … Sunday = 6).", field="weekdays")
    if (last_day - first_day).days < 6 and not any(
        (first_day + dt.timedelta(days=i)).weekday() in days for i in range((last_day - first_day).days + 1)
    ):
        raise DomainError("None of the chosen weekdays falls inside the dates.", field="weekdays")
    if latest_time <= earliest_time:
        raise DomainError(
            "The latest time must be after the earliest time.", field="latest_time", code="window_inverted"
        )
    span = dt.datetime.combine(first_day, latest_time) - dt.datetime.combine(first_day, earliest_time)
    if span < service.duration:
        raise DomainError(
            f"The times leave less than the session's {service.duration_minutes} minutes.",
            field="latest_time",
        )
    chosen = list(dict.fromkeys(therapists))
    for therapist in chosen:
        if not therapist.active or not therapist.locations.filter(pk=location.pk).exists():
            raise DomainError(f"{therapist.full_name} does not work at {location.name}.", field="therapists")
    with transaction.atomic():
        # One open request per patient, service and location: a second would only jump the queue.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if WaitlistRequest.objects.filter(
            patient=patient, service=service, location=location, status__in=OPEN_REQUEST_STATUSES
        ).exists():
            raise Conflict(
                f"{patient.given_name} is already waiting for {service.name} here.",
                field="service",
                code="already_waiting",
            )
        item = WaitlistRequest(
            patient=patient,
            service=service,
            location=location,
            first_day=first_day,
            last_day=last_day,
            weekdays=days,
            earliest_time=earliest_time,
            latest_time=latest_time,
            urgency=urgency,
            referral=referral,
            note=note,
            created_by=actor,
        )
        item.full_clean(exclude=["patient", "service", "location", "referral", "created_by"])
        item.save()
        item.therapists.set(chosen)
        _audit(
            actor=actor,
            action=AuditAction.CREATE,
            kind="waitlist_request",
            obj=item,
            patient=patient,
            via=via,
            request=request,
            detail={"event": "join", "urgency": urgency},
        )
    return item


def request_cancel(
    *,
    actor: User,
    item: WaitlistRequest,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> WaitlistRequest:
    """Take a request off the waitlist (its open offer, if any, is withdrawn and the time offered on)."""
    if not (_is_staff(actor) or _own(actor, item.patient)):
        raise PermissionDenied("You do not have permission to cancel this waitlist request.")
    now = now or clock_now()
    freed: WaitlistOffer | None = None
    with transaction.atomic():
        fresh = WaitlistRequest.objects.select_for_update().get(pk=item.pk)
        if fresh.status not in OPEN_REQUEST_STATUSES:
            raise Conflict(
                f"This request is already {fresh.get_status_display().lower()}.",
                field="status",
                code="invalid_transition",
            )
        offer = (
            WaitlistOffer.objects.select_for_update().filter(request=item, status=OfferStatus.OPEN).first()
        )
        if offer is not None:
            _close(offer, OfferStatus.WITHDRAWN, now)
            freed = offer
        item.status = RequestStatus.CANCELLED
        item.save(update_fields=["status", "updated_at"])
        _audit(
            actor=actor,
            action=AuditAction.UPDATE,
            kind="waitlist_request",
            obj=item,
            patient=item.patient,
            via=via,
            request=request,
            detail={"event": "cancel"},
        )
        if freed is not None:
            _offer_on(freed, now=now)
    return item


# --------------------------------------------------------------------------- offers


@dataclass(frozen=True)
class FreedTime:
    """A time a therapist and room have free: [start, free_until) (free_until: the blocked end)."""

    therapist: Therapist
    room: Room
    location: Location
    start: dt.datetime
    free_until: dt.datetime


def _accept_url(offer: WaitlistOffer) -> str:
    base = getattr(settings, "KNEADWELL_PUBLIC_URL", "")
    if not base:
        return ""
    try:
        return base + reverse("patient-waitlist")
    except NoReverseMatch:
        return ""


def _make_offer(
    item: WaitlistRequest,
    *,
    therapist: Therapist,
    room: Room,
    start: dt.datetime,
    reasons: tuple[str, ...],
    now: dt.datetime,
) -> WaitlistOffer | None:
    """Hold the time for `item` and offer it: None when the hold is refused (the time is taken or a
    rule refuses it); the request then stays waiting."""
    expires = min(now + hold_length(), start)
    on = local_day_of(start, item.location)

    def gate() -> None:
        # The same screening and matching a booking passes, for the session's local date, under the
        # therapist's lock: a time is never held for a patient who could not be booked into it.
        clinical_booking_gate(
            patient=item.patient,
            service=item.service,
            location=item.location,
            on=on,
            only=therapist,
            need_history=False,
        ).check_therapist(therapist)

    try:
        with transaction.atomic():
            hold = hold_create(
                patient=item.patient,
                therapist=therapist,
                room=room,
                service=item.service,
                start=start,
                expires_at=expires,
                checks=(gate,),
            )
            offer = WaitlistOffer.objects.create(
                request=item,
                hold=hold,
                therapist=therapist,
                room=room,
                start=hold.start,
                end=hold.end,
                expires_at=expires,
                reasons=list(reasons),
            )
            item.status = RequestStatus.OFFERED
            item.save(update_fields=["status", "updated_at"])
            queue_offer_message(
                patient=item.patient,
                location=item.location,
                service=item.service,
                therapist=therapist,
                start=hold.start,
                end=hold.end,
                expires_at=expires,
                offer_id=str(offer.public_id),
                accept_url=_accept_url(offer),
            )
            audit_record(
                actor=None,
                action=AuditAction.CREATE,
                object_type="waitlist_offer",
                object_id=offer.public_id,
                patient_ids=[item.patient.public_id],
                channel="system",
                detail={"event": "offer", "start": hold.start.isoformat(), "expires_at": expires.isoformat()},
            )
    except (DomainError, IntegrityError) as exc:
        logger.info("Waitlist: could not hold %s for request %s: %s", start, item.public_id, exc)
        return None
    return offer


def offer_freed_time(
    freed: FreedTime, *, now: dt.datetime | None = None, skip_patient_ids: Iterable[int] = ()
) -> WaitlistOffer | None:
    """Offer a freed time to the first request in waitlist order that it fits; None if none does.

    A request fits when the location is its own, its service (with turnover) fits inside the freed
    time from its start, the local day, weekday and times suit its window, and the therapist is one it
    accepts. A time too close to start (inside the clinic's minimum notice) is not offered.
    """
    now = now or clock_now()
    if freed.start - now < BookingPolicy.current().min_notice:
        return None
    skip = set(skip_patient_ids)
    waiting = WaitlistRequest.objects.filter(location=freed.location, status=RequestStatus.WAITING).exclude(
        patient_id__in=skip
    )
    tz = zone(freed.location.time_zone)
    for entry in ranked_requests(waiting, now=now):
        item = entry.request
        service = item.service
        end = freed.start + service.duration
        if end + service.buffer > freed.free_until:
            continue
        if not fits(
            window_of(item),
            local_start=freed.start.astimezone(tz),
            local_end=end.astimezone(tz),
            therapist_id=freed.therapist.pk,
        ):
            continue
        offer = _make_offer(
            item,
            therapist=freed.therapist,
            room=freed.room,
            start=freed.start,
            reasons=entry.ranked.reasons,
            now=now,
        )
        if offer is not None:
            return offer
    return None


def _close(offer: WaitlistOffer, status: OfferStatus, now: dt.datetime) -> None:
    """Close an open offer (locked by the caller): release its hold, the request waits again."""
    offer.status = status
    offer.decided_at = now
    offer.save(update_fields=["status", "decided_at", "updated_at"])
    if offer.hold is not None:
        hold_release(appointment=offer.hold)
    if status != OfferStatus.WITHDRAWN:
        WaitlistRequest.objects.filter(pk=offer.request_id, status=RequestStatus.OFFERED).update(
            status=RequestStatus.WAITING, updated_at=now
        )


def _offer_on(offer: WaitlistOffer, *, now: dt.datetime) -> WaitlistOffer | None:
    """Offer a declined, expired or withdrawn offer's time to the next request (not to anyone who had it)."""
    already = WaitlistOffer.objects.filter(therapist=offer.therapist, start=offer.start).values_list(
        "request__patient_id", flat=True
    )
    service = offer.request.service
    freed = FreedTime(
        therapist=offer.therapist,
        room=offer.room,
        location=offer.request.location,
        start=offer.start,
        free_until=offer.end + service.buffer,
    )
    return offer_freed_time(freed, now=now, skip_patient_ids=set(already))


def _locked_open_offer(offer: WaitlistOffer, now: dt.datetime) -> WaitlistOffer:
    fresh = WaitlistOffer.objects.select_for_update().get(pk=offer.pk)
    offer.status = fresh.status
    if fresh.status == OfferStatus.ACCEPTED:
        raise Conflict(
            "This offer was already accepted.",
            field="offer",
            code="offer_taken",
        )
    if fresh.status == OfferStatus.EXPIRED or (fresh.status == OfferStatus.OPEN and fresh.expires_at <= now):
        raise Conflict(
            "This offer has expired: the time has been released.",
            field="offer",
            code="offer_expired",
        )
    if fresh.status != OfferStatus.OPEN:
        raise Conflict(
            f"This offer was {fresh.get_status_display().lower()}.",
            field="offer",
            code="offer_closed",
        )
    return fresh


def _check_offer_actor(actor: User, offer: WaitlistOffer) -> None:
    if not (_is_staff(actor) or _own(actor, offer.request.patient)):
        raise PermissionDenied("You do not have permission to answer this offer.")


def offer_accept(
    *,
    actor: User,
    offer: WaitlistOffer,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Accept an open offer: its hold becomes the booking. The patient (their own) or staff.

    Raises PermissionDenied (403) and Conflict (409: already accepted, declined, expired; races W1-W3).
    """
    _check_offer_actor(actor, offer)
    now = now or clock_now()
    with transaction.atomic():
        _locked_open_offer(offer, now)
        hold = Appointment.objects.filter(pk=offer.hold_id).first() if offer.hold_id else None
        if hold is None:
            raise Conflict(
                "This offer has expired: the time has been released.",
                field="offer",
                code="offer_expired",
            )
        channel = (
            Channel.ONLINE if actor.role == Role.PATIENT else (Channel.API if via == "api" else Channel.PHONE)
        )
        try:
            appointment = hold_convert(
                appointment=hold, actor=actor, channel=channel, via=via, request=request, now=now
            )
        except Conflict as exc:
            raise Conflict(exc.message, field="offer", code=exc.code) from exc
        offer.status = OfferStatus.ACCEPTED
        offer.decided_at = now
        offer.save(update_fields=["status", "decided_at", "updated_at"])
        WaitlistRequest.objects.filter(pk=offer.request_id).update(
            status=RequestStatus.BOOKED, updated_at=now
        )
        _audit(
            actor=actor,
            action=AuditAction.UPDATE,
            kind="waitlist_offer",
            obj=offer,
            patient=offer.request.patient,
            via=via,
            request=request,
            detail={"event": "accept"},
        )
    return appointment


def offer_decline(
    *,
    actor: User,
    offer: WaitlistOffer,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> WaitlistOffer:
    """Decline an open offer: the hold is released and the time offered to the next request. The
    request stays on the waitlist for another time."""
    _check_offer_actor(actor, offer)
    now = now or clock_now()
    with transaction.atomic():
        _locked_open_offer(offer, now)
        _close(offer, OfferStatus.DECLINED, now)
        _audit(
            actor=actor,
            action=AuditAction.UPDATE,
            kind="waitlist_offer",
            obj=offer,
            patient=offer.request.patient,
            via=via,
            request=request,
            detail={"event": "decline"},
        )
        _offer_on(offer, now=now)
    return offer


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepReport:
    expired: int
    offered_on: int
    lapsed: int


def offers_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Expire the offers whose hold ran out and offer each time to the next request; lapse requests
    whose window has passed. Idempotent: run by the worker on every tick (any number of workers)."""
    now = now or clock_now()
    expired = offered_on = 0
    for pk in WaitlistOffer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            offer = (
                # Only the offer's row is locked (PostgreSQL cannot lock the nullable side of a join).
                WaitlistOffer.objects.select_for_update(of=("self",))
                .select_related("request__location", "request__service", "therapist", "room", "hold")
                .get(pk=pk)
            )
            if offer.status != OfferStatus.OPEN:  # race W2: accepted or declined meanwhile
                continue
            _close(offer, OfferStatus.EXPIRED, now)
            expired += 1
            if _offer_on(offer, now=now) is not None:
                offered_on += 1
    lapsed = 0
    for item in WaitlistRequest.objects.filter(status=RequestStatus.WAITING).select_related("location"):
        if item.last_day < location_today(item.location):
            lapsed += WaitlistRequest.objects.filter(pk=item.pk, status=RequestStatus.WAITING).update(
                status=RequestStatus.LAPSED, updated_at=now
            )
    return SweepReport(expired=expired, offered_on=offered_on, lapsed=lapsed)


def offer_open_times(*, location: Location, now: dt.datetime | None = None) -> list[WaitlistOffer]:
    """Offer free time at `location` to the waiting requests there, in waitlist order: the call to make
    when new working hours are added or time off is removed (each waiting request is offered the
    earliest free time in its window, found by the availability selector)."""
    from kneadwell.scheduling.slots import availability

    now = now or clock_now()
    tz = zone(location.time_zone)
    made = []
    waiting = WaitlistRequest.objects.filter(location=location, status=RequestStatus.WAITING)
    for entry in ranked_requests(waiting, now=now):
        item = entry.request
        window = window_of(item)
        start = max(dt.datetime.combine(item.first_day, item.earliest_time, tzinfo=tz), now)
        end = dt.datetime.combine(item.last_day, item.latest_time, tzinfo=tz)
        if end <= start:
            continue
        had = set(WaitlistOffer.objects.filter(request=item).values_list("therapist_id", "start"))
        try:
            found = availability(
                service=item.service,
                location=location,
                patient=item.patient,
                start=start,
                end=end,
                order="time",
                now=now,
            )
        except DomainError:
            continue
        for slot in found.slots:
            therapist_id = slot.therapist.pk
            if (therapist_id, slot.start) in had:
                continue
            if not fits(
                window,
                local_start=slot.start.astimezone(tz),
                local_end=slot.end.astimezone(tz),
                therapist_id=therapist_id,
            ):
                continue
            offer = _make_offer(
                item,
                therapist=Therapist.objects.get(pk=therapist_id),
                room=Room.objects.get(pk=slot.room.pk),
                start=slot.start,
                reasons=entry.ranked.reasons,
                now=now,
            )
            if offer is not None:
                made.append(offer)
                break
    return made
