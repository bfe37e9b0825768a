"""The waitlist's pages: the front desk's ranked list, the patient's offers and join form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.services import appointment_cancel
from kneadwell.waitlist.models import OfferStatus, WaitlistOffer, WaitlistRequest

from .conftest import WED_10, join

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def offered(cast, service, nell_booking):  # type: ignore[no-untyped-def]
    join(cast, cast.paula, service)
    pat = join(cast, cast.pat, service, urgency="urgent")
    appointment_cancel(appointment=nell_booking, actor=cast.desk, by_patient=False)
    return WaitlistOffer.objects.get(request=pat, status=OfferStatus.OPEN)


def test_the_desk_sees_the_ranking_its_reasons_and_the_offers_expiry(client, cast, offered):
    client.force_login(cast.desk)

    page = client.get(reverse("desk-waitlist")).content.decode()

    assert page.index("Pat Palmer") < page.index("Paula Price")
    assert "Marked urgent by the clinic." in page
    assert "Waiting since 1 Dec 2026 (0 days)." in page
    assert "held until <strong>Tue 1 Dec, 09:00 EST</strong>" in page  # 14:00 UTC, in New York


def test_only_staff_open_the_desk_waitlist(client, cast):
    client.force_login(cast.tess_user)
    assert client.get(reverse("desk-waitlist")).status_code == 403


def test_the_patient_sees_the_offer_and_books_it(client, cast, offered):
    client.force_login(cast.pat_user)
    home = client.get(reverse("patient-home")).content.decode()
    assert "A time from the waitlist is held for you." in home

    page = client.get(reverse("patient-waitlist")).content.decode()
    assert "Wednesday 2 December 2026, 10:00–11:00" in page
    assert "Tess Turner" in page
    response = client.post(reverse("waitlist-offer-accept", args=[offered.public_id]))

    assert response.status_code == 302
    booked = Appointment.objects.get(pk=offered.hold_id)
    assert (booked.status, booked.start, booked.patient) == (AppointmentStatus.BOOKED, WED_10, cast.pat)


def test_another_patients_offer_is_not_found(client, cast, offered):
    client.force_login(cast.paula_user)

    response = client.post(reverse("waitlist-offer-accept", args=[offered.public_id]))

    assert response.status_code == 404
    assert Appointment.objects.get(pk=offered.hold_id).status == AppointmentStatus.HELD


def test_the_patient_joins_and_a_past_window_is_refused_naming_the_field(client, cast, service):
    client.force_login(cast.pat_user)
    form = {
        "location": str(cast.hospital.public_id),
        "service": service.code,
        "first_day": "2026-11-02",
        "last_day": "2026-11-20",
        "weekdays": ["0", "2"],
        "earliest_time": "09:00",
        "latest_time": "17:00",
    }

    refused = client.post(reverse("patient-waitlist"), form)

    assert refused.status_code == 422
    assert 'id="wl-last-error"' in refused.content.decode()
    assert not WaitlistRequest.objects.exists()

    joined = client.post(
        reverse("patient-waitlist"), {**form, "first_day": "2026-12-02", "last_day": "2026-12-20"}
    )

    assert joined.status_code == 302
    item = WaitlistRequest.objects.get()
    assert (item.patient, item.weekdays, item.urgency) == (cast.pat, [0, 2], "routine")
    assert item.first_day == dt.date(2026, 12, 2)


def test_the_desk_books_an_offer_the_patient_accepted_by_phone(client, cast, offered):
    client.force_login(cast.desk)

    response = client.post(reverse("waitlist-offer-accept", args=[offered.public_id]))

    assert response.status_code == 302
    booked = Appointment.objects.get(pk=offered.hold_id)
    assert (booked.status, booked.channel, booked.booked_by) == (AppointmentStatus.BOOKED, "phone", cast.desk)
    page = client.get(reverse("desk-waitlist")).content.decode()
    assert "Pat Palmer" not in page  # booked: off the list


def test_the_days_pages_show_a_held_time_without_trouble(client, cast, offered):
    client.force_login(cast.desk)
    assert client.get(reverse("desk-today"), {"date": "2026-12-02"}).status_code == 200
    client.force_login(cast.tess_user)
    day = client.get(reverse("therapist-day"), {"date": "2026-12-02"})
    assert day.status_code == 200
    assert "Held for a waitlist offer" in day.content.decode()


def _desk_form(cast, service, **changes):  # type: ignore[no-untyped-def]
    return {
        "location": str(cast.hospital.public_id),
        "service": service.code,
        "first_day": "2026-12-02",
        "last_day": "2026-12-20",
        "weekdays": ["1", "3"],
        "earliest_time": "08:00",
        "latest_time": "12:00",
        "urgency": "urgent",
        **changes,
    }


def test_the_desk_puts_a_caller_on_the_waitlist_with_urgency_and_referral(client, cast, service):
    referral = cast.pat.referrals.get()
    client.force_login(cast.desk)
    url = reverse("patient-waitlist-add", args=[cast.pat.public_id])
    form_page = client.get(url).content.decode()
    assert 'name="urgency"' in form_page
    assert str(referral.public_id) in form_page

    response = client.post(url, _desk_form(cast, service, referral=str(referral.public_id)))

    assert response.status_code == 302
    assert response["Location"] == reverse("desk-waitlist")
    item = WaitlistRequest.objects.get()
    assert (item.patient, item.urgency, item.referral, item.weekdays) == (
        cast.pat,
        "urgent",
        referral,
        [1, 3],
    )
    assert "Pat Palmer" in client.get(reverse("desk-waitlist")).content.decode()


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"urgency": "whenever"}, 'id="wl-urgency-error"'),
        ({"referral": "00000000-0000-0000-0000-000000000000"}, 'id="wl-referral-error"'),
        ({"first_day": "2026-11-02", "last_day": "2026-11-20"}, 'id="wl-last-error"'),
        ({"earliest_time": "noon"}, "Give an earliest time."),
    ],
)
def test_the_desk_form_refuses_bad_input_naming_the_field_and_writes_nothing(
    client, cast, service, changes, said
):
    client.force_login(cast.desk)

    response = client.post(
        reverse("patient-waitlist-add", args=[cast.pat.public_id]), _desk_form(cast, service, **changes)
    )

    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()
    assert said in response.content.decode()
    assert not WaitlistRequest.objects.exists()


def test_only_staff_put_patients_on_the_waitlist_for_them(client, cast, service):
    url = reverse("patient-waitlist-add", args=[cast.pat.public_id])
    for user in (cast.tess_user, cast.pat_user, cast.rita_user):
        client.force_login(user)
        assert client.post(url, _desk_form(cast, service)).status_code == 403
    client.force_login(cast.desk)
    assert client.get(reverse("patient-waitlist-add", args=["0" * 32])).status_code == 404
    assert not WaitlistRequest.objects.exists()
