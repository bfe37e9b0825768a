"""The demo's spot-work day at the chiropractic office (issue 10).

On the next day that two massage therapists work at Lakeside Chiropractic, eight patients see the
chiropractor; the front desk has entered their host visits and asked for spot work beside each, and
the day plan has been applied through the booking service. A request whose booking the clinical gate
refuses is cancelled and the plan applied again, as the front desk would.

The random calendar fill also books spot work at the chiropractic and physical-therapy locations;
each such booking gets its host visit first (`host_visit_for`), since spot work is booked only beside one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from kneadwell.clinic.models import Location
from kneadwell.lib.zones import local_to_utc, zone
from kneadwell.patients.models import Patient
from kneadwell.spotwork.models import HostVisit, HostVisitSource, SpotWorkRequest, SpotWorkStatus
from kneadwell.spotwork.services import PlanApplyFailed, spot_work_plan, spot_work_request_create

from .data import CHIRO

if TYPE_CHECKING:
    from .builder import Builder

# (local wall time of the host visit, minutes, region): the chiropractor's morning and afternoon.
HOST_DAY = [
    (dt.time(9, 30), 30, "low_back"),
    (dt.time(10, 0), 30, "neck"),
    (dt.time(10, 30), 20, "upper_back"),
    (dt.time(11, 0), 30, "shoulder"),
    (dt.time(12, 30), 30, "low_back"),
    (dt.time(13, 0), 30, "neck"),
    (dt.time(14, 0), 30, "hip_gluteal"),
    (dt.time(15, 0), 30, "upper_back"),
]
SPOT_WORK_WEEKDAYS = (0, 1, 3)  # Monday, Tuesday, Thursday: two therapists at the office
CHIROPRACTOR = "Dr. Marcus Bell, DC"
PT_PROVIDER = "Elena Vasquez, PT, DPT"


def spot_work_date(today: dt.date) -> dt.date:
    day = today + dt.timedelta(days=1)
    while day.weekday() not in SPOT_WORK_WEEKDAYS:
        day += dt.timedelta(days=1)
    return day


def host_visit_for(
    patient: Patient, location: Location, spot_start: dt.datetime, spot_end: dt.datetime, gap_minutes: int
) -> HostVisit:
    """A host visit right after a spot work the calendar fill books (the patient's adjustment)."""
    start = spot_end + dt.timedelta(minutes=gap_minutes)
    provider = CHIROPRACTOR if location.name == CHIRO else PT_PROVIDER
    return HostVisit.objects.create(
        patient=patient,
        location=location,
        start=start,
        end=start + dt.timedelta(minutes=30),
        provider_name=provider,
        source=HostVisitSource.MANUAL,
    )


def add_spot_work_day(builder: Builder) -> dt.date:
    """Host visits, requests and an applied plan at the chiropractic office; returns the local day."""
    location = builder.locations[CHIRO]
    day = spot_work_date(builder.today_at(location))
    desk = builder.users["frontdesk"]
    candidates = [
        s for s in builder.patient_slots if s.pool == "chi" and s.first_day is not None and s.bookable_on(day)
    ]
    tz = location.time_zone
    for (wall, minutes, region), slot in zip(HOST_DAY, candidates, strict=False):
        start = local_to_utc(day, wall, tz)
        visit = HostVisit.objects.create(
            patient=slot.patient,
            location=location,
            start=start,
            end=start + dt.timedelta(minutes=minutes),
            provider_name=CHIROPRACTOR,
            provider_ref=f"LC-{day:%m%d}-{wall:%H%M}",
            source=HostVisitSource.CSV,
            created_by=desk,
        )
        spot_work_request_create(actor=desk, host_visit=visit, region=region, via="cli")
        builder.patient_days.add((slot.patient.pk, day))
    # The plan was applied the evening before (the booking policy's notice is counted from then).
    evening_before = local_to_utc(day - dt.timedelta(days=1), dt.time(18), tz)
    for _attempt in range(len(HOST_DAY)):
        try:
            outcome = spot_work_plan(
                actor=desk, location=location, day=day, dry_run=False, via="cli", now=evening_before
            )
        except PlanApplyFailed as refused:
            # The gate holds this patient's visit (screening): the desk cancels the request, plans again.
            SpotWorkRequest.objects.filter(public_id=refused.request_id).update(
                status=SpotWorkStatus.CANCELLED
            )
            continue
        for _row, appointment in outcome.bookings:
            local_day = appointment.start.astimezone(zone(tz)).date()
            therapist_key = next(k for k, t in builder.therapists.items() if t.pk == appointment.therapist_id)
            builder.occupancy.add(
                ("therapist", therapist_key), local_day, appointment.start, appointment.blocked_until
            )
            builder.occupancy.add(
                ("room", appointment.room_id), local_day, appointment.start, appointment.blocked_until
            )
            builder.planned.append((appointment, None))
        break
    return day
