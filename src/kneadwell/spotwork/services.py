"""Writes for spot work: host visits (entered, imported, deleted), spot-work requests, and the day
plan applied through the booking service.

Permissions: the clinic's staff (front desk, clinic admin) enter host visits, requests and plans.
Every write is validated first and written in one transaction, so a refused request writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, User
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location
from kneadwell.knowledge.catalogue import regions
from kneadwell.lib.errors import Conflict, DomainError, FieldErrors
from kneadwell.lib.zones import local_date, zone
from kneadwell.patients.models import Patient
from kneadwell.scheduling.day_planner import DayPlan, SolverOptions, plan_spot_work
from kneadwell.scheduling.gates import SPOT_WORK_LOCATION_KINDS, clinical_booking_gate
from kneadwell.scheduling.models import Channel
from kneadwell.scheduling.services import appointment_book
from kneadwell.therapists.models import Therapist

from .models import HostVisit, HostVisitSource, SpotWorkRequest, SpotWorkStatus
from .selectors import SpotWorkDayInput, spot_work_day

if TYPE_CHECKING:
    from django.http import HttpRequest

# The columns of a host-visit CSV file (docs/api.md): a header row, then one visit per row.
CSV_COLUMNS = ("patient", "start", "end", "provider", "provider_ref")
CSV_REQUIRED = ("patient", "start", "end", "provider")
MAX_IMPORT_ROWS = 2000
MAX_HOST_VISIT = dt.timedelta(hours=8)


def _require_staff(actor: User, what: str) -> None:
    if actor.role not in STAFF_ROLES:
        raise PermissionDenied(f"You do not have permission to {what}.")


def _check_location(location: Location) -> None:
    if location.kind not in SPOT_WORK_LOCATION_KINDS:
        raise DomainError(
            f"Host visits are recorded at a chiropractic or physical-therapy location, not at {location.name}.",
            field="location",
            code="not_a_host_location",
        )


def _audit(
    actor: User, action: AuditAction, object_type: str, obj: Any, patients: Sequence[Patient], via: str,
    request: HttpRequest | None, detail: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", "") if obj is not None else "",
        patient_ids=list(dict.fromkeys(p.public_id for p in patients)),
        channel=via,
        request=request,
        detail=detail,
    )


@dataclass
class _Row:
    line: int | None
    patient: Patient
    start: dt.datetime
    end: dt.datetime
    provider_name: str
    provider_ref: str = ""


def _check_times(start: dt.datetime, end: dt.datetime) -> str | None:
    if start.utcoffset() is None or end.utcoffset() is None:
        return "times must include a time zone offset"
    if end <= start:
        return "the end must be after the start"
    if end - start > MAX_HOST_VISIT:
        return "a host visit lasts at most 8 hours"
    return None


def _overlaps(rows: Sequence[_Row]) -> dict[int, str]:
    """Index -> message for each row overlapping an earlier row of the same patient, or a stored visit.

    One query for the stored visits of every patient in `rows`."""
    found: dict[int, str] = {}
    by_patient: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_patient[row.patient.pk].append(i)
    if not rows:
        return found
    lo, hi = min(r.start for r in rows), max(r.end for r in rows)
    stored: dict[int, list[tuple[dt.datetime, dt.datetime, str]]] = defaultdict(list)
    for patient_id, start, end, loc in HostVisit.objects.filter(
        patient_id__in=by_patient, start__lt=hi, end__gt=lo
    ).values_list("patient_id", "start", "end", "location__name"):
        stored[patient_id].append((start, end, loc))
    for patient_id, indexes in by_patient.items():
        for n, i in enumerate(indexes):
            row = rows[i]
            for start, end, loc in stored[patient_id]:
                if row.start < end and start < row.end:
                    found[i] = (
                        f"{row.patient} already has a host visit {start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC "
                        f"at {loc}"
                    )
                    break
            else:
                for j in indexes[:n]:
                    other = rows[j]
                    if row.start < other.end and other.start < row.end:
                        where = f"line {other.line}" if other.line is not None else "another visit"
                        found[i] = f"{row.patient}'s visit overlaps {where} of the same patient"
                        break
    return found


def host_visit_create(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    start: dt.datetime,
    end: dt.datetime,
    provider_name: str,
    provider_ref: str = "",
    via: str = "web",
    request: HttpRequest | None = None,
) -> HostVisit:
    """Record one host visit. 403 for anyone but the clinic's staff; 422 naming the field for a location
    that is not chiropractic or PT, bad times, or an overlap with another host visit of the patient."""
    _require_staff(actor, "record host visits")
    _check_location(location)
    problem = _check_times(start, end)
    if problem:
        raise DomainError(f"The host visit's {problem}.", field="end" if "end" in problem else "start")
    if not provider_name.strip():
        raise DomainError("Name the chiropractor or physical therapist.", field="provider_name")
    rows = [
        _Row(
            None,
            patient,
            start.astimezone(dt.UTC),
            end.astimezone(dt.UTC),
            provider_name.strip(),
            provider_ref.strip(),
        )
    ]
    with transaction.atomic():
        # Two desks entering overlapping visits for one patient: the patient's row lock serialises them.
        Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").first()
        overlap = _overlaps(rows).get(0)
        if overlap:
            raise DomainError(
                f"{overlap}: a patient cannot be at two host visits at once.",
                field="start",
                code="host_visit_overlap",
            )
        visit = HostVisit(
            patient=patient,
            location=location,
            start=rows[0].start,
            end=rows[0].end,
            provider_name=rows[0].provider_name,
            provider_ref=rows[0].provider_ref,
            source=HostVisitSource.MANUAL,
            created_by=actor,
        )
        visit.full_clean(exclude=["patient", "location", "created_by"])
        visit.save()
        _audit(actor, AuditAction.CREATE, "host_visit", visit, [patient], via, request)
    return visit


def _parse_time(text: str, tz_name: str) -> dt.datetime:
    """ISO 8601 with an offset, or a local wall-clock time ("2026-12-01 09:30") in the location's zone."""
    value = dt.datetime.fromisoformat(text.strip())
    if value.utcoffset() is None:
        # Local calendar maths: a wall time in a spring-forward gap moves forward past it (lib.zones).
        value = value.replace(tzinfo=zone(tz_name))
    return value.astimezone(dt.UTC)


def _find_patient(key: str) -> Patient | None:
    try:
        public_id = uuid.UUID(key.strip())
    except ValueError:
        return None
    return Patient.objects.filter(public_id=public_id, merged_into__isnull=True).first()


def _csv_rows(content: str, location: Location, errors: dict[str, list[str]]) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        errors["line 1"] = [f"Wrong columns ({'; '.join(parts)}); expected {', '.join(CSV_COLUMNS)}."]
        return []
    reader.fieldnames = header
    rows: list[_Row] = []
    patients: dict[str, Patient | None] = {}
    for raw in reader:
        line = reader.line_num
        if len(rows) >= MAX_IMPORT_ROWS:
            errors[f"line {line}"] = [f"At most {MAX_IMPORT_ROWS} visits per file."]
            break
        if None in raw:
            errors[f"line {line}"] = ["More values than columns."]
            continue
        values = {k: (v or "").strip() for k, v in raw.items()}
        problems = []
        key = values.get("patient", "")
        if key not in patients:
            patients[key] = _find_patient(key)
        patient = patients[key]
        start: dt.datetime | None = None
        end: dt.datetime | None = None
        if patient is None:
            problems.append(f"unknown patient {key!r} (use the patient's Kneadwell id)")
        try:
            start = _parse_time(values["start"], location.time_zone)
            end = _parse_time(values["end"], location.time_zone)
            problem = _check_times(start, end)
            if problem:
                problems.append(problem)
        except ValueError:
            problems.append("bad time: write 2026-12-01T09:30 (local) or with an offset")
        if not values.get("provider"):
            problems.append("the provider is empty")
        if problems:
            errors[f"line {line}"] = [f"{p[0].upper()}{p[1:]}." for p in problems]
            continue
        assert patient is not None
        assert start is not None
        assert end is not None
        rows.append(
            _Row(line, patient, start, end, values["provider"][:120], values.get("provider_ref", "")[:120])
        )
    if not rows and not errors:
        errors["file"] = ["The file holds no visits."]
    return rows


def _ics_rows(content: str, location: Location, errors: dict[str, list[str]]) -> list[_Row]:
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(content)
    except ValueError as exc:
        errors["file"] = [f"Not an iCalendar file: {exc}."]
        return []
    rows: list[_Row] = []
    for n, event in enumerate(calendar.walk("VEVENT"), start=1):
        where = f"event {n}"
        problems = []
        key = str(event.get("X-KNEADWELL-PATIENT", "")).strip()
        if not key:
            for text_line in str(event.get("DESCRIPTION", "")).splitlines():
                if text_line.lower().startswith("patient:"):
                    key = text_line.split(":", 1)[1].strip()
        patient = _find_patient(key) if key else None
        if patient is None:
            problems.append(f"unknown patient {key!r} (X-KNEADWELL-PATIENT or a 'Patient: <id>' line)")
        start = end = None
        try:
            start_v, end_v = event.decoded("DTSTART"), event.decoded("DTEND")
            if not isinstance(start_v, dt.datetime) or not isinstance(end_v, dt.datetime):
                raise ValueError("all-day")
            tz = zone(location.time_zone)
            start = (start_v if start_v.utcoffset() is not None else start_v.replace(tzinfo=tz)).astimezone(
                dt.UTC
            )
            end = (end_v if end_v.utcoffset() is not None else end_v.replace(tzinfo=tz)).astimezone(dt.UTC)
            problem = _check_times(start, end)
            if problem:
                problems.append(problem)
        except (KeyError, ValueError):
            problems.append("bad times: DTSTART and DTEND must be date-times")
        provider = str(event.get("ORGANIZER", "") or "").removeprefix("mailto:")
        organizer = event.get("ORGANIZER")
        if organizer is not None and organizer.params.get("CN"):
            provider = str(organizer.params["CN"])
        provider = provider or str(event.get("LOCATION", "") or "") or "Host provider"
        if problems:
            errors[where] = [f"{p[0].upper()}{p[1:]}." for p in problems]
            continue
        assert patient is not None
        assert start is not None
        assert end is not None
        rows.append(_Row(n, patient, start, end, provider[:120], str(event.get("UID", ""))[:120]))
    if not rows and not errors:
        errors["file"] = ["The file holds no events."]
    return rows


def host_visits_import(
    *,
    actor: User,
    location: Location,
    content: str,
    kind: str,
    via: str = "web",
    request: HttpRequest | None = None,
) -> list[HostVisit]:
    """Import a file of host visits at `location`: all of them, or none.

    `kind`: "csv" (columns in CSV_COLUMNS, docs/api.md) or "ics". Any error (wrong columns, bad times,
    unknown patients, an overlap with another visit of the same patient, in the file or on record)
    refuses the whole file: FieldErrors keyed "line N" (CSV; the header is line 1) or "event N" (ics).
    """
    _require_staff(actor, "import host visits")
    _check_location(location)
    if kind not in ("csv", "ics"):
        raise DomainError("The file is CSV or iCalendar (ics).", field="format")
    errors: dict[str, list[str]] = {}
    rows = _csv_rows(content, location, errors) if kind == "csv" else _ics_rows(content, location, errors)
    label = "line" if kind == "csv" else "event"
    with transaction.atomic():
        patient_pks = sorted({r.patient.pk for r in rows})
        list(Patient.objects.select_for_update().filter(pk__in=patient_pks).order_by("pk").values_list("pk"))
        for i, message in _overlaps(rows).items():
            errors.setdefault(f"{label} {rows[i].line}", []).append(f"{message}.")
        if errors:
            lines = ", ".join(
                sorted(
                    errors, key=lambda k: (k.split()[0], int(k.split()[1]) if k.split()[-1].isdigit() else 0)
                )
            )
            raise FieldErrors(f"The file was not imported; fix {lines}.", errors=errors)
        source = HostVisitSource.CSV if kind == "csv" else HostVisitSource.ICS
        visits = HostVisit.objects.bulk_create(
            [
                HostVisit(
                    patient=r.patient,
                    location=location,
                    start=r.start,
                    end=r.end,
                    provider_name=r.provider_name,
                    provider_ref=r.provider_ref,
                    source=source,
                    created_by=actor,
                )
                for r in rows
            ]
        )
        _audit(
            actor,
            AuditAction.CREATE,
            "host_visit",
            None,
            [r.patient for r in rows],
            via,
            request,
            {"imported": len(visits), "format": kind},
        )
    return visits


def host_visit_delete(
    *, actor: User, visit: HostVisit, via: str = "web", request: HttpRequest | None = None
) -> None:
    """Delete a host visit the actor can see (staff only: 403). A visit with a booked spot work is a
    Conflict (409): cancel the spot work first."""
    _require_staff(actor, "delete host visits")
    with transaction.atomic():
        if visit.requests.filter(status=SpotWorkStatus.BOOKED).exists():
            raise Conflict(
                "A spot work is booked beside this host visit: cancel it first.",
                field="host_visit",
                code="has_spot_work",
            )
        _audit(actor, AuditAction.DELETE, "host_visit", visit, [visit.patient], via, request)
        visit.delete()


def spot_work_request_create(
    *,
    actor: User,
    host_visit: HostVisit,
    region: str,
    preferred_therapist: Therapist | None = None,
    earliest_start: dt.datetime | None = None,
    latest_end: dt.datetime | None = None,
    via: str = "web",
    request: HttpRequest | None = None,
) -> SpotWorkRequest:
    """A spot work wanted beside `host_visit`, on one `region` (a catalogue region key)."""
    _require_staff(actor, "add spot-work requests")
    if region not in regions():
        raise DomainError(f"Unknown region {region!r}.", field="region")
    for name, value in (("earliest_start", earliest_start), ("latest_end", latest_end)):
        if value is not None and value.utcoffset() is None:
            raise DomainError("The time must include a time zone offset.", field=name)
    if earliest_start and latest_end and latest_end <= earliest_start:
        raise DomainError("The latest end must be after the earliest start.", field="latest_end")
    if (
        preferred_therapist is not None
        and not preferred_therapist.locations.filter(pk=host_visit.location_id).exists()
    ):
        raise DomainError(
            f"{preferred_therapist.full_name} does not work at {host_visit.location.name}.",
            field="preferred_therapist",
        )
    if host_visit.requests.exclude(status=SpotWorkStatus.CANCELLED).exists():
        raise Conflict(
            "This host visit already has a spot-work request.", field="host_visit", code="duplicate_request"
        )
    with transaction.atomic():
        row = SpotWorkRequest.objects.create(
            patient=host_visit.patient,
            host_visit=host_visit,
            region=region,
            preferred_therapist=preferred_therapist,
            earliest_start=earliest_start,
            latest_end=latest_end,
            created_by=actor,
        )
        _audit(actor, AuditAction.CREATE, "spot_work_request", row, [host_visit.patient], via, request)
    return row


# --- The day plan ---------------------------------------------------------------------------------


@dataclass
class PlanOutcome:
    """A previewed or applied plan. `failed`: when applying was refused, the request and why."""

    location: Location
    day: dt.date
    plan: DayPlan
    data: SpotWorkDayInput
    applied: bool = False
    bookings: list[Any] = field(default_factory=list)  # (request, appointment) pairs when applied
    holds: dict[int, str] = field(default_factory=dict)  # request pk -> why the clinical gate holds it


def _pathway_eligibility(data: SpotWorkDayInput, location: Location, day: dt.date) -> dict[int, str]:
    """Cut each request's therapists to those the pathway allows for its patient (the booking gate:
    screening for the day, then matching's licence, training, intraoral and gender filters), so the
    preview shows what applying would book. Returns the requests the gate holds, with its words.

    The gate's own reads, once per patient (a fixed handful each): the day's assembler stays fixed."""
    by_public_id = {str(t.public_id): pk for pk, t in data.therapists.items()}
    allowed: dict[int, frozenset[Hashable] | None] = {}
    holds: dict[int, str] = {}
    held: set[int] = set()
    for row in data.requests.values():
        if row.patient_id in allowed or row.patient_id in held:
            continue
        try:
            gate = clinical_booking_gate(
                patient=row.patient, service=data.service, location=location, on=day, need_history=False
            )
        except DomainError as exc:
            held.add(row.patient_id)
            for other in data.requests.values():
                if other.patient_id == row.patient_id:
                    holds[other.pk] = exc.message
            continue
        ids = gate.allowed_public_ids()
        allowed[row.patient_id] = (
            None if ids is None else frozenset(by_public_id[i] for i in ids if i in by_public_id)
        )
    requests = []
    for req in data.day.requests:
        row = data.requests[req.request_id]  # type: ignore[index]
        if row.pk in holds:
            requests.append(replace(req, eligible_therapist_ids=frozenset()))
            continue
        keep = allowed.get(row.patient_id)
        requests.append(
            req if keep is None else replace(req, eligible_therapist_ids=req.eligible_therapist_ids & keep)
        )
    data.day = replace(data.day, requests=tuple(requests))
    return holds


class PlanApplyFailed(Conflict):
    """Applying refused: one booking failed its re-check; nothing was written (409)."""

    def __init__(self, message: str, *, request_id: str, reason: str) -> None:
        super().__init__(
            message,
            field="requests",
            code="plan_not_applied",
            current={"request": request_id, "reason": reason},
        )
        self.request_id = request_id
        self.reason = reason


def spot_work_plan(
    *,
    actor: User,
    location: Location,
    day: dt.date,
    dry_run: bool = True,
    options: SolverOptions | None = None,
    via: str = "web",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> PlanOutcome:
    """Plan the open spot-work requests at `location` on its local `day`; unless `dry_run`, book every
    placement through `appointment_book` in one transaction (each re-checked there: policy, gate,
    spot-work rule, overlaps). If any booking is refused, nothing is written: PlanApplyFailed (409)
    names the request and the reason."""
    _require_staff(actor, "plan spot work")
    _check_location(location)
    data = spot_work_day(location, day)
    holds = _pathway_eligibility(data, location, day)
    plan = plan_spot_work(
        data.day, options or SolverOptions(time_limit_seconds=5.0, explain_time_limit_seconds=1.0)
    )
    outcome = PlanOutcome(location=location, day=day, plan=plan, data=data, holds=holds)
    if dry_run:
        return outcome
    if not plan.placements:
        raise DomainError(
            "There is nothing to book: no open request could be placed.",
            field="requests",
            code="nothing_to_apply",
        )
    with transaction.atomic():
        for placement in plan.placements:
            row = data.requests[placement.request_id]  # type: ignore[index]
            try:
                booked = appointment_book(
                    actor=actor,
                    patient=row.patient,
                    service=data.service,
                    location=location,
                    therapist=data.therapists[placement.therapist_id],  # type: ignore[index]
                    room=data.rooms[placement.room_id],  # type: ignore[index]
                    start=placement.start,
                    channel=Channel.PHONE,
                    via=via,
                    request=request,
                    now=now,
                )
            except DomainError as exc:
                local = placement.start.astimezone(zone(location.time_zone))
                raise PlanApplyFailed(
                    f"Nothing was booked: the spot work for {row.patient} at {local:%H:%M} was refused "
                    f"({exc.message})",
                    request_id=str(row.public_id),
                    reason=exc.message,
                ) from exc
            updated = SpotWorkRequest.objects.filter(pk=row.pk, status=SpotWorkStatus.OPEN).update(
                status=SpotWorkStatus.BOOKED, appointment=booked.appointment
            )
            if updated != 1:
                raise PlanApplyFailed(
                    f"Nothing was booked: the request for {row.patient} changed meanwhile.",
                    request_id=str(row.public_id),
                    reason="changed",
                )
            row.status, row.appointment = SpotWorkStatus.BOOKED, booked.appointment
            outcome.bookings.append((row, booked.appointment))
    outcome.applied = True
    return outcome


def plan_day_of(location: Location, instant: dt.datetime) -> dt.date:
    return local_date(instant, location.time_zone)
