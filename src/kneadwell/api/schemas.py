"""Schemas and helpers shared by every router: the error envelope, pagination, input strings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, WithJsonSchema, field_validator

from kneadwell.clinic.selectors import clinic_today
from kneadwell.lib.errors import DomainError

M = TypeVar("M", bound=models.Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Past this an offset is certainly a mistake, and larger integers overflow SQLite.
MAX_OFFSET = 2**31 - 1


# A local wall-clock time, "09:00" or "09:00:00". JSON Schema's `format: time`
# (RFC 3339 full-time) requires a UTC offset, which these times must not have,
# so the contract spells the form out as a pattern instead.
WallClockTime = Annotated[
    dt.time,
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"}
    ),
]


class FieldError(Schema):
    field: str | None = Field(description="Path of the input at fault, e.g. `licences[0].expires`.")
    message: str


class ErrorOut(Schema):
    """Every 4xx answer: a summary and, for bad input, one entry per field at fault."""

    detail: str
    errors: list[FieldError] = []


class StorableText(Schema):
    """Input whose text reaches the database, stored or only looked up."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # JSON and query strings can carry what a database cannot take: NUL
        # (PostgreSQL refuses it, even in a lookup) and lone UTF-16 surrogates
        # (not encodable as UTF-8). Refuse both here, naming the field, rather
        # than fail in the query.
        for text in value if isinstance(value, list) else [value]:
            if not isinstance(text, str):
                continue
            if "\x00" in text:
                raise ValueError("The text contains a NUL character.")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("The text is not valid Unicode.") from None
        return value


class InSchema(StorableText):
    """Request bodies: an unknown field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _offer_no_null(schema: dict[str, Any]) -> None:
    """Drop the null that `X | None = None` adds to each property's JSON schema.

    The None default only means "left out"; a sent null is refused (see
    PatchSchema), so the published contract should not offer it.
    """
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf", [])
        if {"type": "null"} not in options:
            continue
        rest = [option for option in options if option != {"type": "null"}]
        del prop["anyOf"]
        if len(rest) == 1:
            prop.update(rest[0])
        else:
            prop["anyOf"] = rest
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class OptionalFields(Schema):
    """Every field may be left out; none is nullable."""

    model_config = ConfigDict(json_schema_extra=_offer_no_null)


class PatchSchema(InSchema):
    """Partial updates: every field optional, none nullable."""

    model_config = ConfigDict(json_schema_extra=_offer_no_null)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only sent values are validated; left-out fields keep their None default.
        if value is None:
            raise ValueError("This field cannot be null.")
        return value


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1–200).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")


def paginate(qs: models.QuerySet[M], page: PageParams) -> tuple[list[M], int]:
    """One page of `qs` (already in a stable order) and the total row count."""
    return list(qs[page.offset : page.offset + page.limit]), qs.count()


class KeysetParams(OptionalFields):
    """Paging of a list in time order: `cursor` (the `next_cursor` of the page before) reads the next page
    from the index however deep it lies; `count=true` adds the total, which costs a scan of the matches."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1–200).")
    cursor: str | None = Field(
        None, max_length=200, description="The `next_cursor` of the previous page; leave out for the first."
    )
    count: bool = Field(False, description="Also return the total number of matches (slower on long lists).")
    offset: int = Field(
        0,
        ge=0,
        le=MAX_OFFSET,
        description="Rows to skip after the cursor (kept for old clients; prefer `cursor`).",
    )


_CURSOR_SALT = "kneadwell.api.keyset"


def _after(keys: tuple[str, ...], values: list[Any]) -> models.Q:
    """Rows after (`values`) in the order `keys` ("-" descending): the first key past its value, or
    equal on it and past on the next, and so on (a row comparison both SQLite and PostgreSQL plan as
    one range of the index that serves the order)."""
    after = models.Q()
    for i in reversed(range(len(keys))):
        name = keys[i].lstrip("-")
        past = models.Q(**{f"{name}__{'lt' if keys[i].startswith('-') else 'gt'}": values[i]})
        after = past if i == len(keys) - 1 else past | (models.Q(**{name: values[i]}) & after)
    return after


def _key_field(meta: Any, name: str) -> models.Field[Any, Any]:
    field = meta.get_field(name)
    assert isinstance(field, models.Field), name  # an order key is a concrete column
    return field


def keyset_page(
    qs: models.QuerySet[M],
    page: KeysetParams,
    *,
    order: tuple[str, ...],
    rows_from: models.QuerySet[M] | None = None,
) -> tuple[list[M], str | None, int | None]:
    """One page of `qs` in `order`, the cursor of the next page (None on the last) and, when asked
    for, the total. The order must end with a unique key (the id) and match an index. The cursor is
    signed and opaque, and names its list: a forged, stale or another list's cursor is a 422 naming it.

    With `rows_from`, the page is chosen from `qs` alone (keep it free of joins) and its rows are read
    from `rows_from` (with its joins and prefetches) by primary key, in the same statement: with many
    tables joined in, SQLite's planner may start from the small ones and sort the whole list."""
    names = [key.lstrip("-") for key in order]
    meta = qs.model._meta
    label = f"{meta.label_lower}:{','.join(order)}"
    ordered = qs.order_by(*order)
    if page.cursor is not None:
        try:
            after = signing.loads(page.cursor, salt=_CURSOR_SALT)
            # {"t", "i"}: the form GET /appointments gave before the cursor named its list.
            raw = after["k"] if "k" in after else [after["t"], after["i"]]
            if after.get("l", label) != label or not isinstance(raw, list) or len(raw) != len(order):
                raise ValueError
            values = [_key_field(meta, name).to_python(value) for name, value in zip(names, raw, strict=True)]
            if any(value is None for value in values):
                raise ValueError
        except (signing.BadSignature, AttributeError, KeyError, TypeError, ValueError, ValidationError):
            raise DomainError("This cursor is not one this list gave.", field="cursor") from None
        # The range on the first key is what the index serves; the rest is a filter inside it.
        first = f"{names[0]}__{'lte' if order[0].startswith('-') else 'gte'}"
        ordered = ordered.filter(_after(order, values), **{first: values[0]})
    window = ordered[page.offset : page.offset + page.limit + 1]
    if rows_from is not None:
        window = rows_from.filter(pk__in=window.values("pk")).order_by(*order)
    rows = list(window)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = None
    if more:
        last = [getattr(rows[-1], name) for name in names]
        encoded = [value.isoformat() if isinstance(value, dt.date) else value for value in last]
        cursor = signing.dumps({"l": label, "k": encoded}, salt=_CURSOR_SALT, compress=True)
    total = qs.count() if page.count else None
    return rows, cursor, total


# Error responses each kind of operation can give, declared so the OpenAPI document lists them.
READ_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 422: ErrorOut}
DETAIL_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


def _as_utc(value: dt.datetime) -> dt.datetime:
    # Python allows offsets up to a day; PostgreSQL refuses more than 15:59 in a
    # query parameter. In UTC every instant is comparable, and one too close to
    # year 1 or 9999 to convert is refused here rather than in the database.
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("The instant is out of range.") from None


UtcInstant = Annotated[AwareDatetime, AfterValidator(_as_utc)]
"""An instant with its offset, normalised to UTC before it reaches a query."""


def request_today(request: HttpRequest) -> dt.date:
    """Today in the clinic's zone, looked up once per request (a list resolves it for every row)."""
    today: dt.date | None = getattr(request, "_kneadwell_today", None)
    if today is None:
        today = clinic_today()
        setattr(request, "_kneadwell_today", today)  # noqa: B010 - a per-request memo
    return today
