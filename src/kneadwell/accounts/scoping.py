"""Object-level access: the one way views and endpoints fetch a single object.

Each model family has a scope function in its app's `selectors.py`
(`patient_scope(user)`, `appointment_scope(user)`, ...) returning exactly the rows
the user may see. Fetching goes through `get_in_scope_or_404`, so an object
outside the scope answers 404, the same as one that does not exist: a
patient id guessed from another clinic leaks nothing.

Given the request (or the acting user), a failed lookup is also recorded in the
audit trail (action `denied`) with the id that was tried and, when the object
exists, whose chart it belongs to: repeated guessing shows up there.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.http import Http404

from .audit import audit_record
from .models import AuditAction
from .subjects import patient_ids_of, public_id_field

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import User

M = TypeVar("M", bound=models.Model)


def parse_public_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def get_in_scope_or_404(
    scope: models.QuerySet[M],
    public_id: object,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
    channel: str | None = None,
) -> M:
    """The object with `public_id` in `scope`, else Http404 (missing and out of scope look the same).

    Pass `request` (or `actor`, outside a request) to have a failed attempt
    audited; `channel` defaults to "api" under /api/ and "web" otherwise.
    """
    parsed = parse_public_id(public_id)
    found = scope.filter(public_id=parsed).first() if parsed is not None else None
    if found is None:
        if request is not None or actor is not None:
            _record_denied(scope.model, public_id, parsed, request=request, actor=actor, channel=channel)
        raise Http404("Not found.")
    return found


def _record_denied(
    model: type[models.Model],
    public_id: object,
    parsed: uuid.UUID | None,
    *,
    request: HttpRequest | None,
    actor: User | None,
    channel: str | None,
) -> None:
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if channel is None:
        channel = "api" if request is not None and request.path.startswith("/api/") else "web"
    exists = False
    patients: list[str] = []
    if parsed is not None and public_id_field(model):
        # The unscoped manager: whether the object exists, and whose it is, is for the audit only.
        pks = list(model._default_manager.filter(public_id=parsed).values_list("pk", flat=True)[:1])
        exists = bool(pks)
        if exists:
            patients = patient_ids_of(model, pks)
    audit_record(
        actor=actor,
        action=AuditAction.DENIED,
        object_type=model._meta.model_name or "",
        object_id=parsed or str(public_id)[:64],
        patient_ids=patients,
        channel=channel,
        request=request,
        detail={"reason": "out_of_scope" if exists else ("not_found" if parsed else "malformed_id")},
    )
