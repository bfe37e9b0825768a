"""Therapists: anyone signed in may read them (patients pick one); clinic admins add them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints, field_validator

from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.clinic.models import Location
from kneadwell.clinic.selectors import location_list
from kneadwell.therapists.models import Gender, Licence, Therapist, Weekday, WorkingHours
from kneadwell.therapists.selectors import therapist_scope
from kneadwell.therapists.services import (
    ExpertiseInput,
    LicenceInput,
    WorkingHoursInput,
    therapist_create,
)

from .idempotency import idempotent
from .schemas import (
    DETAIL_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InSchema,
    PageParams,
    WallClockTime,
    paginate,
    request_today,
)

router = Router(tags=["therapists"])


# --- output -------------------------------------------------------------------------------------


class LicenceOut(Schema):
    jurisdiction: str
    number: str
    title: str
    issued: dt.date
    expires: dt.date
    verified: bool
    valid_today: bool = Field(
        description="Issued on or before today and not yet expired (today in the clinic's zone)."
    )

    @staticmethod
    def resolve_valid_today(licence: Licence, context: dict[str, Any]) -> bool:
        today = request_today(context["request"])
        return licence.issued <= today <= licence.expires


class ExpertiseOut(Schema):
    condition: str
    level: int = Field(description="1 familiar, 2 experienced, 3 specialist.")


class WorkingHoursOut(Schema):
    location: UUID
    weekday: int = Field(description="0 Monday … 6 Sunday.")
    start_time: WallClockTime = Field(description="Local wall-clock time at the location.")
    end_time: WallClockTime
    effective_from: dt.date
    effective_until: dt.date | None

    @staticmethod
    def resolve_location(hours: WorkingHours) -> UUID:
        return hours.location.public_id


class TherapistOut(Schema):
    id: UUID = Field(alias="public_id")
    given_name: str
    family_name: str
    gender: Gender
    locations: list[UUID]
    licences: list[LicenceOut]
    trainings: list[str] = Field(description="Technique keys from the catalogue.")
    expertise: list[ExpertiseOut]
    working_hours: list[WorkingHoursOut]

    # The lists below read the selector's prefetched rows: no query per therapist.
    @staticmethod
    def resolve_locations(therapist: Therapist) -> list[UUID]:
        return [location.public_id for location in therapist.locations.all()]

    @staticmethod
    def resolve_licences(therapist: Therapist) -> list[Licence]:
        return list(therapist.licences.all())

    @staticmethod
    def resolve_trainings(therapist: Therapist) -> list[str]:
        return [training.technique for training in therapist.trainings.all()]

    @staticmethod
    def resolve_expertise(therapist: Therapist) -> list[object]:
        return list(therapist.expertise.all())

    @staticmethod
    def resolve_working_hours(therapist: Therapist) -> list[WorkingHours]:
        return list(therapist.working_hours.all())


class TherapistPage(Schema):
    items: list[TherapistOut]
    count: int


# --- input --------------------------------------------------------------------------------------


TechniqueKey = Annotated[str, StringConstraints(max_length=40)]


class LicenceIn(InSchema):
    jurisdiction: str = Field(max_length=6, description="ISO 3166-2, e.g. US-NY.")
    number: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=20, description="e.g. LMT, LMBT, CMT.")
    issued: dt.date
    expires: dt.date


class ExpertiseIn(InSchema):
    condition: str = Field(max_length=40, description="Condition key from the catalogue.")
    level: int = Field(ge=1, le=3, description="1 familiar, 2 experienced, 3 specialist.")


class WorkingHoursIn(InSchema):
    location: UUID = Field(description="One of the therapist's locations.")
    weekday: Weekday = Field(description="0 Monday … 6 Sunday.")
    start_time: WallClockTime = Field(description="Local wall-clock time at the location, e.g. 09:00.")
    end_time: WallClockTime
    effective_from: dt.date
    effective_until: dt.date | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _wall_clock(cls, value: dt.time) -> dt.time:
        # Hours are wall-clock times in the location's zone; an offset would
        # make them mean something else across DST.
        if value.tzinfo is not None:
            raise ValueError("Give a local wall-clock time without a UTC offset.")
        return value


class TherapistIn(InSchema):
    given_name: str = Field(min_length=1, max_length=80)
    family_name: str = Field(min_length=1, max_length=80)
    gender: Gender = Gender.UNDISCLOSED
    locations: list[UUID] = Field(default=[], max_length=50, description="Location ids.")
    licences: list[LicenceIn] = Field(default=[], max_length=20)
    trainings: list[TechniqueKey] = Field(default=[], max_length=50, description="Technique keys.")
    expertise: list[ExpertiseIn] = Field(default=[], max_length=50)
    working_hours: list[WorkingHoursIn] = Field(default=[], max_length=100)


def _resolve_locations(ids: Sequence[UUID], paths: Sequence[str]) -> list[Location]:
    """The active locations named by `ids`, in order; every unknown id is reported by its input path."""
    found = {location.public_id: location for location in location_list().filter(public_id__in=set(ids))}
    missing = {
        path: ["No such location."]
        for public_id, path in zip(ids, paths, strict=True)
        if public_id not in found
    }
    if missing:
        raise ValidationError(missing)
    return [found[public_id] for public_id in ids]


def _create_arguments(payload: TherapistIn) -> dict[str, Any]:
    """therapist_create's arguments from the payload, its location ids resolved (an unknown one is a 422)."""
    n = len(payload.locations)
    locations = _resolve_locations(
        payload.locations + [hours.location for hours in payload.working_hours],
        [f"locations[{i}]" for i in range(n)]
        + [f"working_hours[{i}].location" for i in range(len(payload.working_hours))],
    )
    return {
        "given_name": payload.given_name,
        "family_name": payload.family_name,
        "gender": payload.gender,
        "locations": locations[:n],
        "licences": [LicenceInput(**licence.model_dump()) for licence in payload.licences],
        "trainings": payload.trainings,
        "expertise": [ExpertiseInput(**row.model_dump()) for row in payload.expertise],
        "working_hours": [
            WorkingHoursInput(**{**hours.model_dump(), "location": location})
            for hours, location in zip(payload.working_hours, locations[n:], strict=True)
        ],
    }


# --- operations ---------------------------------------------------------------------------------


@router.get("/therapists", response={200: TherapistPage, **READ_ERRORS}, summary="List therapists")
def list_therapists(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    qs = therapist_scope(request.user).order_by("family_name", "given_name", "id")
    items, count = paginate(qs, page)
    return {"items": items, "count": count}


@router.get("/therapists/{id}", response={200: TherapistOut, **DETAIL_ERRORS}, summary="One therapist")
def get_therapist(request: HttpRequest, id: UUID) -> Therapist:
    return get_in_scope_or_404(therapist_scope(request.user), id, request=request)


@router.post(
    "/therapists",
    response={201: TherapistOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Add a therapist (clinic admins)",
)
@idempotent
def create_therapist(request: HttpRequest, payload: TherapistIn) -> Status:
    if not request.user.has_perm("therapists.add_therapist"):
        raise PermissionDenied("You do not have permission to add therapists.")
    therapist = therapist_create(**_create_arguments(payload))
    return Status(
        201, get_in_scope_or_404(therapist_scope(request.user), therapist.public_id, request=request)
    )
