"""Strict API input: one check, derived from each operation's declared parameters, for every operation.

pydantic's lax mode, which ninja validates with, takes `0`/`1` and `"yes"` for
booleans, `"5"` and `5.0` for integers and a number of seconds for a date or an
instant. A careless client then stores what it did not mean, so before ninja
validates anything this check refuses, naming the field (422, the error envelope):

- a query parameter the operation does not declare (a misspelt filter would
  otherwise be ignored and the answer look right);
- in a JSON body: a boolean that is not `true`/`false`, a whole number that is
  not a JSON integer, a number that is not a JSON number (or is NaN/Infinity),
  a date, time or instant that is not a string;
- in a query string: a boolean other than `true`/`false`, a whole number or a
  number not written as one, a date, time or instant written as a bare number.

pydantic's strict mode is not used on the schemas themselves: ninja validates
the parsed JSON as Python objects, and in Python strict mode a date must already
be a `date` (and a UUID a `UUID`), so the ISO strings JSON carries would fail.
Everything else (required fields, ranges, unknown body fields via
`extra="forbid"`) stays with the schemas. See docs/api.md, "Strict input".
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import types
from collections.abc import Callable, Iterator
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja.operation import Operation
from ninja.params.models import BodyModel, QueryModel
from pydantic import (
    AwareDatetime,
    BaseModel,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
)

from .errors import INVALID_FIELDS, envelope_body

Problem = tuple[str, str]
Run = Callable[..., HttpResponseBase]

_TEMPORAL: tuple[Any, ...] = (
    AwareDatetime,
    NaiveDatetime,
    PastDate,
    FutureDate,
    PastDatetime,
    FutureDatetime,
)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

NOT_BOOLEAN = "Must be true or false."
NOT_INTEGER = "Must be a whole number."
NOT_NUMBER = "Must be a finite number."
NOT_TEMPORAL = "Must be a date or time written as text (ISO 8601), not a number."
UNKNOWN_PARAMETER = "Unknown query parameter."


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _bare(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_temporal(annotation: Any) -> bool:
    if annotation in _TEMPORAL:
        return True
    return isinstance(annotation, type) and issubclass(annotation, dt.date | dt.time)


def _arms(annotation: Any) -> list[Any] | None:
    """The non-null members of a union, or None when the annotation is no union."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [arm for arm in get_args(annotation) if arm is not type(None)]
    return None


def _item_type(annotation: Any) -> Any | None:
    """X of list[X], set[X], tuple[X, ...]; None otherwise."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, set, frozenset) and args:
        return args[0]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


# --- JSON bodies ------------------------------------------------------------------------------------


def json_problems(annotation: Any, value: Any, path: str = "") -> list[Problem]:
    """Where `value` (parsed JSON) gives a type only lax validation would take for `annotation`."""
    annotation = _bare(annotation)
    if value is None:
        return []  # whether null is allowed is the schema's to say
    arms = _arms(annotation)
    if arms is not None:
        found = [json_problems(arm, value, path) for arm in arms]
        return [] if not found or any(not problems for problems in found) else found[0]
    item = _item_type(annotation)
    if item is not None:
        if not isinstance(value, list):
            return []
        return [
            problem for i, one in enumerate(value) for problem in json_problems(item, one, _join(path, i))
        ]
    if get_origin(annotation) is dict:
        args = get_args(annotation)
        if not isinstance(value, dict) or len(args) != 2:
            return []
        return [
            problem for key, one in value.items() for problem in json_problems(args[1], one, _join(path, key))
        ]
    if get_origin(annotation) is Literal or not isinstance(annotation, type):
        return []
    if issubclass(annotation, BaseModel):
        return _model_problems(annotation, value, path) if isinstance(value, dict) else []
    if issubclass(annotation, Enum):
        return []
    where = path or "body"
    if annotation is bool:
        return [] if isinstance(value, bool) else [(where, NOT_BOOLEAN)]
    if annotation is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [(where, NOT_INTEGER)]
    if annotation in (float, Decimal):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if number and math.isfinite(value) else [(where, NOT_NUMBER)]
    if _is_temporal(annotation):
        return [] if isinstance(value, str) else [(where, NOT_TEMPORAL)]
    return []


def _model_problems(model: type[BaseModel], value: dict[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    for name, field in model.model_fields.items():
        key = field.validation_alias if isinstance(field.validation_alias, str) else field.alias or name
        for sent in dict.fromkeys((key, name)):
            if sent in value:
                problems += json_problems(field.annotation, value[sent], _join(path, sent))
                break
    return problems


# --- Query strings ----------------------------------------------------------------------------------


def query_problems(annotation: Any, value: str, name: str) -> list[Problem]:
    """Where a query string value is not written as `annotation` is, though lax validation would take it."""
    annotation = _bare(annotation)
    arms = _arms(annotation)
    if arms is not None:
        found = [query_problems(arm, value, name) for arm in arms]
        return [] if not found or any(not problems for problems in found) else found[0]
    item = _item_type(annotation)
    if item is not None:
        return query_problems(item, value, name)
    if not isinstance(annotation, type) or issubclass(annotation, Enum):
        return []
    if annotation is bool:
        return [] if value in ("true", "false") else [(name, NOT_BOOLEAN)]
    if annotation is int:
        return [] if _INTEGER.fullmatch(value) else [(name, NOT_INTEGER)]
    if annotation in (float, Decimal):
        return [] if _NUMBER.fullmatch(value) else [(name, NOT_NUMBER)]
    if _is_temporal(annotation):
        return [(name, NOT_TEMPORAL)] if _NUMBER.fullmatch(value.strip()) else []
    return []


def _query_parameters(model: type[QueryModel]) -> Iterator[tuple[str, Any]]:
    """(name in the query string, annotation) of each parameter a ninja query model declares."""
    flatten: dict[str, tuple[str, ...]] | None = getattr(model, "__ninja_flatten_map__", None)
    if not flatten:
        for name, field in model.model_fields.items():
            yield field.alias or name, field.annotation
        return
    for name, path in flatten.items():
        annotation: Any = model
        for part in path:
            annotation = _bare(annotation)
            fields = (
                annotation.model_fields
                if isinstance(annotation, type) and issubclass(annotation, BaseModel)
                else {}
            )
            by_key = {field.alias or key: field for key, field in fields.items()} | fields
            annotation = by_key[part].annotation if part in by_key else Any
        yield name, annotation


class InputShape:
    """What one operation declares: its query parameters and its body."""

    def __init__(self, operation: Operation) -> None:
        self.query: dict[str, Any] = {}
        self.body: list[type[BodyModel]] = []
        for model in operation.models:
            if issubclass(model, QueryModel):
                self.query.update(_query_parameters(model))
            elif issubclass(model, BodyModel):
                self.body.append(model)

    def problems(self, request: HttpRequest) -> list[Problem]:
        problems = [(name, UNKNOWN_PARAMETER) for name in request.GET if name not in self.query]
        for name, annotation in self.query.items():
            for value in request.GET.getlist(name):
                problems += query_problems(annotation, value, name)
        if self.body and request.content_type == "application/json" and request.body:
            try:
                data = json.loads(request.body)
            except ValueError:
                return problems  # ninja answers 400, naming where the JSON broke
            for model in self.body:
                single = getattr(model, "__read_from_single_attr__", None)
                if single:
                    problems += json_problems(model.model_fields[single].annotation, data)
                elif isinstance(data, dict):
                    problems += _model_problems(model, data, "")
        return problems


def strict_input(run: Run) -> Run:
    """A ninja "view" decorator: refuse lax or unknown input before the operation validates it.

    Authentication still comes first: an anonymous caller gets the 401, not a list of its mistakes.
    """
    # The bound `run`, perhaps already wrapped (functools.wraps) by the operation's own decorators.
    inner: Any = run
    while not hasattr(inner, "__self__") and hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    operation = getattr(inner, "__self__", None)
    if not isinstance(operation, Operation):  # pragma: no cover - ninja hands over the operation's run
        raise TypeError("strict_input decorates an operation's run method (mode='view').")
    shape = InputShape(operation)

    @functools.wraps(run)
    def run_strictly(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        try:
            problems = shape.problems(request)
        except Exception as exc:  # e.g. the body is over DATA_UPLOAD_MAX_MEMORY_SIZE
            return operation.api.on_exception(request, exc)
        if not problems:
            return run(request, **kwargs)
        refused = operation._run_checks(request)
        if refused is not None:
            return refused
        body = envelope_body(INVALID_FIELDS, problems)
        return operation.api.create_response(request, body, status=422)

    return run_strictly
