"""The error envelope for what services raise, checked on a throwaway API with the same handlers."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.test import Client
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


# --- Answers Django gives around ninja: every /api/ answer is the envelope --------------------------


def _assert_envelope(response, status):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    return body


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/patients", "/api", "/api/v1/patients/"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_a_404_envelope_whatever_the_method(db, path, method):
    # With CSRF checks on, as a browser session would meet them: a POST is still the 404.
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(path)

    _assert_envelope(response, 404)


@pytest.mark.parametrize(("method", "path"), [("delete", "/api/v1/patients"), ("put", "/api/v1/me")])
def test_a_method_the_path_does_not_take_is_a_405_envelope_with_allow(cast, client, bearer, method, path):
    response = getattr(client, method)(path, **bearer(cast.admin))

    body = _assert_envelope(response, 405)
    assert method.upper() in body["detail"]
    assert "GET" in response["Allow"]


def test_a_body_over_the_memory_limit_is_a_413_envelope_and_nothing_is_stored(cast, client, bearer, settings):
    from kneadwell.patients.models import Patient

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = Patient.objects.count()
    body = json.dumps({"given_name": "N" * 2000, "family_name": "Noor", "birth_date": "1990-01-01"})

    response = client.post("/api/v1/patients", body, content_type="application/json", **bearer(cast.desk))

    body_json = _assert_envelope(response, 413)
    assert body_json["errors"][0]["field"] == "body"
    assert Patient.objects.count() == before


def test_a_body_over_the_announced_limit_is_a_413_envelope_before_it_is_read(db, client):
    response = client.post(
        "/api/v1/patients", b"{}", content_type="application/json", CONTENT_LENGTH="999999999"
    )
    _assert_envelope(response, 413)


def test_a_signed_in_browser_without_a_csrf_token_gets_the_envelope_not_a_page(cast):
    # The API ignores the sign-in cookie (bearer tokens only), so a session POST is a 401 in the
    # envelope; it never reaches Django's HTML CSRF page.
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.desk)

    response = client.post("/api/v1/patients", "{}", content_type="application/json")

    _assert_envelope(response, 401)


def test_a_csrf_failure_under_api_is_the_envelope_and_a_page_elsewhere(rf, settings):
    from django.middleware.csrf import CsrfViewMiddleware

    def view(request):  # type: ignore[no-untyped-def]
        return HttpResponse("reached")

    middleware = CsrfViewMiddleware(view)
    assert settings.CSRF_FAILURE_VIEW == "kneadwell.api.errors.csrf_failure"

    api_request = rf.post("/api/v1/patients", "{}", content_type="application/json")
    api_response = middleware.process_view(api_request, view, (), {})
    page_request = rf.post("/desk/today/", {})
    page_response = middleware.process_view(page_request, view, (), {})

    assert api_response is not None
    assert api_response.status_code == 403
    assert json.loads(api_response.content)["detail"].startswith("CSRF check failed")
    assert page_response is not None
    assert page_response.status_code == 403
    assert page_response["Content-Type"].startswith("text/html")


def test_a_server_error_under_api_is_the_envelope_and_a_page_elsewhere(rf):
    from kneadwell.api.errors import server_error

    api_response = server_error(rf.get("/api/v1/patients"))
    page_response = server_error(rf.get("/desk/today/"))

    assert api_response.status_code == page_response.status_code == 500
    assert set(json.loads(api_response.content)) == {"detail", "errors"}
    assert page_response["Content-Type"].startswith("text/html")


def test_an_unexpected_exception_in_an_operation_answers_500_in_the_envelope(cast, bearer, monkeypatch):
    from kneadwell.api import patients as patients_api

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(patients_api, "patient_scope", broken)
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/patients", **bearer(cast.admin))

    _assert_envelope(response, 500)


def test_an_invalid_content_length_under_api_is_a_400_envelope(db, client):
    response = client.generic("POST", "/api/v1/patients", b"", CONTENT_LENGTH="lots")
    _assert_envelope(response, 400)


def test_pages_keep_html_error_pages(db, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
