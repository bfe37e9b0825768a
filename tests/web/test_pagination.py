"""Long lists on pages come a page at a time, with a link to the next (issue 12)."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral


def _referred(cast, n):  # type: ignore[no-untyped-def]
    for i in range(n):
        patient = Patient.objects.create(
            given_name="Many", family_name=f"R{i:02}", birth_date=dt.date(1990, 1, 1)
        )
        Referral.objects.create(patient=patient, provider=cast.rita, received_on=dt.date(2026, 10, 1))


def _names(html: str) -> set[str]:
    return set(re.findall(r"Many (R\d\d)", html))


def test_the_inbox_shows_a_page_of_new_referrals_and_links_to_the_next(client, cast):
    _referred(cast, 30)  # oldest first: these 30, then the cast's two (November)
    client.force_login(cast.desk)

    first = client.get(reverse("referral-inbox")).content.decode()
    second = client.get(reverse("referral-inbox"), {"new": "2"}).content.decode()

    assert "32 new" in first
    assert len(_names(first)) == 25
    assert 'href="?new=2"' in first
    assert _names(second) == {f"R{i:02}" for i in range(30)} - _names(first)
    assert "Pat Palmer" in second
    assert "Pat Palmer" not in first


def test_the_referrer_home_shows_a_page_of_referrals_and_links_to_the_next(client, cast):
    _referred(cast, 30)  # Rita: these 30 and Pat's, newest (Pat's) first
    client.force_login(cast.rita_user)

    first = client.get(reverse("referrer-home")).content.decode()
    second = client.get(reverse("referrer-home"), {"page": "2"}).content.decode()

    assert "Pat Palmer" in first
    assert len(_names(first)) == 24
    assert 'href="?page=2"' in first
    assert _names(second) == {f"R{i:02}" for i in range(30)} - _names(first)
