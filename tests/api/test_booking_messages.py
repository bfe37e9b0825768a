"""Booking, moving and cancelling through the API each queue the patient's message (no call site forgets:
the booking service announces, notifications listens)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from kneadwell.notifications.models import Message
from tests.cast import Cast

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _kinds(cast: Cast) -> list[str]:
    return list(Message.objects.filter(patient=cast.paula).order_by("id").values_list("kind", flat=True))


def test_book_move_and_cancel_each_queue_a_message(api_as, cast: Cast) -> None:
    cast.paula.email = "paula@example.org"
    cast.paula.save()
    desk = api_as(cast.desk)
    booked = desk.post(
        "/appointments",
        {
            "patient": str(cast.paula.public_id),
            "service": "therapeutic-60",
            "location": str(cast.hospital.public_id),
            "therapist": str(cast.tess.public_id),
            "start": "2026-12-02T15:00:00Z",
        },
    )
    assert booked.status_code == 201, booked.content
    assert _kinds(cast) == ["confirmation"]

    moved = desk.post(f"/appointments/{booked.json()['id']}/reschedule", {"start": "2026-12-02T17:00:00Z"})
    assert moved.status_code == 200, moved.content
    assert _kinds(cast) == ["confirmation", "change"]

    cancelled = desk.post(f"/appointments/{booked.json()['id']}/cancel", {"reason": "Called to cancel"})
    assert cancelled.status_code == 200, cancelled.content
    assert _kinds(cast) == ["confirmation", "change", "cancellation"]


def test_a_refused_booking_queues_nothing(api_as, cast: Cast) -> None:
    cast.paula.email = "paula@example.org"
    cast.paula.save()
    # Paula's own 12:00 visit with Theo: Theo is taken then.
    response = api_as(cast.desk).post(
        "/appointments",
        {
            "patient": str(cast.pat.public_id),
            "service": "therapeutic-60",
            "location": str(cast.hospital.public_id),
            "therapist": str(cast.theo.public_id),
            "start": cast.paula_appointment.start.isoformat(),
        },
    )
    assert response.status_code in (409, 422)
    assert not Message.objects.exists()
