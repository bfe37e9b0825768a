"""Writes for therapists, shared by the web UI, the REST API and the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from kneadwell.clinic.models import Location
from kneadwell.lib.errors import Conflict

from .models import Expertise, Licence, Therapist, Training, WorkingHours


@dataclass(frozen=True, slots=True)
class LicenceInput:
    jurisdiction: str
    number: str
    title: str
    issued: dt.date
    expires: dt.date


@dataclass(frozen=True, slots=True)
class ExpertiseInput:
    condition: str
    level: int


@dataclass(frozen=True, slots=True)
class WorkingHoursInput:
    location: Location
    weekday: int
    start_time: dt.time
    end_time: dt.time
    effective_from: dt.date
    effective_until: dt.date | None = None


class _Errors:
    """Validation messages keyed by the path of the input that caused them (`licences[0].expires`)."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def clean(
        self, obj: models.Model, *, prefix: str, exclude: Sequence[str], rename: dict[str, str]
    ) -> None:
        """full_clean `obj`, filing each field's messages under `prefix` + the input's name for it."""
        try:
            obj.full_clean(exclude=list(exclude))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                name = rename.get(field, "" if field == NON_FIELD_ERRORS else field)
                # An empty name files the message under the row itself (`trainings[2]`).
                path = (prefix + name).rstrip(".") or NON_FIELD_ERRORS
                for message in messages:
                    self.add(path, message)


def therapist_create(
    *,
    given_name: str,
    family_name: str,
    gender: str,
    locations: Sequence[Location],
    licences: Sequence[LicenceInput],
    trainings: Sequence[str],
    expertise: Sequence[ExpertiseInput],
    working_hours: Sequence[WorkingHoursInput],
) -> Therapist:
    """Create a therapist with everything that describes them, or nothing at all.

    Every row is validated with full_clean before the first write, and all
    problems are reported together, keyed by input path (`licences[0].expires`,
    `trainings[2]`). The writes run in one transaction, so a failure part-way
    (a licence number registered a moment ago by someone else) leaves no trace.
    """
    errors = _Errors()
    therapist = Therapist(given_name=given_name, family_name=family_name, gender=gender)
    errors.clean(therapist, prefix="", exclude=["user"], rename={})

    # Rows are built against the unsaved therapist; the link is excluded from
    # full_clean here and filled in when the therapist is saved.
    rows: list[models.Model] = [
        *_licence_rows(therapist, licences, errors),
        *_training_rows(therapist, trainings, errors),
        *_expertise_rows(therapist, expertise, errors),
        *_hours_rows(therapist, working_hours, locations, errors),
    ]

    if errors.by_field:
        raise ValidationError(errors.by_field)

    try:
        with transaction.atomic():
            therapist.save()
            therapist.locations.set(locations)
            for row in rows:
                row.therapist = therapist  # type: ignore[attr-defined]  # each row type (Licence, Training, …) has it
                row.save()
    except IntegrityError as exc:
        # Validated above; only a concurrent write (the same licence number
        # registered in between) can get here.
        raise Conflict(
            "A licence with this jurisdiction and number was just registered.", field="licences"
        ) from exc
    return therapist


def _licence_rows(therapist: Therapist, licences: Sequence[LicenceInput], errors: _Errors) -> list[Licence]:
    rows = []
    seen: set[tuple[str, str]] = set()
    for i, data in enumerate(licences):
        row = Licence(
            therapist=therapist,
            jurisdiction=data.jurisdiction,
            number=data.number,
            title=data.title,
            issued=data.issued,
            expires=data.expires,
        )
        # The only row-level check left is the (jurisdiction, number) uniqueness.
        errors.clean(
            row, prefix=f"licences[{i}].", exclude=["therapist"], rename={NON_FIELD_ERRORS: "number"}
        )
        if (data.jurisdiction, data.number) in seen:
            errors.add(f"licences[{i}].number", "This licence is listed twice.")
        seen.add((data.jurisdiction, data.number))
        rows.append(row)
    return rows


def _training_rows(therapist: Therapist, trainings: Sequence[str], errors: _Errors) -> list[Training]:
    rows = []
    for i, technique in enumerate(trainings):
        row = Training(therapist=therapist, technique=technique)
        # Trainings come in as a list of technique keys, so a bad one is named by its index alone.
        errors.clean(row, prefix=f"trainings[{i}].", exclude=["therapist"], rename={"technique": ""})
        if technique in trainings[:i]:
            errors.add(f"trainings[{i}]", "This technique is listed twice.")
        rows.append(row)
    return rows


def _expertise_rows(
    therapist: Therapist, expertise: Sequence[ExpertiseInput], errors: _Errors
) -> list[Expertise]:
    rows = []
    for i, data in enumerate(expertise):
        row = Expertise(therapist=therapist, condition=data.condition, level=data.level)
        errors.clean(row, prefix=f"expertise[{i}].", exclude=["therapist"], rename={})
        if any(earlier.condition == data.condition for earlier in expertise[:i]):
            errors.add(f"expertise[{i}].condition", "This condition is listed twice.")
        rows.append(row)
    return rows


def _hours_rows(
    therapist: Therapist, hours: Sequence[WorkingHoursInput], locations: Sequence[Location], errors: _Errors
) -> list[WorkingHours]:
    location_ids = {location.pk for location in locations}
    rows = []
    for i, data in enumerate(hours):
        row = WorkingHours(
            therapist=therapist,
            location=data.location,
            weekday=data.weekday,
            start_time=data.start_time,
            end_time=data.end_time,
            effective_from=data.effective_from,
            effective_until=data.effective_until,
        )
        errors.clean(row, prefix=f"working_hours[{i}].", exclude=["therapist"], rename={})
        if data.location.pk not in location_ids:
            # Booking requires the therapist to work at the location: hours
            # anywhere else could never be booked.
            errors.add(
                f"working_hours[{i}].location", "This location is not one of the therapist's locations."
            )
        rows.append(row)
    return rows
