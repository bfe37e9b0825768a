"""Object-level access: the one way views and endpoints fetch a single object.

Each model family has a scope function in its app's `selectors.py`
(`patient_scope(user)`, `appointment_scope(user)`, ...) returning exactly the rows
the user may see. Fetching goes through `get_in_scope_or_404`, so an object
outside the scope answers 404, the same as one that does not exist: a
patient id guessed from another clinic leaks nothing.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


def parse_public_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def get_in_scope_or_404(scope: models.QuerySet[M], public_id: object) -> M:
    parsed = parse_public_id(public_id)
    if parsed is None:
        raise Http404("Not found.")
    found = scope.filter(public_id=parsed).first()
    if found is None:
        raise Http404("Not found.")
    return found
