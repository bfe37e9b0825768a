"""The care pathway gates booking: the clinical gate first, then matching's hard filters.

`clinical_booking_gate` is the booking side of DESIGN §5 invariant 3 ("screening gates hold
everywhere"). The decision is the one clinical gate, `intake.screening.gate.visit_gate`, which the
session plan and the plan of care's approval also ask: availability offers no slot, and the booking
service books none, while screening refers the patient out, defers the visit or holds the whole visit
for a clearance. The gate is the same for every service (REFERENCE §1.3's global screening is about
massage of any kind; see gate.py): what relaxation is spared is the clinical paperwork, not safety.

For a clinical service, only therapists that matching does not exclude for this patient (licence for
the location's jurisdiction on the local date, training for the conditions, intraoral scope, a
required gender) are offered or booked. Relaxation needs neither referral nor plan, so any therapist
who works there may take it (the booking service still checks what it checks for every service).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Exists, OuterRef, Subquery

from kneadwell.clinic.models import ClinicSettings, Location, LocationKind, Service, ServiceFamily
from kneadwell.clinic.selectors import local_day_of
from kneadwell.intake.screening import Decision, screen
from kneadwell.intake.screening.gate import visit_gate
from kneadwell.intake.screening.types import Finding, ScreeningResult
from kneadwell.intake.selectors import StoredRecords, screening_input, stored_records_exist
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import local_day_bounds, zone
from kneadwell.patients.models import Patient
from kneadwell.planning.history import NO_HISTORY, VisitHistory
from kneadwell.planning.matching import (
    EarliestAvailability,
    Excluded,
    LicenceInfo,
    Match,
    MatchRequest,
    MatchResult,
    TherapistProfile,
    match,
)
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.planning.selectors import Preferences
from kneadwell.therapists.models import Expertise, Licence, Therapist, Training

from .availability_input import TherapistsHere
from .day_planner import SpotWorkWindow
from .models import Appointment
from .selectors import visit_history_and_last
from .spot_window import Span, allowed_start_spans, spot_work_verdict

# What the patient reads when their own booking is held (staff read the gate's own words).
UNBLOCK_FOR_PATIENT = {
    Decision.REFER_OUT: "Please see your doctor first; call us once they have seen you.",
    Decision.DEFER: "Please call us when this has passed, and we will book your visit.",
    Decision.NEEDS_CLEARANCE: "We need your provider's approval first; we can ask them for you.",
}
DECISION_WORDS = {
    Decision.REFER_OUT: "refer out",
    Decision.DEFER: "defer",
    Decision.NEEDS_CLEARANCE: "needs clearance",
}


class BookingBlocked(DomainError):
    """Screening holds the whole visit: no slot is offered or booked (422, code "screening_hold")."""

    def __init__(self, message: str, *, decision: Decision, findings: tuple[Finding, ...]) -> None:
        super().__init__(message, field="patient", code="screening_hold")
        self.decision = decision
        self.findings = findings


def visit_holds(screening: ScreeningResult) -> tuple[Decision, tuple[Finding, ...]] | None:
    """The decision that holds the whole visit and the findings behind it, or None (the clinical gate's).

    Refer out and defer hold the visit; a clearance holds it only when the whole visit waits for it.
    A clearance for one area restricts that area, and the session plan works around it.
    """
    gate = visit_gate(screening)
    if gate.clear:
        return None
    findings = tuple(h.finding for h in gate.holds)
    return max(f.severity for f in findings), findings


def blocked_message(screening: ScreeningResult, *, for_patient: bool) -> str:
    gate = visit_gate(screening)
    if for_patient:
        decision = max(h.finding.severity for h in gate.holds)
        why = " ".join(dict.fromkeys(h.finding.message_patient for h in gate.holds))
        return f"This visit cannot be booked online yet. {why} {UNBLOCK_FOR_PATIENT[decision]}".strip()
    return gate.message("The booking")


@dataclass(frozen=True)
class ClinicalGate:
    """What the pathway allows for one patient, service and location on a local date."""

    clinical: bool
    on: dt.date
    history: VisitHistory
    screening: ScreeningResult | None = None
    matches: MatchResult | None = None
    _matched: dict[str, Match] = field(default_factory=dict)
    _excluded: dict[str, Excluded] = field(default_factory=dict)
    # The location's therapists and credentials matching saw (clinical only): the selector reuses them.
    therapists_here: TherapistsHere | None = None

    def allows(self, therapist: Therapist) -> bool:
        return not self.clinical or str(therapist.public_id) in self._matched

    def allowed_public_ids(self) -> frozenset[str] | None:
        """The therapists matching keeps, or None when any therapist may be offered (not clinical)."""
        return frozenset(self._matched) if self.clinical else None

    def match_score(self, public_id: str) -> float | None:
        found = self._matched.get(public_id)
        return found.score if found is not None else None

    def check_therapist(self, therapist: Therapist) -> None:
        """Refuse a therapist matching excludes for this patient, saying every reason (422)."""
        if self.allows(therapist):
            return
        excluded = self._excluded.get(str(therapist.public_id))
        why = "; ".join(r.text.rstrip(".") for r in excluded.reasons) if excluded else "not a candidate"
        code = excluded.reasons[0].code if excluded and excluded.reasons else "therapist_excluded"
        raise DomainError(
            f"{therapist.full_name} cannot take this session: {why}.", field="therapist", code=code
        )


def _credentials(pks: list[int]) -> list[tuple[Any, ...]]:
    """The licences, trainings and expertise of the therapists `pks`, in one query (a UNION ALL).

    Rows are (kind, therapist pk, text, title, issued, expires, verified, intraoral scope, level):
    kind 0 a licence (text = jurisdiction), 1 a training (text = technique), 2 an expertise (text =
    condition, with its level). One round trip instead of three: the booking path and every search
    read this (docs/performance.md). Plain SQL: the ORM's union of three annotated querysets costs
    more to compile than the two round trips it saves. SQLite hands dates back as text and booleans
    as integers: converted here.
    """
    if not pks:
        return []
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(pks))
    sql = (
        f"SELECT 0, {q('therapist_id')}, {q('jurisdiction')}, {q('title')}, {q('issued')}, {q('expires')}, "  # noqa: S608 (model metadata and placeholders only)
        f"{q('verified')}, {q('intraoral_scope')}, 0 FROM {q(Licence._meta.db_table)} WHERE {q('therapist_id')} IN ({marks}) "
        f"UNION ALL SELECT 1, {q('therapist_id')}, {q('technique')}, '', NULL, NULL, FALSE, FALSE, 0 "
        f"FROM {q(Training._meta.db_table)} WHERE {q('therapist_id')} IN ({marks}) "
        f"UNION ALL SELECT 2, {q('therapist_id')}, {q('condition')}, '', NULL, NULL, FALSE, FALSE, {q('level')} "
        f"FROM {q(Expertise._meta.db_table)} WHERE {q('therapist_id')} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pks, *pks, *pks])
        rows = cursor.fetchall()
    return [
        (
            kind,
            therapist_id,
            text,
            title,
            dt.date.fromisoformat(issued) if isinstance(issued, str) else issued,
            dt.date.fromisoformat(expires) if isinstance(expires, str) else expires,
            bool(verified),
            bool(scope),
            level,
        )
        for kind, therapist_id, text, title, issued, expires, verified, scope, level in rows
    ]


def location_therapists(location: Location, only: Therapist | None = None) -> TherapistsHere:
    """The active therapists who work at `location` (or `only` the one a booking names) with their
    licences, trainings and expertise: two queries (one when `only` is given), read once per search or
    booking and shared by the gate's matching and the availability selector."""
    if only is not None:
        # The booking service has the therapist (and checked they work here): no query for the row.
        rows = (
            [(only.pk, only.public_id, only.given_name, only.family_name, only.gender)] if only.active else []
        )
    else:
        rows = list(
            Therapist.objects.filter(active=True, locations=location).values_list(
                "pk", "public_id", "given_name", "family_name", "gender"
            )
        )
    licences: dict[int, list[tuple[str, str, dt.date, dt.date, bool, bool]]] = defaultdict(list)
    trainings: dict[int, set[str]] = defaultdict(set)
    expertise: dict[int, dict[str, int]] = defaultdict(dict)
    for kind, therapist_id, text, title, issued, expires, verified, scope, level in _credentials(
        [row[0] for row in rows]
    ):
        if kind == 0:
            licences[therapist_id].append((text, title, issued, expires, bool(verified), bool(scope)))
        elif kind == 1:
            trainings[therapist_id].add(text)
        else:
            expertise[therapist_id][text] = level
    return TherapistsHere(
        rows=tuple(rows),
        licences={pk: tuple(found) for pk, found in licences.items()},
        trainings=dict(trainings),
        expertise=dict(expertise),
    )


def location_profiles(
    location: Location,
    history: VisitHistory,
    only: Therapist | None = None,
    here: TherapistsHere | None = None,
) -> list[TherapistProfile]:
    """Matching profiles of the active therapists who work at `location`, in two flat queries.

    The same profile `planning.selectors.therapist_profiles` builds, for the only therapists a booking
    here can name, without the per-object prefetch machinery (a search runs this on every request).
    """
    here = here if here is not None else location_therapists(location, only)
    # Every one of them works here, which is all matching's location filter asks about this location.
    at = frozenset({str(location.public_id)})
    return [
        TherapistProfile(
            id=str(public_id),
            name=f"{given} {family}",
            gender=gender,
            location_ids=at,
            licences=tuple(
                LicenceInfo(jurisdiction, title, issued, expires, verified)
                for jurisdiction, title, issued, expires, verified, _scope in here.licences.get(pk, ())
            ),
            trainings=frozenset(here.trainings.get(pk, ())),
            expertise=here.expertise.get(pk, {}),
            intraoral_scope_jurisdictions=frozenset(
                licence[0] for licence in here.licences.get(pk, ()) if licence[5]
            ),
            past_patient_sessions=history.completed_with.get(pk, 0),
            active=True,
        )
        for pk, public_id, given, family, gender in here.rows
    ]


def clinical_booking_gate(
    *,
    patient: Patient,
    service: Service,
    location: Location,
    on: dt.date,
    history: VisitHistory | None = None,
    for_patient: bool = False,
    availability: EarliestAvailability | None = None,
    only: Therapist | None = None,
    need_history: bool = True,
) -> ClinicalGate:
    """Screen `patient` for a session of `service` at `location` on the local date `on`, and match.

    Raises BookingBlocked (422, field "patient") when the screening holds the whole visit, with the
    findings and what unblocks it (the patient's own wording when `for_patient`). A screening input
    that cannot be screened (stored dates after `on`) is a DomainError naming the patient.
    Matching sees the therapists who work at `location` (no other can be booked there), or `only` the
    one a booking names (matching judges each therapist on their own, so the verdict is the same).
    Queries: a fixed number, whatever the number of therapists, and only what the patient has: one
    asks which records exist and who the active plan's therapist is (`_patient_records`); then the
    screening input reads only the kinds of record that exist (none to four), the visit history with
    the last therapist one more if the patient has any visit, and the location's therapists and their
    credentials two (one with `only`). A new client's relaxation booking reads one query here. The
    gate keeps the therapists it read (`therapists_here`) so that the availability selector does not
    read them again.
    """
    records = _patient_records(patient)
    last_public_id: UUID | None = None

    def read_history() -> VisitHistory:
        nonlocal last_public_id
        if not records.visits:
            return VisitHistory()  # none yet (a fresh value: NO_HISTORY means "not read")
        found, last_public_id = visit_history_and_last(patient)
        return found

    if history is None and need_history:
        history = read_history()
    history = history if history is not None else NO_HISTORY
    try:
        inp = screening_input(patient=patient, on=on, stored_records=records.screening)
        screening = screen(inp)
    except ValueError as exc:
        raise DomainError(
            f"The patient's record cannot be screened for {on}: {exc}", field="patient"
        ) from exc
    hold = visit_holds(screening)
    if hold is not None:
        decision, findings = hold
        raise BookingBlocked(
            blocked_message(screening, for_patient=for_patient), decision=decision, findings=findings
        )
    if not service.is_clinical:
        # Screened and clear; no matching filter: any therapist who works here may take relaxation.
        return ClinicalGate(clinical=False, on=on, history=history, screening=screening)
    if history is NO_HISTORY:
        history = read_history()
    request = MatchRequest(
        location_id=str(location.public_id),
        jurisdiction=location.jurisdiction,
        on=on,
        service_family=service.family,
        diagnoses=inp.diagnoses,
        required_gender=Preferences.of(patient).required_gender,
        current_therapist_id=_current_therapist_id(records, history, last_public_id),
    )
    here = location_therapists(location, only)
    try:
        result = match(request, location_profiles(location, history, only, here), availability=availability)
    except ValueError as exc:
        raise DomainError(str(exc), field="patient") from exc
    return ClinicalGate(
        clinical=True,
        on=on,
        history=history,
        screening=screening,
        matches=result,
        _matched={m.therapist_id: m for m in result.matches},
        _excluded={e.therapist_id: e for e in result.excluded},
        therapists_here=here,
    )


# --- Spot work beside a host visit (issue 10.2) -------------------------------------------------
#
# Host visits (the patient's appointments with the chiropractor or physical therapist) live in the
# `spotwork` app, which sits above scheduling. Scheduling cannot import it, so the app registers a
# lookup here when Django starts (`spotwork.apps`); the rule itself (`spot_window`) and the place it is
# enforced (`services._hold`, the one path every new or moved appointment takes) stay in scheduling.
# With no lookup registered, spot work is refused: the rule fails closed.

SPOT_WORK_LOCATION_KINDS = frozenset({LocationKind.CHIROPRACTIC_OFFICE, LocationKind.PHYSICAL_THERAPY_CLINIC})

# (patient pk, location pk, from, until) -> the patient's host visits there overlapping [from, until).
HostVisitLookup = Callable[[int, int, dt.datetime, dt.datetime], Sequence[Span]]
_host_visit_lookups: list[HostVisitLookup] = []


def register_host_visit_lookup(lookup: HostVisitLookup) -> None:
    """Called once by the app that keeps host visits (idempotent)."""
    if lookup not in _host_visit_lookups:
        _host_visit_lookups.append(lookup)


def host_visits_on(patient: Patient, location: Location, day: dt.date) -> list[Span]:
    """The patient's host visits at `location` overlapping its local `day`, in start order."""
    lo, hi = local_day_bounds(day, location.time_zone)
    found: list[Span] = []
    for lookup in _host_visit_lookups:
        found.extend(lookup(patient.pk, location.pk, lo, hi))
    return sorted(found)


def spot_work_window() -> SpotWorkWindow:
    """The clinic's window rule (clinic settings, default 30 minutes each side)."""
    row = ClinicSettings.current()
    return SpotWorkWindow(
        max_wait_before=dt.timedelta(minutes=row.spot_work_wait_before_minutes),
        max_wait_after=dt.timedelta(minutes=row.spot_work_wait_after_minutes),
    )


def _hm(instant: dt.datetime, location: Location) -> str:
    return instant.astimezone(zone(location.time_zone)).strftime("%H:%M")


def check_spot_work(
    *,
    patient: Patient,
    location: Location,
    service: Service,
    start: dt.datetime,
    end: dt.datetime,
    window: SpotWorkWindow | None = None,
) -> None:
    """Refuse a spot work outside the rule (422 naming what to fix); anything else passes untouched.

    Only at a chiropractic or physical-therapy location, only for a patient with a host visit there
    that local day, never overlapping one, and inside the clinic's window around it.
    """
    if service.family != ServiceFamily.SPOT_WORK:
        return
    if location.kind not in SPOT_WORK_LOCATION_KINDS:
        raise DomainError(
            f"Spot work is given only at a chiropractic or physical-therapy location, not at {location.name}.",
            field="location",
            code="spot_work_location",
        )
    day = local_day_of(start, location)
    visits = host_visits_on(patient, location, day)
    window = window or spot_work_window()
    verdict = spot_work_verdict(start, end, visits, window)
    if verdict.ok:
        return
    if verdict.code == "no_host_visit":
        raise DomainError(
            f"Spot work is booked beside a host visit: record {patient}'s chiropractic or physical-therapy "
            f"visit at {location.name} on {day} first.",
            field="patient",
            code="no_host_visit",
        )
    assert verdict.host_visit is not None
    visit_start, visit_end = verdict.host_visit
    host = f"the host visit {_hm(visit_start, location)}–{_hm(visit_end, location)}"
    if verdict.code == "overlaps_host_visit":
        raise DomainError(
            f"Spot work cannot overlap {host}: choose a time before or after it.",
            field="start",
            code="overlaps_host_visit",
        )
    sides = []
    duration = end - start
    for earliest, latest in allowed_start_spans([verdict.host_visit], duration, window):
        sides.append(f"{_hm(earliest, location)}–{_hm(latest, location)}")
    allowed = " or ".join(sides) if sides else "none (the clinic allows no spot work beside host visits)"
    raise DomainError(
        f"Spot work must sit beside {host}: start it at {allowed} (local time).",
        field="start",
        code="outside_spot_work_window",
    )


def spot_work_start_filter(
    *, patient: Patient, location: Location, service: Service, lo: dt.datetime, hi: dt.datetime
) -> Callable[[dt.datetime], bool] | None:
    """For availability: a test of a start against the rule (host visits read once), or None when the
    service is not spot work."""
    if service.family != ServiceFamily.SPOT_WORK:
        return None
    found: list[Span] = []
    for lookup in _host_visit_lookups:
        found.extend(lookup(patient.pk, location.pk, lo - dt.timedelta(days=1), hi + dt.timedelta(days=1)))
    window = spot_work_window()
    duration = service.duration

    def allowed(start: dt.datetime) -> bool:
        day_lo, day_hi = local_day_bounds(local_day_of(start, location), location.time_zone)
        same_day = [v for v in found if v[0] < day_hi and day_lo < v[1]]
        return spot_work_verdict(start, start + duration, same_day, window).ok

    return allowed


@dataclass(frozen=True)
class _PatientRecords:
    screening: StoredRecords  # which kinds of record screening reads exist
    visits: bool  # any appointment at all (else the visit history is empty, unread)
    plan_therapist: UUID | None  # the active plan of care's therapist (planning's current therapist)


# `_patient_records`' query is compiled once per database vendor, for this stand-in patient pk (no row has
# a negative pk), which each call replaces with the real one among the parameters: the ORM's compilation
# of six subqueries cost more than running them (a search and a booking ask it every time).
_STAND_IN_PK = -7_351_201
_compiled_probe: dict[str, tuple[str, tuple[Any, ...]]] = {}


def _probe_statement() -> tuple[str, tuple[Any, ...]]:
    found = _compiled_probe.get(connection.vendor)
    if found is None:
        # The has_* annotations come from a dict (intake's), which django-stubs cannot see through.
        query = (
            Patient.objects.filter(pk=_STAND_IN_PK)  # type: ignore[misc]
            .annotate(
                **stored_records_exist(),
                has_visits=Exists(Appointment.objects.filter(patient=OuterRef("pk"))),
                plan_therapist=Subquery(
                    CarePlan.objects.filter(
                        patient=OuterRef("pk"), status=CarePlanStatus.ACTIVE, therapist__isnull=False
                    )
                    .order_by("-approved_at", "-id")
                    .values("therapist__public_id")[:1]
                ),
            )
            .values_list(
                "has_intake",
                "has_referrals",
                "has_clearances",
                "has_inflammation_checks",
                "has_visits",
                "plan_therapist",
            )
        )
        sql, params = query.query.sql_with_params()
        found = _compiled_probe[connection.vendor] = (sql, tuple(params))
    return found


def _patient_records(patient: Patient) -> _PatientRecords:
    """What the gate would otherwise find out in up to six queries, in one: which kinds of record the
    screening input reads exist, whether the patient has any visit, and the active plan's therapist
    (as `planning.selectors.current_therapist` picks the plan: latest approved)."""
    sql, params = _probe_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [patient.pk if p == _STAND_IN_PK else p for p in params])
        row = cursor.fetchone()
    if row is None:  # not stored (yet): read everything, as screening_input does by default
        return _PatientRecords(StoredRecords(), True, None)
    intake, referrals, clearances, checks, visits, plan_therapist = row
    # SQLite hands back integers for booleans and the uuid's hex text; PostgreSQL the values themselves.
    if plan_therapist is not None and not isinstance(plan_therapist, UUID):
        plan_therapist = UUID(str(plan_therapist))
    return _PatientRecords(
        StoredRecords(
            intake=bool(intake),
            referrals=bool(referrals),
            clearances=bool(clearances),
            inflammation_checks=bool(checks),
        ),
        visits=bool(visits),
        plan_therapist=plan_therapist,
    )


def _current_therapist_id(
    records: _PatientRecords, history: VisitHistory, last_public_id: UUID | None
) -> str | None:
    """`planning.selectors.current_therapist`'s answer as a public id, without loading the therapist:
    the active plan's therapist (read by `_patient_records`), else the last visit's, whose public id the
    history query brought (`last_public_id`; looked up only when the caller passed its own history)."""
    if records.plan_therapist is not None:
        return str(records.plan_therapist)
    if history.last_therapist_id is None:
        return None
    if last_public_id is None:
        last_public_id = (
            Therapist.objects.filter(pk=history.last_therapist_id).values_list("public_id", flat=True).first()
        )
    return str(last_public_id) if last_public_id is not None else None
