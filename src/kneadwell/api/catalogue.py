"""The clinical catalogue, read-only: every entry with its key, names, codes and sources."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from kneadwell.knowledge import catalogue as cat
from kneadwell.knowledge.vocabulary import Side

from .schemas import READ_ERRORS

router = Router(tags=["catalogue"])

# The closed vocabularies the catalogue loader enforces (kneadwell.knowledge.types); tests/api
# fails when these and the loader's lists drift apart.
IcdRole = Literal["diagnosis", "secondary_only", "red_flag_context", "related"]
FlagKind = Literal["red_flag", "precaution"]
FlagAction = Literal["refer_out", "defer", "needs_clearance", "local_contraindication", "precaution"]
Urgency = Literal["", "emergency", "urgent"]  # "": not urgent
Phase = Literal["warm_up", "specific", "stretching", "finishing"]
Direction = Literal["higher_is_worse", "higher_is_better"]
# mcid, mic, mid: within-person changes; between_group: a trial's group difference (never an MCID).
McidKind = Literal["mcid", "mic", "mid", "between_group", "mdc", "sdc", "responder"]


class Provenance(Schema):
    sources: list[str]
    verified: bool
    unverified_reason: str


class CodeOut(Schema):
    code: str
    title: str
    role: IcdRole
    note: str


class FlagOut(Provenance):
    id: str
    label: str
    kind: FlagKind
    text: str
    action: FlagAction
    local: bool
    urgency: Urgency


class ConditionOut(Provenance):
    key: str
    name: str
    patient_name: str
    icd10: list[CodeOut]
    header_codes: list[CodeOut]
    regions: list[str]
    related_regions: list[str]
    techniques: list[str]
    precautions: list[FlagOut]
    red_flags: list[FlagOut]
    outcome_measures: list[str]
    requires_clearance: bool
    inflammation_gate: bool
    clinical: bool


class TechniqueOut(Provenance):
    key: str
    name: str
    description: str
    phases: list[Phase]
    is_stretching: bool
    scope_restricted: bool
    scope_note: str


class RegionOut(Provenance):
    key: str
    name: str
    patient_name: str
    paired: bool
    sides: list[Side]


class McidOut(Schema):
    kind: McidKind
    display: str
    population: str
    sources: list[str]
    verified: bool


class MeasureOut(Provenance):
    key: str
    name: str
    patient_name: str
    range_min: float
    range_max: float
    direction: Direction
    mcids: list[McidOut]


def _page(items: list) -> dict[str, object]:
    return {"items": items, "count": len(items)}


class ConditionPage(Schema):
    items: list[ConditionOut]
    count: int


class TechniquePage(Schema):
    items: list[TechniqueOut]
    count: int


class RegionPage(Schema):
    items: list[RegionOut]
    count: int


class MeasurePage(Schema):
    items: list[MeasureOut]
    count: int


@router.get("/catalogue/conditions", response={200: ConditionPage, **READ_ERRORS}, summary="Conditions")
def conditions(request: HttpRequest) -> dict[str, object]:
    return _page(list(cat.conditions().values()))


@router.get("/catalogue/techniques", response={200: TechniquePage, **READ_ERRORS}, summary="Techniques")
def techniques(request: HttpRequest) -> dict[str, object]:
    return _page(list(cat.techniques().values()))


@router.get("/catalogue/regions", response={200: RegionPage, **READ_ERRORS}, summary="Body regions")
def regions(request: HttpRequest) -> dict[str, object]:
    return _page(list(cat.regions().values()))


@router.get("/catalogue/measures", response={200: MeasurePage, **READ_ERRORS}, summary="Outcome measures")
def measures(request: HttpRequest) -> dict[str, object]:
    return _page(list(cat.measures().values()))
