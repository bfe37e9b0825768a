"""Progress reports to the referrer and discharge summaries: content, storage, delivery, PDF.

A report is built from the signed notes and the measurements (never from drafts), frozen as sent
(`ProgressReport.content`), and every delivery is recorded: sent to the referrer's portal, opened,
downloaded, fetched through the API. The same content renders as the page, the PDF and the API's JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from django.db import transaction

from kneadwell.accounts.models import User
from kneadwell.charting.models import Note, RecordsSettings
from kneadwell.charting.pdf import render_pdf
from kneadwell.charting.selectors import signed_versions_of
from kneadwell.clinic.selectors import local_day_of
from kneadwell.knowledge import catalogue
from kneadwell.knowledge import types as ktypes
from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.referrals.models import Referral, ReferralStatus

from .models import DeliveryEvent, ProgressReport, ReportDelivery, ReportKind
from .selectors import MeasureProgress, patient_progress

OPEN_REFERRALS = (
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.SCHEDULED,
    ReferralStatus.IN_CARE,
)


def _num(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _measure(mp: MeasureProgress) -> dict[str, Any]:
    change = mp.change
    mcid = change.mcid if change else None
    return {
        "key": mp.key,
        "name": mp.name,
        "scale": mp.scale,
        "direction": "higher_is_better" if mp.higher_is_better else "higher_is_worse",
        "visits_measured": len(mp.points),
        "baseline": _num(mp.baseline),
        "latest": _num(mp.latest),
        "difference": _num(change.difference) if change else None,
        "improvement": _num(mp.improvement),
        "mcid": mcid.label if mcid else None,
        "mcid_sources": list(mcid.threshold.sources) if mcid else [],
        "mcid_reached": change.mcid_reached if change else None,
        "responder": change.responder if change else None,
        "not_improving": mp.not_improving,
        "trend": mp.check.reason if mp.check else "",
        "note": mp.note,
        "reference": mp.reference,
        "chart_svg": mp.chart_svg,
    }


def report_content(referral: Referral, *, kind: ReportKind | str) -> dict[str, Any]:
    """What a report on `referral` says now, from signed notes and measurements only."""
    patient = referral.patient
    versions = [
        v
        for v in signed_versions_of(Note.objects.filter(patient=patient)).select_related(
            "note__appointment__location", "note__therapist"
        )
        if local_day_of(v.note.appointment.start, v.note.appointment.location) >= referral.received_on
    ]
    techniques: Counter[str] = Counter()
    regions: Counter[tuple[str, str]] = Counter()
    precautions: dict[str, dict[str, Any]] = {}
    safety: list[dict[str, str]] = []
    for v in versions:
        for line in v.work_lines.all():
            regions[(line.region, line.side)] += line.minutes
            for t in line.techniques:
                techniques[t] += line.minutes
        for finding in (v.plan_snapshot or {}).get("precautions", []):
            entry = precautions.setdefault(
                finding["code"], {"code": finding["code"], "message": finding["message_staff"], "visits": 0}
            )
            entry["visits"] += 1
        if v.safety_statement.strip():
            day = local_day_of(v.note.appointment.start, v.note.appointment.location)
            safety.append({"date": day.isoformat(), "statement": v.safety_statement})
    cat_t, cat_r = catalogue.techniques(), catalogue.regions()
    progress = patient_progress(patient)
    latest = versions[-1] if versions else None
    therapist = latest.note.therapist if latest else None
    licence = None
    if latest is not None and therapist is not None:
        appointment = latest.note.appointment
        lic = therapist.valid_licence(
            appointment.location.jurisdiction, local_day_of(appointment.start, appointment.location)
        )
        licence = f"{lic.title} {lic.jurisdiction} {lic.number}" if lic else None
    dates = [
        local_day_of(v.note.appointment.start, v.note.appointment.location).isoformat() for v in versions
    ]
    return {
        "kind": str(kind),
        "kind_label": ReportKind(kind).label,
        "patient": {"name": patient.full_name, "birth_date": patient.birth_date.isoformat()},
        "referral": {
            "id": str(referral.public_id),
            "received_on": referral.received_on.isoformat(),
            "question": referral.reason,
            "provider": referral.provider.name,
            "npi": referral.provider.npi or None,
            "diagnoses": [
                {"condition": d.get("condition"), "icd10": d.get("icd10")} for d in (referral.diagnoses or [])
            ],
            "requested_sessions": referral.requested_sessions,
            "precautions": referral.precautions,
        },
        "visits": len(versions),
        "first_visit": dates[0] if dates else None,
        "last_visit": dates[-1] if dates else None,
        "techniques": [
            {"key": k, "name": cat_t[k].name if k in cat_t else k, "minutes": m}
            for k, m in techniques.most_common()
        ],
        "regions": [
            {
                "region": r,
                "side": s or None,
                "name": (f"{s} " if s else "") + (cat_r[r].name if r in cat_r else r),
                "minutes": m,
            }
            for (r, s), m in regions.most_common()
        ],
        "measures": [_measure(m) for m in progress.measures],
        "not_improving_after_visits": progress.after_visits,
        "precautions": list(precautions.values()),
        "safety_statements": safety,
        "assessment": latest.assessment if latest else "",
        "plan": latest.plan_next if latest else "",
        "home_care": latest.home_care if latest else "",
        "therapist": therapist.full_name if therapist else None,
        "therapist_licence": licence,
    }


def _hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def report_create(
    *,
    actor: User | None,
    referral: Referral,
    kind: ReportKind | str = ReportKind.ON_DEMAND,
    send: bool = True,
) -> ProgressReport:
    """Store the report as it reads now and (by default) send it to the referrer's portal.

    Asking again with nothing new returns the report already sent (no duplicate in the referrer's list).
    """
    content = report_content(referral, kind=kind)
    digest = _hash(content)
    existing = ProgressReport.objects.filter(referral=referral, kind=kind, content_hash=digest).first()
    if existing is not None:
        return existing
    report = ProgressReport.objects.create(
        referral=referral,
        patient=referral.patient,
        kind=kind,
        content=content,
        content_hash=digest,
        visits=content["visits"],
        created_by=actor,
    )
    if send:
        deliver(report, event=DeliveryEvent.SENT, by=actor)
    return report


def deliver(report: ProgressReport, *, event: DeliveryEvent | str, by: User | None) -> ReportDelivery:
    return ReportDelivery.objects.create(
        report=report, event=event, provider=report.referral.provider, by=by, at=now()
    )


def report_pdf(report: ProgressReport) -> bytes:
    return render_pdf("outcomes/report_pdf.html", {"report": report, "c": report.content})


def report_if_due(*, patient: Patient, actor: User | None) -> list[ProgressReport]:
    """After a signed visit: a progress report every N visits of each open referral, and a discharge
    summary once the plan of care's planned visits are all signed."""
    every = RecordsSettings.current().report_every_visits
    made: list[ProgressReport] = []
    for referral in Referral.objects.filter(patient=patient, status__in=OPEN_REFERRALS).select_related(
        "provider"
    ):
        content_visits = report_content_visits(referral)
        if content_visits == 0:
            continue
        plan = CarePlan.objects.filter(referral=referral, status=CarePlanStatus.ACTIVE).first()
        if (
            plan is not None
            and content_visits >= plan.planned_sessions
            and not ProgressReport.objects.filter(referral=referral, kind=ReportKind.DISCHARGE).exists()
        ):
            made.append(report_create(actor=actor, referral=referral, kind=ReportKind.DISCHARGE))
            continue
        last = (
            ProgressReport.objects.filter(referral=referral)
            .order_by("-visits")
            .values_list("visits", flat=True)
            .first()
        )
        if content_visits - (last or 0) >= every:
            made.append(report_create(actor=actor, referral=referral, kind=ReportKind.INTERIM))
    return made


def report_content_visits(referral: Referral) -> int:
    versions = signed_versions_of(Note.objects.filter(patient=referral.patient)).select_related(
        "note__appointment__location"
    )
    return sum(
        1
        for v in versions
        if local_day_of(v.note.appointment.start, v.note.appointment.location) >= referral.received_on
    )


def fmt(value: float | None) -> str:
    return ktypes.fmt_number(value) if value is not None else "—"
