"""Idempotent creates: an API POST sent again with the same `Idempotency-Key` gets the first answer.

A client that timed out or lost its connection cannot know whether its create happened. With
`Idempotency-Key: <any string up to 255 visible characters>` it may simply send the request
again: the same key and body give back the first answer (same status, same body, with
`Idempotent-Replayed: true`), and nothing is created twice. The same key with another body (or
another endpoint) is a 422 naming the header. Keys are per user and kept for `KEY_LIFETIME`.

Use it on any create operation, under the router's decorator:

    @router.post("/things", response={201: ThingOut, **WRITE_ERRORS})
    @idempotent
    def create_thing(request: HttpRequest, payload: ThingIn) -> Status: ...

The header is then declared in the operation's OpenAPI parameters. A view that also hands the
key to a service of its own (scheduling's `appointment_create(idempotency_key=...)`) reads it
with `idempotency_key(request)`.

How it holds, including against a crash and two retries racing:

- The whole operation (authentication, the view, the answer) runs in one transaction when the
  header is sent. The view's first write is the claim: an `IdempotencyRecord` row for
  (user, key); the answer is stored on it before commit. So the created rows and the record
  commit together, or neither does.
- Only a 2xx answer is kept. A refused request (4xx) rolls back, claim included: the client may
  fix the body and send it again under the same key.
- Two requests with the same key at once: on PostgreSQL the second INSERT of the claim waits for
  the first transaction, then fails on the unique (user, key) constraint once it commits; the
  second then reads the stored answer and replays it (or, if the first rolled back, its insert
  succeeds and it goes ahead). On SQLite, BEGIN IMMEDIATE runs the two one after the other.
- A replay is audited as a read of the patients the first answer concerned.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import inspect
import json
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Header
from ninja.decorators import decorate_view
from ninja.utils import contribute_operation_args
from pydantic import StringConstraints

from kneadwell.accounts.audit import _BUFFER_ATTR as AUDIT_BUFFER_ATTR
from kneadwell.accounts.models import AuditAction, IdempotencyRecord, User
from kneadwell.accounts.services import audit_record
from kneadwell.api.auth import api_user
from kneadwell.lib.clock import now
from kneadwell.lib.errors import DomainError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Long enough for any client's retries (and a next-morning rerun of a failed batch); short enough
# that stored answers, which name patients, do not pile up.
KEY_LIFETIME = dt.timedelta(hours=24)

IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]

_CLAIM_ATTR = "_kneadwell_idempotency_claim"
_KEY_ATTR = "_kneadwell_idempotency_key"

KEY_REUSED = (
    "This Idempotency-Key was already used with another request: send a new key for a new request, "
    "or the same body to get the first answer again."
)


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make an API create operation honour `Idempotency-Key` (see the module's docstring)."""

    @wraps(view)
    def claim_then_run(
        request: HttpRequest, *args: Any, idempotency_key: str | None = None, **kwargs: Any
    ) -> Any:
        if idempotency_key is None:
            return view(request, *args, **kwargs)
        replay = _claim(request, idempotency_key)
        if replay is not None:
            return replay
        return view(request, *args, **kwargs)

    # ninja reads the operation's parameters from this signature, resolving string annotations
    # (`from __future__ import annotations`) in the wrapper's module: hand it the view's own,
    # already resolved.
    claim_then_run.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]  # ninja reads __signature__ to build the operation
    contribute_operation_args(
        claim_then_run,
        "idempotency_key",
        IdempotencyKey | None,  # type: ignore[arg-type]  # ninja's Header marker in a type position, as its docs show
        Header(
            None,
            alias=HEADER,
            description=(
                "Any string up to 255 visible ASCII characters (a UUID is a good choice). Sent again "
                "with the same body, the first answer is returned and nothing is created twice; with "
                f"another body, 422. Kept for {KEY_LIFETIME.total_seconds() / 3600:g} hours, per user."
            ),
        ),
    )
    return decorate_view(_in_one_transaction)(claim_then_run)


def idempotency_key(request: HttpRequest) -> str | None:
    """The key this request claimed, for a view that passes it on to a service of its own."""
    return getattr(request, _KEY_ATTR, None)


def _in_one_transaction(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap the operation (authentication, view, answer) in one transaction when the header is sent."""

    @wraps(run)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        if HEADER not in request.headers:
            return run(request, **kwargs)
        with transaction.atomic():
            response = run(request, **kwargs)
            claim: IdempotencyRecord | None = getattr(request, _CLAIM_ATTR, None)
            if not 200 <= response.status_code < 300:
                # Nothing of a refused create stays, nor its claim: the key may be used again.
                transaction.set_rollback(True)
            elif claim is not None and isinstance(response, HttpResponse):
                claim.status_code = response.status_code
                claim.response_body = response.content.decode()
                claim.audit = _audited(request)
                claim.save(update_fields=["status_code", "response_body", "audit"])
        return response

    return wrapper


def _fingerprint(request: HttpRequest) -> str:
    """What makes two requests "the same": method, path, query and body (JSON compared as data)."""
    body: bytes = request.body
    with contextlib.suppress(ValueError):  # not JSON: compared byte for byte
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    query = sorted(request.GET.lists())
    parts = [request.method or "", request.path, json.dumps(query)]
    digest = hashlib.sha256("\n".join(parts).encode() + b"\n" + body)
    return digest.hexdigest()


def _claim(request: HttpRequest, key: str) -> HttpResponse | None:
    """Claim (user, key) for this request; or, if a request already answered it, its answer again."""
    user = request.user
    assert isinstance(user, User), "idempotent operations need an authenticated user"
    fingerprint = _fingerprint(request)
    at = now()
    # Expired answers go (they may name patients), and an expired key may be used afresh.
    IdempotencyRecord.objects.filter(expires_at__lte=at).delete()
    try:
        with transaction.atomic():
            claim = IdempotencyRecord.objects.create(
                user=user, key=key, fingerprint=fingerprint, expires_at=at + KEY_LIFETIME
            )
    except IntegrityError:
        # Answered already, or (PostgreSQL) by a racing request that has just committed.
        first = IdempotencyRecord.objects.get(user=user, key=key)
        if first.fingerprint != fingerprint:
            raise DomainError(KEY_REUSED, field=HEADER, code="idempotency_key_reused") from None
        return _replay(request, first)
    setattr(request, _CLAIM_ATTR, claim)
    setattr(request, _KEY_ATTR, key)
    return None


def _replay(request: HttpRequest, first: IdempotencyRecord) -> HttpResponse:
    audit = first.audit or {}
    audit_record(
        actor=api_user(request),
        action=AuditAction.READ,
        object_type=str(audit.get("object_type", "idempotent_replay"))[:50],
        object_id=audit.get("object_id", ""),
        patient_ids=audit.get("patient_ids", []),
        channel="api",
        request=request,
        detail={"replay": True},
    )
    response = HttpResponse(
        first.response_body, status=first.status_code, content_type="application/json; charset=utf-8"
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _audited(request: HttpRequest) -> dict[str, Any]:
    """What the answer's audit events name (collected on the request until the response is ready)."""
    buffer = getattr(request, AUDIT_BUFFER_ATTR, None)
    events = list(getattr(buffer, "events", []))
    if not events:
        return {}
    created = next((e for e in events if e.action == AuditAction.CREATE), events[0])
    return {
        "object_type": created.object_type,
        "object_id": created.object_id,
        "patient_ids": sorted({e.patient_id for e in events if e.patient_id}),
    }
