"""Waitlist requests, offers with holds, expiry, decline, acceptance; the triggers (cancel, move, new hours)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from kneadwell.clinic.models import ClinicSettings
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.notifications.models import Message, MessageKind
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from kneadwell.scheduling.slots import availability
from kneadwell.therapists.models import WorkingHours
from kneadwell.waitlist.models import OfferStatus, RequestStatus, WaitlistOffer, WaitlistRequest
from kneadwell.waitlist.selectors import ranked_requests
from kneadwell.waitlist.services import (
    offer_accept,
    offer_decline,
    offer_open_times,
    offers_sweep,
    request_cancel,
    request_create,
)

from .conftest import NOW, WED_10, join

pytestmark = pytest.mark.usefixtures("clock")


def _cancel(cast, appointment):  # type: ignore[no-untyped-def]
    return appointment_cancel(appointment=appointment, actor=cast.desk, by_patient=False)


def _offer_of(request: WaitlistRequest) -> WaitlistOffer:
    return WaitlistOffer.objects.get(request=request, status=OfferStatus.OPEN)


def test_a_cancellation_offers_the_freed_time_to_the_first_in_line_with_a_hold(
    cast, service, nell_booking, settings
):
    settings.KNEADWELL_PUBLIC_URL = "https://clinic.example.org"
    cast.pat.email = "pat@example.org"
    cast.pat.save()
    paula = join(cast, cast.paula, service)
    pat = join(cast, cast.pat, service, urgency="urgent", referral=cast.pat.referrals.get())

    _cancel(cast, nell_booking)

    offer = _offer_of(pat)
    assert (offer.therapist, offer.start, offer.expires_at) == (
        cast.tess,
        WED_10,
        NOW + dt.timedelta(hours=2),
    )
    assert offer.hold is not None
    assert (offer.hold.status, offer.hold.patient, offer.hold.hold_expires_at) == (
        "held",
        cast.pat,
        offer.expires_at,
    )
    assert offer.reasons[0] == "Referral marked urgent (from Dr Rita Reyes, received 1 Nov 2026)."
    pat.refresh_from_db()
    paula.refresh_from_db()
    assert (pat.status, paula.status) == (RequestStatus.OFFERED, RequestStatus.WAITING)
    message = Message.objects.get(kind=MessageKind.WAITLIST_OFFER, patient=cast.pat)
    assert message.context["offer_id"] == str(offer.public_id)
    assert message.context["expires_at"] == offer.expires_at.isoformat()
    assert message.context["accept_url"] == "https://clinic.example.org/me/waitlist/"


def test_the_hold_blocks_everyone_else(cast, service, nell_booking):
    join(cast, cast.pat, service)
    _cancel(cast, nell_booking)

    with pytest.raises(Conflict) as refused:
        appointment_book(
            actor=cast.desk,
            patient=cast.paula,
            service=service,
            location=cast.hospital,
            therapist=cast.tess,
            start=WED_10,
        )
    assert refused.value.code == "slot_taken"
    free = availability(
        service=service,
        location=cast.hospital,
        patient=cast.paula,
        therapist=cast.tess,
        start=WED_10 - dt.timedelta(hours=1),
        end=WED_10 + dt.timedelta(hours=2),
        order="time",
    )
    assert WED_10 not in [slot.start for slot in free.slots]


def test_an_expired_hold_never_blocks_a_real_booking(cast, service, nell_booking, clock):
    join(cast, cast.pat, service)
    _cancel(cast, nell_booking)
    clock.shift(dt.timedelta(hours=2, minutes=1))  # the hold has expired; no sweep has run

    booked = appointment_book(
        actor=cast.desk,
        patient=cast.paula,
        service=service,
        location=cast.hospital,
        therapist=cast.tess,
        start=WED_10,
    )

    assert booked.appointment.status == AppointmentStatus.BOOKED
    assert not Appointment.objects.filter(status=AppointmentStatus.HELD).exists()


def test_expiry_offers_the_time_to_the_next_request(cast, service, nell_booking, clock):
    first = join(cast, cast.pat, service, urgency="urgent")
    second = join(cast, cast.paula, service)
    _cancel(cast, nell_booking)
    offer = _offer_of(first)
    clock.shift(dt.timedelta(hours=2))

    report = offers_sweep()

    assert (report.expired, report.offered_on) == (1, 1)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    nxt = _offer_of(second)
    assert (nxt.start, nxt.hold.patient) == (WED_10, cast.paula)
    assert Appointment.objects.filter(status=AppointmentStatus.HELD).count() == 1
    first.refresh_from_db()
    assert first.status == RequestStatus.WAITING  # still waiting, for another time
    assert offers_sweep().expired == 0  # idempotent


def test_the_clinic_sets_how_long_a_hold_lasts(cast, service, nell_booking):
    settings_row = ClinicSettings.current()
    settings_row.waitlist_hold_minutes = 30
    settings_row.save()
    pat = join(cast, cast.pat, service)

    _cancel(cast, nell_booking)

    assert _offer_of(pat).expires_at == NOW + dt.timedelta(minutes=30)


def test_declining_offers_the_time_to_the_next(cast, service, nell_booking):
    first = join(cast, cast.pat, service, urgency="urgent")
    second = join(cast, cast.paula, service)
    _cancel(cast, nell_booking)

    offer_decline(actor=cast.pat_user, offer=_offer_of(first))

    assert _offer_of(second).hold.patient == cast.paula
    first.refresh_from_db()
    assert first.status == RequestStatus.WAITING


def test_accepting_books_the_held_time(cast, service, nell_booking):
    pat = join(cast, cast.pat, service)
    _cancel(cast, nell_booking)
    offer = _offer_of(pat)

    appointment = offer_accept(actor=cast.pat_user, offer=offer)

    assert appointment.pk == offer.hold_id
    assert (appointment.status, appointment.start, appointment.hold_expires_at) == ("booked", WED_10, None)
    offer.refresh_from_db()
    pat.refresh_from_db()
    assert (offer.status, pat.status) == (OfferStatus.ACCEPTED, RequestStatus.BOOKED)
    with pytest.raises(Conflict) as again:
        offer_accept(actor=cast.pat_user, offer=offer)
    assert again.value.code == "offer_taken"


def test_accepting_an_expired_offer_is_refused_and_books_nothing(cast, service, nell_booking, clock):
    pat = join(cast, cast.pat, service)
    _cancel(cast, nell_booking)
    offer = _offer_of(pat)
    clock.shift(dt.timedelta(hours=2))

    with pytest.raises(Conflict) as refused:
        offer_accept(actor=cast.pat_user, offer=offer)

    assert (refused.value.code, refused.value.field) == ("offer_expired", "offer")
    assert not Appointment.objects.filter(patient=cast.pat, start=WED_10, status="booked").exists()


def test_someone_elses_offer_cannot_be_answered(cast, service, nell_booking):
    pat = join(cast, cast.pat, service)
    _cancel(cast, nell_booking)

    with pytest.raises(PermissionDenied):
        offer_accept(actor=cast.paula_user, offer=_offer_of(pat))
    with pytest.raises(PermissionDenied):
        offer_decline(actor=cast.tess_user, offer=_offer_of(pat))


def test_a_time_outside_every_window_is_not_offered(cast, service, nell_booking):
    pat = join(cast, cast.pat, service, earliest_time=dt.time(13), latest_time=dt.time(17))
    theo_only = join(cast, cast.paula, service)
    theo_only.therapists.set([cast.theo])

    _cancel(cast, nell_booking)

    assert not WaitlistOffer.objects.exists()
    assert not Appointment.objects.filter(status=AppointmentStatus.HELD).exists()
    pat.refresh_from_db()
    assert pat.status == RequestStatus.WAITING


def test_a_move_offers_the_old_time(cast, service, nell_booking):
    pat = join(cast, cast.pat, service)

    appointment_reschedule(appointment=nell_booking, actor=cast.desk, start=WED_10 + dt.timedelta(hours=4))

    assert _offer_of(pat).start == WED_10


def test_new_working_hours_are_offered_to_the_waiting(cast, service):
    # A Saturday window; nobody works Saturdays until Theo adds hours.
    pat = join(
        cast, cast.pat, service, first_day=dt.date(2026, 12, 5), last_day=dt.date(2026, 12, 12), weekdays=[5]
    )
    assert offer_open_times(location=cast.hospital) == []

    WorkingHours.objects.create(
        therapist=cast.theo,
        location=cast.hospital,
        weekday=5,
        start_time=dt.time(9),
        end_time=dt.time(13),
        effective_from=dt.date(2026, 1, 1),
    )
    (offer,) = offer_open_times(location=cast.hospital)

    assert offer.request == pat
    assert (offer.therapist, offer.start) == (cast.theo, dt.datetime(2026, 12, 5, 14, tzinfo=dt.UTC))


def test_cancelling_a_request_withdraws_its_offer_and_offers_the_time_on(cast, service, nell_booking):
    pat = join(cast, cast.pat, service, urgency="urgent")
    paula = join(cast, cast.paula, service)
    _cancel(cast, nell_booking)
    offer = _offer_of(pat)

    request_cancel(actor=cast.pat_user, item=pat)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert _offer_of(paula).start == WED_10


def test_the_front_desk_sees_the_ranking_with_reasons(cast, service):
    from kneadwell.planning.models import CarePlan

    CarePlan.objects.create(
        patient=cast.paula,
        therapist=cast.theo,
        conditions=[],
        frequency_per_week=2,
        weeks=6,
        starts_on=dt.date(2026, 11, 1),
        reassess_on=dt.date(2026, 12, 31),
        status="active",
    )
    join(cast, cast.pat, service)
    join(cast, cast.paula, service)

    ranked = ranked_requests()

    assert [r.request.patient for r in ranked] == [cast.paula, cast.pat]
    assert "overdue" in ranked[0].ranked.reasons[0]


# --- bad input: refused, naming the field, nothing written ---------------------------------------


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"first_day": dt.date(2026, 11, 20), "last_day": dt.date(2026, 11, 30)}, "last_day"),  # in the past
        ({"first_day": dt.date(2026, 11, 30), "last_day": dt.date(2026, 12, 9)}, "first_day"),  # starts past
        ({"first_day": dt.date(2026, 12, 9), "last_day": dt.date(2026, 12, 2)}, "last_day"),  # inverted
        ({"earliest_time": dt.time(12), "latest_time": dt.time(9)}, "latest_time"),  # inverted times
        (
            {"earliest_time": dt.time(9), "latest_time": dt.time(9, 30)},
            "latest_time",
        ),  # shorter than the session
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"first_day": dt.date(2026, 12, 2), "last_day": dt.date(2026, 12, 3), "weekdays": [0]}, "weekdays"),
    ],
)
def test_a_bad_window_is_refused_naming_the_field(cast, service, window, field):
    with pytest.raises(DomainError) as refused:
        join(cast, cast.pat, service, **window)

    assert refused.value.field == field
    assert not WaitlistRequest.objects.exists()


def test_a_therapist_who_does_not_work_there_is_refused(cast, service):
    from kneadwell.therapists.models import Therapist

    elsewhere = Therapist.objects.create(given_name="Ed", family_name="Else", gender="male")
    with pytest.raises(DomainError) as refused:
        join(cast, cast.pat, service, therapists=[elsewhere])
    assert refused.value.field == "therapists"
    assert not WaitlistRequest.objects.exists()


def test_a_patient_joins_only_for_themself_and_cannot_set_urgency(cast, service):
    window = {
        "first_day": dt.date(2026, 12, 2),
        "last_day": dt.date(2026, 12, 9),
        "weekdays": [2],
        "earliest_time": dt.time(9),
        "latest_time": dt.time(12),
    }
    with pytest.raises(PermissionDenied):
        request_create(
            actor=cast.pat_user, patient=cast.paula, service=service, location=cast.hospital, **window
        )
    with pytest.raises(PermissionDenied):
        request_create(
            actor=cast.pat_user,
            patient=cast.pat,
            service=service,
            location=cast.hospital,
            urgency="urgent",
            **window,
        )
    with pytest.raises(PermissionDenied):
        request_create(
            actor=cast.tess_user, patient=cast.pat, service=service, location=cast.hospital, **window
        )
    own = request_create(
        actor=cast.pat_user, patient=cast.pat, service=service, location=cast.hospital, **window
    )
    assert own.urgency == "routine"
    with pytest.raises(Conflict) as twice:
        request_create(
            actor=cast.pat_user, patient=cast.pat, service=service, location=cast.hospital, **window
        )
    assert twice.value.field == "service"


def test_the_workers_tick_runs_the_sweep(cast, service, nell_booking, clock):
    from kneadwell.notifications.worker import _tick_receivers

    first = join(cast, cast.pat, service, urgency="urgent")
    second = join(cast, cast.paula, service)
    _cancel(cast, nell_booking)
    clock.shift(dt.timedelta(hours=2, minutes=1))

    _tick_receivers(NOW + dt.timedelta(hours=2, minutes=1))

    assert WaitlistOffer.objects.get(request=first, start=WED_10).status == OfferStatus.EXPIRED
    assert _offer_of(second).start == WED_10
    # The tick also looks for free time for those still waiting: Pat is offered another Wednesday time.
    other = _offer_of(first)
    assert other.start != WED_10
    assert other.start.astimezone(dt.UTC).weekday() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraints exist on PostgreSQL only"
)
def test_the_database_itself_refuses_a_booking_over_a_hold(cast, service, nell_booking):
    """A write that skips the booking service cannot take a held time on PostgreSQL either."""
    join(cast, cast.pat, service)
    _cancel(cast, nell_booking)
    hold = Appointment.objects.get(status=AppointmentStatus.HELD)

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            patient=cast.paula,
            therapist=cast.tess,
            room=cast.chiro_room,
            location=cast.hospital,
            service=service,
            start=hold.start,
            end=hold.end,
            blocked_until=hold.blocked_until,
            channel="phone",
        )
