"""Calendar feeds and files, read back with a second, strict parser (`ical`), as a calendar app would."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from kneadwell.accounts.models import AuditEvent
from kneadwell.clinic.models import Service
from kneadwell.notifications.models import FeedToken, NotificationSettings
from kneadwell.notifications.services import feed_token_create, feed_token_revoke
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from tests.cast import _appointment

NOW = dt.datetime(2026, 2, 20, 17, 0, tzinfo=dt.UTC)
# Either side of New York's spring-forward (Sunday 8 March 2026).
BEFORE_DST = dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC)  # 10:00 EST
AFTER_DST = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)  # 10:00 EDT


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def visits(cast, clock):  # type: ignore[no-untyped-def]
    """Two of Pat's visits with Tess either side of the DST change, and one of Paula's with Theo (only)."""
    Appointment.objects.filter(pk__in=[cast.pat_appointment.pk, cast.paula_appointment.pk]).delete()
    service = Service.objects.get(code="therapeutic-60")
    return [
        _appointment(cast.pat, cast.tess, cast.hospital_room, service, BEFORE_DST),
        _appointment(cast.pat, cast.tess, cast.hospital_room, service, AFTER_DST),
        _appointment(cast.paula, cast.theo, cast.hospital_room, service, AFTER_DST + dt.timedelta(hours=2)),
    ]


def _fetch(client, secret: str):  # type: ignore[no-untyped-def]
    return client.get(reverse("calendar-feed", args=[secret]))


def _strict(body: bytes):  # type: ignore[no-untyped-def]
    """Parse as a strict RFC 5545 reader does (it refuses, e.g., a DTEND without a zone)."""
    return IcsCalendarStream.calendar_from_ics(body.decode())


def test_a_therapists_feed_parses_strictly_with_zoned_times_across_dst(client, cast, visits):
    issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    response = _fetch(client, issued.secret)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = _strict(response.content)
    events = sorted(calendar.events, key=lambda e: e.dtstart)
    # Tess's two visits, not Theo's.
    assert [e.uid for e in events] == [f"{visits[0].public_id}@kneadwell", f"{visits[1].public_id}@kneadwell"]
    # 10:00 on the wall clock both times; the instants differ by the DST shift.
    assert [(e.dtstart.hour, e.dtstart.tzname()) for e in events] == [(10, "EST"), (10, "EDT")]
    assert [e.dtstart.astimezone(dt.UTC) for e in events] == [BEFORE_DST, AFTER_DST]
    assert [e.dtend - e.dtstart for e in events] == [dt.timedelta(hours=1)] * 2
    assert {tz.tz_id for tz in calendar.timezones} == {"America/New_York"}


def test_a_therapists_feed_shows_first_name_and_last_initial_by_default(client, cast, visits):
    issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    body = _fetch(client, issued.secret).content.decode()
    summaries = {e.summary for e in _strict(body.encode()).events}
    assert summaries == {"Pat P.: Therapeutic massage, 60 min"}
    assert "Palmer" not in body
    assert "pat@example" not in body


@pytest.mark.parametrize(
    ("detail", "summary"), [("none", "Client"), ("initials", "P. P."), ("full", "Pat Palmer")]
)
def test_the_clinic_setting_decides_how_much_of_the_name_shows(client, cast, visits, detail, summary):
    NotificationSettings.objects.create(feed_patient_detail=detail)
    issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    events = _strict(_fetch(client, issued.secret).content).events
    assert {e.summary.split(":")[0] for e in events} == {summary}


def test_a_patients_feed_holds_only_their_own_visits(client, cast, visits):
    issued = feed_token_create(actor=cast.pat_user, patient=cast.pat)
    events = _strict(_fetch(client, issued.secret).content).events
    assert {e.uid for e in events} == {f"{visits[0].public_id}@kneadwell", f"{visits[1].public_id}@kneadwell"}
    assert all("Tess Turner" in e.summary for e in events)


def test_uids_stay_and_sequence_rises_when_a_visit_moves(client, cast, visits, clock):
    issued = feed_token_create(actor=cast.pat_user, patient=cast.pat)
    before = {e.uid: e for e in _strict(_fetch(client, issued.secret).content).events}

    clock.shift(dt.timedelta(minutes=10))
    moved = visits[1]
    moved.start += dt.timedelta(hours=5)  # clear of Paula's visit in the same room
    moved.end += dt.timedelta(hours=5)
    moved.blocked_until += dt.timedelta(hours=5)
    moved.save()
    after = {e.uid: e for e in _strict(_fetch(client, issued.secret).content).events}

    uid = f"{moved.public_id}@kneadwell"
    assert set(after) == set(before)
    assert after[uid].sequence > before[uid].sequence
    assert after[uid].dtstart.hour == 15
    untouched = f"{visits[0].public_id}@kneadwell"
    assert after[untouched].sequence == before[untouched].sequence


def test_a_cancelled_visit_leaves_the_feed(client, cast, visits):
    issued = feed_token_create(actor=cast.pat_user, patient=cast.pat)
    Appointment.objects.filter(pk=visits[0].pk).update(status=AppointmentStatus.CANCELLED)
    uids = {e.uid for e in _strict(_fetch(client, issued.secret).content).events}
    assert uids == {f"{visits[1].public_id}@kneadwell"}


def test_icalendar_reads_the_same_feed(client, cast, visits):
    issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    calendar = Calendar.from_ical(_fetch(client, issued.secret).content)
    assert calendar.get_missing_tzids() == set()
    assert len(calendar.events) == 2


def test_a_revoked_wrong_or_malformed_address_is_404(client, cast, visits):
    issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    assert _fetch(client, issued.secret).status_code == 200
    feed_token_revoke(actor=cast.tess_user, token=issued.token)
    assert _fetch(client, issued.secret).status_code == 404
    assert _fetch(client, issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B")).status_code == 404
    assert _fetch(client, "not-a-feed").status_code == 404


def test_only_a_digest_of_the_secret_is_stored_and_the_audit_never_holds_it(client, cast, visits):
    issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    _fetch(client, issued.secret)
    _fetch(client, issued.secret)
    token = FeedToken.objects.get()
    assert issued.secret not in (token.digest, token.prefix)
    reads = AuditEvent.objects.filter(object_type="calendar_feed", action="read")
    assert reads.count() == 1  # one event per feed per day, however often it is polled
    assert reads.get().patient_id == str(cast.pat.public_id)
    assert not any(issued.secret in (e.path + str(e.detail)) for e in AuditEvent.objects.all())


class TestWhoMayManageFeeds:
    def test_a_therapist_makes_and_revokes_their_own_from_my_day(self, client, cast):
        client.force_login(cast.tess_user)
        page = client.post(reverse("therapist-feed-create"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "shown only this once" in body
        token = FeedToken.objects.get(therapist=cast.tess)
        assert "/calendar/kwf_" in body
        assert token.prefix in client.get(reverse("therapist-day")).content.decode()
        assert client.post(reverse("feed-revoke", args=[token.public_id])).status_code == 302
        token.refresh_from_db()
        assert token.revoked_at is not None

    def test_nobody_revokes_someone_elses_feed(self, client, cast):
        issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
        for user in (cast.theo_user, cast.pat_user, cast.desk):
            client.force_login(user)
            assert client.post(reverse("feed-revoke", args=[issued.token.public_id])).status_code == 404
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is None

    def test_a_patient_makes_one_in_the_portal_and_staff_on_the_patient_page(self, client, cast):
        client.force_login(cast.pat_user)
        assert client.post(reverse("patient-own-feed-create")).status_code == 200
        client.force_login(cast.desk)
        assert client.post(reverse("patient-feed-create", args=[cast.pat.public_id])).status_code == 200
        assert FeedToken.objects.filter(patient=cast.pat, revoked_at__isnull=True).count() == 2
        for token in FeedToken.objects.all():
            assert client.post(reverse("feed-revoke", args=[token.public_id])).status_code == 302
        assert not FeedToken.objects.filter(revoked_at__isnull=True).exists()

    def test_feed_creation_is_for_the_owner_roles_only(self, client, cast):
        client.force_login(cast.tess_user)
        assert client.post(reverse("patient-feed-create", args=[cast.pat.public_id])).status_code == 403
        client.force_login(cast.pat_user)
        assert client.post(reverse("therapist-feed-create")).status_code == 403


class TestAppointmentFile:
    def test_the_patient_downloads_their_visit(self, client, cast, clock):
        client.force_login(cast.pat_user)
        response = client.get(reverse("appointment-ics", args=[cast.pat_appointment.public_id]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        (event,) = _strict(response.content).events
        assert event.uid == f"{cast.pat_appointment.public_id}@kneadwell"
        assert event.dtstart.astimezone(dt.UTC) == cast.pat_appointment.start

    @pytest.mark.parametrize(
        ("role", "status"),
        [("patient", 404), ("therapist", 404), ("referrer", 404), ("front_desk", 200), ("clinic_admin", 200)],
    )
    def test_someone_elses_visit_is_out_of_scope(self, client, cast, admin_mfa, role, status):
        client.force_login(cast.user(role))
        response = client.get(reverse("appointment-ics", args=[cast.paula_appointment.public_id]))
        assert response.status_code == status

    def test_the_portal_and_the_patient_page_link_to_it(self, client, cast, clock):
        client.force_login(cast.pat_user)
        link = reverse("appointment-ics", args=[cast.pat_appointment.public_id])
        assert link in client.get(reverse("patient-home")).content.decode()
        client.force_login(cast.desk)
        page = client.get(reverse("patient-detail", args=[cast.pat.public_id])).content.decode()
        panel = reverse("patient-messages", args=[cast.pat.public_id])
        assert f'hx-get="{panel}"' in page  # the panel loads after the page
        assert link in client.get(panel, HTTP_HX_REQUEST="true").content.decode()


def test_a_clinic_admin_revokes_feeds_in_the_django_admin_and_it_is_audited(client, cast, admin_mfa):
    issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:notifications_feedtoken_changelist"),
        {"action": "revoke_feeds", "_selected_action": [issued.token.pk]},
    )
    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert AuditEvent.objects.filter(object_type="calendar_feed", action="delete").exists()
    assert _fetch(client, issued.secret).status_code == 404
