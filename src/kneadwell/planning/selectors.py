"""Reads that bring the care pathway together for one patient: matches and session plans.

One assembler per engine, called by every interface (first-call preview, patient pages, API, CLI,
booking and notes): `patient_matches` builds the matching request, `session_plan_request` the tailoring
request (clinic settings included). Screening input comes from `intake.selectors.screening_input`;
what past visits say comes in as a `VisitHistory` from scheduling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from django.db.models import Prefetch

from kneadwell.clinic.models import ClinicSettings, Location, Service
from kneadwell.intake.screening import screen
from kneadwell.intake.screening.types import ScreeningInput, ScreeningResult
from kneadwell.intake.selectors import screening_input
from kneadwell.knowledge import catalogue
from kneadwell.knowledge.vocabulary import Area, Pressure
from kneadwell.patients.models import Patient
from kneadwell.therapists.models import Therapist

from .consents import missing_gates
from .history import VisitHistory
from .learning import NO_LAST_SESSION, LastSession
from .matching import EarliestAvailability, LicenceInfo, MatchRequest, MatchResult, TherapistProfile, match
from .models import CarePlan, CarePlanStatus
from .settings import DEFAULT_SETTINGS, TailoringSettings
from .tailoring import Colleague, PlanRequest, PressureFeedback, SessionPlan, plan_session


@dataclass(frozen=True)
class Preferences:
    """The patient's preferences, stored or just said on the phone (what is said wins)."""

    pressure: str = ""
    lighting: str = ""
    music: str = ""
    therapist_gender: str = ""
    therapist_gender_required: bool = False

    @classmethod
    def of(cls, patient: Patient | None, said: Mapping[str, object] | None = None) -> Preferences:
        stored = (
            cls(
                pressure=patient.pressure,
                lighting=patient.lighting,
                music=patient.music,
                therapist_gender=patient.therapist_gender,
                therapist_gender_required=patient.therapist_gender_required,
            )
            if patient is not None
            else cls()
        )
        if not said:
            return stored
        return cls(
            pressure=str(said.get("pressure", stored.pressure) or ""),
            lighting=str(said.get("lighting", stored.lighting) or ""),
            music=str(said.get("music", stored.music) or ""),
            therapist_gender=str(said.get("therapist_gender", stored.therapist_gender) or ""),
            therapist_gender_required=bool(
                said.get("therapist_gender_required", stored.therapist_gender_required)
            ),
        )

    @property
    def required_gender(self) -> str | None:
        return self.therapist_gender if self.therapist_gender and self.therapist_gender_required else None


def current_therapist(patient: Patient, history: VisitHistory) -> Therapist | None:
    """The therapist of the active plan of care, else of the latest visit that was not cancelled or missed."""
    plan = (
        CarePlan.objects.filter(patient=patient, status=CarePlanStatus.ACTIVE, therapist__isnull=False)
        .select_related("therapist")
        .order_by("-approved_at", "-id")
        .first()
    )
    if plan is not None:
        return plan.therapist
    if history.last_therapist_id is None:
        return None
    return Therapist.objects.filter(pk=history.last_therapist_id).first()


def therapist_profiles(history: VisitHistory) -> list[TherapistProfile]:
    """Every active therapist as a matching profile, with the sessions completed with this patient.

    One query with three prefetches, whatever the number of therapists.
    """
    therapists = Therapist.objects.filter(active=True).prefetch_related(
        "locations", "licences", "trainings", "expertise"
    )
    return [
        TherapistProfile(
            id=str(t.public_id),
            name=t.full_name,
            gender=t.gender,
            location_ids=frozenset(str(loc.public_id) for loc in t.locations.all()),
            licences=tuple(
                LicenceInfo(
                    jurisdiction=lic.jurisdiction,
                    title=lic.title,
                    issued=lic.issued,
                    expires=lic.expires,
                    verified=lic.verified,
                )
                for lic in t.licences.all()
            ),
            trainings=frozenset(tr.technique for tr in t.trainings.all()),
            expertise={e.condition: e.level for e in t.expertise.all()},
            intraoral_scope_jurisdictions=frozenset(
                lic.jurisdiction for lic in t.licences.all() if lic.intraoral_scope
            ),
            past_patient_sessions=history.completed_with.get(t.pk, 0),
            active=t.active,
        )
        for t in therapists
    ]


def patient_matches(
    *,
    patient: Patient | None,
    service: Service,
    location: Location,
    inp: ScreeningInput,
    history: VisitHistory,
    preferences: Preferences | None = None,
    needs_intraoral: bool = False,
    current: Therapist | None = None,
    availability: EarliestAvailability | None = None,
) -> MatchResult:
    """Therapists for this patient's conditions at `location` on `inp.on`, best first, the excluded and why.

    `current` is the patient's current therapist when the caller already has it (else it is looked up).
    `availability` is each therapist's earliest free start, which only scheduling can know
    (`scheduling.selectors.patient_matches_with_availability` passes it).
    """
    if current is None and patient is not None:
        current = current_therapist(patient, history)
    prefs = preferences or Preferences.of(patient)
    request = MatchRequest(
        location_id=str(location.public_id),
        jurisdiction=location.jurisdiction,
        on=inp.on,
        service_family=service.family,
        diagnoses=inp.diagnoses,
        needs_intraoral=needs_intraoral,
        required_gender=prefs.required_gender,
        current_therapist_id=str(current.public_id) if current else None,
    )
    return match(request, therapist_profiles(history), availability=availability)


def avoid_area(text: str) -> Area | None:
    """A patient's "area to avoid" as a region, when the text names exactly one ("left calf", "abdomen").

    Only a whole region, optionally with a side, is read: "right shoulder
    incision" names a spot inside a region, not the region, so it stays text
    that the therapist reads on the patient's page and works around.
    """
    words = text.lower().replace("-", " ").replace("_", " ").split()
    side = next((s for s in ("bilateral", "left", "right") if s in words), None)
    rest = " ".join(w for w in words if w not in ("bilateral", "left", "right", "both"))
    for region in catalogue.regions().values():
        names = {region.key.replace("_", " "), region.name.lower(), region.patient_name.lower()}
        if rest in names:
            return Area(region.key, (side or "bilateral") if region.paired else None)
    return None


def tailoring_settings() -> TailoringSettings:
    """The tailoring defaults with the clinic's own allocation settings (Clinic settings in the admin)."""
    clinic = ClinicSettings.current()
    return replace(
        DEFAULT_SETTINGS,
        focus_share=Fraction(clinic.focus_percent, 100),
        min_segment_minutes=clinic.min_segment_minutes,
    )


def therapist_trainings(therapist: Therapist) -> frozenset[str]:
    return frozenset(therapist.trainings.values_list("technique", flat=True))


def colleagues(exclude: Therapist | None = None) -> tuple[Colleague, ...]:
    """Every other active therapist with their trainings, for a plan to name when its therapist is not
    trained for an area (S12). Two queries whatever their number."""
    therapists = (
        Therapist.objects.filter(active=True)
        .prefetch_related("trainings")
        .order_by("family_name", "given_name")
    )
    if exclude is not None:
        therapists = therapists.exclude(pk=exclude.pk)
    return tuple(
        Colleague(name=t.full_name, trainings=frozenset(tr.technique for tr in t.trainings.all()))
        for t in therapists
    )


def session_plan_request(
    *,
    patient: Patient | None,
    service: Service,
    trainings: frozenset[str],
    inp: ScreeningInput,
    screening: ScreeningResult,
    history: VisitHistory,
    preferences: Preferences | None = None,
    therapist: Therapist | None = None,
    last_session: LastSession | None = None,
    consents: frozenset[str] | None = None,
) -> PlanRequest:
    """The tailoring request for one session: the one assembler every interface calls.

    `screening` is the caller's run of `screen(inp)` (shown beside the plan, never run twice);
    `trainings` are the technique keys of the therapist who will give the session (`therapist`, when
    known, is left out of the colleagues the plan may name).
    `last_session` is what the latest signed note says (`charting.selectors.last_session`) and
    `consents` the kinds of consent in force (`charting.selectors.consents_in_force`): both plain
    data from the caller, since planning sits below charting. `consents=None` gates nothing.
    """
    last = last_session or NO_LAST_SESSION
    prefs = preferences or Preferences.of(patient)
    avoid = tuple(
        a for a in (avoid_area(text) for text in (patient.areas_to_avoid if patient else [])) if a is not None
    )
    return PlanRequest(
        service_family=service.family,
        hands_on_minutes=service.hands_on,
        diagnoses=inp.diagnoses,
        areas=inp.areas,
        screening=screening,
        therapist_trainings=trainings,
        pressure_preference=Pressure(prefs.pressure) if prefs.pressure else None,
        lighting=prefs.lighting,
        music=prefs.music,
        first_visit=history.first_visit,
        avoid_areas=avoid,
        colleagues=colleagues(exclude=therapist),
        settings=tailoring_settings(),
        last_feedback=tuple(PressureFeedback(f.area, f.feedback) for f in last.feedback),
        learned_focus=last.focus_findings,
        painful_techniques=last.painful_techniques,
        consent_gates=missing_gates(consents),
    )


def session_plan(
    *,
    patient: Patient | None,
    service: Service,
    trainings: frozenset[str],
    inp: ScreeningInput,
    screening: ScreeningResult,
    history: VisitHistory,
    preferences: Preferences | None = None,
    therapist: Therapist | None = None,
    last_session: LastSession | None = None,
    consents: frozenset[str] | None = None,
) -> SessionPlan:
    """The tailored plan for a screening the caller has already run on `inp`."""
    return plan_session(
        session_plan_request(
            patient=patient,
            service=service,
            trainings=trainings,
            inp=inp,
            screening=screening,
            history=history,
            preferences=preferences,
            therapist=therapist,
            last_session=last_session,
            consents=consents,
        )
    )


def screened_session_plan(
    *,
    patient: Patient,
    service: Service,
    therapist: Therapist,
    on: dt.date,
    history: VisitHistory,
    last_session: LastSession | None = None,
    consents: frozenset[str] | None = None,
) -> tuple[SessionPlan, ScreeningResult]:
    """The plan for `patient`'s session on the local date `on` from what is stored, and its screening."""
    inp = screening_input(patient=patient, on=on)
    screening = screen(inp)
    plan = session_plan(
        patient=patient,
        service=service,
        trainings=therapist_trainings(therapist),
        inp=inp,
        screening=screening,
        history=history,
        therapist=therapist,
        last_session=last_session,
        consents=consents,
    )
    return plan, screening


def care_plans(patient: Patient) -> list[CarePlan]:
    """The patient's recent plans of care (not cancelled), newest first, with their goals."""
    return list(
        CarePlan.objects.filter(patient=patient)
        .exclude(status=CarePlanStatus.CANCELLED)
        .select_related("therapist")
        .prefetch_related(Prefetch("goals"))
        .order_by("-created_at", "-id")[:5]
    )
