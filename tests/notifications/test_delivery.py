"""Delivery never fails silently: retried with backoff and logged, failed messages shown until handled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from kneadwell.accounts.models import AuditEvent
from kneadwell.notifications.delivery import deliver
from kneadwell.notifications.models import AttemptOutcome, Message, MessageKind, MessageStatus
from kneadwell.notifications.services import appointment_booked, message_mark_handled, message_retry

from .backends import DownBackend, FlakyBackend
from .conftest import NOW

BASE = dt.timedelta(seconds=120)


def _book(cast, django_capture_on_commit_callbacks) -> Message:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        (message,) = appointment_booked(cast.pat_appointment, actor=cast.desk)
    return message


def test_booking_writes_a_queued_confirmation_and_sends_nothing_in_the_request(
    cast, patient_email, clock, django_capture_on_commit_callbacks
):
    message = _book(cast, django_capture_on_commit_callbacks)

    assert message.status == MessageStatus.QUEUED
    assert message.kind == MessageKind.CONFIRMATION
    assert mail.outbox == []
    # The worker is woken through the database queue, after the commit.
    assert DBTaskResult.objects.filter(task_path="kneadwell.notifications.tasks.send_message").count() == 1


def test_the_same_booking_reported_twice_writes_one_message(
    cast, patient_email, clock, django_capture_on_commit_callbacks
):
    _book(cast, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        again = appointment_booked(cast.pat_appointment)
    assert again == []
    assert Message.objects.count() == 1


def test_a_backend_that_fails_twice_then_succeeds_is_retried_with_backoff_and_logged(
    cast, patient_email, clock, settings, work, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakyBackend"
    message = _book(cast, django_capture_on_commit_callbacks)
    start = NOW.timestamp()

    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.RETRYING
    assert message.attempts == 1
    assert message.next_attempt_at == message.updated_at + BASE

    work()  # nothing is due yet: the retry waits for its time
    assert FlakyBackend.calls == 1

    clock.shift(BASE)
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.RETRYING
    assert message.attempts == 2
    # Exponential: the wait doubles.
    assert message.next_attempt_at - message.updated_at == 2 * BASE

    clock.shift(2 * BASE)
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert FlakyBackend.calls == 3
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.org"]

    attempts = list(message.delivery_attempts.order_by("number"))
    assert [a.outcome for a in attempts] == [AttemptOutcome.ERROR, AttemptOutcome.ERROR, AttemptOutcome.SENT]
    assert all("Connection unexpectedly closed" in a.detail for a in attempts[:2])
    assert [a.started_at.timestamp() - start for a in attempts] == [0, 120, 360]


def test_a_backend_that_always_fails_ends_failed_and_on_the_today_page(
    cast, patient_email, clock, settings, work, client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.DownBackend"
    settings.KNEADWELL_NOTIFY_MAX_ATTEMPTS = 4
    message = _book(cast, django_capture_on_commit_callbacks)

    for _ in range(10):
        work()
        clock.shift(dt.timedelta(hours=1))
    message.refresh_from_db()

    assert message.status == MessageStatus.FAILED
    assert message.attempts == 4
    assert DownBackend.calls == 4  # gave up after the last attempt, no more tries
    assert "Service not available" in message.reason
    assert mail.outbox == []

    client.force_login(cast.desk)
    page = client.get(reverse("desk-today")).content.decode()
    assert "Messages that did not go out" in page
    assert cast.pat.full_name in page
    assert "Service not available" in page
    assert reverse("desk-message-retry", args=[message.public_id]) in page
    assert reverse("desk-message-handled", args=[message.public_id]) in page


def test_an_address_the_server_refuses_fails_at_once_without_retrying(
    cast, patient_email, clock, settings, work, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.RefusingBackend"
    message = _book(cast, django_capture_on_commit_callbacks)
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 1
    assert "User unknown" in message.reason


def test_a_patient_without_an_address_is_a_visible_failure_not_a_silent_skip(
    cast, clock, work, django_capture_on_commit_callbacks
):
    message = _book(cast, django_capture_on_commit_callbacks)  # Pat has no e-mail address
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "No e-mail address on file" in message.reason
    assert message.needs_attention


def test_a_backend_that_accepts_nothing_counts_as_a_failure(
    cast, patient_email, clock, settings, work, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.SilentBackend"
    message = _book(cast, django_capture_on_commit_callbacks)
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.RETRYING
    assert "accepted nothing" in message.reason


def test_retry_from_the_today_page_sends_again_with_a_fresh_round(
    cast, patient_email, clock, settings, work, client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.RefusingBackend"
    message = _book(cast, django_capture_on_commit_callbacks)
    work()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the address was fixed

    client.force_login(cast.desk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("desk-message-retry", args=[message.public_id]))
    assert response.status_code == 302
    work()

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(object_type="message", detail__event="retry").exists()
    assert "Messages that did not go out" not in client.get(reverse("desk-today")).content.decode()


def test_mark_handled_takes_it_off_the_today_page_but_it_stays_failed(
    cast, clock, work, client, django_capture_on_commit_callbacks
):
    message = _book(cast, django_capture_on_commit_callbacks)
    work()
    client.force_login(cast.desk)
    response = client.post(
        reverse("desk-message-handled", args=[message.public_id]), {"note": "Called Pat, confirmed by phone"}
    )
    assert response.status_code == 302

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.handled_by == cast.desk
    assert message.handled_note == "Called Pat, confirmed by phone"
    assert "Messages that did not go out" not in client.get(reverse("desk-today")).content.decode()
    # Still in the delivery log.
    log = client.get(reverse("desk-messages")).content.decode()
    assert "Called Pat, confirmed by phone" in log


def test_only_a_failed_message_can_be_retried_or_handled(
    cast, patient_email, clock, work, django_capture_on_commit_callbacks
):
    from kneadwell.lib.errors import Conflict

    message = _book(cast, django_capture_on_commit_callbacks)
    work()  # sent (locmem)
    with pytest.raises(Conflict):
        message_retry(actor=cast.desk, message=message)
    with pytest.raises(Conflict):
        message_mark_handled(actor=cast.desk, message=message)


@pytest.mark.parametrize("role", ["therapist", "patient", "referrer"])
def test_only_clinic_staff_retry_or_handle_messages(
    cast, clock, work, client, role, django_capture_on_commit_callbacks
):
    message = _book(cast, django_capture_on_commit_callbacks)
    work()
    client.force_login(cast.user(role))
    assert client.post(reverse("desk-message-retry", args=[message.public_id])).status_code == 403
    assert client.post(reverse("desk-message-handled", args=[message.public_id])).status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.handled_at is None


def test_a_duplicate_task_never_sends_twice(cast, patient_email, clock, django_capture_on_commit_callbacks):
    message = _book(cast, django_capture_on_commit_callbacks)
    assert deliver(str(message.public_id)) == MessageStatus.SENT
    assert deliver(str(message.public_id)) == "skipped"
    assert len(mail.outbox) == 1


def test_the_confirmation_carries_the_calendar_file(
    cast, patient_email, clock, work, django_capture_on_commit_callbacks
):
    _book(cast, django_capture_on_commit_callbacks)
    work()
    (email,) = mail.outbox
    (name, content, mimetype) = email.attachments[0]
    assert mimetype == "text/calendar"
    assert name.endswith(".ics")
    assert f"UID:{cast.pat_appointment.public_id}@kneadwell" in content
