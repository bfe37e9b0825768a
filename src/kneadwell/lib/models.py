"""Shared model pieces."""

from __future__ import annotations

import uuid

from django.db import models


class PublicIdModel(models.Model):
    """Every row that leaves the server is named by a random public id, never its sequential pk."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
