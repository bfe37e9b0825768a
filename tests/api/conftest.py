"""Helpers for the API tests: JSON requests with a bearer token, row counts, public-id checks."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.test import Client

API = "/api/v1"


class Api:
    """The Django test client, speaking JSON to /api/v1 as one user."""

    def __init__(self, client: Client, headers: dict[str, Any]) -> None:
        self.client = client
        self.headers = headers

    def get(self, path: str, **params: Any):  # type: ignore[no-untyped-def]
        return self.client.get(API + path, params, **self.headers)

    def post(self, path: str, body: Any):  # type: ignore[no-untyped-def]
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(API + path, data, content_type="application/json", **self.headers)

    def patch(self, path: str, body: Any):  # type: ignore[no-untyped-def]
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.patch(API + path, data, content_type="application/json", **self.headers)

    def delete(self, path: str, body: Any = None):  # type: ignore[no-untyped-def]
        return self.client.delete(API + path, **self.headers)

    def call(self, method: str, path: str, body: Any = None):  # type: ignore[no-untyped-def]
        if method == "GET":
            return self.get(path)
        return getattr(self, method.lower())(path, body)


@pytest.fixture
def api_as(client: Client, bearer) -> Callable[[Any], Api]:  # type: ignore[no-untyped-def]
    """api_as(user) -> an Api client sending a fresh token for that user."""
    return lambda user: Api(client, bearer(user))


def fields_of(response) -> list[str | None]:  # type: ignore[no-untyped-def]
    """The `field` of every entry in an error envelope."""
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    return [error["field"] for error in body["errors"]]


def row_counts(*model_classes: type[models.Model]) -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in model_classes}


def assert_public_ids(payload: Any) -> None:
    """Every id-like value in a payload is a UUID string: a sequential id never leaves the server."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "id" or key.endswith("_id"):
                assert value is None or (isinstance(value, str) and uuid.UUID(value)), (key, value)
            assert_public_ids(value)
    elif isinstance(payload, list):
        for item in payload:
            assert_public_ids(item)


# Audit events about patient data: sign-ins, sessions, tokens and authenticators have their own rows.
ACCOUNT_EVENT_TYPES = ("login", "session", "api_token", "authenticator")


def patient_data_events() -> Any:
    from kneadwell.accounts.models import AuditEvent

    return AuditEvent.objects.exclude(object_type__in=ACCOUNT_EVENT_TYPES)
