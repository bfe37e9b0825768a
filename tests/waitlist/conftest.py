"""The waitlist's scene: Wednesday 2 Dec 2026 at Riverside (New York), Tess and Theo working 08-18.

Nell holds Wednesday 10:00-11:00 with Tess (15:00 UTC) in the hospital's one room; Pat and Paula wait
for a Wednesday morning. The clock stands at Tuesday 07:00 in New York.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from kneadwell.clinic.models import Service
from kneadwell.patients.models import Patient
from kneadwell.scheduling.models import Appointment, Channel
from kneadwell.waitlist.models import WaitlistRequest
from kneadwell.waitlist.services import request_create

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
WED_10 = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def service(db) -> Service:  # type: ignore[no-untyped-def]
    return Service.objects.get(code="therapeutic-60")


@pytest.fixture
def nell_booking(cast, service) -> Appointment:  # type: ignore[no-untyped-def]
    nell = Patient.objects.create(given_name="Nell", family_name="North", birth_date=dt.date(1970, 1, 1))
    end = WED_10 + service.duration
    return Appointment.objects.create(
        patient=nell,
        therapist=cast.tess,
        room=cast.hospital_room,
        location=cast.hospital,
        service=service,
        start=WED_10,
        end=end,
        blocked_until=end + service.buffer,
        channel=Channel.PHONE,
    )


def join(cast, patient, service, *, urgency: str = "routine", **window) -> WaitlistRequest:  # type: ignore[no-untyped-def]
    fields = {
        "first_day": dt.date(2026, 12, 2),
        "last_day": dt.date(2026, 12, 9),
        "weekdays": [2],
        "earliest_time": dt.time(9),
        "latest_time": dt.time(12),
        **window,
    }
    return request_create(
        actor=cast.desk, patient=patient, service=service, location=cast.hospital, urgency=urgency, **fields
    )
