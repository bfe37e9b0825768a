"""Who may do what through the API: every role against every endpoint, own object and someone else's.

Pat (patient) is treated by Tess (therapist) on Rita's (referrer) referral; Paula
by Theo on Rob's. "own" is Pat's side of the cast, "other" Paula's. Out of scope
is 404, never 403, so a guessed id tells nothing; 403 is for an action on
something the user may see but not change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from kneadwell.accounts.models import User
from kneadwell.accounts.services import token_create, token_revoke
from kneadwell.clinic.models import Service
from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import Series, SeriesMode
from tests.cast import Cast

from .conftest import API, fields_of

ROLES = ("patient", "front_desk", "therapist", "referrer", "clinic_admin")


# Booking rows depend on the clock: every row runs at 07:00 in New York on the day of the cast's
# visits (Pat's at 10:00 with Tess, Paula's at 12:00 with Theo).
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _care_plan(cast: Cast, side: str) -> CarePlan:
    patient, therapist = (cast.pat, cast.tess) if side == "own" else (cast.paula, cast.theo)
    plan, _ = CarePlan.objects.get_or_create(
        patient=patient,
        therapist=therapist,
        defaults={
            "conditions": [],
            "frequency_per_week": 1,
            "weeks": 1,
            "starts_on": dt.date(2026, 12, 1),
            "reassess_on": dt.date(2026, 12, 31),
            "status": CarePlanStatus.ACTIVE,
        },
    )
    return plan


def _series(cast: Cast, side: str) -> Series:
    """A one-visit series holding the side's cast appointment (Tuesday 10:00 or 12:00 in New York)."""
    appointment = cast.pat_appointment if side == "own" else cast.paula_appointment
    plan = _care_plan(cast, side)
    series, created = Series.objects.get_or_create(
        care_plan=plan,
        defaults={
            "patient": plan.patient,
            "therapist": appointment.therapist,
            "location": appointment.location,
            "service": Service.objects.get(code="therapeutic-60"),
            "pattern": [{"weekday": 1, "time": "10:00" if side == "own" else "12:00"}],
            "starts_on": dt.date(2026, 12, 1),
            "weeks": 1,
            "mode": SeriesMode.ALL_OR_NOTHING,
        },
    )
    if created:
        appointment.series, appointment.series_index = series, 0
        appointment.save()
    return series


def _waitlist_offer(cast: Cast, side: str):  # type: ignore[no-untyped-def]
    """The side's patient waiting for a Thursday morning, offered Thursday 10:00 (Pat, Tess) or 12:00
    (Paula, Theo) in New York, held for them."""
    from kneadwell.waitlist.models import WaitlistOffer
    from kneadwell.waitlist.services import FreedTime, offer_freed_time, request_create

    patient, therapist, hour = (cast.pat, cast.tess, 15) if side == "own" else (cast.paula, cast.theo, 17)
    existing = WaitlistOffer.objects.filter(request__patient=patient).first()
    if existing is not None:
        return existing
    request_create(
        actor=cast.desk,
        patient=patient,
        service=Service.objects.get(code="therapeutic-60"),
        location=cast.hospital,
        first_day=dt.date(2026, 12, 3),
        last_day=dt.date(2026, 12, 3),
        weekdays=[3],
        earliest_time=dt.time(9),
        latest_time=dt.time(13),
        therapists=[therapist],
    )
    start = dt.datetime(2026, 12, 3, hour, tzinfo=dt.UTC)
    offer = offer_freed_time(
        FreedTime(
            therapist=therapist,
            room=cast.hospital_room,
            location=cast.hospital,
            start=start,
            free_until=start + dt.timedelta(hours=2),
        )
    )
    assert offer is not None
    return offer


def _merged_into(patient: Patient) -> Patient:
    """A second record of `patient`, merged into theirs (through the service, so the audit trail has it)."""
    from kneadwell.patients.merging import patient_merge

    twin = Patient.objects.create(
        given_name=patient.given_name, family_name=patient.family_name, birth_date=patient.birth_date
    )
    patient_merge(actor=User.objects.get(username="desk"), source=twin, target=patient)
    return twin


def _host_visit(cast: Cast, side: str):  # type: ignore[no-untyped-def]
    """The side's host visit at the chiropractic office, Wednesday 10:00 (Pat) or 11:00 (Paula) local."""
    from kneadwell.spotwork.models import HostVisit

    patient = cast.pat if side == "own" else cast.paula
    start = dt.datetime(2026, 12, 2, 16 if side == "own" else 17, tzinfo=dt.UTC)
    visit, _ = HostVisit.objects.get_or_create(
        patient=patient,
        location=cast.chiro,
        start=start,
        defaults={"end": start + dt.timedelta(minutes=30), "provider_name": "Dr Chen, DC"},
    )
    return visit


def _target(cast: Cast, kind: str, side: str) -> str:
    if kind == "host_visit":
        return str(_host_visit(cast, side).public_id)
    if kind == "merged":
        return str(_merged_into(cast.pat if side == "own" else cast.paula).public_id)
    if kind == "care_plan":
        return str(_care_plan(cast, side).public_id)
    if kind == "series":
        return str(_series(cast, side).public_id)
    if kind == "waitlist_request":
        return str(_waitlist_offer(cast, side).request.public_id)
    if kind == "waitlist_offer":
        return str(_waitlist_offer(cast, side).public_id)
    objects = {
        "patient": (cast.pat, cast.paula),
        "appointment": (cast.pat_appointment, cast.paula_appointment),
        "therapist": (cast.tess, cast.theo),
        "referral": (cast.pat.referrals.get(), cast.paula.referrals.get()),
    }.get(kind)
    if kind == "note":  # made only when asked for: a note changes what the appointment rows answer
        objects = tuple(_note(cast, a) for a in (cast.pat_appointment, cast.paula_appointment))
    assert objects is not None
    return str(objects[0 if side == "own" else 1].public_id)


def _with_ids(cast: Cast, body: Any, side: str | None) -> Any:
    """The row's body with "{patient}" and "{appointment}" naming the side's patient and appointment."""
    if not isinstance(body, dict):
        return body
    own = side != "other"
    names = {
        "{patient}": str((cast.pat if own else cast.paula).public_id),
        "{appointment}": str((cast.pat_appointment if own else cast.paula_appointment).public_id),
        "{hospital}": str(cast.hospital.public_id),
        "{tess}": str(cast.tess.public_id),
        "{chiro}": str(cast.chiro.public_id),
    }
    if "{host_visit}" in body.values():
        names["{host_visit}"] = str(_host_visit(cast, "own" if own else "other").public_id)
    if "{host_csv}" in body.values():
        names["{host_csv}"] = (
            f"patient,start,end,provider\n{cast.pat.public_id},2026-12-02 10:00,2026-12-02 10:30,Dr Chen\n"
        )
    return {key: names.get(value, value) if isinstance(value, str) else value for key, value in body.items()}


NEW_PATIENT = {"given_name": "Nia", "family_name": "New", "birth_date": "1990-02-03"}
NEW_THERAPIST = {"given_name": "Nora", "family_name": "Newhire"}
CONTACT_CHANGE = {"phone": "555-0100", "pressure": "firm"}
NAME_CHANGE = {"given_name": "Renamed"}
REFERRAL = {
    "new_patient": NEW_PATIENT,
    "diagnoses": [{"condition": "low_back_pain", "icd10": "M54.50"}],
}  # the clinic must also name the provider: without one, 422
INTAKE = {"chief_complaint": "Stiff neck", "areas": [{"region": "neck"}]}


def _note(cast: Cast, appointment):  # type: ignore[no-untyped-def]
    """The appointment's note, started by its own therapist (issue 11)."""
    from kneadwell.charting.services import note_start

    return note_start(actor=appointment.therapist.user, appointment=appointment)


ROM = {"kind": "rom", "motion": "neck_rotation", "side": "left", "value": 60}
PSFS = {"instrument": "psfs", "answers": {"Lifting": 4, "Typing": 5, "Driving": 6}}
CONSENT = {"kind": "treatment", "signer_name": "Pat Palmer"}
MERGE = {"source": "{twin}"}  # a fresh second record of the same person, made for each case
MATCHES = "/patients/{id}/matches?service=therapeutic-60&location={hospital}"
AVAILABILITY = "/availability?service=therapeutic-60&location={hospital}&patient={id}"
# Wednesday 10:00 in New York, with Tess: free for Pat and for Paula.
BOOK = {
    "patient": "{patient}",
    "service": "therapeutic-60",
    "location": "{hospital}",
    "therapist": "{tess}",
    "start": "2026-12-02T15:00:00Z",
}
MOVE = {"start": "2026-12-02T15:00:00Z"}
SERIES = {
    "service": "therapeutic-60",
    "location": "{hospital}",
    "times": [{"weekday": 2, "time": "10:00"}],
    "dry_run": True,
}
SERIES_MOVE = {"from": "{appointment}", "start": "2026-12-02T15:00:00Z", "dry_run": True}
# Spot work at the cast's chiropractic office (Chicago), Wednesday 10:00 local.
HOST_VISIT = {
    "patient": "{patient}",
    "location": "{chiro}",
    "start": "2026-12-02T16:00:00Z",
    "end": "2026-12-02T16:30:00Z",
    "provider_name": "Dr Chen, DC",
}
HOST_IMPORT = {"location": "{chiro}", "format": "csv", "content": "{host_csv}"}
SPOT_REQUEST = {"host_visit": "{host_visit}", "region": "neck"}
SPOT_PLAN = {"location": "{chiro}", "date": "2026-12-02", "dry_run": True}
# Thursday 3 Dec, 09:00-13:00 in New York, any therapist.
WAITLIST = {
    "patient": "{patient}",
    "service": "therapeutic-60",
    "location": "{hospital}",
    "first_day": "2026-12-03",
    "last_day": "2026-12-03",
    "weekdays": [3],
    "earliest_time": "09:00",
    "latest_time": "13:00",
}
SESSION_PLAN = "/patients/{id}/session-plan?service=therapeutic-60&therapist={tess}"

# method, path, object kind (None: collection), side, body, then the status per role in ROLES order.
#                                                                patient desk  ther  ref   admin
MATRIX = [
    ("GET", "/me", None, None, None,                              (200, 200, 200, 200, 200)),
    ("GET", "/locations", None, None, None,                       (200, 200, 200, 200, 200)),
    ("GET", "/services", None, None, None,                        (200, 200, 200, 200, 200)),
    ("GET", "/therapists", None, None, None,                      (200, 200, 200, 200, 200)),
    ("GET", "/therapists/{id}", "therapist", "own", None,         (200, 200, 200, 200, 200)),
    ("GET", "/therapists/{id}", "therapist", "other", None,       (200, 200, 200, 200, 200)),
    ("POST", "/therapists", None, None, NEW_THERAPIST,            (403, 403, 403, 403, 201)),
    ("GET", "/patients", None, None, None,                        (200, 200, 200, 200, 200)),
    ("POST", "/patients", None, None, NEW_PATIENT,                (403, 201, 403, 403, 201)),
    ("GET", "/patients/{id}", "patient", "own", None,             (200, 200, 200, 200, 200)),
    ("GET", "/patients/{id}", "patient", "other", None,           (404, 200, 404, 404, 200)),
    ("PATCH", "/patients/{id}", "patient", "own", CONTACT_CHANGE, (200, 200, 403, 403, 200)),
    ("PATCH", "/patients/{id}", "patient", "other", CONTACT_CHANGE, (404, 200, 404, 404, 200)),
    ("PATCH", "/patients/{id}", "patient", "own", NAME_CHANGE,    (403, 200, 403, 403, 200)),
    ("PATCH", "/patients/{id}", "patient", "other", NAME_CHANGE,  (404, 200, 404, 404, 200)),
    ("POST", "/patients/{id}/merge", "patient", "own", MERGE,     (403, 200, 403, 403, 200)),
    ("POST", "/patients/{id}/merge", "patient", "other", MERGE,   (404, 200, 404, 404, 200)),
    ("POST", "/patients/{id}/unmerge", "merged", "own", {},       (404, 200, 404, 404, 200)),
    ("POST", "/patients/{id}/unmerge", "merged", "other", {},     (404, 200, 404, 404, 200)),
    ("GET", "/appointments", None, None, None,                    (200, 200, 200, 200, 200)),
    ("GET", "/appointments/{id}", "appointment", "own", None,     (200, 200, 200, 200, 200)),
    ("GET", "/appointments/{id}", "appointment", "other", None,   (404, 200, 404, 404, 200)),
    ("GET", "/catalogue/conditions", None, None, None,            (200, 200, 200, 200, 200)),
    ("GET", "/catalogue/techniques", None, None, None,            (200, 200, 200, 200, 200)),
    ("GET", "/catalogue/regions", None, None, None,               (200, 200, 200, 200, 200)),
    ("GET", "/catalogue/measures", None, None, None,              (200, 200, 200, 200, 200)),
    ("GET", "/referrals", None, None, None,                       (200, 200, 200, 200, 200)),
    ("POST", "/referrals", None, None, REFERRAL,                  (403, 422, 403, 201, 422)),
    ("GET", "/referrals/{id}", "referral", "own", None,           (200, 200, 200, 200, 200)),
    ("GET", "/referrals/{id}", "referral", "other", None,         (404, 200, 404, 404, 200)),
    ("POST", "/referrals/{id}/status", "referral", "own", {"status": "triaged"},   (403, 200, 403, 403, 200)),
    ("POST", "/referrals/{id}/status", "referral", "other", {"status": "triaged"}, (404, 200, 404, 404, 200)),
    ("POST", "/referrals/{id}/clearances", "referral", "own", {"scope": "general"},   (403, 201, 403, 201, 201)),
    ("POST", "/referrals/{id}/clearances", "referral", "other", {"scope": "general"}, (404, 201, 404, 404, 201)),
    ("GET", "/clearances", None, None, None,                      (200, 200, 200, 200, 200)),
    ("POST", "/patients/{id}/intakes", "patient", "own", INTAKE,  (201, 201, 201, 403, 201)),
    ("POST", "/patients/{id}/intakes", "patient", "other", INTAKE, (404, 201, 404, 404, 201)),
    ("GET", "/patients/{id}/intakes", "patient", "own", None,     (200, 200, 200, 200, 200)),
    ("GET", "/patients/{id}/intakes", "patient", "other", None,   (404, 200, 404, 404, 200)),
    ("GET", "/patients/{id}/screening", "patient", "own", None,   (200, 200, 200, 200, 200)),
    ("GET", "/patients/{id}/screening", "patient", "other", None, (404, 200, 404, 404, 200)),
    ("GET", MATCHES, "patient", "own", None,                      (403, 200, 200, 403, 200)),
    ("GET", MATCHES, "patient", "other", None,                    (403, 200, 404, 403, 200)),
    ("GET", SESSION_PLAN, "patient", "own", None,                 (403, 200, 200, 403, 200)),
    ("GET", SESSION_PLAN, "patient", "other", None,               (403, 200, 404, 403, 200)),
    ("POST", "/patients/{id}/care-plans", "patient", "own", {"conditions": ["low_back_pain"]},   (403, 201, 201, 403, 201)),
    ("POST", "/patients/{id}/care-plans", "patient", "other", {"conditions": ["low_back_pain"]}, (404, 201, 404, 404, 201)),
    ("GET", "/patients/{id}/care-plans", "patient", "own", None,  (200, 200, 200, 200, 200)),
    ("GET", "/patients/{id}/care-plans", "patient", "other", None, (404, 200, 404, 404, 200)),
    # Session records (issue 11): a referrer never sees raw notes; a patient only when the clinic shares them.
    ("GET", "/appointments/{id}/note", "appointment", "own", None,   (404, 404, 404, 404, 404)),
    ("POST", "/appointments/{id}/note", "appointment", "own", None,  (403, 403, 201, 403, 403)),
    ("POST", "/appointments/{id}/note", "appointment", "other", None, (404, 403, 404, 404, 403)),
    ("GET", "/notes", None, None, None,                           (200, 200, 200, 200, 200)),
    ("GET", "/notes/{id}", "note", "own", None,                   (404, 200, 200, 404, 200)),
    ("GET", "/notes/{id}", "note", "other", None,                 (404, 200, 404, 404, 200)),
    ("GET", "/notes/{id}/versions", "note", "own", None,          (404, 200, 200, 404, 200)),
    ("POST", "/notes/{id}/sign", "note", "own", None,             (404, 403, 422, 404, 403)),
    ("POST", "/notes/{id}/sign", "note", "other", None,           (404, 403, 404, 404, 403)),
    ("POST", "/notes/{id}/amend", "note", "own", {"reason": "x"}, (404, 403, 409, 404, 403)),
    ("POST", "/notes/{id}/feedback", "note", "own", {"region": "neck", "pressure": "firm", "feedback": "ok"}, (404, 403, 201, 404, 403)),
    ("GET", "/consent-texts", None, None, None,                   (200, 200, 200, 200, 200)),
    ("GET", "/patients/{id}/consents", "patient", "own", None,    (200, 200, 200, 200, 200)),
    ("GET", "/patients/{id}/consents", "patient", "other", None,  (404, 200, 404, 404, 200)),
    ("POST", "/patients/{id}/consents", "patient", "own", CONSENT,   (201, 201, 201, 403, 201)),
    ("POST", "/patients/{id}/consents", "patient", "other", CONSENT, (404, 201, 404, 404, 201)),
    ("POST", "/patients/{id}/measurements", "patient", "own", ROM,   (403, 201, 201, 403, 201)),
    ("POST", "/patients/{id}/measurements", "patient", "other", ROM, (404, 201, 404, 404, 201)),
    ("GET", "/patients/{id}/measurements", "patient", "own", None,   (200, 200, 200, 403, 200)),
    ("GET", "/patients/{id}/measurements", "patient", "other", None, (404, 200, 404, 403, 200)),
    ("GET", "/instruments", None, None, None,                     (200, 200, 200, 200, 200)),
    ("GET", "/patients/{id}/questionnaires/due", "patient", "own", None, (200, 200, 200, 403, 200)),
    ("POST", "/patients/{id}/questionnaire-responses", "patient", "own", PSFS,   (201, 201, 201, 403, 201)),
    ("POST", "/patients/{id}/questionnaire-responses", "patient", "other", PSFS, (404, 201, 404, 404, 201)),
    ("GET", "/patients/{id}/questionnaire-responses", "patient", "own", None,    (200, 200, 200, 403, 200)),
    ("GET", "/patients/{id}/progress", "patient", "own", None,    (200, 200, 200, 403, 200)),
    ("GET", "/patients/{id}/progress", "patient", "other", None,  (404, 200, 404, 403, 200)),
    ("GET", "/referrals/{id}/progress-report", "referral", "own", None,   (200, 200, 200, 200, 200)),
    ("GET", "/referrals/{id}/progress-report", "referral", "other", None, (404, 200, 404, 404, 200)),
    ("GET", "/referrals/{id}/progress-reports", "referral", "own", None,  (200, 200, 200, 200, 200)),
    ("POST", "/referrals/{id}/progress-reports", "referral", "own", {"kind": "on_demand"},   (403, 201, 201, 403, 201)),
    ("POST", "/referrals/{id}/progress-reports", "referral", "other", {"kind": "on_demand"}, (404, 201, 404, 404, 201)),
    ("GET", "/appointments/{id}/superbill", "appointment", "own", None,   (403, 409, 409, 403, 409)),
    ("GET", "/appointments/{id}/superbill", "appointment", "other", None, (404, 409, 404, 404, 409)),
    # Booking (issue 8). Check-in works from the visit's day; no-show waits for the start (409 before);
    # complete needs a check-in first (409 from booked). Series: the clinic's staff and therapists.
    ("GET", AVAILABILITY, "patient", "own", None,                 (200, 200, 200, 403, 200)),
    ("GET", AVAILABILITY, "patient", "other", None,               (404, 200, 404, 403, 200)),
    ("POST", "/appointments", None, "own", BOOK,                  (422, 201, 201, 403, 201)),  # Pat: no intake yet
    ("POST", "/appointments", None, "other", BOOK,                (404, 201, 404, 403, 201)),
    ("POST", "/appointments/{id}/cancel", "appointment", "own", {},     (200, 200, 403, 403, 200)),
    ("POST", "/appointments/{id}/cancel", "appointment", "other", {},   (404, 200, 404, 404, 200)),
    ("POST", "/appointments/{id}/reschedule", "appointment", "own", MOVE,   (200, 200, 403, 403, 200)),
    ("POST", "/appointments/{id}/reschedule", "appointment", "other", MOVE, (404, 200, 404, 404, 200)),
    ("POST", "/appointments/{id}/check-in", "appointment", "own", None,    (403, 200, 200, 403, 200)),
    ("POST", "/appointments/{id}/check-in", "appointment", "other", None,  (404, 200, 404, 404, 200)),
    ("POST", "/appointments/{id}/no-show", "appointment", "own", None,     (403, 409, 409, 403, 409)),
    ("POST", "/appointments/{id}/no-show", "appointment", "other", None,   (404, 409, 404, 404, 409)),
    ("POST", "/appointments/{id}/complete", "appointment", "own", None,    (403, 409, 409, 403, 409)),
    ("POST", "/appointments/{id}/complete", "appointment", "other", None,  (404, 409, 404, 404, 409)),
    ("POST", "/care-plans/{id}/series", "care_plan", "own", SERIES,    (403, 200, 200, 403, 200)),
    ("POST", "/care-plans/{id}/series", "care_plan", "other", SERIES,  (404, 200, 404, 404, 200)),
    ("GET", "/series/{id}", "series", "own", None,                (200, 200, 200, 200, 200)),
    ("GET", "/series/{id}", "series", "other", None,              (404, 200, 404, 404, 200)),
    ("POST", "/series/{id}/cancel", "series", "own", {},          (403, 200, 403, 403, 200)),
    ("POST", "/series/{id}/cancel", "series", "other", {},        (404, 200, 404, 404, 200)),
    ("POST", "/series/{id}/move", "series", "own", SERIES_MOVE,   (403, 200, 200, 403, 200)),
    ("POST", "/series/{id}/move", "series", "other", SERIES_MOVE, (404, 200, 404, 404, 200)),
    # Spot work (issue 10): the clinic's staff enter host visits and requests and plan the day; each
    # user sees the host visits and requests of the patients in their scope.
    ("GET", "/host-visits", None, None, None,                     (200, 200, 200, 200, 200)),
    ("POST", "/host-visits", None, "own", HOST_VISIT,             (403, 201, 403, 403, 201)),
    ("POST", "/host-visits", None, "other", HOST_VISIT,           (404, 201, 404, 404, 201)),
    ("POST", "/host-visits/import", None, "own", HOST_IMPORT,     (403, 201, 403, 403, 201)),
    ("DELETE", "/host-visits/{id}", "host_visit", "own", None,    (403, 204, 403, 403, 204)),
    ("DELETE", "/host-visits/{id}", "host_visit", "other", None,  (404, 204, 404, 404, 204)),
    ("GET", "/spot-work/requests", None, None, None,              (200, 200, 200, 200, 200)),
    ("POST", "/spot-work/requests", None, "own", SPOT_REQUEST,    (403, 201, 403, 403, 201)),
    ("POST", "/spot-work/requests", None, "other", SPOT_REQUEST,  (404, 201, 404, 404, 201)),
    ("POST", "/spot-work/plan", None, None, SPOT_PLAN,            (403, 200, 403, 403, 200)),
    # Waitlist (issue 10): staff for anyone, a patient for themself; therapists and referrers see none.
    ("GET", "/waitlist/requests", None, None, None,               (200, 200, 200, 200, 200)),
    ("POST", "/waitlist/requests", None, "own", WAITLIST,         (201, 201, 403, 403, 201)),
    ("POST", "/waitlist/requests", None, "other", WAITLIST,       (404, 201, 403, 403, 201)),
    ("GET", "/waitlist/requests/{id}", "waitlist_request", "own", None,     (200, 200, 404, 404, 200)),
    ("GET", "/waitlist/requests/{id}", "waitlist_request", "other", None,   (404, 200, 404, 404, 200)),
    ("POST", "/waitlist/requests/{id}/cancel", "waitlist_request", "own", None,   (200, 200, 404, 404, 200)),
    ("POST", "/waitlist/requests/{id}/cancel", "waitlist_request", "other", None, (404, 200, 404, 404, 200)),
    ("GET", "/waitlist/offers", None, None, None,                 (200, 200, 200, 200, 200)),
    ("POST", "/waitlist/offers/{id}/accept", "waitlist_offer", "own", None,    (200, 200, 404, 404, 200)),
    ("POST", "/waitlist/offers/{id}/accept", "waitlist_offer", "other", None,  (404, 200, 404, 404, 200)),
    ("POST", "/waitlist/offers/{id}/decline", "waitlist_offer", "own", None,   (200, 200, 404, 404, 200)),
    ("POST", "/waitlist/offers/{id}/decline", "waitlist_offer", "other", None, (404, 200, 404, 404, 200)),
]  # fmt: skip

CASES = [
    pytest.param(
        method, path, kind, side, body, role, status, id=f"{role}-{method}-{path}-{side or 'all'}-{body}"
    )
    for method, path, kind, side, body, statuses in MATRIX
    for role, status in zip(ROLES, statuses, strict=True)
]

# Each endpoint once, with the first body the matrix gives it.
_BODIES: dict[tuple[str, str, str | None], dict | None] = {}
for _method, _path, _kind, _side, _body, _statuses in MATRIX:
    _BODIES.setdefault((_method, _path, _kind), _body)
ENDPOINTS = [
    pytest.param(method, path, kind, body, id=f"{method} {path}")
    for (method, path, kind), body in _BODIES.items()
]


def _url(cast: Cast, path: str, kind: str | None, side: str | None) -> str:
    ids = {"hospital": cast.hospital.public_id, "tess": cast.tess.public_id}
    return path.format(id=_target(cast, kind, side or "own"), **ids) if kind else path


def _body(cast: Cast, body: dict | None) -> dict | None:  # type: ignore[type-arg]
    if body == MERGE:
        twin = Patient.objects.create(given_name="Pat", family_name="Palmer", birth_date=cast.pat.birth_date)
        return {"source": str(twin.public_id)}
    return body


@pytest.mark.parametrize(("method", "path", "kind", "side", "body", "role", "status"), CASES)
def test_access_matrix(api_as, cast, method, path, kind, side, body, role, status):
    response = api_as(cast.user(role)).call(
        method, _url(cast, path, kind, side), _with_ids(cast, _body(cast, body), side)
    )

    assert response.status_code == status, response.content
    if status == 404:
        assert response.json() == {"detail": "Not found.", "errors": []}
    if status == 403:
        assert response.json()["detail"].startswith("You do not have permission")


@pytest.mark.parametrize(("method", "path", "kind", "body"), ENDPOINTS)
def test_every_endpoint_refuses_a_request_without_a_token(client, cast, method, path, kind, body):
    url = API + _url(cast, path, kind, "own")

    response = getattr(client, method.lower())(
        url, *([] if method == "GET" else ["{}"]), content_type="application/json"
    )

    assert response.status_code == 401
    assert fields_of(response) == []
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "kind", "body"), ENDPOINTS)
def test_every_endpoint_refuses_a_revoked_token(api_as, cast, method, path, kind, body):
    issued = token_create(user=cast.admin)
    token_revoke(token=issued.token)
    api = api_as(cast.admin)
    api.headers = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}

    response = api.call(method, _url(cast, path, kind, "own"), _body(cast, body))

    assert response.status_code == 401
    assert response.json()["errors"] == []


@pytest.mark.parametrize(
    "header",
    ["Bearer kw_not-a-real-token", "Bearer ", "Token abc", "Basic YWRtaW46cGFzcw=="],
)
def test_a_malformed_or_unknown_credential_is_401(client, cast, header):
    response = client.get(f"{API}/patients", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


def test_a_browser_session_does_not_open_the_api(client, cast):
    client.force_login(cast.desk)

    response = client.get(f"{API}/patients")

    assert response.status_code == 401


def test_a_deactivated_users_token_stops_working(api_as, cast):
    api = api_as(cast.desk)
    cast.desk.is_active = False
    cast.desk.save()

    assert api.get("/patients").status_code == 401


def test_done_when_patient_token_cannot_read_another_patient_but_front_desk_can(client, cast, bearer):
    paula_url = f"{API}/patients/{cast.paula.public_id}"

    as_pat = client.get(paula_url, **bearer(cast.pat_user))
    as_desk = client.get(paula_url, **bearer(cast.desk))
    anonymous = client.get(paula_url)

    assert as_pat.status_code == 404
    assert as_desk.status_code == 200
    assert as_desk.json()["id"] == str(cast.paula.public_id)
    assert anonymous.status_code == 401


EXPECTED_PATIENTS = {
    "patient": ["Pat"],
    "therapist": ["Pat"],
    "referrer": ["Pat"],
    "front_desk": ["Pat", "Paula"],
    "clinic_admin": ["Pat", "Paula"],
}


@pytest.mark.parametrize("role", ROLES)
def test_patient_list_holds_exactly_the_patients_in_scope(api_as, cast, role):
    body = api_as(cast.user(role)).get("/patients", count="true").json()

    assert [item["given_name"] for item in body["items"]] == EXPECTED_PATIENTS[role]
    assert body["count"] == len(EXPECTED_PATIENTS[role])


@pytest.mark.parametrize("role", ROLES)
def test_appointment_list_holds_exactly_the_appointments_in_scope(api_as, cast, role):
    body = api_as(cast.user(role)).get("/appointments", count="true").json()

    assert [item["patient"]["name"].split()[0] for item in body["items"]] == EXPECTED_PATIENTS[role]
    assert body["count"] == len(EXPECTED_PATIENTS[role])


def test_other_therapist_sees_only_their_own_patient(api_as, cast):
    body = api_as(cast.theo_user).get("/patients").json()

    assert [item["id"] for item in body["items"]] == [str(cast.paula.public_id)]


def test_patient_cannot_change_their_name_and_the_refusal_names_the_field(api_as, cast):
    response = api_as(cast.pat_user).patch(
        f"/patients/{cast.pat.public_id}", {"given_name": "X", "phone": "1"}
    )

    assert response.status_code == 403
    assert fields_of(response) == ["given_name"]
    cast.pat.refresh_from_db()
    assert (cast.pat.given_name, cast.pat.phone) == ("Pat", "")
