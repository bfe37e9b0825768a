"""Contact preferences and opt-outs: a message the patient opted out of is suppressed, logged, never sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.lib.clock import now
from kneadwell.lib.errors import DomainError
from kneadwell.notifications.delivery import schedule_reminders
from kneadwell.notifications.models import (
    ContactPreference,
    Message,
    MessageChannel,
    MessageKind,
    MessageStatus,
)
from kneadwell.notifications.services import appointment_booked, contact_preferences_update
from kneadwell.notifications.sms import MemorySmsProvider
from kneadwell.scheduling.models import Appointment


def _prefs(cast, **values):  # type: ignore[no-untyped-def]
    fields = {
        "email_enabled": True,
        "sms_enabled": False,
        "sms_number": "",
        "reminders_enabled": True,
        **values,
    }
    return contact_preferences_update(actor=cast.desk, patient=cast.pat, **fields)


def test_a_reminder_to_a_patient_who_opted_out_is_suppressed_and_logged(cast, patient_email, clock, work):
    _prefs(cast, reminders_enabled=False)
    Appointment.objects.filter(pk=cast.pat_appointment.pk).update(created_at=now() - dt.timedelta(days=7))

    assert schedule_reminders() == 1
    work()

    reminder = Message.objects.get(kind=MessageKind.REMINDER)
    assert reminder.status == MessageStatus.SUPPRESSED
    assert reminder.reason == "The patient asked not to get reminders."
    assert reminder.attempts == 0
    assert mail.outbox == []


def test_reminders_off_still_sends_the_confirmation(
    cast, patient_email, clock, work, django_capture_on_commit_callbacks
):
    _prefs(cast, reminders_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_booked(cast.pat_appointment)
    work()
    assert len(mail.outbox) == 1


def test_email_off_suppresses_email_and_texts_go_to_the_number(
    cast, patient_email, clock, work, django_capture_on_commit_callbacks
):
    _prefs(cast, email_enabled=False, sms_enabled=True, sms_number="+1 (312) 555-0123")
    with django_capture_on_commit_callbacks(execute=True):
        written = appointment_booked(cast.pat_appointment)
    work()

    by_channel = {m.channel: m for m in Message.objects.filter(pk__in=[m.pk for m in written])}
    assert by_channel[MessageChannel.EMAIL].status == MessageStatus.SUPPRESSED
    assert by_channel[MessageChannel.SMS].status == MessageStatus.SENT
    assert mail.outbox == []
    (text,) = MemorySmsProvider.outbox
    assert text.to == "+13125550123"
    assert "10:00 to 11:00 New York time (EST)" in text.body


def test_an_opt_out_made_after_queueing_is_honoured_at_send_time(
    cast, patient_email, clock, work, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (message,) = appointment_booked(cast.pat_appointment)
    _prefs(cast, email_enabled=False)
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    assert message.delivery_attempts.get().outcome == "suppressed"
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("number", "problem"),
    [("", "Give a mobile number"), ("312 555 0123", "country code"), ("+0123", "international form")],
)
def test_texts_need_a_well_formed_number(cast, number, problem):
    with pytest.raises(DomainError, match=problem) as caught:
        _prefs(cast, sms_enabled=True, sms_number=number)
    assert caught.value.field == "sms_number"
    assert not ContactPreference.objects.exists()


def test_only_staff_and_the_patient_may_change_them(cast):
    for user in (cast.tess_user, cast.rita_user, cast.paula_user):
        with pytest.raises(PermissionDenied):
            contact_preferences_update(
                actor=user,
                patient=cast.pat,
                email_enabled=False,
                sms_enabled=False,
                sms_number="",
                reminders_enabled=True,
            )
    contact_preferences_update(
        actor=cast.pat_user,
        patient=cast.pat,
        email_enabled=False,
        sms_enabled=False,
        sms_number="",
        reminders_enabled=True,
    )
    assert ContactPreference.objects.get(patient=cast.pat).email_enabled is False
    assert AuditEvent.objects.filter(
        object_type="contact_preference", patient_id=str(cast.pat.public_id)
    ).exists()


class TestPortalPage:
    def test_the_patient_sees_and_saves_their_choices(self, client, cast):
        client.force_login(cast.pat_user)
        page = client.get(reverse("patient-contact"))
        assert page.status_code == 200
        assert "How we contact you" in page.content.decode()

        response = client.post(
            reverse("patient-contact"),
            {"email_enabled": "on", "sms_enabled": "on", "sms_number": "+13125550123"},
        )
        assert response.status_code == 302
        saved = ContactPreference.objects.get(patient=cast.pat)
        assert (saved.email_enabled, saved.sms_enabled, saved.reminders_enabled) == (True, True, False)
        assert saved.sms_number == "+13125550123"

    def test_a_bad_number_is_a_422_naming_the_field_and_saves_nothing(self, client, cast):
        client.force_login(cast.pat_user)
        response = client.post(reverse("patient-contact"), {"sms_enabled": "on", "sms_number": "call me"})
        assert response.status_code == 422
        body = response.content.decode()
        assert 'aria-invalid="true"' in body
        assert "Give a mobile number" in body
        assert not ContactPreference.objects.exists()

    def test_the_portal_home_links_to_it(self, client, cast):
        client.force_login(cast.pat_user)
        assert reverse("patient-contact") in client.get(reverse("patient-home")).content.decode()


class TestStaffForm:
    def test_the_front_desk_records_them_from_the_patient_page(self, client, cast):
        client.force_login(cast.desk)
        panel = client.get(reverse("patient-messages", args=[cast.pat.public_id]), HTTP_HX_REQUEST="true")
        body = panel.content.decode()
        assert "<html" not in body  # the fragment alone, for htmx
        assert reverse("patient-contact-staff", args=[cast.pat.public_id]) in body
        response = client.post(
            reverse("patient-contact-staff", args=[cast.pat.public_id]), {"email_enabled": "on"}
        )
        assert response.status_code == 302
        assert ContactPreference.objects.get(patient=cast.pat).reminders_enabled is False

    def test_without_javascript_the_panel_is_a_page_of_its_own(self, client, cast):
        client.force_login(cast.desk)
        page = client.get(reverse("patient-messages", args=[cast.pat.public_id]))
        assert page.status_code == 200
        assert "Pat Palmer: messages and calendar" in page.content.decode()

    def test_the_panel_keeps_a_bounded_number_of_queries(
        self, client, cast, patient_email, clock, work, django_assert_max_num_queries
    ):
        from kneadwell.notifications.services import appointment_booked

        appointment_booked(cast.pat_appointment)
        client.force_login(cast.desk)
        url = reverse("patient-messages", args=[cast.pat.public_id])
        client.get(url)
        # session, user, security policy, patient, audit chain (lock, tail, insert), preferences,
        # messages and their attempts, feeds, coming visits
        with django_assert_max_num_queries(14):
            client.get(url, HTTP_HX_REQUEST="true")

    def test_therapists_do_not_get_the_form(self, client, cast):
        client.force_login(cast.tess_user)
        page = client.get(reverse("patient-detail", args=[cast.pat.public_id])).content.decode()
        assert "Messages and calendar" not in page
        assert client.get(reverse("patient-messages", args=[cast.pat.public_id])).status_code == 403
        response = client.post(reverse("patient-contact-staff", args=[cast.pat.public_id]), {})
        assert response.status_code == 403
