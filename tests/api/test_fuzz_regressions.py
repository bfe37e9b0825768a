"""Regressions the fuzzer (test_fuzz.py) found, each kept as a plain test."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema_rs import Draft202012Validator

from kneadwell.referrals.models import Clearance, Referral
from tests.cast import Cast

from .conftest import API, fields_of


@pytest.fixture
def components(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return client.get(f"{API}/openapi.json").json()["components"]["schemas"]


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # The validator schemathesis checks responses with (a dependency of it), formats included.
    return Draft202012Validator(schema, validate_formats=True)


def test_working_hours_in_responses_conform_to_the_published_schema(cast, api_as, components):
    # Found as GET /therapists: "08:00:00" is not a "time" (RFC 3339 wants an offset).
    hours = api_as(cast.admin).get(f"/therapists/{cast.tess.public_id}").json()["working_hours"]

    assert hours
    for row in hours:
        assert list(_validator(components["WorkingHoursOut"]).iter_errors(row)) == []


def test_working_hours_input_schema_offers_wall_clock_times_without_an_offset(components):
    start_time = _validator(components["WorkingHoursIn"]["properties"]["start_time"])

    assert start_time.is_valid("09:00")
    assert start_time.is_valid("09:00:00")
    assert not start_time.is_valid("09:00:00Z")
    assert not start_time.is_valid("09:00:00-05:00")


def _clearance_call(cast: Cast, route: str, area: dict[str, str]) -> tuple[str, dict[str, str]]:
    if route == "grant":
        referral = Referral.objects.get(patient=cast.pat)
        return f"/referrals/{referral.public_id}/clearances", {"scope": "scar_work", **area}
    return (
        f"/patients/{cast.pat.public_id}/clearance-requests",
        {"scope": "scar_work", "provider": str(cast.rita.public_id), **area},
    )


@pytest.mark.parametrize("route", ["grant", "request"])
@pytest.mark.parametrize(
    "area",
    [
        pytest.param({"region": "0" * 39}, id="unknown-region"),
        pytest.param({"region": "knee"}, id="paired-region-without-side"),
        pytest.param({"region": "neck", "side": "left"}, id="midline-region-with-side"),
    ],
)
def test_an_unusable_clearance_region_is_a_422_naming_it_and_stores_nothing(cast, api_as, route, area):
    # Found as POST /referrals/{id}/clearances {"scope": "clot", "region": "000…0"} -> 500.
    path, body = _clearance_call(cast, route, area)
    before = Clearance.objects.count()

    response = api_as(cast.admin).post(path, body)

    assert response.status_code == 422, response.content
    assert fields_of(response) == ["region"]
    assert Clearance.objects.count() == before


@pytest.mark.parametrize(("endpoint", "reference"), [("matches", "location"), ("session-plan", "therapist")])
def test_a_nul_in_a_query_string_lookup_is_a_422_naming_it(cast, api_as, endpoint, reference):
    # PostgreSQL refuses NUL even in a lookup, so `?service=…%00…` was a 500 there.
    ids = {"location": cast.hospital.public_id, "therapist": cast.tess.public_id}

    response = api_as(cast.admin).get(
        f"/patients/{cast.pat.public_id}/{endpoint}",
        service="therapeutic\x00-60",
        **{reference: ids[reference]},
    )

    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [
        {"field": "service", "message": "The text contains a NUL character."}
    ]


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("0985-12-10T23:47:55+17:50", 200),  # PostgreSQL refuses an offset past 15:59; UTC is fine
        ("0001-01-01T00:00:00+17:50", 422),  # no UTC instant exists: out of range, not a 500
        ("9999-12-31T23:59:59-10:00", 422),
    ],
)
def test_appointment_filters_take_any_offset_as_a_utc_instant(api_as, cast, value, status):
    response = api_as(cast.desk).get("/appointments", **{"from": value})
    assert response.status_code == status, response.content
    if status == 422:
        assert fields_of(response) == ["from"]
