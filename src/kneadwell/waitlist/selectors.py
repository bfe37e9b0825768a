"""Reads for the waitlist: the scope functions and the ranking's one assembler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, Prefetch, QuerySet

from kneadwell.accounts.models import STAFF_ROLES, Role, Viewer
from kneadwell.clinic.selectors import clinic_time_zone
from kneadwell.lib.clock import now as clock_now
from kneadwell.lib.zones import local_date, zone
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import ACTIVE_STATUSES, Appointment

from .models import OPEN_REQUEST_STATUSES, OfferStatus, WaitlistOffer, WaitlistRequest
from .ranking import Cadence, Candidate, Ranked, Window, rank


def request_scope(user: Viewer) -> QuerySet[WaitlistRequest]:
    """Requests `user` may see: every one (front desk, clinic admin), their own (patient), none (others)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return WaitlistRequest.objects.none()
    qs = WaitlistRequest.objects.select_related(
        "patient", "service", "location", "referral__provider"
    ).prefetch_related("therapists")
    if user.role in STAFF_ROLES:
        return qs
    if user.role == Role.PATIENT:
        return qs.filter(patient__user=user)
    return qs.none()


def offer_scope(user: Viewer) -> QuerySet[WaitlistOffer]:
    """Offers made to the requests in `request_scope(user)`."""
    return WaitlistOffer.objects.filter(request__in=request_scope(user)).select_related(
        "request__patient", "request__service", "request__location", "therapist", "room", "hold"
    )


def window_of(request: WaitlistRequest) -> Window:
    return Window(
        first_day=request.first_day,
        last_day=request.last_day,
        weekdays=frozenset(int(d) for d in request.weekdays),
        earliest=request.earliest_time,
        latest=request.latest_time,
        therapist_ids=frozenset(t.pk for t in request.therapists.all()),
    )


def open_offer_of(request: WaitlistRequest) -> WaitlistOffer | None:
    return next((o for o in request.offers.all() if o.status == OfferStatus.OPEN), None)


@dataclass(frozen=True)
class RankedRequest:
    request: WaitlistRequest
    ranked: Ranked
    offer: WaitlistOffer | None  # the open offer, if one is out


def ranked_requests(
    requests: Iterable[WaitlistRequest] | None = None, *, now: dt.datetime | None = None
) -> list[RankedRequest]:
    """The open requests in waitlist order, each with its reasons: the ranking's one assembler.

    Reads, in a handful of queries: the requests (with their referral, therapists and offers), the
    patients' active plans of care, and their last visits (which the cadence is judged by).
    """
    now = now or clock_now()
    if requests is None:
        requests = WaitlistRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES)
    if isinstance(requests, QuerySet):
        requests = requests.select_related(
            "patient", "service", "location", "referral__provider"
        ).prefetch_related(
            "therapists", Prefetch("offers", queryset=WaitlistOffer.objects.select_related("therapist"))
        )
    rows = list(requests)
    patient_ids = {r.patient_id for r in rows}
    plans: dict[int, CarePlan] = {}
    for active in CarePlan.objects.filter(patient_id__in=patient_ids, status=CarePlanStatus.ACTIVE).order_by(
        "patient_id", "-starts_on", "-id"
    ):
        plans.setdefault(active.patient_id, active)
    visits = Appointment.objects.filter(patient_id__in=list(plans))
    last = dict(
        visits.filter(status__in=ACTIVE_STATUSES, start__lte=now)
        .values("patient_id")
        .annotate(at=Max("start"))
        .values_list("patient_id", "at")
    )
    candidates = []
    for r in rows:
        tz = zone(r.location.time_zone)
        plan = plans.get(r.patient_id)
        cadence = None
        if plan is not None:
            last_at = last.get(r.patient_id)
            cadence = Cadence(
                per_week=plan.frequency_per_week,
                plan_starts_on=plan.starts_on,
                last_visit_on=last_at.astimezone(tz).date() if last_at else None,
            )
        source = ""
        if r.referral is not None:
            received = r.referral.received_on
            source = f"from {r.referral.provider.name}, received {received.day} {received:%b %Y}"
        candidates.append(
            Candidate(
                key=r.pk,
                urgency=r.urgency,
                waiting_since=r.created_at,
                urgency_source=source,
                cadence=cadence,
            )
        )
    by_pk = {r.pk: r for r in rows}
    return [
        RankedRequest(request=by_pk[item.key], ranked=item, offer=open_offer_of(by_pk[item.key]))
        for item in rank(candidates, now=now, today=local_date(now, clinic_time_zone()))
    ]
