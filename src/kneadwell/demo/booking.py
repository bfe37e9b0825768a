"""The demo's booking story: a plan of care booked as a weekly series that is under way (the visits before
today completed, the later ones booked), a patient's late cancellation and a no-show, each written through
the booking services so every row keeps the invariants (and the audit trail says who did what)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from kneadwell.lib.zones import local_to_utc
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel, Series, SeriesMode
from kneadwell.scheduling.policy import BookingPolicy
from kneadwell.scheduling.services import appointment_cancel, appointment_no_show

from .data import HOSPITAL

if TYPE_CHECKING:
    from .builder import Builder

SERIES_THERAPIST = "daniel"  # works at the hospital on Mondays, Tuesdays and Thursdays, 08:00–16:00
SERIES_WEEKDAY, SERIES_TIME, SERIES_WEEKS = 3, dt.time(8), 6  # Thursdays 08:00, six weeks
LATE_CANCEL_REASON = "Patient phoned: a child is unwell"


def book_series(builder: Builder) -> Series | None:
    """A weekly series for one hospital patient with Daniel, started about two weeks ago (before the
    calendar is filled, so its times are kept). Returns the series, or None if it cannot be placed."""
    hospital = builder.locations[HOSPITAL]
    tz = hospital.time_zone
    today = builder.today_at(hospital)
    service = builder.services["therapeutic-60"]
    therapist = builder.therapists[SERIES_THERAPIST]
    slot = next(
        s
        for s in builder.patient_slots[1:]
        if s.pool == "ny"
        and not (s.patient.therapist_gender_required and s.patient.therapist_gender == "female")
    )
    earliest = today - dt.timedelta(days=17)
    first = earliest + dt.timedelta(days=(SERIES_WEEKDAY - earliest.weekday()) % 7)
    plan = CarePlan.objects.create(
        patient=slot.patient,
        therapist=therapist,
        conditions=["low_back_pain"],
        areas=[{"region": "lower_back", "side": None}],
        frequency_per_week=1,
        weeks=SERIES_WEEKS,
        frequency_basis="Clinic default: weekly for six weeks, then re-assess.",
        starts_on=first,
        reassess_on=first + dt.timedelta(weeks=SERIES_WEEKS),
        status=CarePlanStatus.ACTIVE,
        created_by=builder.users["frontdesk"],
        approved_at=local_to_utc(first - dt.timedelta(days=3), dt.time(12), tz),
    )
    series = Series.objects.create(
        care_plan=plan,
        patient=slot.patient,
        therapist=therapist,
        location=hospital,
        service=service,
        pattern=[{"weekday": SERIES_WEEKDAY, "time": SERIES_TIME.strftime("%H:%M")}],
        starts_on=first,
        weeks=SERIES_WEEKS,
        mode=SeriesMode.ALL_OR_NOTHING,
        created_by=builder.users["frontdesk"],
    )
    for index in range(SERIES_WEEKS):
        day = first + dt.timedelta(weeks=index)
        start = local_to_utc(day, SERIES_TIME, tz)
        room = builder._free_room(hospital, day, start, start + service.duration + service.buffer, prefer=1)
        if room is None:
            continue
        builder._book(
            slot=slot,
            therapist_key=SERIES_THERAPIST,
            room=room,
            service=service,
            start=start,
            channel=Channel.REFERRAL if index == 0 else Channel.PHONE,
            status=builder._status_by_time(start, start + service.duration),
            series=series,
            series_index=index,
        )
    return series


def keep_one_for_a_no_show(builder: Builder) -> Appointment | None:
    """Before statuses are settled: leave yesterday's-or-so first visit booked, to record its no-show
    through the service afterwards."""
    cutoff = builder.as_of - dt.timedelta(days=1)
    for i, (appointment, fixed) in enumerate(builder.planned):
        if (
            fixed is None
            and appointment.series_id is None
            and appointment.patient_id != builder.featured_patient.patient.pk
            and cutoff - dt.timedelta(days=3) < appointment.start < cutoff
        ):
            builder.planned[i] = (appointment, AppointmentStatus.BOOKED)
            return appointment
    return None


def settle_story(builder: Builder, no_show: Appointment | None) -> None:
    """After statuses are settled: the no-show, then a patient's late cancellation inside the window."""
    desk = builder.users["frontdesk"]
    if no_show is not None:
        no_show.refresh_from_db()
        appointment_no_show(appointment=no_show, actor=desk, via="cli", now=builder.as_of)
    policy = BookingPolicy.current()
    soon = (
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            series__isnull=True,
            start__gt=builder.as_of + dt.timedelta(hours=1),
            start__lt=builder.as_of + policy.late_window,
        )
        .exclude(patient=builder.featured_patient.patient)
        .exclude(therapist=builder.therapists["maya"])
        .select_related("location", "patient", "therapist", "service", "room")
        .order_by("start")
        .first()
    )
    if soon is not None:
        appointment_cancel(
            appointment=soon,
            actor=desk,
            reason=LATE_CANCEL_REASON,
            by_patient=True,
            via="cli",
            now=builder.as_of,
            policy=policy,
        )
