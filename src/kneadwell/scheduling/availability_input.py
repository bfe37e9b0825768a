"""The availability engine's input, gathered in a fixed number of queries.

`availability_input` reads what `scheduling.availability.find_slots` needs for one service at one
location over a window: the candidate therapists with their working hours there, their time off,
the busy spans of every active appointment that holds one of them, a room of the location or the
patient, and the rooms. However many days or therapists: seven queries (eight for a clinical service,
which also reads licences; six when the clinical gate hands over the therapists and licences it
read), never one per therapist, day or slot. `tests/scheduling/
test_availability_input.py` counts them on two data sizes.

Busy spans come out of SQL as integer epoch seconds, in start order, so the engine builds no
datetime per row (its fast path: see its module docstring). Only the window is read, never the
history behind it: the appointment queries are bounded on both sides of `start`, so the
(location, start), (therapist, start) and (patient, start) indexes serve them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import BigIntegerField, Func, Q

from kneadwell.clinic.models import Location, Room, Service
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.zones import local_day_bounds, zone
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Licence, Therapist, TimeOff, WorkingHours

from .availability import HoursTemplate, RoomCalendar, ServiceSpec, SlotQuery, Span, TherapistCalendar
from .models import Appointment, blocking_q
from .policy import BookingPolicy

# The longest an appointment can hold its therapist and room: the longest service (240 minutes,
# Service.duration_minutes) plus the longest turnover buffer (60). An appointment overlapping the
# window starts at most this long before it, which bounds `start` from below for the index.
LONGEST_BLOCK = dt.timedelta(minutes=240 + 60)


class EpochFloor(Func):
    """An aware datetime column as whole epoch seconds, rounded down (a span's start)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; unixepoch() drops the fraction.
        return self.as_sql(compiler, connection, template="unixepoch(%(expressions)s)", **extra)


class EpochCeil(Func):
    """An aware datetime column as whole epoch seconds, rounded up (a span's end)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CEIL(EXTRACT(EPOCH FROM %(expressions)s))::bigint", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Plus one when the stored text carries a non-zero fraction of a second.
        sql, params = self.as_sql(compiler, connection, template="%(expressions)s", **extra)
        template = f"(unixepoch({sql}) + (length({sql}) > 19 AND CAST(substr({sql}, 21) AS INTEGER) > 0))"
        return template, [*params, *params, *params]


@dataclass(frozen=True, slots=True)
class TherapistRow:
    pk: int
    public_id: UUID
    name: str


@dataclass(frozen=True, slots=True)
class RoomRow:
    pk: int
    public_id: UUID
    name: str


@dataclass(frozen=True)
class TherapistsHere:
    """The active therapists who work at a location (or the one a booking names), with their
    credentials, as the clinical gate read them (`gates.location_therapists`). Handed to
    `availability_input`, it saves the selector reading the therapists and licences a second time."""

    rows: tuple[tuple[int, UUID, str, str, str], ...]  # pk, public id, given name, family name, gender
    # pk → (jurisdiction, title, issued, expires, verified, intraoral scope), every jurisdiction
    licences: Mapping[int, tuple[tuple[str, str, dt.date, dt.date, bool, bool], ...]]
    trainings: Mapping[int, set[str]]
    expertise: Mapping[int, dict[str, int]]


@dataclass
class AvailabilityInput:
    """The engine's input, plus what the answer needs to name therapists and rooms (by pk)."""

    query: SlotQuery
    therapists: list[TherapistCalendar]
    rooms: list[RoomCalendar]
    patient_busy: list[Span]
    therapist_rows: dict[int, TherapistRow] = field(default_factory=dict)
    room_rows: dict[int, RoomRow] = field(default_factory=dict)


def local_days_span(start: dt.datetime, end: dt.datetime, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """From the local midnight before `start` to the local midnight after `end`: the days the window touches.

    Busy spans are read over whole local days, not only the window, so that the engine ranks a slot's
    compactness against the real edges of the therapist's day.
    """
    tz = zone(time_zone)
    first = start.astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return local_day_bounds(first, time_zone)[0], local_day_bounds(last, time_zone)[1]


def _licensed_hours(
    hours: list[HoursTemplate], licences: list[tuple[dt.date, dt.date]]
) -> list[HoursTemplate]:
    """Working hours cut to the dates a licence for the location's jurisdiction is valid.

    The booking service refuses a clinical session on a local date without a valid licence; cutting
    the templates' effective dates makes the engine offer exactly the dates the service accepts.
    """
    out: list[HoursTemplate] = []
    for template in hours:
        for issued, expires in licences:
            start = max(template.effective_from, issued)
            end = expires if template.effective_until is None else min(template.effective_until, expires)
            if start <= end:
                out.append(HoursTemplate(template.weekday, template.start, template.end, start, end))
    return out


def availability_input(
    *,
    service: Service,
    location: Location,
    window_start: dt.datetime,
    window_end: dt.datetime,
    now: dt.datetime,
    policy: BookingPolicy,
    patient: Patient | None = None,
    therapist_public_ids: Collection[str] | None = None,
    step_minutes: int | None = None,
    room_features: frozenset[str] = frozenset(),
    match_scores: Mapping[str, float | None] | None = None,
    last_therapist_id: int | None = None,
    ignore_appointment_ids: Collection[int] = (),
    here: TherapistsHere | None = None,
) -> AvailabilityInput:
    """Everything `find_slots` needs for `service` at `location`, starts in [window_start, window_end).

    `therapist_public_ids` narrows the candidates (the pathway's gate, or one therapist asked for);
    `match_scores` (by public id) and `last_therapist_id` (a pk) feed the ranking; `ignore_appointment_ids` leaves appointments out of the busy
    spans (those being moved: their own time is free to them). `here`, the therapists and licences the
    clinical gate read (`ClinicalGate.therapists_here`), replaces queries 1 and 3.
    """
    query = SlotQuery(
        service=ServiceSpec(service.pk, service.duration_minutes, service.buffer_minutes),
        location=location.pk,
        time_zone=location.time_zone,
        window_start=window_start,
        window_end=window_end,
        now=now,
        step_minutes=step_minutes or policy.step_minutes,
        min_notice=policy.min_notice,
        horizon=policy.horizon,
        room_features=room_features,
    )
    out = AvailabilityInput(query=query, therapists=[], rooms=[], patient_busy=[])
    span_start, span_end = local_days_span(window_start, window_end, location.time_zone)
    first_day = span_start.astimezone(zone(location.time_zone)).date()
    last_day = (span_end - dt.timedelta(seconds=1)).astimezone(zone(location.time_zone)).date()

    # 1. The candidates: active therapists who work at this location (read by the gate already when
    # `here` is given: the same rows, narrowed here rather than in SQL).
    if here is not None:
        wanted = None if therapist_public_ids is None else {str(p) for p in therapist_public_ids}
        for pk, public_id, given, family, _gender in here.rows:
            if wanted is None or str(public_id) in wanted:
                out.therapist_rows[pk] = TherapistRow(pk, public_id, f"{given} {family}")
    else:
        therapists = Therapist.objects.filter(active=True, locations=location)
        if therapist_public_ids is not None:
            therapists = therapists.filter(public_id__in=list(therapist_public_ids))
        for pk, public_id, given, family in therapists.values_list(
            "pk", "public_id", "given_name", "family_name"
        ):
            out.therapist_rows[pk] = TherapistRow(pk, public_id, f"{given} {family}")
    ids = list(out.therapist_rows)

    # 2. Their working hours here, in effect on some day of the window.
    hours: dict[int, list[HoursTemplate]] = {pk: [] for pk in ids}
    if ids:
        rows = (
            WorkingHours.objects.filter(location=location, therapist_id__in=ids, effective_from__lte=last_day)
            .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=first_day))
            .values_list(
                "therapist_id", "weekday", "start_time", "end_time", "effective_from", "effective_until"
            )
            .order_by("therapist_id", "weekday", "start_time")
        )
        for therapist_id, weekday, start, end, since, until in rows:
            hours[therapist_id].append(HoursTemplate(weekday, start, end, since, until))

    # 3. For a clinical service, their licences for the location's jurisdiction (see _licensed_hours).
    if ids and service.is_clinical:
        licences: dict[int, list[tuple[dt.date, dt.date]]] = {pk: [] for pk in ids}
        if here is not None:  # the gate read every licence of these therapists: the same filter
            for pk in ids:
                licences[pk] = [
                    (issued, expires)
                    for jurisdiction, _title, issued, expires, _verified, _scope in here.licences.get(pk, ())
                    if jurisdiction == location.jurisdiction and issued <= last_day and expires >= first_day
                ]
        else:
            for therapist_id, issued, expires in Licence.objects.filter(
                therapist_id__in=ids,
                jurisdiction=location.jurisdiction,
                issued__lte=last_day,
                expires__gte=first_day,
            ).values_list("therapist_id", "issued", "expires"):
                licences[therapist_id].append((issued, expires))
        hours = {
            pk: templates
            if any(issued <= first_day and last_day <= expires for issued, expires in licences[pk])
            else _licensed_hours(templates, licences[pk])
            for pk, templates in hours.items()
        }

    # 4. Their time off over the window's days.
    time_off: dict[int, list[Span]] = {pk: [] for pk in ids}
    if ids:
        for therapist_id, away_from, away_until in TimeOff.objects.filter(
            therapist_id__in=ids, start__lt=span_end, end__gt=span_start
        ).values_list("therapist_id", "start", "end"):
            time_off[therapist_id].append((away_from, away_until))

    # 5. The rooms of the location.
    rooms = list(
        Room.objects.filter(location=location, active=True).values_list("pk", "public_id", "name", "features")
    )
    for pk, public_id, name, _features in rooms:
        out.room_rows[pk] = RoomRow(pk, public_id, name)

    # 6 and 7. Busy spans: see _busy_spans.
    therapist_busy, room_busy, patient_busy = _busy_spans(
        location=location,
        therapist_ids=ids,
        patient=patient,
        span=(span_start, span_end),
        ignore_appointment_ids=ignore_appointment_ids,
    )
    scores = match_scores or {}
    out.therapists = [
        TherapistCalendar(
            id=pk,
            hours=hours[pk],
            busy=therapist_busy.get(pk, []),
            time_off=time_off[pk],
            match_score=scores.get(str(out.therapist_rows[pk].public_id)),
            last_therapist=pk == last_therapist_id,
        )
        for pk in ids
        if hours[pk]
    ]
    out.rooms = [
        RoomCalendar(id=pk, features=frozenset(features or ()), busy=room_busy.get(pk, ()))
        for pk, _public_id, _name, features in rooms
    ]
    out.patient_busy = patient_busy
    return out


def _busy_spans(
    *,
    location: Location,
    therapist_ids: list[int],
    patient: Patient | None,
    span: tuple[dt.datetime, dt.datetime],
    ignore_appointment_ids: Collection[int],
) -> tuple[dict[int, list[Span]], dict[int, list[Span]], list[Span]]:
    """Therapist, room and patient busy spans over `span`, as epoch seconds, in three queries.

    6. The location's active appointments: every room's, and the therapists' here (indexed on
       (location, start): the benchmark's floor is this query alone).
    7. The other locations' ids.
    8. The candidates' active appointments at those other locations (a therapist works at several) and
       the patient's anywhere (indexed on (location, start) and (patient, start)). A handful of rows.
    Therapists and rooms are held over [start, blocked_until), the patient over [start, end).
    """
    start, end = span
    # Active appointments and unexpired waitlist holds (an expired hold is free: booking releases it).
    window = Appointment.objects.filter(blocking_q(clock_now())).filter(
        start__lt=end, start__gte=start - LONGEST_BLOCK, blocked_until__gt=start
    )
    if ignore_appointment_ids:
        window = window.exclude(pk__in=list(ignore_appointment_ids))
    annotated = window.annotate(s=EpochFloor("start"), e=EpochCeil("end"), b=EpochCeil("blocked_until"))
    therapist_busy: dict[int, list[Span]] = {pk: [] for pk in therapist_ids}
    room_busy: dict[int, list[Span]] = defaultdict(list)
    patient_busy: list[Span] = []
    # The hot loop of the selector (thousands of rows): plain lookups, no per-row method calls.
    here = (
        annotated.filter(location=location).order_by("start").values_list("therapist_id", "room_id", "s", "b")
    )
    # One span tuple per row, shared by the therapist's and the room's lists (spans are never mutated):
    # thousands fewer allocations, and fewer garbage collections, per search.
    for therapist_id, room_id, s, b in _fetch(here):
        span = (s, b)
        spans = therapist_busy.get(therapist_id)
        if spans is not None:
            spans.append(span)
        room_busy[room_id].append(span)
    elsewhere_q = Q()
    # The other locations, listed (query 7): a clinic has a handful. Their (location, start) index then
    # finds the candidates' visits there, without reading this location's rows again only to drop them.
    others = list(Location.objects.exclude(pk=location.pk).values_list("pk", flat=True))
    if therapist_ids and others:
        elsewhere_q |= Q(location_id__in=others, therapist_id__in=therapist_ids)
    if patient is not None:
        elsewhere_q |= Q(patient=patient)
    if elsewhere_q:
        elsewhere = (
            annotated.filter(elsewhere_q)
            .order_by("start")
            .values_list("therapist_id", "patient_id", "location_id", "s", "e", "b")
        )
        patient_pk = patient.pk if patient is not None else None
        touched: set[int] = set()
        for therapist_id, patient_id, location_id, s, e, b in _fetch(elsewhere):
            spans = therapist_busy.get(therapist_id)
            if spans is not None and location_id != location.pk:
                spans.append((s, b))
                touched.add(therapist_id)
            if patient_id == patient_pk:
                patient_busy.append((s, e))
        # Rows from two queries: those lists back in start order (the engine then sorts in linear time).
        for therapist_id in touched:
            therapist_busy[therapist_id].sort()
    return therapist_busy, room_busy, patient_busy


def _fetch(queryset: Any) -> list[tuple[Any, ...]]:
    """The rows of a values_list queryset straight from the cursor (no per-row ORM conversion).

    The columns are ints (ids and epoch seconds), so the database driver's values are final; thousands
    of rows per search make the ORM's per-row converters worth skipping.
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
