"""Two desks entering overlapping host visits for one patient at once: exactly one is stored
(the patient's row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), the others a clear 422."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.lib.errors import DomainError
from kneadwell.spotwork.models import HostVisit
from kneadwell.spotwork.services import host_visit_create
from tests.cast import build_cast

from .race import race

START = dt.datetime(2026, 12, 2, 16, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_overlapping_host_visits_entered_at_once_store_one():
    cast = build_cast()

    def enter(i: int) -> HostVisit:
        start = START + dt.timedelta(minutes=i % 3 * 5)
        return host_visit_create(
            actor=cast.desk,
            patient=cast.pat,
            location=cast.chiro,
            start=start,
            end=start + dt.timedelta(minutes=30),
            provider_name="Dr Chen",
        )

    results = race(enter, n=8)

    stored = [r for r in results if isinstance(r, HostVisit)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(stored) == 1
    assert len(refused) == 7
    assert all(r.code == "host_visit_overlap" for r in refused)
    assert HostVisit.objects.count() == 1
