"""The demo clinic's waitlist: a few patients waiting, ranked by clinical priority, and one open offer.

Written through the real services: the requests through `request_create`, then a cancellation of an
upcoming visit through the booking service, whose signal offers the freed time to the first request
it fits, held for them (the demo patient login, on an urgent referral, when the time suits them).
"""

from __future__ import annotations

import datetime as dt

from kneadwell.accounts.models import Role, User
from kneadwell.clinic.selectors import local_day_of
from kneadwell.demo.notifications import mark_as_sent
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import zone
from kneadwell.notifications.models import Message
from kneadwell.patients.models import Patient
from kneadwell.scheduling.gates import clinical_booking_gate
from kneadwell.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from kneadwell.scheduling.services import appointment_cancel
from kneadwell.waitlist.models import OfferStatus, Urgency, WaitlistOffer, WaitlistRequest
from kneadwell.waitlist.services import FreedTime, offer_freed_time, request_create

# (patient login or None for the next patient free at the time, urgency, days waiting)
WAITING = (("patient", Urgency.URGENT, 3), (None, Urgency.ROUTINE, 12), (None, Urgency.SOON, 6))


def _free_at(patient: Patient, appointment: Appointment) -> bool:
    return not Appointment.objects.filter(
        patient=patient,
        status__in=(*ACTIVE_STATUSES, AppointmentStatus.HELD),
        start__lt=appointment.end,
        end__gt=appointment.start,
    ).exists()


def _visit_to_free(patient: Patient, as_of: dt.datetime) -> Appointment | None:
    """The visit the demo cancels: two to ten days ahead, of a service and at a location the patient
    login already comes for, at a time she is free, with a therapist her screening and matching accept
    (so the freed time is hers to take), booked for a patient without a login."""
    usual = (
        Appointment.objects.filter(patient=patient, status__in=ACTIVE_STATUSES)
        .order_by("-start")
        .values_list("service_id", "location_id")
        .first()
    )
    if usual is None:
        return None
    candidates = (
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            service_id=usual[0],
            location_id=usual[1],
            start__gte=as_of + dt.timedelta(days=2),
            start__lt=as_of + dt.timedelta(days=10),
            patient__user__isnull=True,
        )
        .select_related("location", "service", "therapist", "room", "patient")
        .order_by("start")[:40]
    )
    for visit in candidates:
        if not _free_at(patient, visit):
            continue
        try:
            clinical_booking_gate(
                patient=patient,
                service=visit.service,
                location=visit.location,
                on=local_day_of(visit.start, visit.location),
                only=visit.therapist,
                need_history=False,
            ).check_therapist(visit.therapist)
        except DomainError:
            continue
        return visit
    return None


def add_waitlist(*, as_of: dt.datetime) -> WaitlistOffer | None:
    """Three waiting requests and one open offer; returns the offer (None if the calendar has no visit
    to free)."""
    desk = User.objects.filter(role=Role.FRONT_DESK).order_by("pk").first()
    if desk is None:
        return None
    login = Patient.objects.filter(user__username="patient").first()
    target = _visit_to_free(login, as_of) if login is not None else None
    if target is None:
        return None
    location, service = target.location, target.service
    tz = zone(location.time_zone)
    local = target.start.astimezone(tz)
    first_day = as_of.astimezone(tz).date()
    taken: set[int] = {target.patient_id}
    requests: list[tuple[WaitlistRequest, int]] = []
    others = Patient.objects.filter(user__isnull=True).exclude(pk=target.patient_id).order_by("pk")
    for username, urgency, days in WAITING:
        if username is not None:
            patient = Patient.objects.filter(user__username=username).first()
        else:
            patient = next((p for p in others if p.pk not in taken and _free_at(p, target)), None)
        if patient is None or patient.pk in taken:
            continue
        taken.add(patient.pk)
        referral = patient.referrals.order_by("-received_on").first() if urgency != Urgency.ROUTINE else None
        try:
            item = request_create(
                actor=desk,
                patient=patient,
                service=service,
                location=location,
                first_day=first_day,
                last_day=first_day + dt.timedelta(days=21),
                weekdays=sorted({0, 1, 2, 3, 4, local.weekday()}),
                earliest_time=dt.time(8),
                latest_time=dt.time(19),
                urgency=urgency,
                referral=referral,
                note="Added by the demo",
                via="cli",
                now=as_of,
            )
        except DomainError:
            continue
        requests.append((item, days))
    for item, days in requests:
        WaitlistRequest.objects.filter(pk=item.pk).update(created_at=as_of - dt.timedelta(days=days))
    if not requests:
        return None
    before = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    appointment_cancel(
        appointment=target,
        actor=desk,
        reason="Called to cancel: away that week",
        by_patient=True,
        via="cli",
        now=as_of,
    )
    offer = WaitlistOffer.objects.filter(status=OfferStatus.OPEN).first()
    if offer is None:
        # The cancellation's own offer runs on the real clock; a demo loaded for another day offers it here.
        offer = offer_freed_time(
            FreedTime(
                therapist=target.therapist,
                room=target.room,
                location=location,
                start=target.start,
                free_until=target.blocked_until,
            ),
            now=as_of,
        )
    mark_as_sent(Message.objects.filter(pk__gt=before), at=as_of)
    return offer
