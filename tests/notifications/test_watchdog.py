"""The watchdog: a send a crashed worker left behind, or a message whose task was lost, goes out exactly
once; reminders are written once per booked time, however often the scheduler runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from kneadwell.lib.clock import now
from kneadwell.notifications import delivery
from kneadwell.notifications.delivery import deliver, schedule_reminders, watchdog
from kneadwell.notifications.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Message,
    MessageKind,
    MessageStatus,
)
from kneadwell.notifications.services import appointment_booked
from kneadwell.scheduling.models import Appointment

LEASE = dt.timedelta(seconds=600)


def _crashed_mid_send(message: Message) -> None:
    """What a worker killed between claiming the message and hearing from the provider leaves behind."""
    at = now()
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, attempts=1, lease_until=at + LEASE
    )
    DeliveryAttempt.objects.create(message=message, number=1, started_at=at, worker="crashed")


@pytest.mark.django_db(transaction=True)
def test_a_send_left_behind_by_a_crashed_worker_goes_out_exactly_once(cast, patient_email, clock, work):
    (message,) = appointment_booked(cast.pat_appointment)  # autocommit: the task is enqueued at once
    DBTaskResult.objects.all().delete()  # and lost with the worker
    _crashed_mid_send(message)

    work()  # the lease has not run out: nobody touches it
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING
    assert mail.outbox == []

    clock.shift(LEASE + dt.timedelta(seconds=1))
    work()  # the watchdog takes it back; still inside the grace period, it is not woken yet
    clock.shift(dt.timedelta(minutes=3))
    work()  # woken and sent
    work()  # a second pass (and a second worker's watchdog) finds nothing to do
    watchdog()
    work()

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1
    attempts = list(message.delivery_attempts.order_by("number"))
    assert [a.outcome for a in attempts] == [AttemptOutcome.INTERRUPTED, AttemptOutcome.SENT]
    assert "worker stopped" in attempts[0].detail


@pytest.mark.django_db(transaction=True)
def test_a_queued_message_whose_task_was_lost_is_sent_exactly_once(cast, patient_email, clock, work):
    (message,) = appointment_booked(cast.pat_appointment)
    DBTaskResult.objects.all().delete()

    work()
    assert mail.outbox == []  # not overdue yet: the worker may still be about to take it

    clock.shift(dt.timedelta(minutes=3))
    report = watchdog()
    assert report.woken == 1
    assert watchdog().woken == 0  # woken once, not once a pass
    work()
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1


def test_a_crash_during_the_last_attempt_is_a_visible_failure(cast, patient_email, clock, settings):
    settings.KNEADWELL_NOTIFY_MAX_ATTEMPTS = 1
    (message,) = appointment_booked(cast.pat_appointment)
    _crashed_mid_send(message)
    clock.shift(LEASE + dt.timedelta(seconds=1))
    assert watchdog().recovered == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "may or may not have gone out" in message.reason
    assert message.needs_attention


def test_a_send_that_finishes_after_its_lease_ran_out_is_not_sent_again(cast, patient_email, clock):
    (message,) = appointment_booked(cast.pat_appointment)
    # A worker claims it, then stalls past its lease; the watchdog takes it back meanwhile.
    late = now() + LEASE + dt.timedelta(seconds=1)
    claim = delivery._claim(str(message.public_id), now(), "slow")
    assert claim is not None
    watchdog(at=late)
    message.refresh_from_db()
    assert message.status == MessageStatus.RETRYING
    # The stalled worker finishes: the message is sent, and the queued retry then finds nothing to do.
    delivery._finish(
        claim[0],
        claim[1],
        status=MessageStatus.SENT,
        outcome=AttemptOutcome.SENT,
        detail="accepted",
        at=late,
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert deliver(str(message.public_id), at=late + dt.timedelta(minutes=5)) == "skipped"


class TestReminders:
    @pytest.fixture
    def booked_last_week(self, cast, patient_email, clock):  # type: ignore[no-untyped-def]
        Appointment.objects.filter(pk=cast.pat_appointment.pk).update(created_at=now() - dt.timedelta(days=7))
        return Appointment.objects.get(pk=cast.pat_appointment.pk)

    def test_a_reminder_is_written_once_when_the_visit_enters_the_reminder_window(
        self, booked_last_week, clock
    ):
        clock.shift(dt.timedelta(hours=-3))  # 25 hours before the visit: not yet
        assert schedule_reminders() == 0
        clock.shift(dt.timedelta(hours=3))  # 22 hours before
        assert schedule_reminders() == 1
        assert schedule_reminders() == 0
        reminder = Message.objects.get(kind=MessageKind.REMINDER)
        assert reminder.due_at == booked_last_week.start - dt.timedelta(hours=24)

    def test_the_reminder_goes_out_through_the_worker(self, booked_last_week, work):
        work()
        (email,) = mail.outbox
        assert email.subject.startswith("Reminder: your visit on Tue 1 Dec at 10:00")

    def test_a_visit_booked_inside_the_window_gets_no_reminder(self, cast, patient_email, clock):
        assert schedule_reminders() == 0  # the cast's visit was booked just now, 22 hours ahead

    def test_the_clinics_lead_time_is_honoured(self, booked_last_week, clock):
        from kneadwell.notifications.models import NotificationSettings

        NotificationSettings.objects.create(reminder_hours=48)
        clock.shift(dt.timedelta(hours=-24))  # 46 hours before the visit
        assert schedule_reminders() == 1

    def test_a_moved_visit_gets_a_reminder_for_its_new_time_and_none_for_the_old(
        self, booked_last_week, clock, work, django_capture_on_commit_callbacks
    ):
        assert schedule_reminders() == 1
        Appointment.objects.filter(pk=booked_last_week.pk).update(
            # Two hours earlier (still inside the reminder window, clear of Paula's visit in the room).
            start=booked_last_week.start - dt.timedelta(hours=2),
            end=booked_last_week.end - dt.timedelta(hours=2),
            blocked_until=booked_last_week.blocked_until - dt.timedelta(hours=2),
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert schedule_reminders() == 1
        work()
        statuses = sorted(Message.objects.filter(kind=MessageKind.REMINDER).values_list("status", flat=True))
        assert statuses == [MessageStatus.CANCELLED, MessageStatus.SENT]
        assert len(mail.outbox) == 1
