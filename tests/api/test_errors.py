"""The error envelope for what services raise, checked on a throwaway API with the same handlers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from ninja import NinjaAPI
from ninja.testing import TestClient

from kneadwell.api.errors import field_path, install_error_handlers
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.patients.services import FieldsForbidden

RAISED = {
    "domain": DomainError("The therapist has no valid licence.", field="therapist"),
    "conflict": Conflict("The room is already booked at that time.", field="room"),
    "model": ValidationError({"licences[0].expires": ["Too early."], "__all__": ["Whole thing."]}),
    "plain-validation": ValidationError("Nope."),
    "forbidden": PermissionDenied(),
    "fields-forbidden": FieldsForbidden("You may not.", fields={"birth_date": "Clinic only."}),
}


@pytest.fixture
def raising_client() -> TestClient:
    api = NinjaAPI(urls_namespace="errors-under-test")
    install_error_handlers(api)

    @api.get("/raise/{kind}")
    def raise_it(request, kind: str):  # type: ignore[no-untyped-def]
        raise RAISED[kind]

    return TestClient(api)


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        (
            "domain",
            422,
            {
                "detail": "The therapist has no valid licence.",
                "errors": [{"field": "therapist", "message": "The therapist has no valid licence."}],
            },
        ),
        (
            "conflict",
            409,
            {
                "detail": "The room is already booked at that time.",
                "errors": [{"field": "room", "message": "The room is already booked at that time."}],
            },
        ),
        (
            "model",
            422,
            {
                "detail": "The request has invalid fields.",
                "errors": [
                    {"field": "licences[0].expires", "message": "Too early."},
                    {"field": None, "message": "Whole thing."},
                ],
            },
        ),
        (
            "plain-validation",
            422,
            {"detail": "The request has invalid fields.", "errors": [{"field": None, "message": "Nope."}]},
        ),
        ("forbidden", 403, {"detail": "You do not have permission to perform this action.", "errors": []}),
        (
            "fields-forbidden",
            403,
            {"detail": "You may not.", "errors": [{"field": "birth_date", "message": "Clinic only."}]},
        ),
    ],
)
def test_service_errors_become_the_envelope(raising_client, kind, status, body):
    response = raising_client.get(f"/raise/{kind}")

    assert response.status_code == status
    assert response.json() == body


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("body", "payload", "licences", 0, "expires"), "licences[0].expires"),
        (("body", "payload", "trainings", 2), "trainings[2]"),
        (("body", "payload", "working_hours", 1, "location"), "working_hours[1].location"),
        (("body", "payload"), "body"),
        (("query", "limit"), "limit"),
        (("path", "id"), "id"),
        (("query",), "query"),
    ],
)
def test_field_path_drops_the_source_and_parameter_and_indexes_lists(loc, path):
    assert field_path(loc) == path


def test_an_unknown_api_path_answers_404_in_the_envelope(client, db):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}
