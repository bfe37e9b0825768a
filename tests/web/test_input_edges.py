"""Issue 9, item 11 on pages: dates at the calendar's edges never fail, impossible values are field errors."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan
from kneadwell.web.intake_forms import read_date

from .test_care_pages import call_form

EDGES = ["0001-01-01", "1899-12-31", "9998-12-31", "9999-12-31", "10000-01-01"]

# Every page a role opens without naming an object, and those about Pat, as a role that may open them.
PAGES = [
    ("desk-today", "front_desk", None),
    ("therapist-day", "therapist", None),
    ("patient-home", "patient", None),
    ("referrer-home", "referrer", None),
    ("admin-home", "clinic_admin", None),
    ("audit-log", "clinic_admin", None),
    ("patient-search", "front_desk", None),
    ("desk-call", "front_desk", None),
    ("desk-messages", "front_desk", None),
    ("referral-inbox", "front_desk", None),
    ("my-progress", "patient", None),
    ("my-consents", "patient", None),
    ("referrer-reports", "referrer", None),
    ("patient-detail", "therapist", "pat"),
    ("patient-progress", "front_desk", "pat"),
    ("appointment-plan", "therapist", "appointment"),
]


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


@pytest.mark.parametrize("edge", EDGES)
def test_every_page_takes_a_date_at_the_calendars_edge_without_failing(client, cast, admin_mfa, edge):
    objects = {"pat": cast.pat, "appointment": cast.pat_appointment}
    for url_name, role, target in PAGES:
        client.force_login(cast.user(role))
        url = reverse(url_name, args=[objects[target].public_id] if target else [])
        query = {"date": edge, "day": edge, "start": edge, "end": edge, "from": edge, "to": edge}

        response = client.get(url, query)

        assert response.status_code == 200, (url_name, edge, response.status_code)


@pytest.mark.parametrize(("url_name", "role"), [("desk-today", "front_desk"), ("therapist-day", "therapist")])
def test_the_last_day_has_no_next_day_link_and_past_it_the_last_day_is_shown(client, cast, url_name, role):
    client.force_login(cast.user(role))
    url = reverse(url_name)

    last = client.get(url, {"date": "9998-12-31"})
    past = client.get(url, {"date": "9999-12-31"})
    first = client.get(url, {"date": "1900-01-01"})

    assert last.status_code == past.status_code == first.status_code == 200
    assert "?date=9998-12-30" in last.content.decode()
    assert "?date=9999-01-01" not in last.content.decode()
    assert "9999-12-31 is outside the calendar; showing 9998-12-31." in text(past)
    assert "?date=1899-12-31" not in first.content.decode()
    assert "?date=1900-01-02" in first.content.decode()


def test_a_day_view_fetched_by_htmx_at_the_edge_renders_too(client, cast):
    client.force_login(cast.desk)
    response = client.get(reverse("desk-today"), {"date": "9999-12-31"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31"])
def test_a_form_date_at_the_calendars_edge_is_a_field_error(raw):
    errors: dict[str, list[str]] = {}
    assert read_date(raw, "onset", errors) is None
    assert errors == {"onset": ["Enter a date between 1900-01-01 and 9998-12-31."]}


NEW_CALLER = {
    "patient": "new",
    "new_given_name": "Nina",
    "new_family_name": "Novak",
    "new_birth_date": "1990-04-02",
    "new_phone": "555-0101",
    "action": "save",
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"new_birth_date": "1850-06-01"}, "new_birth_date", id="born-before-1900"),
        pytest.param({"new_birth_date": "2999-06-01"}, "new_birth_date", id="born-in-the-future"),
        pytest.param({"new_birth_date": "9999-12-31"}, "new_birth_date", id="born-at-the-calendars-end"),
        pytest.param({"new_phone": "12"}, "new_phone", id="a-phone-that-is-not-one"),
    ],
)
def test_the_desk_call_form_shows_an_impossible_new_patient_on_the_field(client, cast, changes, field):
    client.force_login(cast.desk)
    before = Patient.objects.count()

    response = client.post(reverse("desk-call"), call_form(**{**NEW_CALLER, **changes}))

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.content.decode()
    assert Patient.objects.count() == before


@pytest.mark.parametrize(
    ("frequency", "weeks", "field"), [("0", "6", "frequency_per_week"), ("2", "0", "weeks")]
)
def test_a_plan_of_care_of_0_a_week_or_0_weeks_is_a_field_error(client, cast, frequency, weeks, field):
    client.force_login(cast.tess_user)

    response = client.post(
        reverse("patient-care-plan", args=[cast.pat.public_id]),
        {"frequency_per_week": frequency, "weeks": weeks},
    )

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.content.decode()
    assert not CarePlan.objects.exists()
