"""Reads for outcomes: scopes, the instrument texts a clinic may offer, questionnaires due, and each
patient's progress per measure (baseline, latest, change, MCID, responder, not improving, chart)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from kneadwell.accounts.models import Role, Viewer
from kneadwell.charting.models import Note, RecordsSettings
from kneadwell.charting.selectors import signed_versions_of
from kneadwell.clinic.selectors import local_day_of
from kneadwell.knowledge import catalogue
from kneadwell.knowledge import types as ktypes
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import in_patient_scope
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import Appointment

from . import progress as engine
from .charts import Point, Series, line_chart
from .due import Due, PlanInfo, due_questionnaires
from .instruments import instrument, instruments
from .models import Measurement, QuestionnaireResponse
from .packs import InstrumentText, PackError, available_instruments, load_pack, shipped_packs

# Instruments a patient fills as a questionnaire (NPRS is asked at each session and recorded in the note).
QUESTIONNAIRES = ("ndi", "odi", "hit6", "spadi", "quickdash", "lefs", "psfs")
WELLBEING = ("stress_nrs", "sleep_nrs", "mood_nrs")
SCREENERS = ("phq2", "gad2")


def measurement_scope(user: Viewer) -> QuerySet[Measurement]:
    """Measurements of the patients `user` may see; referrers read them in progress reports only."""
    if user is None or not user.is_authenticated or not user.is_active or user.role == Role.REFERRER:
        return Measurement.objects.none()
    return Measurement.objects.filter(in_patient_scope(user))


def response_scope(user: Viewer) -> QuerySet[QuestionnaireResponse]:
    if user is None or not user.is_authenticated or not user.is_active or user.role == Role.REFERRER:
        return QuestionnaireResponse.objects.none()
    return QuestionnaireResponse.objects.filter(in_patient_scope(user))


# --- Instrument packs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PackStatus:
    offered: dict[str, InstrumentText]
    errors: tuple[str, ...]  # clinic pack files refused on load (named, with the reason)


def pack_status(directory: Path | None = None, *, language: str = "en") -> PackStatus:
    """The shipped packs plus every valid pack in the clinic's folder (KNEADWELL_INSTRUMENT_PACK_DIR).

    A pack that fails validation is left out and its error reported, so one bad file never hides the
    others; two packs giving the same instrument is an error too (the second is left out).
    """
    folder = Path(directory or settings.KNEADWELL_INSTRUMENT_PACK_DIR)
    packs = list(shipped_packs())
    errors: list[str] = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            try:
                pack = load_pack(path)
                available_instruments([*packs, pack], language=language)
            except PackError as exc:
                errors.append(str(exc))
                continue
            packs.append(pack)
    return PackStatus(offered=available_instruments(packs, language=language), errors=tuple(errors))


def offered_instruments(language: str = "en") -> dict[str, InstrumentText]:
    """Instrument key → text, for the instruments this clinic may offer (REFERENCE §10)."""
    return pack_status(language=language).offered


# --- Visits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    number: int  # 1 = the first signed visit
    appointment_id: int
    start: dt.datetime
    day: dt.date
    nprs_before: int | None
    nprs_after: int | None


def signed_visits(patient: Patient, *, since: dt.date | None = None) -> list[Visit]:
    """The patient's visits with a signed note, in time order and numbered from 1 (one query)."""
    versions = signed_versions_of(Note.objects.filter(patient=patient))
    out: list[Visit] = []
    for v in versions.select_related("note__appointment__location"):
        appointment = v.note.appointment
        day = local_day_of(appointment.start, appointment.location)
        if since is not None and day < since:
            continue
        out.append(Visit(len(out) + 1, appointment.pk, appointment.start, day, v.nprs_before, v.nprs_after))
    return out


def _visit_at(visits: list[Visit], at: dt.datetime, appointment_id: int | None) -> int:
    """The visit a value belongs to: its appointment's number, else the visits done by then (0 = baseline)."""
    if appointment_id is not None:
        for v in visits:
            if v.appointment_id == appointment_id:
                return v.number
    return sum(1 for v in visits if v.start <= at)


# --- Questionnaires due -------------------------------------------------------------------------


def active_plan(patient: Patient) -> CarePlan | None:
    return (
        CarePlan.objects.filter(patient=patient, status__in=(CarePlanStatus.ACTIVE, CarePlanStatus.COMPLETED))
        .order_by("-status", "-approved_at", "-id")  # active before completed
        .first()
    )


def plan_instruments(plan: CarePlan) -> list[str]:
    """The plan's questionnaires: its conditions' outcome measures and its goals' measures."""
    conditions = catalogue.conditions()
    keys: list[str] = []
    for key in plan.conditions or []:
        condition = conditions.get(key)
        if condition is not None:
            keys += condition.outcome_measures
    keys += [g.measure for g in plan.goals.all()]
    return [k for k in dict.fromkeys(keys) if k in QUESTIONNAIRES]


def screeners_due(patient: Patient) -> list[Due]:
    """PHQ-2 and GAD-2 for patients with relaxation visits, when the clinic turns them on: at the first
    visit and every N visits after (the same clinic setting as the condition questionnaires)."""
    settings_row = RecordsSettings.current()
    if not settings_row.mental_health_screeners:
        return []
    if not Appointment.objects.filter(patient=patient, service__family="relaxation").exists():
        return []
    offered = offered_instruments()
    wanted = [k for k in SCREENERS if k in offered]
    visits = signed_visits(patient)
    last: dict[str, int] = {}
    for response in QuestionnaireResponse.objects.filter(patient=patient, instrument__in=wanted).order_by(
        "completed_at"
    ):
        last[response.instrument] = _visit_at(visits, response.completed_at, response.appointment_id)
    return list(
        due_questionnaires(
            wanted,
            plan=PlanInfo(planned_sessions=len(visits) + 2),  # no plan of care: never "at discharge"
            visits_done=len(visits),
            last_filled_at=last,
            every=settings_row.questionnaire_every_visits,
        )
    )


def questionnaires_due(patient: Patient) -> list[Due]:
    """Questionnaires the patient should fill now (their plan of care's, offered by the clinic's packs),
    and the mental-health screeners for relaxation visits when the clinic turns them on."""
    return _plan_questionnaires_due(patient) + screeners_due(patient)


def _plan_questionnaires_due(patient: Patient) -> list[Due]:
    plan = active_plan(patient)
    if plan is None:
        return []
    offered = offered_instruments()
    wanted = [k for k in plan_instruments(plan) if k in offered]
    if not wanted:
        return []
    visits = signed_visits(patient, since=plan.starts_on)
    start = dt.datetime.combine(plan.starts_on, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(days=1)
    last: dict[str, int] = {}
    for response in QuestionnaireResponse.objects.filter(
        patient=patient, instrument__in=wanted, completed_at__gte=start
    ).order_by("completed_at"):
        last[response.instrument] = _visit_at(visits, response.completed_at, response.appointment_id)
    return list(
        due_questionnaires(
            wanted,
            plan=PlanInfo(plan.planned_sessions, completed=plan.status == CarePlanStatus.COMPLETED),
            visits_done=len(visits),
            last_filled_at=last,
            every=RecordsSettings.current().questionnaire_every_visits,
        )
    )


# --- Progress ------------------------------------------------------------------------------------


@dataclass
class MeasureProgress:
    key: str  # instrument key, or "rom:<motion>:<side>"
    name: str
    unit: str
    scale: str
    higher_is_better: bool
    points: list[tuple[int, dt.date, float]]  # (visit, date, value)
    baseline: float | None = None
    latest: float | None = None
    change: engine.Change | None = None
    check: engine.ProgressCheck | None = None
    extra_series: list[tuple[str, list[tuple[int, dt.date, float]]]] = field(default_factory=list)
    note: str = ""
    reference: str = ""  # ROM: the reference value compared with
    reference_value: float | None = None
    chart_svg: str = ""

    @property
    def not_improving(self) -> bool:
        return bool(self.check and self.check.not_improving)

    @property
    def improvement(self) -> float | None:
        if self.baseline is None or self.latest is None:
            return None
        return self.latest - self.baseline if self.higher_is_better else self.baseline - self.latest


@dataclass
class Progress:
    patient: Patient
    visits: list[Visit]
    measures: list[MeasureProgress]
    after_visits: int

    @property
    def not_improving(self) -> list[MeasureProgress]:
        return [m for m in self.measures if m.not_improving]


def _dedupe(points: Iterable[tuple[int, dt.date, float]]) -> list[tuple[int, dt.date, float]]:
    """One value per visit (the latest recorded), in visit order."""
    by_visit: dict[int, tuple[int, dt.date, float]] = {}
    for p in points:
        by_visit[p[0]] = p
    return [by_visit[k] for k in sorted(by_visit)]


def _instrument_progress(
    key: str, points: list[tuple[int, dt.date, float]], after_visits: int, chart_id: str
) -> MeasureProgress:
    inst = instrument(key)
    points = _dedupe(points)
    mp = MeasureProgress(
        key=key,
        name=inst.name,
        unit=inst.unit,
        scale=inst.scale,
        higher_is_better=inst.higher_is_better,
        points=points,
    )
    if points:
        mp.baseline, mp.latest = points[0][2], points[-1][2]
    if len(points) >= 2:
        mp.change = engine.change(key, mp.baseline, mp.latest)  # type: ignore[arg-type]  # baseline and latest are set: filtered on both above
        mp.note = mp.change.note
    elif points:
        mp.note = "Baseline only: change is shown from the next measurement on."
    if points:
        mp.check = engine.progress_check(
            key, [engine.Observation(v, value) for v, _, value in points], after_visits=after_visits
        )
    return mp


def _mcid_target(mp: MeasureProgress) -> tuple[float | None, str]:
    if mp.change is None or mp.change.mcid is None or mp.baseline is None:
        return None, ""
    check = mp.change.mcid
    delta = abs(mp.baseline) * check.high / 100 if check.unit == "percent" else check.high
    target = mp.baseline + delta if mp.higher_is_better else mp.baseline - delta
    return target, f"MCID ({ktypes.fmt_number(check.high)}{' %' if check.unit == 'percent' else ''})"


def _chart(mp: MeasureProgress, chart_id: str) -> str:
    inst_range: tuple[float, float]
    if mp.key.startswith("rom:"):
        top = max([p[2] for p in mp.points] + [mp.reference_value or 0.0])
        inst_range = (0.0, max(10.0, round(top * 1.15)))
    else:
        inst = instrument(mp.key)
        inst_range = (inst.range_min, inst.range_max)
    first = "Before session" if mp.extra_series else mp.name
    series = [Series(first, tuple(Point(v, val, d.isoformat()) for v, d, val in mp.points))]
    for name, pts in mp.extra_series:
        series.append(Series(name, tuple(Point(v, val, d.isoformat()) for v, d, val in pts), dashed=True))
    target, label = _mcid_target(mp)
    return line_chart(
        series,
        title=f"{mp.name} over visits",
        y_min=inst_range[0],
        y_max=inst_range[1],
        unit=mp.scale,
        higher_is_better=mp.higher_is_better,
        target=target,
        target_label=label,
        chart_id=chart_id,
    )


def patient_progress(patient: Patient, *, charts: bool = True) -> Progress:
    """Every measure the patient has, over their signed visits (a handful of queries)."""
    after = RecordsSettings.current().not_improving_after_visits
    visits = signed_visits(patient)
    measures: list[MeasureProgress] = []
    nprs = [(v.number, v.day, float(v.nprs_before)) for v in visits if v.nprs_before is not None]
    if nprs:
        mp = _instrument_progress("nprs", nprs, after, "nprs")
        mp.name = "Pain (NPRS, before each session)"
        after_points = [(v.number, v.day, float(v.nprs_after)) for v in visits if v.nprs_after is not None]
        if after_points:
            mp.extra_series.append(("After session", after_points))
        measures.append(mp)
    rows = list(
        Measurement.objects.filter(patient=patient, voided_at__isnull=True).order_by("taken_at", "id")
    )
    by_key: dict[str, list[tuple[int, dt.date, float]]] = {}
    rom_meta: dict[str, Measurement] = {}
    for m in rows:
        visit = _visit_at(visits, m.taken_at, m.appointment_id)
        day = m.taken_at.date()
        if m.measure == "rom":
            key = f"rom:{m.motion}:{m.side}"
            rom_meta[key] = m
        elif m.measure in instruments():
            key = m.measure
        else:
            continue
        by_key.setdefault(key, []).append((visit, day, m.value))
    order = [*QUESTIONNAIRES, *WELLBEING, *SCREENERS]
    for key in sorted(by_key, key=lambda k: (k.startswith("rom:"), order.index(k) if k in order else 99, k)):
        if key.startswith("rom:"):
            measures.append(_rom_progress(key, by_key[key], rom_meta[key]))
        else:
            measures.append(_instrument_progress(key, by_key[key], after, key))
    if charts:
        for i, mp in enumerate(measures):
            mp.chart_svg = _chart(mp, f"chart-{i}")
    return Progress(patient=patient, visits=visits, measures=measures, after_visits=after)


def _rom_progress(key: str, points: list[tuple[int, dt.date, float]], meta: Measurement) -> MeasureProgress:
    motion = catalogue.rom_motions().get(meta.motion)
    points = _dedupe(points)
    name = (
        f"{motion.region.replace('_', ' ').capitalize()} {motion.motion.lower()}" if motion else meta.motion
    )
    if meta.side:
        name += f" ({meta.side})"
    mp = MeasureProgress(
        key=key,
        name=f"ROM: {name}",
        unit=meta.unit,
        scale=meta.unit,
        higher_is_better=True,
        points=points,
        note="Range of motion has no established MCID: the change is shown against the reference value.",
    )
    if meta.reference_value is not None:
        mp.reference = f"{ktypes.fmt_number(meta.reference_value)} {meta.unit} ({meta.reference_label})"
        mp.reference_value = meta.reference_value
    if points:
        mp.baseline, mp.latest = points[0][2], points[-1][2]
    return mp


def appointment_measurements(appointment: Appointment) -> list[Measurement]:
    return list(
        Measurement.objects.filter(appointment=appointment, voided_at__isnull=True).order_by("taken_at", "id")
    )


def plan_goals(patient: Patient) -> dict[str, float]:
    plan = active_plan(patient)
    if plan is None:
        return {}
    return {g.measure: g.target_change for g in plan.goals.all()}
