"""Every error the API gives, in one envelope: {"detail": ..., "errors": [{"field": ..., "message": ...}]}.

A 409 may add one member: `current`, the state the request collided with (e.g. the decision
that won a race: `{"status": "granted", ...}`), or `matches`, the patients on file a new patient
seems to repeat. See docs/api.md.

The handlers translate what services and ninja raise; nothing in the routers
builds an error response by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.response import HttpResponseBase
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.patients.services import DuplicatePatient

# The first parts of a ninja error location name where the value came from and
# which parameter held it; the client only needs the path inside its input.
_SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})
_PARAMETERS = frozenset({"payload", "page", "filters"})

FORBIDDEN = "You do not have permission to perform this action."
INVALID_FIELDS = "The request has invalid fields."


def envelope_body(detail: str, errors: Iterable[tuple[str | None, str]] = ()) -> dict[str, Any]:
    """The error envelope as data (also used outside ninja, e.g. the 413 before a body is read)."""
    return {"detail": detail, "errors": [{"field": field, "message": message} for field, message in errors]}


def _envelope(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    detail: str,
    errors: Iterable[tuple[str | None, str]] = (),
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    return api.create_response(request, {**envelope_body(detail, errors), **(extra or {})}, status=status)


def field_path(loc: Sequence[Any]) -> str:
    """("body", "payload", "licences", 0, "expires") -> "licences[0].expires"."""
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in _SOURCES else "body"
    if parts and parts[0] in _PARAMETERS:
        parts.pop(0)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    # An error about the body as a whole (missing, not an object) names "body".
    return path or source


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value."))
    # pydantic prefixes messages raised by validators; the prefix tells the client nothing.
    return message.removeprefix("Value error, ")


def _on_ninja_validation(api: NinjaAPI, request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [(field_path(error.get("loc", ())), _message(error)) for error in exc.errors]
    return _envelope(api, request, 422, INVALID_FIELDS, errors)


def _on_django_validation(api: NinjaAPI, request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            (None if field == NON_FIELD_ERRORS else field, message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [(None, message) for message in exc.messages]
    return _envelope(api, request, 422, INVALID_FIELDS, errors)


def _on_domain_error(api: NinjaAPI, request: HttpRequest, exc: DomainError) -> HttpResponse:
    errors = [(exc.field, exc.message)] if exc.field else []
    extra: dict[str, Any] | None = None
    if isinstance(exc, Conflict) and exc.current is not None:
        extra = {"current": exc.current}
    if isinstance(exc, DuplicatePatient):
        # Only clinic staff get this (patients/services.py): they see every patient anyway.
        extra = {
            "matches": [
                {
                    "id": p.public_id,
                    "given_name": p.given_name,
                    "family_name": p.family_name,
                    "birth_date": p.birth_date,
                }
                for p in exc.matches
            ]
        }
    return _envelope(api, request, exc.status_code, exc.message, errors, extra)


def _on_permission_denied(api: NinjaAPI, request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    fields: dict[str, str] = getattr(exc, "fields", {})
    return _envelope(api, request, 403, str(exc) or FORBIDDEN, fields.items())


def _on_not_found(api: NinjaAPI, request: HttpRequest, exc: Http404) -> HttpResponse:
    return _envelope(api, request, 404, "Not found.")


def _on_http_error(api: NinjaAPI, request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        response = _envelope(
            api,
            request,
            401,
            "Authentication required: send a valid token as `Authorization: Bearer <token>`.",
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja wraps the JSON decoder's error; say where the body broke.
        return _envelope(
            api, request, 400, "The request body is not valid JSON.", [("body", str(exc.__cause__))]
        )
    return _envelope(api, request, exc.status_code, str(exc))


def _on_too_big(api: NinjaAPI, request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django refused to hold more of the body in memory (DATA_UPLOAD_MAX_MEMORY_SIZE).
    detail = "The request body is too large."
    return _envelope(api, request, 413, detail, [("body", detail)])


def _on_too_many_fields(api: NinjaAPI, request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
    detail = "The request has too many fields."
    return _envelope(api, request, 400, detail, [("body", detail)])


def install_error_handlers(api: NinjaAPI) -> None:
    handlers = {
        RequestDataTooBig: _on_too_big,
        TooManyFieldsSent: _on_too_many_fields,
        NinjaValidationError: _on_ninja_validation,
        ValidationError: _on_django_validation,
        DomainError: _on_domain_error,
        PermissionDenied: _on_permission_denied,
        Http404: _on_not_found,
        HttpError: _on_http_error,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, _bind(api, handler))


def _bind(api: NinjaAPI, handler: Any) -> Any:
    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        return handler(api, request, exc)

    return handle


# --- Answers Django gives around ninja, under /api/ -----------------------------------------------
# ninja's exception handlers only see what its operations raise. An unknown path, a method the path
# does not take, a failed CSRF check and an error outside an operation are answered by Django; under
# /api/ these answer in the envelope too, elsewhere with Django's own pages (urls.py, settings.py).


def is_api(request: HttpRequest) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def _json(status: int, detail: str, errors: Iterable[tuple[str | None, str]] = ()) -> JsonResponse:
    return JsonResponse(envelope_body(detail, errors), status=status)


@csrf_exempt  # nothing here acts on a request; a POST to a wrong path is a 404, not a CSRF failure
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/ answers in the API's envelope, not with an HTML page."""
    return _json(404, "Not found.")


def json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a ninja path view so a method it does not take is a 405 in the envelope (Allow kept)."""

    @functools.wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            enveloped = _json(405, f"The method {request.method} is not allowed here (allowed: {allowed}).")
            enveloped["Allow"] = allowed
            return enveloped
        return response

    return answer


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW. The API takes bearer tokens, not the session, so it needs no token."""
    if is_api(request):
        detail = "CSRF check failed: the API takes `Authorization: Bearer <token>`, not the sign-in cookie."
        return _json(403, detail)
    return django_csrf_failure(request, reason)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """urls.handler400."""
    if is_api(request):
        return _json(400, "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """urls.handler403."""
    if is_api(request):
        return _json(403, FORBIDDEN)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """urls.handler404."""
    if is_api(request):
        return _json(404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """urls.handler500. Django has logged the error (django.request) before this runs."""
    if is_api(request):
        return _json(500, "Something went wrong on our side; the error has been logged.")
    return defaults.server_error(request)
