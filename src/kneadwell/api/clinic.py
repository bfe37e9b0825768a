"""Locations and services: reference data every signed-in user may read."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kneadwell.clinic.models import LocationKind, ServiceFamily
from kneadwell.clinic.selectors import location_list, service_list

from .schemas import READ_ERRORS, PageParams, paginate

router = Router(tags=["clinic"])


class LocationOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    kind: LocationKind
    time_zone: str = Field(description="IANA time zone, e.g. America/New_York.")
    jurisdiction: str = Field(description="Licensing jurisdiction (ISO 3166-2, e.g. US-NY).")


class LocationPage(Schema):
    items: list[LocationOut]
    count: int


class ServiceOut(Schema):
    id: UUID = Field(alias="public_id")
    code: str
    name: str
    family: ServiceFamily
    duration_minutes: int
    buffer_minutes: int
    location_kinds: list[LocationKind]


class ServicePage(Schema):
    items: list[ServiceOut]
    count: int


@router.get("/locations", response={200: LocationPage, **READ_ERRORS}, summary="List locations")
def list_locations(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    items, count = paginate(location_list().order_by("name", "id"), page)
    return {"items": items, "count": count}


@router.get("/services", response={200: ServicePage, **READ_ERRORS}, summary="List services")
def list_services(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    items, count = paginate(service_list().order_by("family", "duration_minutes", "code"), page)
    return {"items": items, "count": count}
