"""Writes for appointments: book, reschedule, cancel, check in, no-show, complete.

Two levels:

- `appointment_create` keeps the invariants and nothing else: service offered at the location, the
  therapist works there, a valid licence on the local date for a clinical service, inside working
  hours, not in time off, no overlap for therapist, room or patient. It records what happened too
  (the demo's past visits), so it knows no "now": no notice, horizon, alignment or gate.
- `appointment_book` is the front door every interface calls for a new booking: it adds the clinic's
  policy (alignment, minimum notice, horizon), the pathway's gate (screening, matching's exclusions),
  the idempotency fingerprint, the choice of a free room, permissions and the audit trail, then
  books through the same guarded transaction.

Each status change goes through `TRANSITIONS`; anything else is a Conflict (409). Every change is
recorded with `accounts.services.audit_record`.

No double booking: PostgreSQL refuses overlaps itself (three exclusion constraints, migration 0002);
SQLite runs each transaction as BEGIN IMMEDIATE, so writers queue and the re-check inside the
transaction sees every committed booking. The comments below say which race each step closes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Q

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role, User
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Room, Service
from kneadwell.clinic.selectors import local_day_of
from kneadwell.intake.selectors import latest_intake
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import local_day_bounds, zone
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Therapist, TimeOff

from . import signals
from .availability_input import LONGEST_BLOCK
from .gates import check_spot_work, clinical_booking_gate
from .models import ACTIVE_STATUSES, BLOCKING_STATUSES, Appointment, AppointmentStatus, Channel, Series
from .policy import BookingPolicy
from .slots import check_bookable_here

if TYPE_CHECKING:
    from django.http import HttpRequest

BOOKING_ROLES = (*STAFF_ROLES, Role.THERAPIST, Role.PATIENT)

# The status an appointment may move to from each status. Cancelled, no-show and completed are final:
# a mistaken no-show is corrected by booking again, so a freed slot is never silently re-taken.
TRANSITIONS: dict[str, frozenset[str]] = {
    AppointmentStatus.BOOKED: frozenset(
        {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED}),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
    # A waitlist hold changes only through hold_convert (→ booked) and hold_release (deleted).
    AppointmentStatus.HELD: frozenset(),
}

# A client's retry token: letters, digits and . _ : - (a UUID fits), at most 100 characters.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,100}")

Check = Callable[[], None]


# --- Checks inside the transaction ------------------------------------------------------------


def _check_licence(*, therapist: Therapist, location: Location, service: Service, start: dt.datetime) -> None:
    if not service.is_clinical:
        return
    local_day = local_day_of(start, location)
    if therapist.valid_licence(location.jurisdiction, local_day) is None:
        raise DomainError(
            f"{therapist.full_name} has no valid licence for {location.jurisdiction} on {local_day}.",
            field="therapist",
            code="licence_invalid",
        )


def _check_within_working_hours(
    *,
    therapist: Therapist,
    location: Location,
    start: dt.datetime,
    end: dt.datetime,
    blocked_until: dt.datetime | None = None,
) -> None:
    """Inside one working block of the local date of `start` (blocks are not merged: as the engine).

    With `blocked_until`, the time-off check too (`_check_time_off`'s), in the same query: each block
    row carries whether time off overlaps [start, blocked_until). One round trip fewer per booking; the
    hours are judged first, as when the two checks ran one after the other.
    """
    tz = zone(location.time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.date() != local_end.date() and local_end.time() != dt.time.min:
        raise DomainError("A session must start and end on the same local day.", field="start")
    day = local_start.date()
    blocks = therapist.working_hours.filter(location=location, weekday=day.weekday())
    if blocked_until is not None:
        blocks = blocks.annotate(
            away=Exists(TimeOff.objects.filter(therapist=therapist, start__lt=blocked_until, end__gt=start))
        )
    for block in blocks:
        if not block.applies_on(day):
            continue
        block_start = dt.datetime.combine(day, block.start_time, tzinfo=tz)
        block_end = dt.datetime.combine(day, block.end_time, tzinfo=tz)
        if block_start <= start and end <= block_end:
            if getattr(block, "away", False):  # annotated only with blocked_until
                raise _away(therapist)
            return
    raise DomainError(f"{therapist.full_name} does not work at {location.name} at that time.", field="start")


def _away(therapist: Therapist) -> DomainError:
    return DomainError(f"{therapist.full_name} is away at that time.", field="start", code="time_off")


def _check_time_off(*, therapist: Therapist, start: dt.datetime, blocked_until: dt.datetime) -> None:
    # The engine keeps time off clear of the session and its turnover; so does the service.
    if TimeOff.objects.filter(therapist=therapist, start__lt=blocked_until, end__gt=start).exists():
        raise _away(therapist)


def _clash(appointment: Appointment) -> str | None:
    """Which resource is already held at the appointment's time: "therapist", "room", "patient" or None.

    One query for the three: therapist and room over [start, blocked_until), the patient over
    [start, end) (the turnover is the therapist's and the room's, not the patient's). Half-open, so
    back-to-back is allowed. The appointment itself is left out (a reschedule frees its own time).
    """
    a = appointment
    # Bounded below as well (nothing that overlaps starts more than the longest hold earlier), so the
    # (resource, start) indexes read the neighbourhood of the slot, never the resource's whole history.
    since = a.start - LONGEST_BLOCK
    held = Q(start__lt=a.blocked_until, start__gte=since, blocked_until__gt=a.start)
    rows = (
        Appointment.objects.filter(status__in=BLOCKING_STATUSES)  # waitlist holds block too
        .filter(
            (Q(therapist_id=a.therapist_id) & held)
            | (Q(room_id=a.room_id) & held)
            | Q(patient_id=a.patient_id, start__lt=a.end, start__gte=since, end__gt=a.start)
        )
        .exclude(pk=a.pk if a.pk is not None else 0)
        .values_list("therapist_id", "room_id", "patient_id", "start", "end", "blocked_until")[:3]
    )
    found = set()
    for therapist_id, room_id, patient_id, start, end, blocked_until in rows:
        if therapist_id == a.therapist_id and start < a.blocked_until and blocked_until > a.start:
            found.add("therapist")
        if room_id == a.room_id and start < a.blocked_until and blocked_until > a.start:
            found.add("room")
        if patient_id == a.patient_id and start < a.end and end > a.start:
            found.add("patient")
    return next((name for name in ("therapist", "room", "patient") if name in found), None)


def _unsaved(
    patient: Patient, therapist: Therapist, room: Room, service: Service, start: dt.datetime, **fields: Any
) -> Appointment:
    """A new appointment at `start` (aware UTC) in `room`, ending and blocking as the service says."""
    end = start + service.duration
    return Appointment(
        patient=patient,
        therapist=therapist,
        room=room,
        location=room.location,
        service=service,
        start=start,
        end=end,
        blocked_until=end + service.buffer,
        **fields,
    )


def _release_stale_holds(appointment: Appointment, at: dt.datetime) -> int:
    """Delete the expired waitlist holds that overlap the appointment's therapist, room or patient.

    Runs inside the booking transaction, just before the overlap re-check (waitlist, race H1): an
    expired hold must never block a real booking, yet PostgreSQL's exclusion constraints count every
    held row (they cannot read the clock). Deleting it in the same transaction as the insert closes
    the race: on PostgreSQL the DELETE locks the hold's row, so a waitlist acceptance converting the
    same hold waits for us and then finds it gone (and refuses: expired), or, if it converted first,
    our DELETE re-reads the row, sees 'booked' and leaves it, and the re-check refuses us (409). On
    SQLite BEGIN IMMEDIATE runs the two one after the other. The offer keeps its own record
    (waitlist); the worker's sweep marks it expired and offers the slot to the next request.
    """
    a = appointment
    since = a.start - LONGEST_BLOCK
    overlaps = Q(start__lt=a.blocked_until, start__gte=since, blocked_until__gt=a.start)
    stale = Appointment.objects.filter(status=AppointmentStatus.HELD, hold_expires_at__lte=at).filter(
        (Q(therapist_id=a.therapist_id) | Q(room_id=a.room_id) | Q(patient_id=a.patient_id)) & overlaps
    )
    if a.pk is not None:
        stale = stale.exclude(pk=a.pk)
    deleted, _ = stale.delete()
    return deleted


def _hold(
    appointment: Appointment,
    *,
    checks: Sequence[Check] = (),
    check_working_hours: bool = True,
    lock_therapists: Iterable[int] = (),
    licence_checked: bool = False,
    after_save: Callable[[Appointment], None] | None = None,
) -> Appointment:
    """Save a new or moved appointment if, inside one transaction, every check still holds.

    `licence_checked`: one of `checks` (the clinical gate's matching) already judged the licence on the
    session's local date. `after_save` runs in the same transaction (the audit record commits with the
    booking, or not at all). Raises DomainError (422) for a request that can never succeed, Conflict
    (409) when a resource is taken, whether the re-check sees it or the database's constraint does.
    """
    a = appointment
    try:
        with transaction.atomic():
            # Race 1, two bookings for one therapist (PostgreSQL): without a lock both transactions
            # would pass the overlap re-check below before either commits. Locking the therapist
            # rows (in pk order, so two reschedules swapping therapists cannot deadlock) makes the
            # second wait and then see the first. On SQLite BEGIN IMMEDIATE already serialises writers.
            pks = sorted({a.therapist_id, *lock_therapists})
            list(Therapist.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk"))
            # Race 2, a gate, licence, hours or time off changing while we book: checked under the lock,
            # in the transaction that writes, so what is written was valid when it was written.
            for check in checks:
                check()
            # Spot work beside a host visit (issue 10): every new or moved appointment passes here.
            check_spot_work(
                patient=a.patient, location=a.location, service=a.service, start=a.start, end=a.end
            )
            if not licence_checked:
                _check_licence(therapist=a.therapist, location=a.location, service=a.service, start=a.start)
            if check_working_hours:
                # Time off too, in the same query (see the function).
                _check_within_working_hours(
                    therapist=a.therapist,
                    location=a.location,
                    start=a.start,
                    end=a.end,
                    blocked_until=a.blocked_until,
                )
            else:
                _check_time_off(therapist=a.therapist, start=a.start, blocked_until=a.blocked_until)
            # Race H1 (waitlist holds): an expired hold over this time is released first, in this
            # transaction, so it never blocks a real booking (see _release_stale_holds).
            _release_stale_holds(a, clock_now())
            # Race 3, the room or the patient taken by a booking for another therapist: the lock above
            # does not cover it. The re-check sees committed rows; what it cannot see (a concurrent
            # uncommitted insert on PostgreSQL) the exclusion constraints refuse at save().
            busy = _clash(a)
            if busy is not None:
                raise Conflict(f"The {busy} is already booked at that time.", field=busy, code="slot_taken")
            # The related rows were loaded by the caller; re-fetching each to validate it would cost
            # a query per foreign key inside the lock.
            a.full_clean(
                exclude=["patient", "therapist", "room", "location", "service", "booked_by", "series"],
                validate_unique=False,
                validate_constraints=False,
            )
            a.save()
            if after_save is not None:
                after_save(a)
    except (IntegrityError, OperationalError) as exc:
        # PostgreSQL's exclusion constraint (23P01), or a deadlock between two racing writers
        # (40P01): either way the slot went to someone else. Anything else is not a conflict: a
        # database gone, or the idempotency key's unique constraint (the caller's race 4).
        if getattr(exc.__cause__, "sqlstate", None) not in ("23P01", "40P01"):
            raise
        # Name the resource when the constraint says which, so a chosen room can give way to another.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        field = next(
            (r for r in ("therapist", "room", "patient") if f"_no_{r}_overlap" in constraint), "start"
        )
        raise Conflict("That time was just taken.", field=field, code="slot_taken") from exc
    return a


def appointment_create(
    *,
    patient: Patient,
    therapist: Therapist,
    room: Room,
    service: Service,
    start: dt.datetime,
    channel: Channel | str,
    booked_by: User | None = None,
    idempotency_key: str = "",
    check_working_hours: bool = True,
    series: Series | None = None,
    series_index: int | None = None,
    checks: Sequence[Check] = (),
) -> Appointment:
    """Book one appointment, re-validating the invariants inside the transaction.

    No policy (notice, horizon, alignment) and no gate: use `appointment_book` for a new booking.
    Raises DomainError (422) for a request that can never succeed and Conflict (409) when the
    therapist, room or patient is already busy.
    """
    if start.tzinfo is None:
        raise DomainError("The start time must include a time zone offset.", field="start")
    start = start.astimezone(dt.UTC)
    location = room.location
    if not room.active:
        raise DomainError(f"{room.name} is not in use.", field="room")
    check_bookable_here(service=service, location=location, therapist=therapist)

    if idempotency_key and booked_by is not None:
        existing = Appointment.objects.filter(booked_by=booked_by, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    appointment = _unsaved(
        patient,
        therapist,
        room,
        service,
        start,
        channel=channel,
        booked_by=booked_by,
        idempotency_key=idempotency_key,
        series=series,
        series_index=series_index,
    )
    try:
        return _hold(appointment, checks=checks, check_working_hours=check_working_hours)
    except (Conflict, IntegrityError):
        # Race 4, the same retried request twice at once: the unique (booked_by, key) constraint
        # lets one in; the other returns the appointment the first made.
        if idempotency_key and booked_by is not None:
            existing = Appointment.objects.filter(
                booked_by=booked_by, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return existing
        raise


# --- The front door -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    appointment: Appointment
    replayed: bool  # the same idempotency key and request again: nothing new was written


def booking_fingerprint(
    *,
    patient: Patient,
    service: Service,
    location: Location,
    therapist: Therapist,
    room: Room | None,
    start: dt.datetime,
) -> str:
    """What a booking asked for, as a digest: the same key with another request is refused."""
    parts = (
        patient.public_id,
        service.code,
        location.public_id,
        therapist.public_id,
        room.public_id if room else "-",
    )
    text = "|".join(str(p) for p in parts) + "|" + start.astimezone(dt.UTC).isoformat()
    return hashlib.sha256(text.encode()).hexdigest()


def _audit(
    *,
    actor: User | None,
    action: AuditAction,
    appointment: Appointment,
    via: str,
    request: HttpRequest | None,
    detail: dict[str, Any],
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="appointment",
        object_id=appointment.public_id,
        patient_ids=[appointment.patient.public_id],
        channel=via,
        request=request,
        detail=detail,
    )


def _is_staff(actor: User) -> bool:
    return actor.role in STAFF_ROLES


def _own_patient(actor: User, patient: Patient) -> bool:
    return actor.role == Role.PATIENT and patient.user_id == actor.pk


def _own_therapist(actor: User, therapist: Therapist) -> bool:
    return actor.role == Role.THERAPIST and therapist.user_id == actor.pk


def check_idempotency_key(key: str) -> None:
    if key and not IDEMPOTENCY_KEY.fullmatch(key):
        raise DomainError(
            "An idempotency key is 1 to 100 letters, digits and . _ : - (a UUID fits).",
            field="idempotency_key",
            code="idempotency_key_malformed",
        )


def _room_candidates(
    *,
    location: Location,
    room: Room | None,
    features: frozenset[str],
    prefer: Room | None = None,
    held: tuple[dt.datetime, dt.datetime] | None = None,
    spread: int = 0,
) -> list[Room]:
    """The room asked for, or every active room here with the features (the preferred one first)."""
    if room is not None:
        if room.location_id != location.pk or not room.active:
            raise DomainError(f"{room.name} is not a room in use at {location.name}.", field="room")
        if not features <= set(room.features or ()):
            raise DomainError(f"{room.name} lacks {', '.join(sorted(features))}.", field="room")
        return [room]
    candidates = Room.objects.filter(location=location, active=True)
    if held is not None:
        # Whether each room is already held then, in the same query: held rooms go last, so the first
        # attempt usually succeeds instead of running the guarded transaction once per busy room.
        start, until = held
        candidates = candidates.annotate(
            held=Exists(
                Appointment.objects.filter(
                    room=OuterRef("pk"),
                    status__in=ACTIVE_STATUSES,
                    start__lt=until,
                    start__gte=start - LONGEST_BLOCK,
                    blocked_until__gt=start,
                )
            )
        )
    rooms = [r for r in candidates if features <= set(r.features or ())]
    if not rooms:
        raise DomainError(f"No room at {location.name} has what this session needs.", field="room")
    # Bookings for different therapists at one time start from different rooms (a rotation by
    # therapist), so that racing bookings do not all queue for the first room (race 5).
    modulus = max(r.pk for r in rooms) + 1
    rooms.sort(key=lambda r: (getattr(r, "held", False), (r.pk - spread) % modulus))
    if prefer is not None:
        rooms.sort(key=lambda r: r.pk != prefer.pk)
    return rooms


def _in_each_room(rooms: list[Room], *, chosen: bool, attempt: Callable[[Room], Appointment]) -> Appointment:
    """Book in the first room that takes it. A room asked for by name is the only one tried; a room
    the clinic chooses is the next free one when a racing booking takes the first (race 5)."""
    last: Conflict | None = None
    for room in rooms:
        try:
            return attempt(room)
        except Conflict as exc:
            if chosen or exc.field != "room":
                raise
            last = exc
    assert last is not None
    raise Conflict("No room is free at that time.", field="room", code="slot_taken") from last


def appointment_book(
    *,
    actor: User,
    patient: Patient,
    service: Service,
    location: Location,
    therapist: Therapist,
    start: dt.datetime,
    room: Room | None = None,
    room_features: frozenset[str] = frozenset(),
    channel: Channel | str = Channel.API,
    idempotency_key: str = "",
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> Booked:
    """Book a new appointment for `patient`: every rule, inside the transaction that writes it.

    The caller has already fetched `patient` and `therapist` through the actor's scopes (404 outside
    them). Without `room` the clinic picks a free one with `room_features`.
    Raises PermissionDenied (403) for a role that does not book, DomainError (422, naming the field)
    for a request that can never succeed (naive, past, too soon, beyond the horizon or off-alignment
    start, service not offered here, therapist not here or excluded by matching, expired licence,
    outside working hours, time off, malformed or reused idempotency key with another request),
    BookingBlocked (422, field "patient") when screening holds the visit, and Conflict (409) when the
    time is taken. The same key and request again returns the first appointment (`replayed`).
    """
    if actor.role not in BOOKING_ROLES:
        raise PermissionDenied("You do not have permission to book appointments.")
    if actor.role == Role.PATIENT and not _own_patient(actor, patient):
        raise PermissionDenied("You do not have permission to book for someone else.")
    if start.utcoffset() is None:
        raise DomainError("The start time must include a time zone offset.", field="start")
    start = start.astimezone(dt.UTC)
    check_idempotency_key(idempotency_key)
    fingerprint = booking_fingerprint(
        patient=patient, service=service, location=location, therapist=therapist, room=room, start=start
    )
    if idempotency_key:
        # A retry of a request already answered gets the same answer, even once its time has passed.
        earlier = _replay(actor, idempotency_key, fingerprint)
        if earlier is not None:
            return Booked(earlier, replayed=True)

    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    check_bookable_here(service=service, location=location, therapist=therapist)
    policy.check_start(start, location.time_zone, now)
    rooms = _room_candidates(
        location=location,
        room=room,
        features=room_features,
        held=(start, start + service.duration + service.buffer),
        spread=therapist.pk,
    )
    if actor.role == Role.PATIENT and latest_intake(patient) is None:
        raise DomainError(
            "Please fill in your health intake before booking.", field="patient", code="intake_required"
        )
    on = local_day_of(start, location)

    def gate() -> None:
        # The screening and matching for the session's local date, under the therapist's lock.
        clinical_booking_gate(
            patient=patient,
            service=service,
            location=location,
            on=on,
            for_patient=actor.role == Role.PATIENT,
            only=therapist,
            need_history=False,
        ).check_therapist(therapist)

    def attempt(chosen_room: Room) -> Appointment:
        appointment = Appointment(
            patient=patient,
            therapist=therapist,
            room=chosen_room,
            location=location,
            service=service,
            start=start,
            end=start + service.duration,
            blocked_until=start + service.duration + service.buffer,
            channel=channel,
            booked_by=actor,
            idempotency_key=idempotency_key,
            idempotency_fingerprint=fingerprint if idempotency_key else "",
        )
        return _hold(
            appointment,
            checks=(gate,),
            licence_checked=service.is_clinical,  # the gate's matching judged it, under the lock
            after_save=record,
        )

    def record(appointment: Appointment) -> None:
        _audit(
            actor=actor,
            action=AuditAction.CREATE,
            appointment=appointment,
            via=via,
            request=request,
            detail={"event": "book", "start": appointment.start.isoformat(), "channel": str(channel)},
        )
        signals.appointment_booked.send(sender=Appointment, appointment=appointment, actor=actor)

    try:
        appointment = _in_each_room(rooms, chosen=room is not None, attempt=attempt)
    except (Conflict, IntegrityError):
        # Race 4 again: the same key sent twice at once; the loser answers with the winner's booking.
        earlier = _replay(actor, idempotency_key, fingerprint) if idempotency_key else None
        if earlier is not None:
            return Booked(earlier, replayed=True)
        raise
    return Booked(appointment, replayed=False)


def _replay(actor: User, key: str, fingerprint: str) -> Appointment | None:
    earlier = Appointment.objects.filter(booked_by=actor, idempotency_key=key).first()
    if earlier is None:
        return None
    if earlier.idempotency_fingerprint != fingerprint:
        raise DomainError(
            "This idempotency key was already used for a different booking: send a new key.",
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    return earlier


# --- Status changes -------------------------------------------------------------------------------


def _locked(appointment: Appointment) -> Appointment:
    """The appointment's row, locked, with its current status (race 6: two status changes at once)."""
    fresh = Appointment.objects.select_for_update().get(pk=appointment.pk)
    appointment.status = fresh.status
    return appointment


def _check_transition(appointment: Appointment, to: str) -> None:
    if to not in TRANSITIONS[appointment.status]:
        raise Conflict(
            f"A {appointment.get_status_display().lower()} appointment cannot become "
            f"{AppointmentStatus(to).label.lower()}.",
            field="status",
            code="invalid_transition",
        )


def _late_cancellation(
    *,
    appointment: Appointment,
    actor: User,
    by_patient: bool,
    override_reason: str,
    now: dt.datetime,
    policy: BookingPolicy,
) -> bool:
    """Whether this is a late cancellation to flag; refuses one the policy refuses (409).

    Only a patient's cancellation (their own, or phoned in to the desk) can be late. Staff may override
    the policy with a reason: nothing is refused or flagged, and the reason is kept.
    """
    if not by_patient or not policy.is_late(appointment.start, now):
        return False
    if override_reason:
        return False
    if policy.refuses_late_cancellations:
        hours = int(policy.late_window.total_seconds() // 3600)
        who = "Please call the clinic: changes" if actor.role == Role.PATIENT else "Changes"
        raise Conflict(
            f"{who} within {hours} hours of the visit are not accepted by the clinic's policy"
            + ("." if actor.role == Role.PATIENT else "; override with a reason if the clinic agrees."),
            field="override_reason" if actor.role != Role.PATIENT else None,
            code="late_cancellation",
        )
    return True


def appointment_cancel(
    *,
    appointment: Appointment,
    actor: User,
    reason: str = "",
    by_patient: bool | None = None,
    override_reason: str = "",
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> Appointment:
    """Cancel: the slot is free again at once.

    `by_patient`: the patient asked (always so when the actor is the patient; staff say which, default
    yes). A patient's cancellation inside the clinic's late window is refused or flagged as the clinic
    decides; staff may override with `override_reason`. Patients cancel only their own, before the
    start. Raises PermissionDenied (403), Conflict (409) for an invalid transition or a refused late
    cancellation.
    """
    is_patient = _own_patient(actor, appointment.patient)
    if not (_is_staff(actor) or is_patient):
        raise PermissionDenied("You do not have permission to cancel this appointment.")
    if is_patient and (override_reason or by_patient is False):
        raise PermissionDenied("You do not have permission to override the cancellation policy.")
    by_patient = True if is_patient or by_patient is None else by_patient
    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    with transaction.atomic():
        _locked(appointment)
        _check_transition(appointment, AppointmentStatus.CANCELLED)
        if is_patient and appointment.start <= now:
            raise Conflict("The visit has already started: please call the clinic.", code="already_started")
        late = _late_cancellation(
            appointment=appointment,
            actor=actor,
            by_patient=by_patient,
            override_reason=override_reason,
            now=now,
            policy=policy,
        )
        before = appointment.status
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = now
        appointment.cancellation_reason = reason
        appointment.cancelled_by_patient = by_patient
        appointment.late_cancellation = late
        appointment.policy_override = override_reason
        appointment.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancellation_reason",
                "cancelled_by_patient",
                "late_cancellation",
                "policy_override",
                "updated_at",
            ]
        )
        _audit(
            actor=actor,
            action=AuditAction.UPDATE,
            appointment=appointment,
            via=via,
            request=request,
            detail={
                "event": "cancel",
                "from": before,
                "to": appointment.status,
                "reason": reason,
                "by_patient": by_patient,
                "late": late,
                "override": override_reason,
            },
        )
        signals.appointment_cancelled.send(sender=Appointment, appointment=appointment, actor=actor)
    return appointment


def _status_change(
    *,
    appointment: Appointment,
    actor: User,
    to: AppointmentStatus,
    stamp: str | None,
    not_before: dt.datetime,
    too_early: str,
    via: str,
    request: HttpRequest | None,
    now: dt.datetime | None,
) -> Appointment:
    if not (_is_staff(actor) or _own_therapist(actor, appointment.therapist)):
        raise PermissionDenied("You do not have permission to change this appointment's status.")
    now = now or clock_now()
    with transaction.atomic():
        _locked(appointment)
        _check_transition(appointment, to)
        if now < not_before:
            raise Conflict(too_early, field="status", code="too_early")
        before = appointment.status
        appointment.status = to
        fields = ["status", "updated_at"]
        if stamp is not None:
            setattr(appointment, stamp, now)
            fields.append(stamp)
        appointment.save(update_fields=fields)
        _audit(
            actor=actor,
            action=AuditAction.UPDATE,
            appointment=appointment,
            via=via,
            request=request,
            detail={"event": str(to), "from": before, "to": str(to)},
        )
    return appointment


def appointment_check_in(
    *,
    appointment: Appointment,
    actor: User,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """The patient has arrived: booked → checked in, from the start of the visit's local day.

    Staff, or the appointment's therapist. Raises PermissionDenied (403) or Conflict (409).
    """
    day_start, _ = local_day_bounds(
        local_day_of(appointment.start, appointment.location), appointment.location.time_zone
    )
    return _status_change(
        appointment=appointment,
        actor=actor,
        to=AppointmentStatus.CHECKED_IN,
        stamp="checked_in_at",
        not_before=day_start,
        too_early="A patient checks in on the day of the visit.",
        via=via,
        request=request,
        now=now,
    )


def appointment_no_show(
    *,
    appointment: Appointment,
    actor: User,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """The patient did not come: booked → no-show, once the start has passed. The slot is freed."""
    return _status_change(
        appointment=appointment,
        actor=actor,
        to=AppointmentStatus.NO_SHOW,
        stamp=None,
        not_before=appointment.start,
        too_early="A no-show is recorded once the visit's start has passed.",
        via=via,
        request=request,
        now=now,
    )


def appointment_complete(
    *,
    appointment: Appointment,
    actor: User,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """The session took place: checked in → completed, once the start has passed."""
    return _status_change(
        appointment=appointment,
        actor=actor,
        to=AppointmentStatus.COMPLETED,
        stamp="completed_at",
        not_before=appointment.start,
        too_early="A session is completed once it has started.",
        via=via,
        request=request,
        now=now,
    )


# --- Reschedule -----------------------------------------------------------------------------------


def move_held(
    appointment: Appointment,
    *,
    start: dt.datetime,
    therapist: Therapist,
    room: Room,
    checks: Sequence[Check] = (),
) -> Appointment:
    """Move a booked appointment in place, in one transaction: the new time is held and the old one
    released by the same UPDATE, or nothing changes (Conflict / DomainError)."""
    old_therapist = appointment.therapist_id
    original = {f: getattr(appointment, f) for f in ("start", "end", "blocked_until", "therapist", "room")}

    def still_booked() -> None:
        # Race 7, a cancel or check-in racing the move: read the row's status under its lock.
        _locked(appointment)
        if appointment.status != AppointmentStatus.BOOKED:
            raise Conflict(
                f"A {appointment.get_status_display().lower()} appointment cannot be moved.",
                field="status",
                code="invalid_transition",
            )

    appointment.start = start
    appointment.end = start + appointment.service.duration
    appointment.blocked_until = appointment.end + appointment.service.buffer
    appointment.therapist = therapist
    appointment.room = room

    def moved(a: Appointment) -> None:
        # Inside the move's transaction: what copies the start (a note's) moves with it, or neither does.
        signals.appointment_moved.send(sender=Appointment, appointment=a)

    try:
        return _hold(
            appointment, checks=(still_booked, *checks), lock_therapists=(old_therapist,), after_save=moved
        )
    except DomainError:
        for name, value in original.items():
            setattr(appointment, name, value)
        raise


def appointment_reschedule(
    *,
    appointment: Appointment,
    actor: User,
    start: dt.datetime,
    therapist: Therapist | None = None,
    room: Room | None = None,
    reason: str = "",
    override_reason: str = "",
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> Appointment:
    """Move a booked appointment to `start` (and another therapist or room) atomically, same location.

    The new time passes every rule a new booking passes (policy, gate, invariants); the old time is
    released in the same transaction. A patient moves only their own visit, outside the late window
    when the clinic refuses late changes (staff may override with a reason). Without `room`, the
    current room if free, else another free one. Raises PermissionDenied (403), DomainError (422),
    Conflict (409: taken, invalid transition, refused late change).
    """
    is_patient = _own_patient(actor, appointment.patient)
    if not (_is_staff(actor) or is_patient):
        raise PermissionDenied("You do not have permission to move this appointment.")
    if is_patient and override_reason:
        raise PermissionDenied("You do not have permission to override the cancellation policy.")
    if start.utcoffset() is None:
        raise DomainError("The start time must include a time zone offset.", field="start")
    start = start.astimezone(dt.UTC)
    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            f"A {appointment.get_status_display().lower()} appointment cannot be moved.",
            field="status",
            code="invalid_transition",
        )
    if is_patient and appointment.start <= now:
        raise Conflict("The visit has already started: please call the clinic.", code="already_started")
    late = _late_cancellation(
        appointment=appointment,
        actor=actor,
        by_patient=is_patient,
        override_reason=override_reason,
        now=now,
        policy=policy,
    )
    location, service = appointment.location, appointment.service
    therapist = therapist or appointment.therapist
    check_bookable_here(service=service, location=location, therapist=therapist)
    policy.check_start(start, location.time_zone, now)
    rooms = _room_candidates(location=location, room=room, features=frozenset(), prefer=appointment.room)
    on = local_day_of(start, location)
    patient = appointment.patient

    def gate() -> None:
        clinical_booking_gate(
            patient=patient,
            service=service,
            location=location,
            on=on,
            for_patient=is_patient,
            only=therapist,
            need_history=False,
        ).check_therapist(therapist)

    old_start = appointment.start
    old_therapist_id, old_room_id = appointment.therapist_id, appointment.room_id
    moved = _in_each_room(
        rooms,
        chosen=room is not None,
        attempt=lambda r: move_held(appointment, start=start, therapist=therapist, room=r, checks=(gate,)),
    )
    _audit(
        actor=actor,
        action=AuditAction.UPDATE,
        appointment=moved,
        via=via,
        request=request,
        detail={
            "event": "reschedule",
            "from": old_start.isoformat(),
            "to": moved.start.isoformat(),
            "therapist": str(therapist.public_id),
            "reason": reason,
            "late": late,
            "override": override_reason,
        },
    )
    signals.appointment_changed.send(
        sender=Appointment,
        appointment=moved,
        previous_start=old_start,
        actor=actor,
        # What was freed, for the waitlist (its receiver offers the old time to the next request).
        previous_therapist_id=old_therapist_id,
        previous_room_id=old_room_id,
    )
    return moved


# --- Waitlist holds ---------------------------------------------------------------------------------
#
# A freed slot offered to a waiting patient is held as an Appointment in status HELD with
# `hold_expires_at`: the same row type, so the same guarantee (the guarded transaction `_hold` and, on
# PostgreSQL, the exclusion constraints) keeps everyone else out of it. The waitlist app decides who is
# offered what; these three calls are the only writes of a hold.


def hold_create(
    *,
    patient: Patient,
    therapist: Therapist,
    room: Room,
    service: Service,
    start: dt.datetime,
    expires_at: dt.datetime,
    checks: Sequence[Check] = (),
) -> Appointment:
    """Hold `start` with `therapist` in `room` for `patient` until `expires_at`.

    Every invariant of a booking is checked in the guarded transaction (service here, licence, hours,
    time off, no overlap: a hold is refused where a booking would be). Raises DomainError (422) or
    Conflict (409, the time is taken).
    """
    if start.utcoffset() is None or expires_at.utcoffset() is None:
        raise DomainError("The start and expiry must include a time zone offset.", field="start")
    start = start.astimezone(dt.UTC)
    location = room.location
    check_bookable_here(service=service, location=location, therapist=therapist)
    appointment = _unsaved(
        patient,
        therapist,
        room,
        service,
        start,
        channel=Channel.ONLINE,
        status=AppointmentStatus.HELD,
        hold_expires_at=expires_at.astimezone(dt.UTC),
    )
    return _hold(appointment, checks=checks)


def hold_convert(
    *,
    appointment: Appointment,
    actor: User,
    channel: Channel | str,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Turn an unexpired hold into a booking (the waitlist offer was accepted).

    Nothing is re-checked against other bookings: the hold kept the time from everyone while it lived.
    Race H2, two acceptances at once: the row is locked, so the second waits, then reads 'booked' and
    is refused (409). Race H3, an acceptance against a booking that releases the expired hold: the
    row is gone or expired when we read it under the lock (409, `hold_expired`). A hold converted just
    before it expires stays booked: the releasing booking re-reads the row and leaves it.
    """
    now = now or clock_now()
    with transaction.atomic():
        fresh = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
        if fresh is None or (
            fresh.status == AppointmentStatus.HELD
            and fresh.hold_expires_at is not None
            and fresh.hold_expires_at <= now
        ):
            raise Conflict(
                "This offer has expired: the time was released.", field="offer", code="hold_expired"
            )
        if fresh.status != AppointmentStatus.HELD:
            raise Conflict("This offer was already taken.", field="offer", code="hold_taken")
        appointment.status = AppointmentStatus.BOOKED
        appointment.hold_expires_at = None
        appointment.channel = channel
        appointment.booked_by = actor
        appointment.save(update_fields=["status", "hold_expires_at", "channel", "booked_by", "updated_at"])
        _audit(
            actor=actor,
            action=AuditAction.CREATE,
            appointment=appointment,
            via=via,
            request=request,
            detail={
                "event": "book",
                "from": "held",
                "start": appointment.start.isoformat(),
                "channel": str(channel),
            },
        )
        signals.appointment_booked.send(sender=Appointment, appointment=appointment, actor=actor)
    return appointment


def hold_release(*, appointment: Appointment) -> bool:
    """Delete a hold (declined, expired or withdrawn); the time is free at once. False: not a hold any more."""
    deleted, _ = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.HELD).delete()
    return deleted > 0
