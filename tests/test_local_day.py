"""One local day: 23:30 in Chicago is already tomorrow in UTC, and every "today" must say so.

The clinic is in Chicago (its zone setting); the clock is frozen at 23:30 local time on 10 March
2026 (04:30 UTC on 11 March). Referrals, clearances, plans of care, forms and the patient page
must all see 10 March.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import QueryDict

from kneadwell.clinic.models import ClinicSettings
from kneadwell.clinic.selectors import clinic_today, local_day_of, location_today
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.planning.services import care_plan_draft
from kneadwell.referrals.services import clearance_grant, referral_create
from kneadwell.web.referral_forms import read_clearance

LATE_EVENING = dt.datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("America/Chicago"))
CHICAGO_DAY = dt.date(2026, 3, 10)


@pytest.fixture
def chicago(cast):  # type: ignore[no-untyped-def]
    settings = ClinicSettings.current()
    settings.time_zone = "America/Chicago"
    settings.save()
    with time_machine.travel(LATE_EVENING, tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 3, 11)  # the trap: UTC is a day ahead
        yield cast


def test_the_seam_gives_the_local_day(chicago) -> None:
    assert clinic_today() == CHICAGO_DAY
    assert location_today(chicago.chiro) == CHICAGO_DAY
    # New York is an hour ahead: already the 11th there.
    assert location_today(chicago.hospital) == dt.date(2026, 3, 11)
    assert local_day_of(LATE_EVENING, chicago.chiro) == CHICAGO_DAY


def test_a_referral_received_tonight_is_dated_today(chicago) -> None:
    referral = referral_create(
        actor=chicago.desk,
        patient=chicago.pat,
        provider=chicago.rita,
        reason="Whiplash",
        diagnoses=[DiagnosisIn(condition="whiplash", onset=dt.date(2026, 3, 1))],
        areas=[AreaIn(region="neck")],
    )
    assert referral.received_on == CHICAGO_DAY


def test_a_clearance_granted_tonight_is_dated_today(chicago) -> None:
    clearance = clearance_grant(
        actor=chicago.desk,
        patient=chicago.pat,
        provider=chicago.rita,
        scope="scar_work",
        area=AreaIn(region="knee", side="right"),
        note="Letter",
    )
    assert clearance.granted_on == CHICAGO_DAY


def test_a_plan_of_care_drafted_tonight_starts_today(chicago) -> None:
    referral_create(
        actor=chicago.desk,
        patient=chicago.pat,
        provider=chicago.rita,
        reason="Whiplash",
        diagnoses=[DiagnosisIn(condition="whiplash", onset=dt.date(2026, 3, 1))],
        areas=[AreaIn(region="neck")],
    )
    plan = care_plan_draft(actor=chicago.desk, patient=chicago.pat)
    assert plan.starts_on == CHICAGO_DAY


def test_a_clearance_form_expiring_today_is_not_already_past(chicago) -> None:
    errors: dict[str, list[str]] = {}
    data = QueryDict(mutable=True)
    data.update(
        {"clear_scope": "scar_work", "clear_area": "knee:right", "clear_expires": CHICAGO_DAY.isoformat()}
    )
    cleared = read_clearance(data, errors)
    assert errors == {}
    assert cleared is not None
    assert cleared.expires_on == CHICAGO_DAY


def test_the_patient_page_screens_for_the_local_day(chicago, client) -> None:
    # No visit booked: the page screens for today at the first location (Lakeside, in Chicago).
    chicago.pat.appointments.update(status="cancelled")
    client.force_login(chicago.desk)
    page = client.get(f"/patients/{chicago.pat.public_id}/care/")
    assert page.status_code == 200
    assert page.context["care_location"] == chicago.chiro
    assert page.context["care_on"] == CHICAGO_DAY
