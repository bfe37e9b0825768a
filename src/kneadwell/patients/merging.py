"""Merging two records of one person, and undoing it from the audit trail.

`patient_merge(source → target)` moves every row that belongs to the source record (intakes,
referrals, clearances, plans of care, appointments, hand-offs, care team, and whatever other app
links a row to a patient) to the target, fills the target's empty contact fields from the source,
and marks the source `merged_into` the target, which takes it out of every scope. The source's
row is kept: its public id still names it, and the merge can be undone.

What moved is written into the merge's audit event (primary keys by relation, field names; never
the values of the chart), in the same transaction as the move: a merge cannot happen without its
record, and `patient_unmerge` restores from that record alone. Rows added to the target after the
merge stay with it on undo: they were recorded about the person after the records were one.

The relations are found at run time (`Patient._meta.related_objects`), so this module imports no
app above it and a relation added later is moved too. A row that cannot move because the target
already has its twin (a unique constraint, e.g. the same provider on both care teams) stays with
the merged record; a move the database refuses (PostgreSQL: the patient's two appointments
overlap) is a Conflict and nothing moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest

from kneadwell.accounts.audit import append, build_events
from kneadwell.accounts.models import AuditAction, AuditEvent, User
from kneadwell.lib.errors import Conflict, DomainError

from .models import Patient
from .services import CONTACT_FIELDS

MERGE_EVENT = "patient_merge"
UNMERGE_EVENT = "patient_unmerge"


@dataclass(frozen=True)
class MergeResult:
    """A merge (or its undoing): the two records, and how many rows moved per kind of row."""

    merge_id: str
    source: Patient
    target: Patient
    moved: dict[str, int]


def _relations() -> list[models.ForeignObjectRel]:
    """Every relation through which a row belongs to a patient (reverse foreign keys and one-to-ones)."""
    return [
        rel
        for rel in Patient._meta.related_objects
        if (rel.one_to_many or rel.one_to_one) and isinstance(rel.field, models.ForeignKey)
    ]


def _label(rel: models.ForeignObjectRel) -> str:
    """`app.model.field`: how a relation is named in the audit trail."""
    meta = rel.related_model._meta  # type: ignore[union-attr]  # a reverse relation's related_model is always a model class, never 'self'
    return f"{meta.app_label}.{meta.model_name}.{rel.field.name}"


def _rows(rel: models.ForeignObjectRel, patient: Patient) -> models.QuerySet[Any]:
    # _base_manager: every row, whatever a model's default manager hides.
    return rel.related_model._base_manager.filter(**{rel.field.name: patient})  # type: ignore[union-attr]  # a reverse relation's related_model is always a model class, never 'self'


def _unique_sets(rel: models.ForeignObjectRel) -> list[tuple[str, ...]]:
    """The other fields that must differ between rows of one patient (unconditional unique constraints)."""
    meta = rel.related_model._meta  # type: ignore[union-attr]  # a reverse relation's related_model is always a model class, never 'self'
    name = rel.field.name
    sets = [tuple(fields) for fields in meta.unique_together]
    sets += [
        tuple(c.fields)
        for c in meta.constraints
        if isinstance(c, models.UniqueConstraint) and not c.condition
    ]
    return [tuple(f for f in fields if f != name) for fields in sets if name in fields]


def _movable(rel: models.ForeignObjectRel, source: Patient, target: Patient) -> tuple[list[Any], list[Any]]:
    """(pks to move, pks that stay because the target already has their twin)."""
    rows = _rows(rel, source)
    if rel.related_model is Patient:
        rows = rows.exclude(pk=target.pk)
    pks = list(rows.values_list("pk", flat=True))
    if rel.one_to_one and _rows(rel, target).exists():
        return [], pks
    kept: set[Any] = set()
    for others in _unique_sets(rel):
        if not others:  # unique on the patient alone
            if _rows(rel, target).exists():
                kept.update(pks)
            continue
        taken = set(_rows(rel, target).values_list(*others))
        kept.update(pk for pk, *values in rows.values_list("pk", *others) if tuple(values) in taken)
    return [pk for pk in pks if pk not in kept], sorted(kept)


def _audit(
    actor: User,
    kind: str,
    merge_id: str,
    patients: Iterable[Patient],
    detail: dict[str, Any],
    request: HttpRequest | None,
    channel: str,
) -> None:
    # Written now, inside the transaction that moves the rows: the merge and its record (from which
    # it is undone) commit together. (audit_record would buffer it until the response.)
    append(
        build_events(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=kind,
            object_id=merge_id,
            patient_ids=[p.public_id for p in patients],
            channel=channel,
            request=request,
            detail=detail,
        )
    )


def _check_actor(actor: User) -> None:
    if not actor.has_perm("patients.merge_patient"):
        raise PermissionDenied(
            "You do not have permission to merge patient records: the front desk does that."
        )


def patient_merge(
    *, actor: User, source: Patient, target: Patient, request: HttpRequest | None = None, channel: str = "web"
) -> MergeResult:
    """Merge `source` into `target` (front desk, clinic admins): see the module's docstring.

    Refused (DomainError) for a record with itself, a record already merged, or two records that
    both have a portal login (one person, one login: deactivate the other first).
    """
    _check_actor(actor)
    if source.pk == target.pk:
        raise DomainError("Choose another record to merge into this one.", field="source")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise Conflict("One of these records has already been merged into another.", field="source")
    if source.user_id is not None and target.user_id is not None:
        raise DomainError(
            "Both records have a portal login; deactivate the one not used, then merge.", field="source"
        )
    merge_id = str(uuid.uuid4())
    try:
        with transaction.atomic():
            # Lock both records in a fixed order, so a merge racing another edit of them waits.
            locked = {
                p.pk: p
                for p in Patient.objects.select_for_update()
                .filter(pk__in=[source.pk, target.pk])
                .order_by("pk")
            }
            source, target = locked[source.pk], locked[target.pk]
            if source.merged_into_id is not None or target.merged_into_id is not None:
                raise Conflict("One of these records has just been merged into another.", field="source")
            moved, kept = _move_rows(source, target)
            fields = _merge_fields(source, target)
            _audit(
                actor,
                MERGE_EVENT,
                merge_id,
                [target, source],
                {
                    "merge": {
                        "id": merge_id,
                        "source": str(source.public_id),
                        "target": str(target.public_id),
                        "moved": moved,
                        "kept": kept,
                        **fields,
                    }
                },
                request,
                channel,
            )
    except IntegrityError as exc:
        raise Conflict(
            "These records cannot be merged as they are: the database refused to combine their rows "
            "(for example, appointments at overlapping times). Cancel the duplicate booking first.",
            field="source",
        ) from exc
    return MergeResult(merge_id, source, target, {k: len(v) for k, v in moved.items() if v})


def _move_rows(source: Patient, target: Patient) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    moved: dict[str, list[Any]] = {}
    kept: dict[str, list[Any]] = {}
    for rel in _relations():
        pks, stay = _movable(rel, source, target)
        label = _label(rel)
        if pks:
            manager = rel.related_model._base_manager  # type: ignore[union-attr]  # a reverse relation's related_model is always a model class, never 'self'
            manager.filter(pk__in=pks).update(**{rel.field.name: target})
            moved[label] = pks
        if stay:
            kept[label] = stay
    return moved, kept


def _merge_fields(source: Patient, target: Patient) -> dict[str, Any]:
    """Mark the source merged; give the target the login and contact details only the source had.

    Returns what changed, by name (the audit trail records names, not values).
    """
    filled = [name for name in CONTACT_FIELDS if not getattr(target, name) and getattr(source, name)]
    for name in filled:
        setattr(target, name, getattr(source, name))
    login_moved = source.user_id is not None and target.user_id is None
    suspicion = {
        "source_suspected_of": _public(source.suspected_duplicate_of_id),
        "target_suspected_of": _public(target.suspected_duplicate_of_id),
    }
    user = source.user
    source.user = None
    source.suspected_duplicate_of = None
    source.merged_into = target
    source.save(update_fields=["user", "suspected_duplicate_of", "merged_into", "updated_at"])
    if login_moved:
        target.user = user
    if target.suspected_duplicate_of_id == source.pk:
        target.suspected_duplicate_of = None  # the suspicion is settled by this merge
    target.save(update_fields=[*filled, "user", "suspected_duplicate_of", "updated_at"])
    return {"filled": filled, "login_moved": login_moved, **suspicion}


def _public(pk: int | None) -> str | None:
    if pk is None:
        return None
    return str(Patient.objects.filter(pk=pk).values_list("public_id", flat=True).first() or "") or None


def merge_event(source: Patient) -> AuditEvent | None:
    """The audit event of the merge that made `source` part of another record (the latest)."""
    for event in AuditEvent.objects.filter(
        object_type=MERGE_EVENT, patient_id=str(source.public_id)
    ).order_by("-seq")[:20]:
        merge = event.detail.get("merge", {})
        if merge.get("source") == str(source.public_id):
            return event
    return None


def patient_unmerge(
    *, actor: User, source: Patient, request: HttpRequest | None = None, channel: str = "web"
) -> MergeResult:
    """Undo the merge of `source` (a record merged into another) from its audit event.

    The rows that moved and are still with the target move back; the target's filled contact
    fields empty again where they still hold the source's values; a moved login goes back; the
    suspicions cleared by the merge return. Rows recorded on the target since stay there.
    """
    _check_actor(actor)
    if source.merged_into_id is None:
        raise Conflict("This record is not merged into another.", field="source")
    event = merge_event(source)
    if event is None:
        raise DomainError("The audit trail has no record of this merge: it cannot be undone here.")
    merge: dict[str, Any] = event.detail["merge"]
    with transaction.atomic():
        locked = {
            p.pk: p
            for p in Patient.objects.select_for_update()
            .filter(pk__in=[source.pk, source.merged_into_id])
            .order_by("pk")
        }
        source = locked[source.pk]
        if source.merged_into_id is None or source.merged_into_id not in locked:
            raise Conflict("This merge has just been undone.", field="source")
        target = locked[source.merged_into_id]
        if str(target.public_id) != merge["target"]:
            raise DomainError("The audit trail's record of this merge does not match the records.")
        if target.merged_into_id is not None:
            raise DomainError(
                f"{target.full_name}'s record has since been merged into another: undo that merge first.",
                field="source",
            )
        moved = _move_back(merge.get("moved", {}), source, target)
        _restore_fields(merge, source, target)
        _audit(
            actor,
            UNMERGE_EVENT,
            merge["id"],
            [target, source],
            {
                "unmerge": {
                    "id": merge["id"],
                    "source": merge["source"],
                    "target": merge["target"],
                    "moved": moved,
                }
            },
            request,
            channel,
        )
    return MergeResult(merge["id"], source, target, {k: len(v) for k, v in moved.items() if v})


def _move_back(recorded: dict[str, list[Any]], source: Patient, target: Patient) -> dict[str, list[Any]]:
    relations = {_label(rel): rel for rel in _relations()}
    moved: dict[str, list[Any]] = {}
    for label, pks in recorded.items():
        rel = relations.get(label)
        if rel is None:  # a relation that no longer exists
            continue
        manager = rel.related_model._base_manager  # type: ignore[union-attr]  # a reverse relation's related_model is always a model class, never 'self'
        back = list(manager.filter(pk__in=pks, **{rel.field.name: target}).values_list("pk", flat=True))
        manager.filter(pk__in=back).update(**{rel.field.name: source})
        moved[label] = back
    return moved


def _restore_fields(merge: dict[str, Any], source: Patient, target: Patient) -> None:
    for name in merge.get("filled", []):
        if name in CONTACT_FIELDS and getattr(target, name) == getattr(source, name):
            setattr(target, name, "")
    if merge.get("login_moved") and target.user_id is not None and source.user_id is None:
        source.user, target.user = target.user, None
    source.suspected_duplicate_of = _by_public_id(merge.get("source_suspected_of"))
    if target.suspected_duplicate_of_id is None:
        target.suspected_duplicate_of = _by_public_id(merge.get("target_suspected_of"))
    source.merged_into = None
    # The login moves through None: a one-to-one may not point at both rows for a moment.
    target.save(update_fields=[*merge.get("filled", []), "user", "suspected_duplicate_of", "updated_at"])
    source.save(update_fields=["user", "suspected_duplicate_of", "merged_into", "updated_at"])


def _by_public_id(public_id: str | None) -> Patient | None:
    return Patient.objects.filter(public_id=public_id).first() if public_id else None


@dataclass(frozen=True)
class RecordPart:
    """One kind of row a patient record holds, for the side-by-side check before a merge."""

    label: str
    count: int


def record_parts(patient: Patient) -> list[RecordPart]:
    """How many rows of each kind belong to `patient` (the kinds a merge moves), in a stable order."""
    parts = []
    for rel in _relations():
        if rel.related_model is Patient:
            continue
        meta = rel.related_model._meta  # type: ignore[union-attr]  # a reverse relation's related_model is always a model class, never 'self'
        parts.append(RecordPart(str(meta.verbose_name_plural).capitalize(), _rows(rel, patient).count()))
    return sorted(parts, key=lambda part: part.label)
