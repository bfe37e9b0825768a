"""What each home page shows: local times, the right people's appointments, audit records."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.referrals.models import Referral, ReferralStatus
from kneadwell.scheduling.models import AppointmentStatus

# The cast's appointments: Pat 15:00 UTC and Paula 17:00 UTC on 2026-12-01, in the New York hospital.
CAST_DAY = "2026-12-01"
MORNING_IN_NEW_YORK = dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.UTC)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def today_url(location, **params: str) -> str:  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={v}" for k, v in {"location": location.public_id, **params}.items())
    return f"{reverse('desk-today')}?{query}"


def test_today_lists_the_days_appointments_in_the_locations_local_time(client, cast):
    client.force_login(cast.desk)
    page = text(client.get(today_url(cast.hospital, date=CAST_DAY)))
    assert "10:00–11:00" in page  # Pat: 15:00 UTC is 10:00 EST
    assert "12:00–13:00" in page  # Paula: 17:00 UTC is 12:00 EST
    assert "EST" in page
    assert page.index("Pat Palmer") < page.index("Paula Price")
    assert "Tess Turner" in page
    assert "Therapeutic massage, 60 min" in page
    assert '<span class="chip chip-booked">Booked</span>' in page


def test_today_defaults_to_the_current_local_date_when_frozen(client, cast):
    client.force_login(cast.desk)
    with time_machine.travel(MORNING_IN_NEW_YORK, tick=False):
        page = text(client.get(today_url(cast.hospital)))
    assert "10:00–11:00" in page
    assert "Tuesday 1 December 2026" in page


def test_today_uses_the_location_zone_for_the_local_date(client, cast):
    # 03:00 UTC on 2 December is still 1 December in New York: the cast's appointments are "today".
    client.force_login(cast.desk)
    with time_machine.travel(dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        page = text(client.get(today_url(cast.hospital)))
    assert "Pat Palmer" in page


def test_today_counts_appointments_new_referrals_and_gaps(client, cast):
    client.force_login(cast.desk)
    response = client.get(today_url(cast.hospital, date=CAST_DAY))
    ctx = response.context
    assert ctx["appointment_count"] == 2
    assert ctx["new_referral_count"] == Referral.objects.filter(status=ReferralStatus.RECEIVED).count() == 2
    # Pat's session blocks the room until 11:15 (15-minute turnover); Paula starts at 12:00.
    assert ctx["gap_count"] == 1
    assert "11:15–12:00" in text(response)


def test_today_at_another_location_does_not_show_the_hospitals_appointments(client, cast):
    client.force_login(cast.desk)
    page = text(client.get(today_url(cast.chiro, date=CAST_DAY)))
    assert "Pat Palmer" not in page
    assert "No appointments in this room." in page


def test_location_choice_is_remembered_in_the_session(client, cast):
    client.force_login(cast.desk)
    client.get(today_url(cast.hospital, date=CAST_DAY))
    page = text(client.get(f"{reverse('desk-today')}?date={CAST_DAY}"))
    assert "at Riverside Hospital Outpatient Massage" in page


def test_today_hides_nothing_cancelled_but_does_not_count_it(client, cast):
    cast.paula_appointment.status = AppointmentStatus.CANCELLED
    cast.paula_appointment.save()
    client.force_login(cast.desk)
    response = client.get(today_url(cast.hospital, date=CAST_DAY))
    assert response.context["appointment_count"] == 1
    assert '<span class="chip chip-cancelled">Cancelled</span>' in text(response)


def test_an_unreadable_date_falls_back_to_today_with_a_message(client, cast):
    client.force_login(cast.desk)
    with time_machine.travel(MORNING_IN_NEW_YORK, tick=False):
        page = text(client.get(today_url(cast.hospital, date="2026-13-45")))
    assert "is not a date" in page
    assert "Pat Palmer" in page


def test_htmx_day_navigation_gets_only_the_day_view(client, cast):
    client.force_login(cast.desk)
    response = client.get(today_url(cast.hospital, date=CAST_DAY), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="day-view">')
    assert "<html" not in body
    assert "Pat Palmer" in body


def test_today_records_an_audit_event_per_patient_shown(client, cast):
    client.force_login(cast.desk)
    client.get(today_url(cast.hospital, date=CAST_DAY))
    shown = set(
        AuditEvent.objects.filter(actor=cast.desk, channel="web").values_list("patient_id", flat=True)
    )
    assert shown == {str(cast.pat.public_id), str(cast.paula.public_id)}


def test_therapist_day_shows_only_their_own_sessions(client, cast):
    client.force_login(cast.tess_user)
    page = text(client.get(f"{reverse('therapist-day')}?date={CAST_DAY}"))
    assert "Pat Palmer" in page
    assert "Paula Price" not in page
    assert "10:00–11:00" in page
    assert "Riverside Hospital Outpatient Massage · Room 1" in page
    assert "<dt>Pressure</dt><dd>Medium</dd>" in page


def test_therapist_without_a_therapist_record_gets_a_friendly_message(client, cast):
    cast.tess.user = None
    cast.tess.save()
    client.force_login(cast.tess_user)
    response = client.get(reverse("therapist-day"))
    assert response.status_code == 200
    assert "not linked to a therapist profile" in text(response)


def test_patient_home_highlights_the_next_appointment(client, cast):
    client.force_login(cast.pat_user)
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False):
        response = client.get(reverse("patient-home"))
    page = text(response)
    assert response.context["next_appointment"] == cast.pat_appointment
    assert "Tuesday 1 December 2026" in page
    assert "10:00–11:00" in page
    assert "Tess Turner" in page
    assert "Paula" not in page


def test_patient_home_lists_a_past_appointment_as_past(client, cast):
    cast.pat_appointment.status = AppointmentStatus.COMPLETED
    cast.pat_appointment.save()
    client.force_login(cast.pat_user)
    with time_machine.travel(dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC), tick=False):
        response = client.get(reverse("patient-home"))
    assert response.context["next_appointment"] is None
    assert response.context["past_appointments"] == [cast.pat_appointment]
    assert "You have no upcoming appointments." in text(response)


def test_patient_without_a_patient_record_gets_a_friendly_message(client, cast):
    cast.pat.user = None
    cast.pat.save()
    client.force_login(cast.pat_user)
    response = client.get(reverse("patient-home"))
    assert response.status_code == 200
    assert "not linked to a patient record" in text(response)


def test_referrer_home_lists_only_their_referrals_with_visits_and_next_date(client, cast):
    client.force_login(cast.rita_user)
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False):
        response = client.get(reverse("referrer-home"))
    page = text(response)
    assert [row["referral"].patient for row in response.context["rows"]] == [cast.pat]
    assert "Paula" not in page
    assert "Neck pain" in page
    assert "Tue 1 Dec 2026" in page
    assert '<span class="chip chip-received">Received</span>' in page


def test_referrer_home_counts_completed_visits(client, cast):
    cast.pat_appointment.status = AppointmentStatus.COMPLETED
    cast.pat_appointment.save()
    client.force_login(cast.rita_user)
    response = client.get(reverse("referrer-home"))
    assert response.context["rows"][0]["visits"] == 1


def test_viewing_a_patient_page_writes_an_audit_event(client, cast):
    client.force_login(cast.tess_user)
    client.get(reverse("patient-detail", args=[cast.pat.public_id]))
    event = AuditEvent.objects.get(actor=cast.tess_user, object_type="patient")
    assert event.patient_id == str(cast.pat.public_id)
    assert event.channel == "web"
    assert event.action == "read"


def test_a_refused_patient_page_records_the_attempt_not_a_read(client, cast):
    client.force_login(cast.tess_user)
    assert client.get(reverse("patient-detail", args=[cast.paula.public_id])).status_code == 404
    events = AuditEvent.objects.filter(patient_id=str(cast.paula.public_id))
    assert [(e.action, e.actor, e.channel) for e in events] == [("denied", cast.tess_user, "web")]


def test_patient_page_shows_appointments_and_referrals(client, cast):
    client.force_login(cast.desk)
    page = text(client.get(reverse("patient-detail", args=[cast.pat.public_id])))
    assert "Born 1 May 1980" in page
    assert "Tue 1 Dec 2026, 10:00" in page
    assert "Dr Rita Reyes" in page


def test_patient_search_finds_by_name_and_audits_the_results(client, cast):
    client.force_login(cast.desk)
    response = client.get(reverse("patient-search"), {"q": "palm"})
    assert response.context["results"] == [cast.pat]
    assert AuditEvent.objects.filter(actor=cast.desk, patient_id=str(cast.pat.public_id)).exists()


def test_patient_search_with_two_words_narrows_the_list(client, cast):
    client.force_login(cast.desk)
    response = client.get(reverse("patient-search"), {"q": "pa price"})
    assert response.context["results"] == [cast.paula]


def test_patient_search_over_htmx_returns_only_the_results(client, cast):
    client.force_login(cast.desk)
    response = client.get(reverse("patient-search"), {"q": "pa"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "Palmer, Pat" in body
    assert "Price, Paula" in body


def test_audit_log_filters_by_patient_and_by_username(client, cast, admin_mfa):
    client.force_login(cast.tess_user)
    client.get(reverse("patient-detail", args=[cast.pat.public_id]))
    client.force_login(cast.desk)
    client.get(reverse("patient-detail", args=[cast.paula.public_id]))
    client.force_login(admin_mfa)
    by_patient = client.get(reverse("audit-log"), {"patient": str(cast.pat.public_id)})
    assert {e.patient_id for e in by_patient.context["page"].object_list} == {str(cast.pat.public_id)}
    by_user = client.get(reverse("audit-log"), {"user": "desk"})
    assert {e.actor_username for e in by_user.context["page"].object_list} == {"desk"}


def test_audit_log_pages_newest_first_without_counting_the_trail(client, cast, admin_mfa):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kneadwell.accounts.models import AuditAction, AuditEvent
    from kneadwell.accounts.services import audit_record

    for n in range(60):
        audit_record(
            actor=cast.desk, action=AuditAction.READ, object_type="patient", object_id=f"p{n}", channel="web"
        )
    client.force_login(admin_mfa)
    client.get(reverse("audit-log"))
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("audit-log"))
    second = client.get(reverse("audit-log"), {"page": "2"})

    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    newest = list(AuditEvent.objects.order_by("-at", "-id")[:50])
    assert list(first.context["page"].object_list) == newest
    assert first.context["page"].has_next
    assert "page=2" in first.content.decode()
    assert second.context["page"].number == 2
    assert not set(second.context["page"].object_list) & set(newest)


def test_admin_home_lists_licences_expiring_soon_or_expired(client, cast, admin_mfa):
    expiring = cast.tess.licences.get()
    expiring.expires = dt.date(2026, 12, 20)
    expiring.save()
    client.force_login(admin_mfa)
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        page = text(client.get(reverse("admin-home")))
    assert "LMT US-NY LMT-TURNER" in page
    assert "Expiring soon" in page
    assert "LMT-TANAKA" not in page  # Theo's licence runs to 2030


def _busy_day(cast) -> None:  # type: ignore[no-untyped-def]
    """Ten more appointments for ten more patients on the cast's day, and ten more of Pat's on later days."""
    from kneadwell.clinic.models import Room
    from kneadwell.patients.models import Patient
    from tests.cast import _appointment

    service = cast.pat_appointment.service
    room_2 = Room.objects.create(location=cast.hospital, name="Room 2")
    day_start = dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)  # local midnight in New York
    slot = dt.timedelta(minutes=75)  # 60-minute session + 15-minute turnover: never overlapping
    starts = [day_start + i * slot for i in range(6)] + [
        dt.datetime(2026, 12, 1, 18, 15, tzinfo=dt.UTC) + i * slot for i in range(4)
    ]
    for i, start in enumerate(starts):
        patient = Patient.objects.create(
            given_name=f"Extra{i}", family_name="Patient", birth_date=dt.date(1990, 1, 1)
        )
        _appointment(patient, cast.theo, room_2, service, start)
    for days in range(1, 11):
        _appointment(
            cast.pat,
            cast.tess,
            cast.hospital_room,
            service,
            cast.pat_appointment.start + dt.timedelta(days=days),
        )


def test_today_keeps_a_bounded_number_of_queries(client, cast, django_assert_max_num_queries):
    _busy_day(cast)
    client.force_login(cast.desk)
    client.get(today_url(cast.hospital, date=CAST_DAY))  # the session's first request stamps it
    # The page's own reads and its panels (new referrals, messages that did not go out, overdue
    # notes), plus the security policy and the audit chain: a lock on PostgreSQL, the chain's tail,
    # one row appended. Bounded, whatever the day holds.
    with django_assert_max_num_queries(16):
        response = client.get(today_url(cast.hospital, date=CAST_DAY))
    assert response.context["appointment_count"] == 12


def test_patient_page_keeps_a_bounded_number_of_queries(client, cast, django_assert_max_num_queries):
    _busy_day(cast)
    client.force_login(cast.desk)
    client.get(reverse("patient-detail", args=[cast.pat.public_id]))  # the session's first request stamps it
    # As above (the policy and the audit chain included: a lock on PostgreSQL, the tail, one row), the
    # patient, the next visits and the recent ones (two bounded reads), the referrals, the records held as
    # possible duplicates, and the locations the "Find a time" form offers.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("patient-detail", args=[cast.pat.public_id]))
    assert len(response.context["upcoming_appointments"]) + len(response.context["past_appointments"]) == 11
