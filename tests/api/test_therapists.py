"""Therapists through the API: a clinic admin adds one with everything that describes them, all or nothing."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest
import time_machine

from kneadwell.therapists.models import Expertise, Licence, Therapist, Training, WorkingHours

from .conftest import assert_public_ids, fields_of, row_counts

THERAPIST_ROWS = (Therapist, Licence, Training, Expertise, WorkingHours)


@pytest.fixture
def valid(cast):  # type: ignore[no-untyped-def]
    hospital, chiro = str(cast.hospital.public_id), str(cast.chiro.public_id)
    return {
        "given_name": "Nora",
        "family_name": "Newhire",
        "gender": "non_binary",
        "locations": [hospital, chiro],
        "licences": [
            {
                "jurisdiction": "US-NY",
                "number": "NY-123",
                "title": "LMT",
                "issued": "2024-01-01",
                "expires": "2027-12-31",
            },
            {
                "jurisdiction": "US-IL",
                "number": "IL-9",
                "title": "LMT",
                "issued": "2025-06-01",
                "expires": "2026-05-31",
            },
        ],
        "trainings": ["swedish", "myofascial_release", "trigger_point"],
        "expertise": [{"condition": "low_back_pain", "level": 3}, {"condition": "migraine", "level": 1}],
        "working_hours": [
            {
                "location": hospital,
                "weekday": 1,
                "start_time": "09:00",
                "end_time": "17:00",
                "effective_from": "2026-01-01",
            },
            {
                "location": chiro,
                "weekday": 3,
                "start_time": "12:00",
                "end_time": "16:30",
                "effective_from": "2026-01-01",
                "effective_until": "2026-12-31",
            },
        ],
    }


@time_machine.travel(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), tick=False)
def test_clinic_admin_creates_a_therapist_that_comes_back_by_get(api_as, cast, valid):
    api = api_as(cast.admin)

    created = api.post("/therapists", valid)
    fetched = api.get(f"/therapists/{created.json()['id']}")

    assert created.status_code == 201, created.content
    body = fetched.json()
    assert body == created.json()
    assert_public_ids(body)
    assert uuid.UUID(body["id"])
    assert (body["given_name"], body["family_name"], body["gender"]) == ("Nora", "Newhire", "non_binary")
    assert body["locations"] == [str(cast.chiro.public_id), str(cast.hospital.public_id)]  # by name
    assert body["licences"] == [
        {
            **valid["licences"][1],
            "verified": False,
            "valid_today": False,
        },  # expired in May; ordered by jurisdiction
        {**valid["licences"][0], "verified": False, "valid_today": True},
    ]
    assert body["trainings"] == sorted(valid["trainings"])
    assert body["expertise"] == valid["expertise"]
    assert body["working_hours"] == [
        {
            **valid["working_hours"][0],
            "start_time": "09:00:00",
            "end_time": "17:00:00",
            "effective_until": None,
        },
        {**valid["working_hours"][1], "start_time": "12:00:00", "end_time": "16:30:00"},
    ]


def test_a_therapist_needs_only_a_name(api_as, cast):
    response = api_as(cast.admin).post("/therapists", {"given_name": "Min", "family_name": "Imal"})

    assert response.status_code == 201
    assert response.json()["gender"] == "undisclosed"
    assert response.json()["licences"] == []


def _set(payload: dict, path: tuple, value: object) -> dict:  # type: ignore[type-arg]
    changed = copy.deepcopy(payload)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


_DELETE = object()
UNKNOWN = "00000000-0000-4000-8000-000000000000"

BAD = [
    pytest.param(("licences", 0, "expires"), "2023-12-31", ["licences[0].expires"], id="expiry-before-issue"),
    pytest.param(("trainings", 2), "telekinesis", ["trainings[2]"], id="unknown-technique"),
    pytest.param(("trainings", 1), "swedish", ["trainings[1]"], id="technique-twice"),
    pytest.param(("trainings", 0), "t" * 41, ["trainings[0]"], id="over-long-technique"),
    pytest.param(
        ("expertise", 1, "condition"), "lycanthropy", ["expertise[1].condition"], id="unknown-condition"
    ),
    pytest.param(("expertise", 0, "level"), 4, ["expertise[0].level"], id="level-out-of-range"),
    pytest.param(
        ("expertise", 1, "condition"), "low_back_pain", ["expertise[1].condition"], id="condition-twice"
    ),
    pytest.param(("locations", 1), UNKNOWN, ["locations[1]"], id="unknown-location"),
    pytest.param(("locations", 0), "hospital", ["locations[0]"], id="location-not-a-uuid"),
    pytest.param(
        ("working_hours", 0, "location"), UNKNOWN, ["working_hours[0].location"], id="unknown-hours-location"
    ),
    pytest.param(
        ("working_hours", 0, "end_time"), "08:00", ["working_hours[0].end_time"], id="hours-end-before-start"
    ),
    pytest.param(("working_hours", 1, "weekday"), 7, ["working_hours[1].weekday"], id="weekday-7"),
    pytest.param(
        ("working_hours", 1, "start_time"),
        "12:00+02:00",
        ["working_hours[1].start_time"],
        id="time-with-offset",
    ),
    pytest.param(
        ("working_hours", 1, "effective_until"),
        "2025-01-01",
        ["working_hours[1].effective_until"],
        id="until-before-from",
    ),
    pytest.param(("licences", 0, "jurisdiction"), "NY", ["licences[0].jurisdiction"], id="bad-jurisdiction"),
    pytest.param(
        ("licences", 0, "number"), "LMT-TURNER", ["licences[0].number"], id="licence-already-registered"
    ),
    pytest.param(("licences", 1, "number"), "NY-123", [], id="same-number-other-state-is-fine"),
    pytest.param(("licences", 0, "title"), "t" * 21, ["licences[0].title"], id="over-long-title"),
    pytest.param(("licences", 0, "issued"), _DELETE, ["licences[0].issued"], id="missing-issue-date"),
    pytest.param(("licences", 0, "grade"), "A", ["licences[0].grade"], id="unknown-nested-field"),
    pytest.param(("given_name",), "x" * 81, ["given_name"], id="over-long-name"),
    pytest.param(("given_name",), 12, ["given_name"], id="wrong-type"),
    pytest.param(("gender",), "robot", ["gender"], id="unknown-gender"),
    pytest.param(("licences",), {"number": "1"}, ["licences"], id="object-for-list"),
    pytest.param(("nickname",), "No", ["nickname"], id="unknown-field"),
]


@pytest.mark.parametrize(("path", "value", "fields"), BAD)
def test_bad_therapist_input_names_the_field_and_writes_nothing(api_as, cast, valid, path, value, fields):
    before = row_counts(*THERAPIST_ROWS)

    response = api_as(cast.admin).post("/therapists", _set(valid, path, value))

    if not fields:  # the control case: the variation is allowed
        assert response.status_code == 201, response.content
        return
    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    assert row_counts(*THERAPIST_ROWS) == before


def test_hours_at_a_location_the_therapist_does_not_work_at_are_refused(api_as, cast, valid):
    valid["locations"] = [str(cast.hospital.public_id)]

    response = api_as(cast.admin).post("/therapists", valid)

    assert response.status_code == 422
    assert fields_of(response) == ["working_hours[1].location"]
    assert not Therapist.objects.filter(family_name="Newhire").exists()


def test_every_problem_is_reported_at_once(api_as, cast, valid):
    valid["licences"][1]["expires"] = "2020-01-01"
    valid["trainings"].append("bogus")
    valid["working_hours"][0]["end_time"] = "09:00"

    response = api_as(cast.admin).post("/therapists", valid)

    assert sorted(fields_of(response)) == ["licences[1].expires", "trainings[3]", "working_hours[0].end_time"]


def test_malformed_json_is_400_naming_the_body(api_as, cast):
    before = row_counts(*THERAPIST_ROWS)

    response = api_as(cast.admin).post("/therapists", '{"given_name": "Nora", }')

    assert response.status_code == 400
    assert fields_of(response) == ["body"]
    assert row_counts(*THERAPIST_ROWS) == before


def test_front_desk_may_not_add_a_therapist_even_with_valid_input(api_as, cast, valid):
    before = row_counts(*THERAPIST_ROWS)

    response = api_as(cast.desk).post("/therapists", valid)

    assert response.status_code == 403
    assert row_counts(*THERAPIST_ROWS) == before


def test_therapist_list_is_paginated_in_name_order(api_as, cast):
    body = api_as(cast.pat_user).get("/therapists", limit=1).json()

    assert body["count"] == 2
    assert [item["family_name"] for item in body["items"]] == ["Tanaka"]
