"""The published contract: the OpenAPI document, the docs page, /me."""

from __future__ import annotations

import pytest

from .conftest import API

OPERATIONS = [
    ("get", "/me", {"200", "401"}),
    ("get", "/locations", {"200", "401", "422"}),
    ("get", "/services", {"200", "401", "422"}),
    ("get", "/therapists", {"200", "401", "422"}),
    ("post", "/therapists", {"201", "400", "401", "403", "409", "422"}),
    ("get", "/therapists/{id}", {"200", "401", "404", "422"}),
    ("get", "/patients", {"200", "401", "422"}),
    ("post", "/patients", {"201", "400", "401", "403", "422"}),
    ("get", "/patients/{id}", {"200", "401", "404", "422"}),
    ("patch", "/patients/{id}", {"200", "400", "401", "403", "404", "422"}),
    ("get", "/appointments", {"200", "401", "422"}),
    ("get", "/appointments/{id}", {"200", "401", "404", "422"}),
    ("get", "/catalogue/conditions", {"200", "401", "422"}),
    ("get", "/catalogue/techniques", {"200", "401", "422"}),
    ("get", "/catalogue/regions", {"200", "401", "422"}),
    ("get", "/catalogue/measures", {"200", "401", "422"}),
    ("get", "/referrals", {"200", "401", "422"}),
    ("post", "/referrals", {"201", "400", "401", "403", "422"}),
    ("get", "/referrals/{id}", {"200", "401", "404", "422"}),
    ("post", "/referrals/{id}/status", {"200", "400", "401", "403", "404", "422"}),
    ("post", "/referrals/{id}/clearances", {"201", "400", "401", "403", "404", "422"}),
    ("get", "/clearances", {"200", "401", "422"}),
    ("post", "/patients/{id}/clearance-requests", {"201", "400", "401", "403", "404", "422"}),
    ("post", "/clearances/{id}/decision", {"200", "400", "401", "403", "404", "422"}),
    ("post", "/patients/{id}/intakes", {"201", "400", "401", "403", "404", "422"}),
    ("get", "/patients/{id}/intakes", {"200", "401", "404", "422"}),
    ("get", "/patients/{id}/screening", {"200", "401", "404", "422"}),
    ("get", "/patients/{id}/matches", {"200", "401", "403", "404", "422"}),
    ("get", "/patients/{id}/session-plan", {"200", "401", "403", "404", "422"}),
    ("post", "/patients/{id}/care-plans", {"201", "400", "401", "403", "404", "422"}),
    ("get", "/patients/{id}/care-plans", {"200", "401", "404", "422"}),
    ("patch", "/care-plans/{id}", {"200", "400", "401", "403", "404", "422"}),
    ("post", "/care-plans/{id}/approve", {"200", "400", "401", "403", "404", "422"}),
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
]

# The 409s that carry more than the envelope.
CONFLICT_SCHEMAS = {
    ("post", "/appointments"): "ConflictOut",
    ("post", "/appointments/{id}/reschedule"): "ConflictOut",
    ("post", "/care-plans/{id}/series"): "SeriesConflictOut",
    ("post", "/series/{id}/move"): "SeriesConflictOut",
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
    for status in statuses - {"200", "201"}:
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        name = CONFLICT_SCHEMAS.get((method, path), "ErrorOut") if status == "409" else "ErrorOut"
        assert schema == {"$ref": f"#/components/schemas/{name}"}


@pytest.mark.parametrize("name", sorted(set(CONFLICT_SCHEMAS.values())))
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
