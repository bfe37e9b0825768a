"""Whose chart a row belongs to, for the audit trail, without importing the apps above accounts.

A row concerns a patient when it is a patient (`patients.Patient`) or has a
foreign key named `patient` to one. Models are recognised by label, so this
layer needs no import of the patients app.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import FieldDoesNotExist
from django.db import models

PATIENT_LABEL = "patients.Patient"


def public_id_field(model: type[models.Model]) -> bool:
    try:
        model._meta.get_field("public_id")
    except FieldDoesNotExist:
        return False
    return True


def patient_path(model: type[models.Model]) -> str | None:
    """The lookup from `model` to its patient's public id, or None when it concerns no patient."""
    if model._meta.label == PATIENT_LABEL:
        return "public_id"
    try:
        field = model._meta.get_field("patient")
    except FieldDoesNotExist:
        return None
    related = getattr(field, "related_model", None)
    if related is not None and not isinstance(related, str) and related._meta.label == PATIENT_LABEL:
        return "patient__public_id"
    return None


def patient_ids_of(model: type[models.Model], pks: Sequence[object]) -> list[str]:
    """The public ids of the patients the rows `pks` of `model` concern, in first-seen order (one query)."""
    path = patient_path(model)
    if path is None or not pks:
        return []
    values = model._default_manager.filter(pk__in=list(pks)).values_list(path, flat=True)
    return [str(v) for v in dict.fromkeys(values) if v is not None]


def object_label(obj: models.Model) -> str:
    """The id an audit row names an object by: its public id when it has one, else its primary key."""
    return str(getattr(obj, "public_id", None) or obj.pk or "")
