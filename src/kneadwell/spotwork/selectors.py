"""Reads for spot work: the scope functions, the host-visit lookup scheduling's rule asks, and the
day planner's assembler (`spot_work_day`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from kneadwell.accounts.models import STAFF_ROLES
from kneadwell.clinic.models import Location, Room, Service
from kneadwell.lib.zones import local_day_bounds, zone
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import in_patient_scope
from kneadwell.scheduling.availability_input import LONGEST_BLOCK
from kneadwell.scheduling.day_planner import (
    Interval,
    RoomDay,
    SpotWorkDay,
    TherapistDay,
)
from kneadwell.scheduling.day_planner import (
    SpotWorkRequest as PlannerRequest,
)
from kneadwell.scheduling.gates import spot_work_window
from kneadwell.scheduling.models import ACTIVE_STATUSES, Appointment
from kneadwell.scheduling.policy import BookingPolicy
from kneadwell.therapists.models import Licence, Therapist, TimeOff, WorkingHours

from .models import HostVisit, SpotWorkRequest, SpotWorkStatus

SPOT_WORK_SERVICE = "spot-work-15"


def host_visit_scope(user: Any) -> QuerySet[HostVisit]:
    """Host visits `user` may see: all for the clinic's staff; those of the patients in their
    `patient_scope` for everyone else (a patient their own)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return HostVisit.objects.none()
    qs = HostVisit.objects.select_related("patient", "location")
    if user.role in STAFF_ROLES:
        return qs
    return qs.filter(in_patient_scope(user))


def spot_work_request_scope(user: Any) -> QuerySet[SpotWorkRequest]:
    """Spot-work requests `user` may see, by the same rule as their host visits."""
    if user is None or not user.is_authenticated or not user.is_active:
        return SpotWorkRequest.objects.none()
    qs = SpotWorkRequest.objects.select_related(
        "patient", "host_visit", "host_visit__location", "preferred_therapist", "appointment"
    )
    if user.role in STAFF_ROLES:
        return qs
    return qs.filter(in_patient_scope(user))


def host_visit_spans(
    patient_id: int, location_id: int, lo: dt.datetime, hi: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The lookup scheduling's spot-work rule asks (registered in `apps.py`): one query."""
    return list(
        HostVisit.objects.filter(
            patient_id=patient_id, location_id=location_id, start__lt=hi, end__gt=lo
        ).values_list("start", "end")
    )


def host_visits_for_day(location: Location, day: dt.date) -> QuerySet[HostVisit]:
    lo, hi = local_day_bounds(day, location.time_zone)
    return HostVisit.objects.filter(location=location, start__lt=hi, end__gt=lo).select_related("patient")


@dataclass
class SpotWorkDayInput:
    """The planner's input and what turns its answer back into rows."""

    day: SpotWorkDay
    requests: dict[int, SpotWorkRequest]  # planner request id (the row's pk) -> the row
    therapists: dict[int, Therapist]
    rooms: dict[int, Room]
    service: Service


def _iv(start: dt.datetime, end: dt.datetime) -> Interval:
    return Interval(start.astimezone(dt.UTC), end.astimezone(dt.UTC))


def spot_work_day(
    location: Location, day: dt.date, *, service: Service | None = None, policy: BookingPolicy | None = None
) -> SpotWorkDayInput:
    """Everything the day planner needs for `location` on its local `day`, in a fixed number of
    queries (fourteen at most, whatever the number of requests, therapists or rooms): the service, the open
    requests with their host visits, the patients' other host visits, the therapists who work here,
    their licences, working hours and time off, the rooms, the day's active appointments of those
    therapists, rooms or patients, and the settings row.

    Eligibility here is what the location and the day decide: the therapist works here, is active, and
    holds a licence for the location's jurisdiction on the local day (spot work is clinical). The
    screening and matching for each patient are re-checked by the booking service when the plan is
    applied (a plan that fails one is refused whole, naming the request).
    """
    tz = location.time_zone
    lo, hi = local_day_bounds(day, tz)
    service = service or Service.objects.get(code=SPOT_WORK_SERVICE)
    policy = policy or BookingPolicy.current()
    rows = list(
        SpotWorkRequest.objects.filter(
            host_visit__location=location,
            host_visit__start__lt=hi,
            host_visit__end__gt=lo,
            status=SpotWorkStatus.OPEN,
        )
        .select_related("patient", "host_visit", "preferred_therapist")
        .order_by("host_visit__start", "pk")
    )
    patient_ids = {r.patient_id for r in rows}
    patient_busy: dict[int, list[Interval]] = defaultdict(list)
    own_visits = {r.host_visit_id for r in rows}
    for patient_id, start, end in (
        HostVisit.objects.filter(patient_id__in=patient_ids, start__lt=hi, end__gt=lo)
        .exclude(pk__in=own_visits)
        .values_list("patient_id", "start", "end")
    ):
        patient_busy[patient_id].append(_iv(start, end))

    therapists = {t.pk: t for t in Therapist.objects.filter(active=True, locations=location)}
    licensed = set(
        Licence.objects.filter(
            therapist_id__in=therapists,
            jurisdiction=location.jurisdiction,
            issued__lte=day,
            expires__gte=day,
        ).values_list("therapist_id", flat=True)
    )
    working: dict[int, list[Interval]] = defaultdict(list)
    for block in WorkingHours.objects.filter(
        therapist_id__in=therapists, location=location, weekday=day.weekday()
    ):
        if block.applies_on(day):
            start = dt.datetime.combine(day, block.start_time, tzinfo=zone(tz))
            end = dt.datetime.combine(day, block.end_time, tzinfo=zone(tz))
            working[block.therapist_id].append(_iv(start, end))
    busy: dict[int, list[Interval]] = defaultdict(list)
    for therapist_id, start, end in TimeOff.objects.filter(
        therapist_id__in=therapists, start__lt=hi, end__gt=lo
    ).values_list("therapist_id", "start", "end"):
        busy[therapist_id].append(_iv(start, end))
    rooms = {r.pk: r for r in Room.objects.filter(location=location, active=True)}
    room_busy: dict[int, list[Interval]] = defaultdict(list)
    for therapist_id, room_id, patient_id, start, end, blocked_until in Appointment.objects.filter(
        Q(therapist_id__in=therapists) | Q(room_id__in=rooms) | Q(patient_id__in=patient_ids),
        status__in=ACTIVE_STATUSES,
        start__lt=hi,
        start__gte=lo - LONGEST_BLOCK,
        blocked_until__gt=lo,
    ).values_list("therapist_id", "room_id", "patient_id", "start", "end", "blocked_until"):
        if therapist_id in therapists:
            busy[therapist_id].append(_iv(start, blocked_until))
        if room_id in rooms:
            room_busy[room_id].append(_iv(start, blocked_until))
        if patient_id in patient_ids:
            patient_busy[patient_id].append(_iv(start, end))

    eligible = frozenset(pk for pk in therapists if pk in licensed and working.get(pk))
    requests: list[PlannerRequest] = []
    for r in rows:
        visit = r.host_visit
        requests.append(
            PlannerRequest(
                request_id=r.pk,
                patient_id=r.patient_id,
                host_visit=_iv(visit.start, visit.end),
                region=r.region,
                eligible_therapist_ids=eligible,
                duration=service.duration,
                buffer=service.buffer,
                preferred_therapist_id=r.preferred_therapist_id,
                earliest_start=r.earliest_start,
                latest_end=r.latest_end,
            )
        )
    planner_day = SpotWorkDay(
        day_start=lo,
        therapists=tuple(
            TherapistDay(pk, tuple(sorted(working[pk], key=lambda i: i.start)), tuple(busy[pk]))
            for pk in sorted(therapists)
            if working.get(pk)
        ),
        rooms=tuple(RoomDay(pk, tuple(room_busy[pk])) for pk in sorted(rooms)),
        requests=tuple(requests),
        patient_busy={k: tuple(v) for k, v in patient_busy.items()},
        window=spot_work_window(),
        alignment=dt.timedelta(minutes=policy.step_minutes),
    )
    return SpotWorkDayInput(
        day=planner_day,
        requests={r.pk: r for r in rows},
        therapists=therapists,
        rooms=rooms,
        service=service,
    )


def patients_by_public_id(public_ids: Sequence[str]) -> dict[str, Patient]:
    return {str(p.public_id): p for p in Patient.objects.filter(public_id__in=public_ids)}
