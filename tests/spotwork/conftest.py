"""A spot-work clinic on top of the shared cast: Cora and Carl work at Lakeside Chiropractic
(Chicago, US-IL) with a second chair; the clock stands at 06:00 in Chicago on Tuesday 2026-12-01, and
the spot-work day is Wednesday 2026-12-02."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine

from kneadwell.clinic.models import Room
from kneadwell.lib.zones import local_to_utc
from kneadwell.spotwork.models import HostVisit
from kneadwell.therapists.models import Therapist
from tests.api.conftest import api_as  # noqa: F401  (the API client fixture)
from tests.cast import Cast, _therapist, _user

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 2)
CHICAGO = "America/Chicago"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """A Chicago wall-clock time on the spot-work day, as UTC."""
    return local_to_utc(day, dt.time(hour, minute), CHICAGO)


@dataclass
class Spot:
    cast: Cast
    cora: Therapist
    carl: Therapist
    chair: Room

    def host_visit(self, patient, start: dt.datetime, minutes: int = 30) -> HostVisit:  # type: ignore[no-untyped-def]
        return HostVisit.objects.create(
            patient=patient,
            location=self.cast.chiro,
            provider_name="Dr Chen, DC",
            start=start,
            end=start + dt.timedelta(minutes=minutes),
            created_by=self.cast.desk,
        )


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def spot(cast: Cast) -> Spot:
    from kneadwell.accounts.models import Role

    cora = _therapist(_user("cora", Role.THERAPIST, "Cora", "Cole"), "Cora", "Cole", cast.chiro)
    carl = _therapist(_user("carl", Role.THERAPIST, "Carl", "Cruz"), "Carl", "Cruz", cast.chiro)
    chair = Room.objects.create(location=cast.chiro, name="Chair 2", features=[])
    return Spot(cast=cast, cora=cora, carl=carl, chair=chair)
