"""REST API v1: bearer tokens, public ids, one error envelope. See docs/api.md."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from . import accounts, care, catalogue, clinic, patients, records, referrals, scheduling, series, therapists
from . import billing as billing_api
from . import outcomes as outcomes_api
from . import spotwork as spotwork_api
from . import waitlist as waitlist_api
from .auth import BearerToken
from .errors import install_error_handlers, json_method_not_allowed
from .strict import strict_input


class KneadwellAPI(NinjaAPI):
    """The API, its OpenAPI document built once per path prefix (the routes never change after start)
    rather than on every request for /api/v1/openapi.json."""

    _schemas: dict[str, OpenAPISchema]

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache = self.__dict__.setdefault("_schemas", {})
        if path_prefix not in cache:
            cache[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return cache[path_prefix]


api = KneadwellAPI(
    title="Kneadwell API",
    version="1",
    description=(
        "Send `Authorization: Bearer <token>` (make one with `kneadwell token create --user NAME`). "
        'Errors come as `{"detail": ..., "errors": [{"field": ..., "message": ...}]}`.'
    ),
    auth=BearerToken(),
    urls_namespace="api-v1",
)
install_error_handlers(api)
# Before any router is added: every operation they bring gets it (docs/api.md, "Strict input").
api.add_decorator(strict_input, mode="view")

api.add_router("/", accounts.router)
api.add_router("/", clinic.router)
api.add_router("/", therapists.router)
api.add_router("/", patients.router)
api.add_router("/", scheduling.router)
api.add_router("/", catalogue.router)
api.add_router("/", referrals.router)
api.add_router("/", care.router)
api.add_router("/", records.router)
api.add_router("/", outcomes_api.router)
api.add_router("/", billing_api.router)
api.add_router("/", series.router)
api.add_router("/", spotwork_api.router)
api.add_router("/", waitlist_api.router)


def urls() -> tuple[list[URLPattern], str, str]:
    """The API's URL patterns, each answering a method it does not take with a 405 in the envelope."""
    patterns, app_name, namespace = api.urls
    wrapped: list[URLPattern] = []
    for pattern in patterns:
        assert isinstance(pattern, URLPattern)  # ninja makes only paths, each with its view
        assert pattern.callback is not None
        pattern.callback = json_method_not_allowed(pattern.callback)
        wrapped.append(pattern)
    return wrapped, app_name, namespace
