"""A plan of care's visits as one series: every occurrence checked, booked in one transaction.

`series_book` turns a cadence (local weekday and wall-clock time pairs, e.g. Tuesday 17:00 weekly
for six weeks) into occurrences, checks each one against the pathway's gate for its own date, the
clinic's policy and the calendar (one selector read for the whole series, whatever its length),
and returns each conflict with its nearest free alternatives in the same local week. Then, unless
it is a dry run: `all_or_nothing` books every occurrence or none; `book_what_fits` books the free
ones. Either way in one transaction, each occurrence re-checked as it is written (a racing booking
turns a free occurrence into a conflict, never into a double booking).

`series_cancel` and `series_move` act on a series from one occurrence onward.
Peers check the first two occurrences only (Cal.com #15997); here every one is checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role, User
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, Room, Service
from kneadwell.clinic.selectors import location_today
from kneadwell.intake.screening import screen
from kneadwell.intake.selectors import screening_input
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import local_date, local_to_utc, zone
from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.therapists.models import Therapist

from . import signals
from .availability import find_slots, local_week, nearest_alternatives
from .availability_input import AvailabilityInput, availability_input
from .gates import DECISION_WORDS, ClinicalGate, clinical_booking_gate, spot_work_start_filter, visit_holds
from .models import Appointment, AppointmentStatus, Channel, Series, SeriesMode
from .policy import BookingPolicy
from .services import appointment_cancel, move_held
from .slots import OfferedSlot, _offered, _scores, check_bookable_here

if TYPE_CHECKING:
    from django.http import HttpRequest

SERIES_ROLES = (*STAFF_ROLES, Role.THERAPIST)
ALTERNATIVES = 3
MAX_EVERY_WEEKS = 8

OccurrenceStatus = Literal["free", "conflict", "booked"]


@dataclass(frozen=True)
class WeeklyTime:
    """One visit a week: a local weekday (0 = Monday) and wall-clock time."""

    weekday: int
    time: dt.time

    def as_json(self) -> dict[str, object]:
        return {"weekday": self.weekday, "time": self.time.strftime("%H:%M")}

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> WeeklyTime:
        return cls(int(raw["weekday"]), dt.time.fromisoformat(str(raw["time"])))  # type: ignore[call-overload]  # JSON values are str/int here; int() checks at run time


@dataclass
class Occurrence:
    index: int
    start: dt.datetime
    end: dt.datetime
    status: OccurrenceStatus = "free"
    reason: str = ""
    room: Room | None = None
    alternatives: list[OfferedSlot] = field(default_factory=list)
    appointment: Appointment | None = None


@dataclass
class SeriesResult:
    occurrences: list[Occurrence]
    mode: str
    dry_run: bool
    series: Series | None = None

    @property
    def conflicts(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.status == "conflict"]

    @property
    def booked(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.status == "booked"]


SPOT_WORK_CONFLICT = (
    "Spot work needs a host visit that day, and this time is not inside the window beside it."
)


def planned_starts(
    pattern: list[WeeklyTime], starts_on: dt.date, weeks: int, time_zone: str, every_weeks: int = 1
) -> list[tuple[dt.datetime, WeeklyTime]]:
    """Each weekly time's first date on or after `starts_on`, then every `every_weeks` × 7 days, `weeks`
    times; in time order.

    Wall-clock times in the location's zone, converted per date (lib.zones.local_to_utc: a time in a
    spring-forward gap moves past the gap), so Tuesday 17:00 stays 17:00 across a DST change.
    """
    out = []
    for entry in pattern:
        first = starts_on + dt.timedelta(days=(entry.weekday - starts_on.weekday()) % 7)
        for week in range(weeks):
            day = first + dt.timedelta(days=7 * every_weeks * week)
            out.append((local_to_utc(day, entry.time, time_zone), entry))
    return sorted(out, key=lambda pair: (pair[0], pair[1].weekday, pair[1].time))


def _check_pattern(pattern: list[WeeklyTime], plan: CarePlan | None, policy: BookingPolicy) -> None:
    if not pattern:
        raise DomainError("Give at least one weekly time.", field="times")
    if plan is not None and len(pattern) != plan.frequency_per_week:
        raise DomainError(
            f"The plan of care asks for {plan.frequency_per_week} visit(s) a week: give that many weekly times.",
            field="times",
        )
    if len(set(pattern)) != len(pattern):
        raise DomainError("A weekly time is given twice.", field="times")
    for i, entry in enumerate(pattern):
        if not 0 <= entry.weekday <= 6:
            raise DomainError("The weekday is 0 (Monday) to 6 (Sunday).", field=f"times[{i}].weekday")
        minutes = entry.time.hour * 60 + entry.time.minute
        if entry.time.second or entry.time.microsecond or minutes % policy.step_minutes:
            raise DomainError(
                f"Sessions start on multiples of {policy.step_minutes} minutes after the hour.",
                field=f"times[{i}].time",
            )


def _why_not(start: dt.datetime, service: Service, data: AvailabilityInput, therapist: Therapist) -> str:
    """A plain reason an occurrence is not free (the engine says only that it is not)."""
    s = int(start.timestamp())
    end = s + service.duration_minutes * 60
    held = end + service.buffer_minutes * 60

    def hits(spans: object, until: int) -> bool:
        return any(
            int(a if isinstance(a, int) else a.timestamp()) < until
            and int(b if isinstance(b, int) else b.timestamp()) > s
            for a, b in spans  # type: ignore[attr-defined]  # spans is an iterable of pairs; typed loosely for both span kinds
        )

    if hits(data.patient_busy, end):
        return "The patient has another visit then."
    calendar = next((t for t in data.therapists if t.id == therapist.pk), None)
    if calendar is None:
        return f"{therapist.full_name} has no working hours here in that week."
    if hits(calendar.time_off, held):
        return f"{therapist.full_name} is away then."
    if hits(calendar.busy, held):
        return f"{therapist.full_name} is booked then."
    if not any(not hits(room.busy, held) for room in data.rooms if data.query.room_features <= room.features):
        return "No room is free then."
    return f"{therapist.full_name} does not work then."


def series_book(
    *,
    actor: User,
    care_plan: CarePlan,
    service: Service,
    location: Location,
    therapist: Therapist,
    pattern: list[WeeklyTime],
    starts_on: dt.date | None = None,
    weeks: int | None = None,
    mode: SeriesMode | str = SeriesMode.ALL_OR_NOTHING,
    dry_run: bool = False,
    every_weeks: int = 1,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> SeriesResult:
    """Check every occurrence of the plan's cadence and book them (see the module docstring).

    `weeks` defaults to the plan's, `starts_on` to the plan's start or today at the location, whichever
    is later. Raises PermissionDenied (403: staff and therapists book series), DomainError (422: a
    pattern that does not match the plan's frequency, off-alignment times, a series past the booking
    horizon, a service or therapist not here), BookingBlocked (422) when screening holds the visit on
    the first date, Conflict (409) for a plan of care that is not active. An `all_or_nothing` request
    with a conflict books nothing; the result lists every occurrence either way.
    """
    if actor.role not in SERIES_ROLES:
        raise PermissionDenied("You do not have permission to book a series: the clinic does that.")
    if care_plan.status != CarePlanStatus.ACTIVE:
        raise Conflict(
            "Only an approved (active) plan of care is booked as a series.", code="plan_not_active"
        )
    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    mode = SeriesMode(mode)
    patient = care_plan.patient
    check_bookable_here(service=service, location=location, therapist=therapist)
    _check_pattern(pattern, care_plan, policy)
    weeks = weeks or care_plan.weeks
    today = location_today(location)
    if starts_on is not None and starts_on > today + policy.horizon:
        raise DomainError(f"Sessions are booked at most {policy.horizon.days} days ahead.", field="starts_on")
    starts_on = max(starts_on or care_plan.starts_on, today)
    if not 1 <= every_weeks <= MAX_EVERY_WEEKS:
        raise DomainError(f"The cadence is every 1 to {MAX_EVERY_WEEKS} weeks.", field="every_weeks")
    planned = planned_starts(pattern, starts_on, weeks, location.time_zone, every_weeks)
    if planned[-1][0] >= policy.latest_start(now):
        raise DomainError(
            f"The series runs past the booking horizon ({policy.horizon.days} days from now).", field="weeks"
        )
    gate = clinical_booking_gate(
        patient=patient, service=service, location=location, on=local_date(planned[0][0], location.time_zone)
    )
    gate.check_therapist(therapist)
    occurrences = [
        Occurrence(index=i, start=start, end=start + service.duration)
        for i, (start, _entry) in enumerate(planned)
    ]
    data = _check_occurrences(
        occurrences,
        gate=gate,
        patient=patient,
        service=service,
        location=location,
        therapist=therapist,
        now=now,
        policy=policy,
    )
    _add_alternatives(
        occurrences,
        data=data,
        gate=gate,
        service=service,
        location=location,
        therapist=therapist,
        now=now,
        policy=policy,
    )
    result = SeriesResult(occurrences=occurrences, mode=mode, dry_run=dry_run)
    if dry_run or (mode == SeriesMode.ALL_OR_NOTHING and result.conflicts):
        return result
    return _book(
        result,
        actor=actor,
        care_plan=care_plan,
        service=service,
        location=location,
        therapist=therapist,
        pattern=pattern,
        starts_on=starts_on,
        weeks=weeks,
        every_weeks=every_weeks,
        gate=gate,
        via=via,
        request=request,
    )


def _check_occurrences(
    occurrences: list[Occurrence],
    *,
    gate: ClinicalGate,
    patient: Patient,
    service: Service,
    location: Location,
    therapist: Therapist,
    now: dt.datetime,
    policy: BookingPolicy,
    ignore: frozenset[int] = frozenset(),
) -> AvailabilityInput:
    """Mark each occurrence free (with the room the engine picks) or a conflict, with the reason.

    One selector read for the whole series (its first to its last local week), and the screening run
    again for each occurrence's date on the input read once (pure): a clearance that expires or a hold
    that starts mid-series makes those occurrences conflicts.
    """
    first, _ = local_week(occurrences[0].start, location.time_zone)
    _, last = local_week(occurrences[-1].start, location.time_zone)
    data = availability_input(
        service=service,
        location=location,
        window_start=max(first, now),
        window_end=max(last, now + dt.timedelta(seconds=1)),
        now=now,
        policy=policy,
        patient=patient,
        therapist_public_ids={str(therapist.public_id)},
        match_scores=_scores(gate),
        last_therapist_id=gate.history.last_therapist_id,
        ignore_appointment_ids=ignore,
    )
    # One therapist, so one slot per free start: the room the engine picked for it.
    free = {
        slot.start: slot.room
        for slot in find_slots(data.query, data.therapists, data.rooms, data.patient_busy, order="time")
    }
    rooms = {room.pk: room for room in Room.objects.filter(pk__in=list(data.room_rows))}
    inp = (
        screening_input(patient=patient, on=local_date(occurrences[0].start, location.time_zone))
        if service.is_clinical
        else None
    )
    # Spot work (issue 10): only beside a host visit of the patient that day, inside the window.
    spot_ok = spot_work_start_filter(
        patient=patient, location=location, service=service, lo=occurrences[0].start, hi=occurrences[-1].end
    )
    for occ in occurrences:
        if occ.start < policy.earliest_start(now):
            occ.status, occ.reason = "conflict", "That time is too soon or already past."
            continue
        if occ.start >= policy.latest_start(now):
            occ.status, occ.reason = "conflict", f"Past the booking horizon ({policy.horizon.days} days)."
            continue
        if inp is not None:
            on = local_date(occ.start, location.time_zone)
            hold = visit_holds(screen(replace(inp, on=on)))
            if hold is not None:
                occ.status = "conflict"
                occ.reason = f"Screening for {on} says {DECISION_WORDS[hold[0]]}: " + " ".join(
                    f.message_staff for f in hold[1]
                )
                continue
        if spot_ok is not None and not spot_ok(occ.start):
            occ.status, occ.reason = "conflict", SPOT_WORK_CONFLICT
            continue
        room_pk = free.get(occ.start)
        if room_pk is None:
            occ.status, occ.reason = "conflict", _why_not(occ.start, service, data, therapist)
        else:
            occ.room = rooms[room_pk]  # type: ignore[index]  # free maps to pks of the rooms loaded above
    # Two occurrences of one series never overlap each other (a twice-weekly pattern on one day).
    taken: list[Occurrence] = []
    for occ in occurrences:
        if occ.status == "free" and any(o.start < occ.end and occ.start < o.end for o in taken):
            occ.status, occ.reason, occ.room = "conflict", "Overlaps another visit of this series.", None
        if occ.status == "free":
            taken.append(occ)
    return data


def _add_alternatives(
    occurrences: list[Occurrence],
    *,
    data: AvailabilityInput,
    gate: ClinicalGate,
    service: Service,
    location: Location,
    therapist: Therapist,
    now: dt.datetime,
    policy: BookingPolicy,
) -> None:
    """The nearest free starts in the same local week for each conflict: with the same therapist
    (continuity), else with any therapist the pathway allows. Never a time another occurrence of the
    series keeps."""
    conflicts = [o for o in occurrences if o.status == "conflict"]
    if not conflicts:
        return
    keep = [(int(o.start.timestamp()), int(o.end.timestamp())) for o in occurrences if o.status == "free"]
    others: AvailabilityInput | None = None
    for occ in conflicts:
        week = local_week(occ.start, location.time_zone)
        busy = [*data.patient_busy, *keep]
        found = _offered(
            nearest_alternatives(
                data.query,
                data.therapists,
                data.rooms,
                busy,
                wanted=occ.start,
                count=ALTERNATIVES,
                within=week,
            ),
            data,
            location,
            service,
        )
        if not found:
            if others is None:
                others = availability_input(
                    service=service,
                    location=location,
                    window_start=data.query.window_start,
                    window_end=data.query.window_end,
                    now=now,
                    policy=policy,
                    patient=None,
                    therapist_public_ids=gate.allowed_public_ids(),
                    match_scores=_scores(gate),
                    last_therapist_id=gate.history.last_therapist_id,
                )
            found = _offered(
                nearest_alternatives(
                    others.query,
                    others.therapists,
                    others.rooms,
                    busy,
                    wanted=occ.start,
                    count=ALTERNATIVES,
                    within=week,
                ),
                others,
                location,
                service,
            )
        occ.alternatives = found


def _book(
    result: SeriesResult,
    *,
    actor: User,
    care_plan: CarePlan,
    service: Service,
    location: Location,
    therapist: Therapist,
    pattern: list[WeeklyTime],
    starts_on: dt.date,
    weeks: int,
    every_weeks: int,
    gate: ClinicalGate,
    via: str,
    request: HttpRequest | None,
) -> SeriesResult:
    from .services import appointment_create

    patient = care_plan.patient
    all_or_nothing = result.mode == SeriesMode.ALL_OR_NOTHING
    try:
        # One transaction for the whole series; each occurrence in a savepoint inside it. On SQLite the
        # outer BEGIN IMMEDIATE holds the write lock throughout, so no booking slips in between the
        # occurrences; on PostgreSQL each occurrence re-checks under the therapist's lock (held to the
        # end) and the exclusion constraints refuse what a racing transaction took.
        with transaction.atomic():
            series = Series.objects.create(
                care_plan=care_plan,
                patient=patient,
                therapist=therapist,
                location=location,
                service=service,
                pattern=[p.as_json() for p in pattern],
                starts_on=starts_on,
                weeks=weeks,
                every_weeks=every_weeks,
                mode=result.mode,
                created_by=actor,
            )
            for occ in result.occurrences:
                if occ.status != "free":
                    continue
                assert occ.room is not None
                try:
                    with transaction.atomic():
                        occ.appointment = appointment_create(
                            patient=patient,
                            therapist=therapist,
                            room=occ.room,
                            service=service,
                            start=occ.start,
                            channel=Channel.PHONE if actor.role != Role.PATIENT else Channel.ONLINE,
                            booked_by=actor,
                            series=series,
                            series_index=occ.index,
                        )
                    occ.status = "booked"
                except DomainError as exc:  # Conflict included: taken since it was checked
                    occ.status, occ.reason = "conflict", exc.message
                    if all_or_nothing:
                        raise _Abandon from exc
            if not result.booked:
                raise _Abandon
            result.series = series
    except _Abandon:
        for occ in result.occurrences:
            if occ.status == "booked":
                occ.status, occ.appointment = "free", None
        return result
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="series",
        object_id=series.public_id,
        patient_ids=[patient.public_id],
        channel=via,
        request=request,
        detail={
            "event": "book_series",
            "mode": result.mode,
            "appointments": [str(o.appointment.public_id) for o in result.booked if o.appointment],
            "conflicts": [o.start.isoformat() for o in result.conflicts],
        },
    )
    for occ in result.booked:
        if occ.appointment is not None:
            signals.appointment_booked.send(sender=Appointment, appointment=occ.appointment, actor=actor)
    return result


class _Abandon(Exception):
    """Roll the series' transaction back (all or nothing, or nothing fitted)."""


def _series_appointments(series: Series, from_appointment: Appointment | None) -> list[Appointment]:
    if from_appointment is not None and from_appointment.series_id != series.pk:
        raise DomainError("That appointment is not part of this series.", field="from")
    qs = series.appointments.filter(status=AppointmentStatus.BOOKED).select_related(
        "patient", "therapist", "room", "location", "service"
    )
    if from_appointment is not None:
        qs = qs.filter(series_index__gte=from_appointment.series_index)
    return list(qs.order_by("start"))


def series_cancel(
    *,
    series: Series,
    actor: User,
    from_appointment: Appointment | None = None,
    reason: str = "",
    by_patient: bool | None = None,
    override_reason: str = "",
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> list[Appointment]:
    """Cancel the series' booked appointments from `from_appointment` onward (all, without it), in one
    transaction: each as `appointment_cancel` would (policy and permissions), or none."""
    if actor.role not in STAFF_ROLES:
        raise PermissionDenied("You do not have permission to cancel a series: the clinic does that.")
    now = now or clock_now()
    policy = BookingPolicy.current()
    with transaction.atomic():
        cancelled = [
            appointment_cancel(
                appointment=a,
                actor=actor,
                reason=reason,
                by_patient=by_patient,
                override_reason=override_reason,
                via=via,
                request=request,
                now=now,
                policy=policy,
            )
            for a in _series_appointments(series, from_appointment)
            if a.start > now
        ]
    return cancelled


def series_move(
    *,
    series: Series,
    actor: User,
    from_appointment: Appointment,
    start: dt.datetime,
    dry_run: bool = False,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    policy: BookingPolicy | None = None,
) -> SeriesResult:
    """Move the series from `from_appointment` onward to a new weekly time, all or nothing.

    `start` is the new time of `from_appointment`; each later booked occurrence of the same weekly time
    moves by the same number of local days to the same new wall-clock time. Every moved occurrence is
    checked like a new one; with any conflict nothing moves and the result lists each with its nearest
    alternatives. Raises PermissionDenied (403), DomainError (422: naive or off-alignment start, an
    appointment of another series), Conflict (409: taken meanwhile).
    """
    if actor.role not in SERIES_ROLES:
        raise PermissionDenied("You do not have permission to move a series: the clinic does that.")
    if start.utcoffset() is None:
        raise DomainError("The start time must include a time zone offset.", field="start")
    now = now or clock_now()
    policy = policy or BookingPolicy.current()
    location, service, therapist = series.location, series.service, series.therapist
    tz = location.time_zone
    policy.check_start(start, tz, now)
    pattern = [WeeklyTime.from_json(raw) for raw in series.pattern]
    planned = planned_starts(pattern, series.starts_on, series.weeks, tz, series.every_weeks)
    targets = _series_appointments(series, from_appointment)
    if from_appointment.series_index is None or not any(a.pk == from_appointment.pk for a in targets):
        raise DomainError("Only a booked occurrence of this series can be moved.", field="from")
    entry = planned[from_appointment.series_index][1]
    old_local = from_appointment.start.astimezone(zone(tz))
    new_local = start.astimezone(zone(tz))
    shift = new_local.date() - old_local.date()
    moves = []
    for a in targets:
        if a.series_index is None or planned[a.series_index][1] != entry:
            continue  # another weekly time of the series stays as it is
        day = a.start.astimezone(zone(tz)).date() + shift
        moves.append((a, local_to_utc(day, new_local.time(), tz)))
    gate = clinical_booking_gate(
        patient=series.patient, service=service, location=location, on=new_local.date()
    )
    gate.check_therapist(therapist)
    occurrences = [
        Occurrence(index=a.series_index or 0, start=new, end=new + service.duration, appointment=a)
        for a, new in moves
    ]
    data = _check_occurrences(
        occurrences,
        gate=gate,
        patient=series.patient,
        service=service,
        location=location,
        therapist=therapist,
        now=now,
        policy=policy,
        ignore=frozenset(a.pk for a, _ in moves),
    )
    _add_alternatives(
        occurrences,
        data=data,
        gate=gate,
        service=service,
        location=location,
        therapist=therapist,
        now=now,
        policy=policy,
    )
    result = SeriesResult(
        occurrences=occurrences, mode=SeriesMode.ALL_OR_NOTHING, dry_run=dry_run, series=series
    )
    if dry_run or result.conflicts:
        return result
    previous_starts = [occ.appointment.start if occ.appointment else None for occ in occurrences]
    try:
        with transaction.atomic():
            for occ in occurrences:
                assert occ.appointment is not None
                assert occ.room is not None
                try:
                    with transaction.atomic():
                        move_held(occ.appointment, start=occ.start, therapist=therapist, room=occ.room)
                    occ.status = "booked"
                except DomainError as exc:
                    occ.status, occ.reason = "conflict", exc.message
                    raise _Abandon from exc
    except _Abandon:
        for occ in occurrences:
            if occ.status == "booked":
                occ.status = "free"
        # The moved rows were rolled back in the database; reload the in-memory ones.
        for occ in occurrences:
            if occ.appointment is not None:
                occ.appointment.refresh_from_db()
        return result
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="series",
        object_id=series.public_id,
        patient_ids=[series.patient.public_id],
        channel=via,
        request=request,
        detail={
            "event": "move_series",
            "from": str(from_appointment.public_id),
            "moves": [
                {"appointment": str(o.appointment.public_id), "to": o.start.isoformat()}
                for o in occurrences
                if o.appointment
            ],
        },
    )
    for occ, before in zip(occurrences, previous_starts, strict=True):
        if occ.appointment is not None:
            signals.appointment_changed.send(
                sender=Appointment, appointment=occ.appointment, previous_start=before, actor=actor
            )
    return result
