"""The published contract: the OpenAPI document, the docs page, /me."""

from __future__ import annotations

from typing import Any

import pytest
from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema

from kneadwell.api.v1 import api

from .conftest import API

OPERATIONS = [
    ("get", "/me", {"200", "401"}),
    ("get", "/locations", {"200", "401", "422"}),
    ("get", "/services", {"200", "401", "422"}),
    ("get", "/therapists", {"200", "401", "422"}),
    ("post", "/therapists", {"201", "400", "401", "403", "409", "422"}),
    ("get", "/therapists/{id}", {"200", "401", "404", "422"}),
    ("get", "/patients", {"200", "401", "422"}),
    ("post", "/patients", {"201", "400", "401", "403", "409", "422"}),
    ("get", "/patients/{id}", {"200", "401", "404", "422"}),
    ("patch", "/patients/{id}", {"200", "400", "401", "403", "404", "422"}),
    ("post", "/patients/{id}/merge", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/patients/{id}/unmerge", {"200", "400", "401", "403", "404", "409", "422"}),
    ("get", "/appointments", {"200", "401", "422"}),
    ("get", "/appointments/{id}", {"200", "401", "404", "422"}),
    ("get", "/catalogue/conditions", {"200", "401", "422"}),
    ("get", "/catalogue/techniques", {"200", "401", "422"}),
    ("get", "/catalogue/regions", {"200", "401", "422"}),
    ("get", "/catalogue/measures", {"200", "401", "422"}),
    ("get", "/referrals", {"200", "401", "422"}),
    ("post", "/referrals", {"201", "400", "401", "403", "409", "422"}),
    ("get", "/referrals/{id}", {"200", "401", "404", "422"}),
    ("post", "/referrals/{id}/status", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/referrals/{id}/clearances", {"201", "400", "401", "403", "404", "422"}),
    ("get", "/clearances", {"200", "401", "422"}),
    ("post", "/patients/{id}/clearance-requests", {"201", "400", "401", "403", "404", "422"}),
    ("post", "/clearances/{id}/decision", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/patients/{id}/intakes", {"201", "400", "401", "403", "404", "422"}),
    ("get", "/patients/{id}/intakes", {"200", "401", "404", "422"}),
    ("get", "/patients/{id}/screening", {"200", "401", "404", "422"}),
    ("get", "/patients/{id}/matches", {"200", "401", "403", "404", "422"}),
    ("get", "/patients/{id}/session-plan", {"200", "401", "403", "404", "422"}),
    ("post", "/patients/{id}/care-plans", {"201", "400", "401", "403", "404", "422"}),
    ("get", "/patients/{id}/care-plans", {"200", "401", "404", "422"}),
    ("patch", "/care-plans/{id}", {"200", "400", "401", "403", "404", "422"}),
    ("post", "/care-plans/{id}/approve", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/patients/{id}/inflammation-checks", {"201", "400", "401", "403", "404", "422"}),
    # Session records, outcomes and billing (issue 11)
    ("post", "/appointments/{id}/note", {"200", "201", "400", "401", "403", "404", "409", "422"}),
    ("get", "/appointments/{id}/note", {"200", "401", "404", "422"}),
    ("get", "/notes", {"200", "401", "422"}),
    ("get", "/notes/{id}", {"200", "401", "404", "422"}),
    ("put", "/notes/{id}", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/notes/{id}/feedback", {"201", "400", "401", "403", "404", "409", "422"}),
    ("post", "/notes/{id}/sign", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/notes/{id}/amend", {"201", "400", "401", "403", "404", "409", "422"}),
    ("get", "/notes/{id}/versions", {"200", "401", "404", "422"}),
    ("get", "/notes/{id}/versions/{number}", {"200", "401", "404", "422"}),
    ("get", "/consent-texts", {"200", "401"}),
    ("get", "/patients/{id}/consents", {"200", "401", "404", "422"}),
    ("post", "/patients/{id}/consents", {"201", "400", "401", "403", "404", "409", "422"}),
    ("post", "/consents/{id}/withdraw", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/patients/{id}/measurements", {"201", "400", "401", "403", "404", "409", "422"}),
    ("get", "/patients/{id}/measurements", {"200", "401", "403", "404", "422"}),
    ("post", "/measurements/{id}/void", {"200", "400", "401", "403", "404", "409", "422"}),
    ("get", "/instruments", {"200", "401"}),
    ("get", "/patients/{id}/questionnaires/due", {"200", "401", "403", "404", "422"}),
    ("post", "/patients/{id}/questionnaire-responses", {"201", "400", "401", "403", "404", "409", "422"}),
    ("get", "/patients/{id}/questionnaire-responses", {"200", "401", "403", "404", "422"}),
    ("get", "/patients/{id}/progress", {"200", "401", "403", "404", "422"}),
    ("get", "/referrals/{id}/progress-report", {"200", "401", "404", "422"}),
    ("get", "/referrals/{id}/progress-reports", {"200", "401", "404", "422"}),
    ("post", "/referrals/{id}/progress-reports", {"201", "400", "401", "403", "404", "422"}),
    ("get", "/appointments/{id}/superbill", {"200", "401", "403", "404", "409", "422"}),
    # Booking (issue 8). A taken slot answers 409 with alternatives (ConflictOut), a series conflict
    # with every occurrence (SeriesConflictOut): see CONFLICT_SCHEMAS.
    ("get", "/availability", {"200", "401", "403", "404", "422"}),
    ("post", "/appointments", {"201", "400", "401", "403", "404", "409", "422"}),
    ("post", "/appointments/{id}/cancel", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/appointments/{id}/reschedule", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/appointments/{id}/check-in", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/appointments/{id}/no-show", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/appointments/{id}/complete", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/care-plans/{id}/series", {"200", "201", "400", "401", "403", "404", "409", "422"}),
    ("get", "/series/{id}", {"200", "401", "404", "422"}),
    ("post", "/series/{id}/cancel", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/series/{id}/move", {"200", "400", "401", "403", "404", "409", "422"}),
    # Spot work (issue 10). Deleting answers 204 with no body.
    ("get", "/host-visits", {"200", "401", "422"}),
    ("post", "/host-visits", {"201", "400", "401", "403", "404", "422"}),
    ("post", "/host-visits/import", {"201", "400", "401", "403", "422"}),
    ("delete", "/host-visits/{id}", {"204", "401", "403", "404", "409", "422"}),
    ("get", "/spot-work/requests", {"200", "401", "422"}),
    ("post", "/spot-work/requests", {"201", "400", "401", "403", "404", "409", "422"}),
    ("post", "/spot-work/plan", {"200", "400", "401", "403", "409", "422"}),
    # Waitlist (issue 10): a 409 when an offer was already answered, has expired, or a request is closed.
    ("get", "/waitlist/requests", {"200", "401", "422"}),
    ("post", "/waitlist/requests", {"201", "400", "401", "403", "404", "409", "422"}),
    ("get", "/waitlist/requests/{id}", {"200", "401", "404", "422"}),
    ("post", "/waitlist/requests/{id}/cancel", {"200", "400", "401", "403", "404", "409", "422"}),
    ("get", "/waitlist/offers", {"200", "401", "422"}),
    ("post", "/waitlist/offers/{id}/accept", {"200", "400", "401", "403", "404", "409", "422"}),
    ("post", "/waitlist/offers/{id}/decline", {"200", "400", "401", "403", "404", "409", "422"}),
]

# 409s that carry the state the request collided with, in a schema of their own (docs/api.md).
CONFLICT_SCHEMAS = {
    ("post", "/referrals/{id}/status"): "ReferralConflictOut",
    ("post", "/clearances/{id}/decision"): "ClearanceConflictOut",
    ("post", "/care-plans/{id}/approve"): "CarePlanConflictOut",
}
# 409s that carry the nearest free alternatives (booking) or every occurrence (series).
RICHER_CONFLICTS = {
    ("post", "/appointments"): "ConflictOut",
    ("post", "/appointments/{id}/reschedule"): "ConflictOut",
    ("post", "/care-plans/{id}/series"): "SeriesConflictOut",
    ("post", "/series/{id}/move"): "SeriesConflictOut",
    ("post", "/spot-work/plan"): "PlanConflictOut",
}
# 409s that name the patients on file a new patient seems to repeat.
DUPLICATE_SCHEMAS = {
    ("post", "/patients"): "DuplicatePatientOut",
    ("post", "/referrals"): "DuplicatePatientOut",
}


@pytest.fixture
def openapi(client, db):  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(("method", "path", "statuses"), OPERATIONS)
def test_openapi_declares_every_status_an_operation_can_answer(openapi, method, path, statuses):
    operation = openapi["paths"][API + path][method]

    assert set(operation["responses"]) == statuses
    for status in statuses - {"200", "201", "204"}:
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        special = {**CONFLICT_SCHEMAS, **DUPLICATE_SCHEMAS, **RICHER_CONFLICTS}
        name = special.get((method, path), "ErrorOut") if status == "409" else "ErrorOut"
        assert schema == {"$ref": f"#/components/schemas/{name}"}


def test_a_duplicate_patient_answer_names_the_matches(openapi):
    schema = openapi["components"]["schemas"]["DuplicatePatientOut"]

    assert set(schema["properties"]) == {"detail", "errors", "matches"}
    match = openapi["components"]["schemas"]["PatientMatch"]
    assert set(match["properties"]) == {"id", "given_name", "family_name", "birth_date"}


@pytest.mark.parametrize("name", sorted(set(CONFLICT_SCHEMAS.values())))
def test_a_conflict_answer_is_the_error_envelope_plus_the_state_that_won(openapi, name):
    schema = openapi["components"]["schemas"][name]

    assert set(schema["properties"]) == {"detail", "errors", "current"}
    assert set(schema["required"]) == {"detail", "current"}
    assert schema["properties"]["current"]["$ref"].startswith("#/components/schemas/")


@pytest.mark.parametrize("name", sorted(set(RICHER_CONFLICTS.values())))
def test_richer_conflicts_keep_the_error_envelope(openapi, name):
    properties = openapi["components"]["schemas"][name]["properties"]

    assert {"detail", "errors"} <= set(properties)


def test_openapi_lists_exactly_the_documented_operations(openapi):
    documented = {(method, path) for path, item in openapi["paths"].items() for method in item}

    assert documented == {(method, API + path) for method, path, _ in OPERATIONS}


def test_openapi_requires_a_bearer_token_everywhere(openapi):
    schemes = openapi["components"]["securitySchemes"]

    assert schemes == {"BearerToken": {"type": "http", "scheme": "bearer"}}
    assert all(
        op["security"] == [{"BearerToken": []}] for item in openapi["paths"].values() for op in item.values()
    )


def test_openapi_names_ids_as_id_and_types_them_as_uuids(openapi):
    patient = openapi["components"]["schemas"]["PatientOut"]["properties"]

    assert patient["id"] == {"format": "uuid", "title": "Id", "type": "string"}
    assert "public_id" not in patient


def test_docs_page_is_served(client, db):
    assert client.get(f"{API}/docs").status_code == 200


@pytest.mark.parametrize(
    ("who", "patient", "therapist"),
    [("pat_user", "pat", None), ("tess_user", None, "tess"), ("rita_user", None, None)],
)
def test_me_names_the_user_and_their_linked_record(api_as, cast, who, patient, therapist):
    user = getattr(cast, who)

    body = api_as(user).get("/me").json()

    assert body == {
        "id": str(user.public_id),
        "username": user.username,
        "display_name": user.get_full_name(),
        "role": user.role,
        "patient_id": str(getattr(cast, patient).public_id) if patient else None,
        "therapist_id": str(getattr(cast, therapist).public_id) if therapist else None,
    }


def test_openapi_offers_no_null_for_fields_that_refuse_it(openapi):
    patch = openapi["components"]["schemas"]["PatientPatch"]["properties"]
    filters = openapi["paths"][f"{API}/appointments"]["get"]["parameters"]

    assert all("anyOf" not in prop and prop.get("type") != "null" for prop in patch.values())
    assert all("anyOf" not in param["schema"] for param in filters)


# --- Every answer fully typed ---------------------------------------------------------------------

# A schema with none of these keys says nothing about its value: `{}`, or only a title or description.
_TYPING_KEYS = frozenset(
    {"type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "properties", "items", "prefixItems", "not"}
)


def untyped_answers(document: dict[str, Any]) -> list[str]:
    """Where a schema reachable from a 2xx answer leaves its value untyped.

    Untyped: `{}` (any value), an object without properties whose other keys
    are not typed either (`dict[str, Any]`: `additionalProperties: true` or
    nothing), or an array without items. Each place is named by the operation
    or the component it was reached through, then the path inside it.
    """
    components = document.get("components", {}).get("schemas", {})
    found: list[str] = []
    seen: set[str] = set()

    def visit(schema: Any, where: str) -> None:
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                visit(components[name], name)
            return
        if not _TYPING_KEYS & schema.keys():
            found.append(where)
            return
        extra = schema.get("additionalProperties")
        is_object = schema.get("type") == "object" or "properties" in schema or extra is not None
        if is_object and not schema.get("properties") and not isinstance(extra, dict):
            found.append(where)
        if schema.get("type") == "array" and "items" not in schema and "prefixItems" not in schema:
            found.append(where)
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for i, option in enumerate(schema.get(key, [])):
                visit(option, f"{where}/{key}/{i}")
        for key in ("items", "not"):
            if key in schema:
                visit(schema[key], f"{where}/{key}")
        for name, prop in schema.get("properties", {}).items():
            visit(prop, f"{where}.{name}")
        if isinstance(extra, dict):
            visit(extra, f"{where}/additionalProperties")

    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if not str(status).startswith("2"):  # ints in the built document, strings in JSON
                    continue
                for media in answer.get("content", {}).values():
                    visit(media["schema"], f"{method.upper()} {path} {status}")
    return found


def test_every_successful_answer_is_typed_throughout(openapi: dict[str, Any]) -> None:
    # A new endpoint answering `dict[str, Any]`, `list[dict]`, `Any` or `object` fails here:
    # give it a Schema, so the document describes what clients (and the FHIR layer) receive.
    assert untyped_answers(openapi) == []


class _Typed(Schema):
    name: str
    labels: dict[str, str]  # a mapping whose values are typed is typed


class _Loose(Schema):
    known: int
    extra: dict[str, Any]
    rows: list[dict]  # type: ignore[type-arg]
    anything: Any
    nested: _Typed


def _toy_document() -> dict[str, Any]:
    toy = NinjaAPI(urls_namespace="toy-untyped-answers")

    @toy.get("/loose", response=_Loose)
    def loose(request: Any) -> None: ...

    @toy.get("/mapping", response=dict[str, Any])
    def mapping(request: Any) -> None: ...

    @toy.get("/typed", response={200: _Typed, 404: dict[str, Any]})
    def typed(request: Any) -> None: ...

    return toy.get_openapi_schema(path_prefix="")


def test_the_typing_check_names_each_untyped_place_in_an_answer() -> None:
    # Only 2xx answers count: the 404's dict[str, Any] is not reported.
    assert sorted(untyped_answers(_toy_document())) == [
        "GET /mapping 200",
        "_Loose.anything",
        "_Loose.extra",
        "_Loose.rows/items",
    ]


@pytest.fixture
def definition_clashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Component names ninja gave two different schemas while building the document."""
    clashes: list[str] = []
    merge = OpenAPISchema.add_schema_definitions

    def checked(self: OpenAPISchema, definitions: dict[str, Any]) -> None:
        clashes.extend(k for k, v in definitions.items() if k in self.schemas and self.schemas[k] != v)
        merge(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", checked)
    return clashes


def test_each_component_name_stands_for_one_schema(definition_clashes: list[str]) -> None:
    # ninja merges every operation's definitions by name, the last one winning: two schemas
    # (or enums) sharing a class name would silently publish one shape for both.
    api.get_openapi_schema(path_prefix=f"{API}/")

    assert definition_clashes == []


def test_the_clash_check_sees_two_schemas_sharing_a_name(definition_clashes: list[str]) -> None:
    toy = NinjaAPI(urls_namespace="toy-clashing-names")
    first = type("Shared", (Schema,), {"__annotations__": {"a": int}})
    second = type("Shared", (Schema,), {"__annotations__": {"b": str}})
    toy.get("/first", response=list[first])(lambda request: [])  # type: ignore[valid-type]
    toy.get("/second", response=list[second])(lambda request: [])  # type: ignore[valid-type]

    toy.get_openapi_schema(path_prefix="")

    assert definition_clashes == ["Shared"]


def test_the_openapi_document_is_built_once():
    from kneadwell.api.v1 import api

    assert api.get_openapi_schema(path_prefix="/api/v1/") is api.get_openapi_schema(path_prefix="/api/v1/")
