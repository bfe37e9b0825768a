"""Availability for a patient: the pathway's gate, the selector and the engine, in one call.

`availability(...)` is what `GET /api/v1/availability` and the booking pages call: ranked slots,
each `{start, end, therapist, room, location, service, score, reasons}`. `nearest_free_slots` gives
the alternatives a taken slot (409) or a conflicting series occurrence offers. `earliest_availability`
is what scheduling hands matching for its "earliest availability" component.

Every function here reads a fixed number of queries whatever the window or the number of therapists
(the gate's, the selector's, the settings row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from kneadwell.clinic.models import Location, Service
from kneadwell.intake.selectors import screening_input
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import local_date, zone
from kneadwell.patients.models import Patient
from kneadwell.planning.matching import EarliestAvailability, MatchResult
from kneadwell.planning.selectors import patient_matches
from kneadwell.therapists.models import Therapist

from .availability import Slot, find_slots, local_week, nearest_alternatives
from .availability_input import AvailabilityInput, RoomRow, TherapistRow, availability_input
from .gates import BookingBlocked, ClinicalGate, clinical_booking_gate, spot_work_start_filter
from .policy import BookingPolicy
from .selectors import visit_history

DEFAULT_DAYS = 7
EARLIEST_DAYS = 14  # how far matching's "earliest availability" looks ahead
MAX_STEP_MINUTES = 24 * 60
SPOT_WORK_CANDIDATES = 2000  # nearest starts judged against the spot-work window before keeping `count`


class OfferedSlot(NamedTuple):
    """A bookable start: the session is [start, end); therapist and room are held until blocked_until.

    A NamedTuple, like the engine's Slot: a location's month is thousands of them.
    """

    start: dt.datetime
    end: dt.datetime
    blocked_until: dt.datetime
    therapist: TherapistRow
    room: RoomRow
    location: Location
    service: Service
    score: int
    reasons: tuple[str, ...]

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(zone(self.location.time_zone))


@dataclass(frozen=True)
class Availability:
    slots: list[OfferedSlot]
    has_more: bool  # more slots than `limit` were found
    window_start: dt.datetime
    window_end: dt.datetime
    gate: ClinicalGate


def _offered(
    slots: Sequence[Slot], data: AvailabilityInput, location: Location, service: Service
) -> list[OfferedSlot]:
    therapists, rooms = data.therapist_rows, data.room_rows
    new = tuple.__new__  # what OfferedSlot._make does, without its per-call lookups
    return [
        new(
            OfferedSlot,
            (
                slot.start,
                slot.end,
                slot.blocked_until,
                therapists[slot.therapist],  # type: ignore[index]  # the engine's keys are the pks it was given
                rooms[slot.room],  # type: ignore[index]  # the engine's keys are the pks it was given
                location,
                service,
                slot.score,
                slot.reasons,
            ),
        )
        for slot in slots
    ]


def check_bookable_here(*, service: Service, location: Location, therapist: Therapist | None = None) -> None:
    """Refuse what can never be booked at `location`: an inactive service, one not offered at this kind
    of location (spot work outside a chiropractic or physical-therapy location), a therapist who does
    not work here (422, naming the field)."""
    if not location.active:
        raise DomainError(f"{location.name} is closed.", field="location")
    if not service.active:
        raise DomainError(f"{service.name} is not offered any more.", field="service")
    if not service.offered_at(location):
        raise DomainError(f"{service.name} is not offered at {location.name}.", field="service")
    if therapist is not None and (
        not therapist.active or not therapist.locations.filter(pk=location.pk).exists()
    ):
        raise DomainError(f"{therapist.full_name} does not work at {location.name}.", field="therapist")


def _window(
    start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime, policy: BookingPolicy
) -> tuple[dt.datetime, dt.datetime]:
    """The searched window: defaults, and refusals of a naive, inverted or beyond-the-horizon range."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.utcoffset() is None:
            raise DomainError("The time must include a time zone offset.", field=name)
    horizon_end = policy.latest_start(now)
    if start is not None and end is not None and end <= start:
        raise DomainError("The end must be after the start.", field="end", code="inverted_range")
    if start is not None and start >= horizon_end:
        raise DomainError(
            f"Sessions are booked at most {policy.horizon.days} days ahead.",
            field="start",
            code="beyond_horizon",
        )
    if end is not None and end > horizon_end:
        raise DomainError(
            f"The range goes past the booking horizon ({policy.horizon.days} days from now).",
            field="end",
            code="beyond_horizon",
        )
    # A start in the past is not an error: the search begins now (a window wholly past finds nothing).
    start = now if start is None or start < now else start.astimezone(dt.UTC)
    end = (
        end.astimezone(dt.UTC)
        if end is not None
        else min(start + dt.timedelta(days=DEFAULT_DAYS), horizon_end)
    )
    return start, end


def check_step(step_minutes: int | None, policy: BookingPolicy) -> int:
    if step_minutes is None:
        return policy.step_minutes
    if not 1 <= step_minutes <= MAX_STEP_MINUTES or step_minutes % policy.step_minutes:
        raise DomainError(
            f"The step is a multiple of the clinic's {policy.step_minutes}-minute alignment, at most a day.",
            field="step",
        )
    return step_minutes


def availability(
    *,
    service: Service,
    location: Location,
    patient: Patient,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    therapist: Therapist | None = None,
    step_minutes: int | None = None,
    room_features: frozenset[str] = frozenset(),
    limit: int | None = None,
    order: Literal["rank", "time"] = "rank",
    for_patient: bool = False,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> Availability:
    """Ranked free slots of `service` at `location` for `patient`, starts in [start, end).

    Defaults: from now, for 7 days (never past the booking horizon); the clinic's alignment.
    Each slot is bookable through `services.appointment_book` as long as nothing changes meanwhile.
    Raises DomainError (422) naming the field: a naive, inverted or beyond-the-horizon range, a step
    off the clinic's alignment, a service not offered here, a therapist who does not work here or
    whom matching excludes; BookingBlocked (422, field "patient") when screening holds the visit.
    """
    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    check_bookable_here(service=service, location=location, therapist=therapist)
    window_start, window_end = _window(start, end, now, policy)
    step = check_step(step_minutes, policy)
    gate = clinical_booking_gate(
        patient=patient,
        service=service,
        location=location,
        on=local_date(max(window_start, now), location.time_zone),
        for_patient=for_patient,
        only=therapist,  # one therapist asked for: match only them
    )
    if therapist is not None:
        gate.check_therapist(therapist)
    if window_start >= window_end:  # wholly in the past: nothing to offer
        return Availability([], False, window_start, window_start, gate)
    allowed = gate.allowed_public_ids()
    if therapist is not None:
        allowed = frozenset({str(therapist.public_id)})
    data = availability_input(
        service=service,
        location=location,
        window_start=window_start,
        window_end=window_end,
        now=now,
        policy=policy,
        patient=patient,
        therapist_public_ids=allowed,
        step_minutes=step,
        room_features=room_features,
        match_scores=_scores(gate),
        last_therapist_id=gate.history.last_therapist_id,
        here=gate.therapists_here,
    )
    spot_ok = spot_work_start_filter(
        patient=patient, location=location, service=service, lo=window_start, hi=window_end
    )
    found = find_slots(
        data.query,
        data.therapists,
        data.rooms,
        data.patient_busy,
        order=order,
        limit=None if limit is None or spot_ok is not None else limit + 1,
    )
    if spot_ok is not None:
        # Spot work: only the starts inside the window beside the patient's host visits (issue 10).
        found = [slot for slot in found if spot_ok(slot.start)]
    has_more = limit is not None and len(found) > limit
    return Availability(
        slots=_offered(found[:limit] if limit is not None else found, data, location, service),
        has_more=has_more,
        window_start=window_start,
        window_end=window_end,
        gate=gate,
    )


def _scores(gate: ClinicalGate) -> dict[str, float | None]:
    """Match scores for the ranking, without matching's own availability component: a slot's own time
    is its availability, so counting the therapist's earliest free time again would count it twice."""
    if gate.matches is None:
        return {}
    return {m.therapist_id: m.score for m in gate.matches.matches}


def nearest_free_slots(
    *,
    patient: Patient,
    service: Service,
    location: Location,
    wanted: dt.datetime,
    therapist: Therapist | None = None,
    count: int = 5,
    same_week: bool = False,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
    ignore_appointment_ids: Collection[int] = (),
) -> list[OfferedSlot]:
    """The `count` free starts nearest `wanted` for this patient and service (one per start, the best there).

    Searched within a week either side of `wanted`, or within its local week (`same_week`, for a series
    occurrence). Empty when the pathway blocks the visit: alternatives are offers, not errors.
    """
    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    try:
        gate = clinical_booking_gate(
            patient=patient,
            service=service,
            location=location,
            on=local_date(max(wanted, now), location.time_zone),
        )
    except DomainError:
        return []
    allowed = gate.allowed_public_ids()
    if therapist is not None:
        if not gate.allows(therapist):
            return []
        allowed = frozenset({str(therapist.public_id)})
    if same_week:
        window_start, window_end = local_week(wanted, location.time_zone)
    else:
        window_start, window_end = wanted - dt.timedelta(days=7), wanted + dt.timedelta(days=7)
    window_start = max(window_start, now)
    window_end = min(window_end, policy.latest_start(now))
    if window_start >= window_end:
        return []
    data = availability_input(
        service=service,
        location=location,
        window_start=window_start,
        window_end=window_end,
        now=now,
        policy=policy,
        patient=patient,
        therapist_public_ids=allowed,
        match_scores=_scores(gate),
        last_therapist_id=gate.history.last_therapist_id,
        here=gate.therapists_here,
        ignore_appointment_ids=ignore_appointment_ids,
    )
    # Spot work (issue 10): only alternatives inside the window beside the patient's host visits.
    spot_ok = spot_work_start_filter(
        patient=patient, location=location, service=service, lo=window_start, hi=window_end
    )
    found = nearest_alternatives(
        data.query,
        data.therapists,
        data.rooms,
        data.patient_busy,
        wanted=wanted,
        count=count if spot_ok is None else SPOT_WORK_CANDIDATES,
    )
    if spot_ok is not None:
        found = [slot for slot in found if spot_ok(slot.start)][:count]
    return _offered(found, data, location, service)


def earliest_availability(
    *,
    patient: Patient | None,
    service: Service,
    location: Location,
    days: int = EARLIEST_DAYS,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> EarliestAvailability:
    """Each therapist's first free start for this service here in the next `days` days (matching's input).

    Without the pathway's gate: matching itself decides who is excluded; this only says when.
    """
    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    end = min(now + dt.timedelta(days=days), policy.latest_start(now))
    data = availability_input(
        service=service,
        location=location,
        window_start=now,
        window_end=end,
        now=now,
        policy=policy,
        patient=patient,
    )
    earliest: dict[str, dt.datetime] = {}
    for slot in find_slots(data.query, data.therapists, data.rooms, data.patient_busy, order="time"):
        earliest.setdefault(str(data.therapist_rows[slot.therapist].public_id), slot.start)  # type: ignore[index]  # the engine's keys are the pks it was given
    return EarliestAvailability(
        searched_from=now, searched_until=end, time_zone=location.time_zone, earliest=earliest
    )


def patient_matches_with_availability(
    *,
    patient: Patient,
    service: Service,
    location: Location,
    on: dt.date | None = None,
    needs_intraoral: bool = False,
    now: dt.datetime | None = None,
) -> MatchResult:
    """Matching for this patient with its "earliest availability" component filled in from the calendar."""
    now = now or clock_now()
    on = on or local_date(now, location.time_zone)
    history = visit_history(patient)
    return patient_matches(
        patient=patient,
        service=service,
        location=location,
        inp=screening_input(patient=patient, on=on),
        history=history,
        needs_intraoral=needs_intraoral,
        availability=earliest_availability(patient=patient, service=service, location=location, now=now),
    )


__all__ = [
    "Availability",
    "BookingBlocked",
    "OfferedSlot",
    "availability",
    "check_bookable_here",
    "earliest_availability",
    "nearest_free_slots",
    "patient_matches_with_availability",
]
