"""Domain errors: raised by services, turned into 4xx by every interface."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A request the domain refuses. `field` names the input to fix (None: the request as a whole)."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class Conflict(DomainError):
    """The request is valid but collides with the current state (e.g. a slot already taken).

    `current`, when given, is the state the request collided with (e.g. `{"status": "granted"}`
    after a racing decision won): interfaces show it, so no caller is left believing their
    own answer was stored.
    """

    status_code = 409

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str = "invalid",
        current: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, field=field, code=code)
        self.current = dict(current) if current is not None else None


class FieldErrors(DomainError):
    """A request with several fields to fix at once: `errors` maps each field to its messages."""

    def __init__(self, message: str, *, errors: dict[str, list[str]]) -> None:
        super().__init__(message, field=next(iter(errors), None))
        self.errors = errors
