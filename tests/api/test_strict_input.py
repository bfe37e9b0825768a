"""Strict API input (api/strict.py), checked on every operation the OpenAPI document lists.

An unknown query parameter is a 422 naming it; a JSON `1` is not `true`, `"5"` is not 5, a
number is not a date or an instant; in a query string only `true`/`false` are booleans and a
number is not a date. Dates at the calendar's edges are a 4xx in the envelope, never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.test import Client

from kneadwell.accounts.models import Role, User
from kneadwell.api.strict import (
    NOT_BOOLEAN,
    NOT_INTEGER,
    NOT_NUMBER,
    NOT_TEMPORAL,
    UNKNOWN_PARAMETER,
    json_problems,
    query_problems,
)
from kneadwell.api.v1 import api
from kneadwell.patients.models import Patient

from .conftest import API, fields_of

DOCUMENT: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema(path_prefix=""), default=str))
COMPONENTS: dict[str, Any] = DOCUMENT["components"]["schemas"]
OPERATIONS = [(method.upper(), path) for path, ops in DOCUMENT["paths"].items() for method in ops]

# A value of the wrong kind for each JSON Schema type or format that lax validation would still take.
LAX_JSON = {"boolean": (1, NOT_BOOLEAN), "integer": ("5", NOT_INTEGER), "number": ("1.5", NOT_NUMBER)}
LAX_JSON_FORMAT = {"date": (20260105, NOT_TEMPORAL), "date-time": (1767225600, NOT_TEMPORAL)}
LAX_QUERY = {"boolean": ("1", NOT_BOOLEAN), "integer": ("2.0", NOT_INTEGER)}
LAX_QUERY_FORMAT = {"date": ("20260105", NOT_TEMPORAL), "date-time": ("1767225600", NOT_TEMPORAL)}


@pytest.fixture
def admin(db, bearer) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A clinic admin's token headers: enough for checks that run before anything is looked up."""
    user = User.objects.create_user(username="strict-admin", password="x" * 16, role=Role.CLINIC_ADMIN)
    return bearer(user)


def _concrete(path: str) -> str:
    # Any id will do: input is checked before anything is looked up.
    return path.replace("{id}", str(uuid.uuid4())).replace("{number}", "1")


def _send(client: Client, headers: dict[str, str], method: str, path: str, body: Any = None, **query: str):  # type: ignore[no-untyped-def]
    url = API + _concrete(path)
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    if method == "GET":
        return client.get(url, **headers)
    data = json.dumps({} if body is None else body)
    return client.generic(method, url, data, content_type="application/json", **headers)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        return _resolve(options[0])
    return schema


def _kind(schema: dict[str, Any]) -> str | None:
    schema = _resolve(schema)
    return schema.get("format") or schema.get("type")


def _body_cases() -> list[Any]:
    cases = []
    for path, ops in DOCUMENT["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            seen: set[str] = set()
            for name, prop in _resolve(body["schema"]).get("properties", {}).items():
                kind = _kind(prop)
                table = LAX_JSON_FORMAT if kind in LAX_JSON_FORMAT else LAX_JSON
                if kind in table and kind not in seen:
                    seen.add(kind)
                    value, message = table[kind]
                    cases.append(
                        pytest.param(method.upper(), path, name, value, message, id=f"{method} {path} {name}")
                    )
    return cases


def _query_cases() -> list[Any]:
    cases = []
    for path, ops in DOCUMENT["paths"].items():
        for method, op in ops.items():
            for parameter in op.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                kind = _kind(parameter["schema"])
                if kind is None and "anyOf" in parameter["schema"]:
                    kind = _kind(parameter["schema"]["anyOf"][0])
                table = LAX_QUERY_FORMAT if kind in LAX_QUERY_FORMAT else LAX_QUERY
                if kind in table:
                    value, message = table[kind]
                    name = parameter["name"]
                    cases.append(
                        pytest.param(method.upper(), path, name, value, message, id=f"{method} {path} {name}")
                    )
    return cases


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_an_unknown_query_parameter_is_a_422_naming_it_on_every_operation(admin, client, method, path):
    before = Patient.objects.count()

    response = _send(client, admin, method, path, surprise="1")

    assert response.status_code == 422, response.content
    assert response.json() == {
        "detail": "The request has invalid fields.",
        "errors": [{"field": "surprise", "message": UNKNOWN_PARAMETER}],
    }
    assert Patient.objects.count() == before


def test_an_unknown_query_parameter_still_answers_401_without_a_token(client, db):
    response = client.get(f"{API}/patients?surprise=1")
    assert response.status_code == 401


BODY_CASES = _body_cases()
QUERY_CASES = _query_cases()


def test_the_cases_cover_each_kind_of_input():
    # The walks above found what they are meant to: a guard against an OpenAPI shape they misread.
    body_kinds = {case.values[4] for case in BODY_CASES}
    assert body_kinds == {NOT_BOOLEAN, NOT_INTEGER, NOT_TEMPORAL}  # no body has a top-level float
    assert {case.values[4] for case in QUERY_CASES} == {NOT_BOOLEAN, NOT_INTEGER, NOT_TEMPORAL}
    assert len(BODY_CASES) >= 20


@pytest.mark.parametrize(("method", "path", "name", "value", "message"), BODY_CASES)
def test_a_lax_json_value_is_a_422_naming_the_field(admin, client, method, path, name, value, message):
    response = _send(client, admin, method, path, {name: value})

    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"field": name, "message": message}]


@pytest.mark.parametrize(("method", "path", "name", "value", "message"), QUERY_CASES)
def test_a_lax_query_value_is_a_422_naming_it(admin, client, method, path, name, value, message):
    response = _send(client, admin, method, path, **{name: value})

    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"field": name, "message": message}]


def _patient(**changes: Any) -> dict[str, Any]:
    return {"given_name": "Nina", "family_name": "Noor", "birth_date": "1990-04-02", **changes}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param({"therapist_gender_required": 0}, ["therapist_gender_required"], id="0-is-not-false"),
        pytest.param(
            {"therapist_gender_required": "true"}, ["therapist_gender_required"], id="text-is-not-true"
        ),
        pytest.param({"birth_date": 638928000}, ["birth_date"], id="a-number-is-not-a-date"),
        pytest.param({"unknown": 1}, ["unknown"], id="an-unknown-body-field"),
    ],
)
def test_a_lax_patient_is_refused_and_nothing_is_stored(cast, api_as, changes, fields):
    before = Patient.objects.count()

    response = api_as(cast.desk).post("/patients", _patient(**changes))

    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    assert Patient.objects.count() == before


def test_json_dates_and_booleans_written_properly_still_parse(cast, api_as):
    response = api_as(cast.desk).post("/patients", _patient(therapist_gender_required=True))

    assert response.status_code == 201, response.content
    assert Patient.objects.get(public_id=response.json()["id"]).therapist_gender_required is True


@pytest.mark.parametrize("value", ["true", "false"])
def test_a_query_boolean_written_true_or_false_still_parses(cast, api_as, value):
    response = api_as(cast.admin).get(
        f"/patients/{cast.pat.public_id}/matches",
        service="therapeutic-60",
        location=cast.hospital.public_id,
        intraoral=value,
    )
    assert response.status_code == 200, response.content


def test_nested_and_listed_values_are_named_by_their_path(admin, client):
    body = {"licences": [{"expires": "2030-01-01"}, {"expires": 20300101}]}
    response = _send(client, admin, "POST", "/therapists", body)
    assert response.status_code == 422, response.content
    assert fields_of(response) == ["licences[1].expires"]


@pytest.mark.parametrize(
    ("annotation", "value", "problems"),
    [
        (float, 1.5, []),
        (float, 2, []),
        (float, "1.5", [("body", NOT_NUMBER)]),
        (float, float("nan"), [("body", NOT_NUMBER)]),
        (float, float("inf"), [("body", NOT_NUMBER)]),
        (float, True, [("body", NOT_NUMBER)]),
        (int, 2.0, [("body", NOT_INTEGER)]),
        (int, False, [("body", NOT_INTEGER)]),
        (int | None, None, []),
        (int | str, "x", []),
        (list[bool], [True, 0], [("[1]", NOT_BOOLEAN)]),
        (dict[str, int], {"a": "1"}, [("a", NOT_INTEGER)]),
    ],
)
def test_json_problems_name_what_only_lax_validation_would_take(annotation, value, problems):
    assert json_problems(annotation, value) == problems


@pytest.mark.parametrize(
    ("annotation", "value", "ok"),
    [
        (bool, "true", True),
        (bool, "yes", False),
        (int, "-3", True),
        (int, "3.0", False),
        (float, "3.5", True),
        (float, "nan", False),
        (dt.date, "2026-01-05", True),
        (dt.date, "20260105", False),
        (dt.datetime, "1767225600.5", False),
        (list[int], "x", False),
    ],
)
def test_query_problems_take_only_the_written_forms(annotation, value, ok):
    assert (query_problems(annotation, value, "q") == []) is ok


# --- Dates at the calendar's edges -----------------------------------------------------------------

EDGE_DAYS = ["0001-01-01", "9999-12-31"]
EDGE_INSTANTS = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-12:00",
]


def _edge_requests(cast) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    pat = cast.pat.public_id
    requests: list[tuple[str, dict[str, Any]]] = []
    for day in EDGE_DAYS:
        requests += [
            (f"/patients/{pat}/screening", {"date": day}),
            (
                f"/patients/{pat}/matches",
                {"service": "therapeutic-60", "location": cast.hospital.public_id, "date": day},
            ),
            (
                f"/patients/{pat}/session-plan",
                {"service": "therapeutic-60", "therapist": cast.tess.public_id, "date": day},
            ),
        ]
    for instant in EDGE_INSTANTS:
        for name in ("from", "to", "start", "end"):
            requests.append(("/appointments", {name: instant}))
        for name in ("start", "end"):
            requests.append(
                (
                    "/availability",
                    {
                        "service": "therapeutic-60",
                        "location": cast.hospital.public_id,
                        "patient": pat,
                        name: instant,
                    },
                )
            )
    return requests


def test_dates_at_the_calendars_edges_never_give_a_server_error(cast, api_as):
    api_client = api_as(cast.admin)
    answers = []
    for path, query in _edge_requests(cast):
        response = api_client.get(path, **query)
        answers.append((path, query, response.status_code))
        assert response.status_code < 500, (path, query, response.content)
        if response.status_code >= 400:
            assert set(response.json()) >= {"detail", "errors"}, (path, query, response.content)
    assert len(answers) >= 30


# --- Impossible values (issue 9, item 11): a 422 naming the field, nothing stored -------------------


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param({"birth_date": "1850-06-01"}, ["birth_date"], id="born-before-1900"),
        pytest.param({"birth_date": "0001-01-01"}, ["birth_date"], id="born-in-year-1"),
        pytest.param({"birth_date": "9999-12-31"}, ["birth_date"], id="born-in-9999"),
        pytest.param({"phone": "12"}, ["phone"], id="a-phone-that-is-not-one"),
    ],
)
def test_an_impossible_patient_is_a_422_naming_the_field(cast, api_as, changes, fields):
    before = Patient.objects.count()

    response = api_as(cast.desk).post("/patients", _patient(**changes))

    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    assert Patient.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"frequency_per_week": 0}, "frequency_per_week", id="0-a-week"),
        pytest.param({"frequency_per_week": 15}, "frequency_per_week", id="15-a-week"),
        pytest.param({"weeks": 0}, "weeks", id="0-weeks"),
        pytest.param({"starts_on": "9999-12-31"}, "starts_on", id="starting-at-the-calendars-end"),
        pytest.param({"starts_on": "0001-01-01"}, "starts_on", id="starting-in-year-1"),
    ],
)
def test_an_impossible_plan_of_care_is_a_422_naming_the_field(cast, api_as, changes, field):
    from kneadwell.planning.models import CarePlan

    body = {"conditions": ["low_back_pain"], "therapist": str(cast.tess.public_id), **changes}

    response = api_as(cast.admin).post(f"/patients/{cast.pat.public_id}/care-plans", body)

    assert response.status_code == 422, response.content
    assert fields_of(response) == [field]
    assert not CarePlan.objects.exists()


def _edge_bodies(cast, day: str) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    from kneadwell.planning.services import care_plan_draft
    from kneadwell.referrals.models import Referral

    pat = cast.pat.public_id
    referral = Referral.objects.get(patient=cast.pat)
    plan = care_plan_draft(
        actor=cast.admin, patient=cast.pat, therapist=cast.tess, conditions=["low_back_pain"]
    )
    diagnosis = {"condition": "low_back_pain", "onset": day}
    return [
        (
            f"/patients/{pat}/intakes",
            {"chief_complaint": "Sore back", "onset": day, "diagnoses": [diagnosis]},
        ),
        (
            f"/patients/{pat}/inflammation-checks",
            {
                "region": "ankle_foot",
                "side": "left",
                "checked_on": day,
                "clinician_name": "Dr A",
                "reason": "Warm",
            },
        ),
        (
            "/referrals",
            {
                "patient": str(pat),
                "provider": str(cast.rita.public_id),
                "received_on": day,
                "diagnoses": [diagnosis],
            },
        ),
        (
            f"/referrals/{referral.public_id}/clearances",
            {"scope": "general", "granted_on": day, "expires_on": day},
        ),
        (
            f"/care-plans/{plan.public_id}/series",
            {
                "service": "therapeutic-60",
                "location": str(cast.hospital.public_id),
                "times": [{"weekday": 1, "time": "10:00"}],
                "starts_on": day,
                "dry_run": True,
            },
        ),
        (f"/patients/{pat}/care-plans", {"conditions": ["low_back_pain"], "starts_on": day}),
    ]


@pytest.mark.parametrize("day", EDGE_DAYS)
def test_body_dates_at_the_calendars_edges_never_give_a_server_error(cast, api_as, day):
    api_client = api_as(cast.admin)
    for path, body in _edge_bodies(cast, day):
        response = api_client.post(path, body)
        assert response.status_code < 500, (path, body, response.content)
        if response.status_code >= 400:
            assert set(response.json()) >= {"detail", "errors"}, (path, response.content)


def _body_components() -> set[str]:
    """Every schema a request body uses, nested ones included."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    walk(COMPONENTS[name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for ops in DOCUMENT["paths"].values():
        for op in ops.values():
            walk(op.get("requestBody", {}))
    return found


def test_every_request_body_schema_refuses_unknown_fields():
    objects = {name for name in _body_components() if COMPONENTS[name].get("type") == "object"}

    assert len(objects) >= 20
    assert sorted(name for name in objects if COMPONENTS[name].get("additionalProperties") is not False) == []
