"""The demo clinic's delivery log (issue 10: "a delivery log with one failed-then-retried message")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from kneadwell import demo
from kneadwell.accounts.models import User
from kneadwell.notifications.models import AttemptOutcome, Message, MessageStatus
from kneadwell.notifications.selectors import failed_messages

TODAY = dt.date(2026, 11, 16)  # a Monday


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo._load_demo(today=TODAY, allow=True)
        transaction.set_rollback(True)


@pytest.fixture
def clinic(demo_clinic, db):  # type: ignore[no-untyped-def]
    return demo_clinic


def test_one_message_failed_twice_then_went_out(clinic):
    retried = [m for m in Message.objects.filter(status=MessageStatus.SENT) if m.attempts == 3]
    assert len(retried) == 1
    outcomes = list(retried[0].delivery_attempts.order_by("number").values_list("outcome", flat=True))
    assert outcomes == [AttemptOutcome.ERROR, AttemptOutcome.ERROR, AttemptOutcome.SENT]
    assert retried[0].body.startswith("Hello ")


def test_one_message_is_still_failed_and_on_the_front_desks_today_page(clinic, client):
    (failed,) = failed_messages()
    assert "User unknown" in failed.reason
    client.force_login(User.objects.get(username="frontdesk"))
    page = client.get(reverse("desk-today")).content.decode()
    assert "Messages that did not go out" in page
    assert failed.patient.full_name in page


def test_nothing_in_the_demo_log_waits_for_a_worker(clinic):
    assert not Message.objects.filter(status__in=(MessageStatus.QUEUED, MessageStatus.RETRYING)).exists()
