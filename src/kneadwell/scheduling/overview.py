"""The clinical picture of a patient for their next session: when and where, with whom, the screening,
the tailored plan, better-suited colleagues, clearances, plans of care and hand-offs.

One selector for every page that shows it (the therapist's and the front desk's patient page), so each
fact is computed once: one screening run, one visit history, one current therapist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kneadwell.accounts.models import Role, User
from kneadwell.clinic.models import Location, Service
from kneadwell.clinic.selectors import local_day_of, location_list, location_today, service_list
from kneadwell.intake.models import Intake
from kneadwell.intake.screening import screen
from kneadwell.intake.screening.types import ScreeningInput, ScreeningResult
from kneadwell.intake.selectors import latest_intake, open_referrals, screening_input
from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from kneadwell.planning.learning import LastSession
from kneadwell.planning.matching import MatchResult
from kneadwell.planning.models import CarePlan, CarePlanStatus, HandOff
from kneadwell.planning.selectors import (
    care_plans,
    current_therapist,
    patient_matches,
    screened_session_plan,
    session_plan,
    therapist_trainings,
)
from kneadwell.planning.tailoring import SessionPlan
from kneadwell.referrals.models import CareTeamMember, Clearance, ReferringProvider
from kneadwell.referrals.selectors import clearance_scope
from kneadwell.referrals.services import patient_providers
from kneadwell.therapists.models import Therapist

from .models import Appointment, AppointmentStatus
from .selectors import appointment_scope, visit_history
from .slots import earliest_availability

DEFAULT_SERVICE = "therapeutic-60"


@dataclass
class CareOverview:
    on: dt.date  # the local date the screening and plan are for
    location: Location | None
    services: list[Service]
    service: Service | None
    upcoming: Appointment | None
    therapist: Therapist | None  # whose plan this is: the viewer, the upcoming visit's or the current one
    viewer_therapist: Therapist | None
    inp: ScreeningInput | None = None
    screening: ScreeningResult | None = None
    screening_error: str = ""
    plan: SessionPlan | None = None
    plan_error: str = ""
    matches: MatchResult | None = None  # for a therapist viewer: colleagues who may serve better
    clearances: list[Clearance] = field(default_factory=list)
    providers: list[ReferringProvider] = field(default_factory=list)  # who a clearance may be asked of
    care_team: list[CareTeamMember] = field(default_factory=list)
    all_providers: list[ReferringProvider] = field(default_factory=list)  # to add one to the care team
    care_plans: list[CarePlan] = field(default_factory=list)
    handoffs: list[HandOff] = field(default_factory=list)
    latest_intake: Intake | None = None  # what the patient told us last (complaint, goals, tried)
    # (provider, precautions) from the open referrals: shown among the patient's alerts
    referral_precautions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def active_plan(self) -> CarePlan | None:
        return next((p for p in self.care_plans if p.status == CarePlanStatus.ACTIVE), None)

    @property
    def draft_plan(self) -> CarePlan | None:
        return next((p for p in self.care_plans if p.status == CarePlanStatus.DRAFT), None)


def care_overview(
    *,
    patient: Patient,
    viewer: User,
    service_code: str = "",
    last_session: LastSession | None = None,
    consents: frozenset[str] | None = None,
) -> CareOverview:
    """Everything the clinical sections of the patient page show, for a therapist or clinic staff.

    `last_session` and `consents` come from the records above this layer
    (`charting.selectors.plan_inputs(patient)`), so the plan shown learns from the last signed note.
    """
    me = (
        Therapist.objects.filter(user=viewer).prefetch_related("locations").first()
        if viewer.role == Role.THERAPIST
        else None
    )
    upcoming = (
        appointment_scope(viewer)
        .filter(
            patient=patient,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
            end__gte=now(),
        )
        .order_by("start")
        .first()
    )
    location: Location | None = upcoming.location if upcoming else None
    if location is None and me is not None:
        location = min(me.locations.all(), key=lambda loc: loc.name, default=None)
    if location is None:
        location = location_list().first()
    on = local_day_of(upcoming.start, upcoming.location) if upcoming else location_today(location)

    services = list(service_list())
    by_code = {s.code: s for s in services}
    service = (
        by_code.get(service_code)
        or (upcoming.service if upcoming else None)
        or by_code.get(DEFAULT_SERVICE)
        or (services[0] if services else None)
    )
    history = visit_history(patient)
    current = current_therapist(patient, history)
    overview = CareOverview(
        on=on,
        location=location,
        services=services,
        service=service,
        upcoming=upcoming,
        therapist=me or (upcoming.therapist if upcoming else None) or current,
        viewer_therapist=me,
    )
    try:
        overview.inp = screening_input(patient=patient, on=on)
        overview.screening = screen(overview.inp)
    except ValueError as exc:
        overview.screening_error = str(exc)

    if overview.therapist is not None and service is not None and overview.screening is not None:
        assert overview.inp is not None
        try:
            overview.plan = session_plan(
                patient=patient,
                service=service,
                trainings=therapist_trainings(overview.therapist),
                inp=overview.inp,
                screening=overview.screening,
                history=history,
                last_session=last_session,
                consents=consents,
            )
        except ValueError as exc:
            overview.plan_error = str(exc)

    if me is not None and service is not None and location is not None and overview.inp is not None:
        try:
            overview.matches = patient_matches(
                patient=patient,
                service=service,
                location=location,
                inp=overview.inp,
                history=history,
                current=current,
                # Who can see the patient soonest counts too (matching's availability component).
                availability=earliest_availability(patient=patient, service=service, location=location),
            )
        except ValueError:
            overview.matches = None

    overview.clearances = list(
        clearance_scope(viewer)
        .filter(patient=patient)
        .select_related("provider")
        .order_by("-created_at")[:20]
    )
    overview.providers = list(patient_providers(patient).order_by("name"))
    overview.care_team = list(
        CareTeamMember.objects.filter(patient=patient).select_related("provider").order_by("created_at")
    )
    if viewer.has_perm("referrals.add_careteam", patient):
        overview.all_providers = list(ReferringProvider.objects.order_by("name"))
    overview.care_plans = care_plans(patient)
    overview.latest_intake = latest_intake(patient)
    overview.referral_precautions = [
        (r.provider.name, r.precautions) for r in open_referrals(patient) if r.precautions.strip()
    ]
    overview.handoffs = list(
        HandOff.objects.filter(patient=patient)
        .select_related("from_therapist", "to_therapist")
        .order_by("-created_at")[:3]
    )
    return overview


def appointment_plan(appointment: Appointment) -> tuple[SessionPlan, ScreeningResult]:
    """The tailored plan for one booked session, screened for its local date (raises ValueError)."""
    return screened_session_plan(
        patient=appointment.patient,
        service=appointment.service,
        therapist=appointment.therapist,
        on=local_day_of(appointment.start, appointment.location),
        history=visit_history(appointment.patient),
    )
