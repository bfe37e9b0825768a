"""Session records for the demo clinic: signed notes with pressure feedback and body-chart marks,
measures (pain before and after each visit, ROM, PSFS), consents, payers, progress reports, and
one patient who is not improving. Called once by `demo.load_demo` after the calendar is built.

Deterministic (one seeded generator, rows in a fixed order). Notes of the many regular visits are
written in bulk, as a clinic's history would be imported; the featured patient's notes go through
the note services, as a therapist would write them. The last two days' visits are left unsigned
for the overdue-notes panels.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from kneadwell.accounts.models import User
from kneadwell.billing.models import Coverage, Payer
from kneadwell.charting.content import FeedbackIn, MarkIn, NoteContent, WorkLineIn, suggested_code
from kneadwell.charting.models import Note, NoteVersion, VersionStatus, WorkLine
from kneadwell.charting.services import consent_sign, note_save, note_sign, note_start
from kneadwell.outcomes.models import Channel
from kneadwell.outcomes.reports import report_create
from kneadwell.outcomes.services import response_record, rom_record
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral
from kneadwell.scheduling.models import Appointment, AppointmentStatus

SEED = 20261201
UNSIGNED_DAYS = 2
NOT_IMPROVING = ("Pain ≈ the same every visit; patient reports no change at work.",)


def _lines(
    appointment: Appointment, regions: list[tuple[str, str]]
) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """Focus, then general work, filling the service's hands-on minutes (67 % focus, clinic default)."""
    total = appointment.service.hands_on
    focus = round(total * 0.67)
    region, side = regions[0] if regions else ("upper_back", "")
    out: list[tuple[str, str, int, tuple[str, ...]]] = [(region, side, focus, ("swedish", "trigger_point"))]
    if total - focus >= 5:
        out.append(("upper_back" if region != "upper_back" else "low_back", "", total - focus, ("swedish",)))
    return out


def _regions(patient: Patient, referrals: dict[int, Referral]) -> list[tuple[str, str]]:
    referral = referrals.get(patient.pk)
    areas = (referral.areas if referral else None) or []
    return [(a.get("region", "neck"), a.get("side") or "") for a in areas] or [("neck", "")]


def load_demo_records(*, as_of: dt.datetime) -> None:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    payers = [
        Payer.objects.create(name="Empire Auto PIP", unit_rule="cms_8_minute"),
        Payer.objects.create(name="Lakeshore Health (commercial)", unit_rule="cpt_midpoint"),
    ]
    cutoff = as_of - dt.timedelta(days=UNSIGNED_DAYS)
    featured = Patient.objects.get(user__username="patient")
    past = list(
        Appointment.objects.filter(status=AppointmentStatus.COMPLETED, end__lte=cutoff)
        .select_related("patient", "therapist__user", "service", "location")
        .order_by("start", "id")
    )
    by_patient: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in past:
        by_patient[appointment.patient_id].append(appointment)
    referrals = {r.patient_id: r for r in Referral.objects.order_by("received_on", "id")}
    candidates = [
        pk for pk, visits in by_patient.items() if len(visits) >= 5 and pk in referrals and pk != featured.pk
    ]
    stuck = min(candidates) if candidates else None

    for patient_pk, visits in by_patient.items():
        if patient_pk == featured.pk:
            continue
        _bulk_notes(visits, referrals, rng, improving=patient_pk != stuck)
        if rng.random() < 0.3:
            Coverage.objects.create(
                patient_id=patient_pk,
                payer=payers[rng.randrange(2)],
                member_id=f"M{rng.randrange(10**7):07d}",
            )

    _featured(featured, by_patient.get(featured.pk, []), payers[0])
    if stuck is not None:
        therapist_user = by_patient[stuck][-1].therapist.user
        report_create(actor=therapist_user, referral=referrals[stuck], kind="not_improving")


def _bulk_notes(
    visits: list[Appointment], referrals: dict[int, Referral], rng: random.Random, *, improving: bool
) -> None:
    regions = _regions(visits[0].patient, referrals)
    start_pain = rng.randint(5, 8)
    for n, appointment in enumerate(visits):
        before = max(1, start_pain - n) if improving else start_pain + (n % 2)
        after = max(0, before - rng.randint(1, 3)) if improving else before
        note = Note.objects.create(
            appointment=appointment,
            patient=appointment.patient,
            therapist=appointment.therapist,
            appointment_start=appointment.start,
        )
        version = NoteVersion.objects.create(
            note=note,
            number=1,
            subjective="Feels better than last week." if improving and n else "As the referral describes.",
            nprs_before=min(before, 10),
            objective="Hypertonic; trigger points at the focus region.",
            assessment="Tone eased after the session." if improving else NOT_IMPROVING[0],
            nprs_after=min(after, 10),
            plan_next="Continue the plan of care.",
            author=appointment.therapist.user,
            status=VersionStatus.SIGNED,
            signed_at=appointment.end + dt.timedelta(hours=1),
            signed_by=appointment.therapist.user,
            screening_decision="proceed",
        )
        WorkLine.objects.bulk_create(
            WorkLine(
                version=version,
                position=i,
                region=region,
                side=side,
                minutes=minutes,
                techniques=list(techniques),
                pressure="medium",
                code=suggested_code(techniques) or "97124",
            )
            for i, (region, side, minutes, techniques) in enumerate(_lines(appointment, regions))
        )


def _featured(patient: Patient, visits: list[Appointment], payer: Payer) -> None:
    """The patient login: consents, coverage, notes written through the services, ROM and PSFS improving."""
    if not visits:
        return
    therapist_user: User = visits[0].therapist.user  # type: ignore[assignment]  # every demo therapist has a login
    patient_user = patient.user
    assert patient_user is not None  # the demo's patient login
    for kind in ("treatment", "sensitive_areas", "photographs"):
        consent_sign(
            actor=patient_user, patient=patient, kind=kind, signer_name=patient.full_name, via="portal"
        )
    Coverage.objects.create(patient=patient, payer=payer, member_id="PIP-4471023")
    pains = [7, 6, 6, 5, 4, 3, 3, 2]
    for n, appointment in enumerate(visits):
        note = note_start(actor=therapist_user, appointment=appointment)
        before = pains[min(n, len(pains) - 1)]
        feedback = (
            (
                FeedbackIn(
                    region="shoulder",
                    side="right",
                    pressure="firm",
                    feedback="too_deep",
                    change="Eased to medium",
                ),
            )
            if n == 0
            else (FeedbackIn(region="shoulder", side="right", pressure="medium", feedback="ok"),)
        )
        content = NoteContent(
            subjective="Shoulder stiff reaching overhead." if n == 0 else "Reaching is easier this week.",
            nprs_before=before,
            objective="Scar adherent at the anterior shoulder; hypertonic upper trapezius.",
            assessment="Scar more mobile; reach improved.",
            nprs_after=max(0, before - 2),
            plan_next="Scar mobilisation and pectoral stretch.",
            home_care="Wall slides, twice a day.",
            work_lines=(
                WorkLineIn(
                    region="shoulder",
                    side="right",
                    minutes=33,
                    pressure="medium",
                    techniques=("myofascial_release",),
                    code="97140",
                ),
                WorkLineIn(
                    region="upper_back", minutes=17, pressure="medium", techniques=("swedish",), code="97124"
                ),
            ),
            feedback=feedback,
            marks=(
                MarkIn(kind="adhesion_scar", region="shoulder", side="right", view="front", x=60, y=84),
                MarkIn(kind="hypertonicity", region="neck", view="back", x=100, y=60),
            ),
        )
        note_save(actor=therapist_user, note=note, content=content)
        rom_record(
            actor=therapist_user,
            patient=patient,
            motion="shoulder_flexion",
            side="right",
            value=110 + 8 * n,
            appointment=appointment,
            taken_at=appointment.start,
            channel=Channel.TABLET,
        )
        if n in (0, 3):
            response_record(
                actor=patient_user,
                patient=patient,
                instrument_key="psfs",
                answers={
                    "Reaching a high shelf": 3 + n,
                    "Sleeping on the right side": 2 + n,
                    "Carrying shopping": 4 + n,
                },
                appointment=appointment,
                channel=Channel.PORTAL,
            )
        note_sign(actor=therapist_user, note=note)
