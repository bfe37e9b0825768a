"""Progress pages (per measure: chart, baseline, latest, change, MCID with source, responder, trend),
the questionnaires a patient fills (portal or the clinic's tablet), and consents signed the same ways."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from kneadwell.accounts.models import CARE_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.charting.consent_texts import CURRENT
from kneadwell.charting.models import Consent, SignedVia
from kneadwell.charting.services import consent_sign, consent_withdraw
from kneadwell.lib.errors import DomainError
from kneadwell.outcomes.instruments import instrument
from kneadwell.outcomes.models import Channel
from kneadwell.outcomes.selectors import offered_instruments, patient_progress, questionnaires_due
from kneadwell.outcomes.services import response_record
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.planning.consents import CONSENT_KINDS
from kneadwell.referrals.models import Referral
from kneadwell.web.base import AuthenticatedRequest, role_required

PSFS_SLOTS = 5


def _audit(
    request: AuthenticatedRequest, action: AuditAction, object_type: str, patient: Patient, obj: Any = None
) -> None:
    audit_record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", "") if obj is not None else patient.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
    )


def _own_patient(request: AuthenticatedRequest) -> Patient:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404("No patient record is linked to this login.")
    return patient


def _progress_context(request: AuthenticatedRequest, patient: Patient, *, staff: bool) -> dict[str, Any]:
    progress = patient_progress(patient)
    referrals = list(Referral.objects.filter(patient=patient).select_related("provider")) if staff else []
    return {
        "patient": patient,
        "progress": progress,
        "staff": staff,
        "referrals": referrals,
        "due": questionnaires_due(patient),
        "due_names": {k: instrument(k).name for k in offered_instruments()},
    }


@role_required(*CARE_ROLES)
def patient_progress_page(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    _audit(request, AuditAction.READ, "progress", patient)
    return render(request, "outcomes/progress.html", _progress_context(request, patient, staff=True))


@role_required(Role.PATIENT)
def my_progress(request: AuthenticatedRequest) -> HttpResponse:
    patient = _own_patient(request)
    _audit(request, AuditAction.READ, "progress", patient)
    return render(request, "outcomes/progress.html", _progress_context(request, patient, staff=False))


# --- Questionnaires ---------------------------------------------------------------------------------


def _questionnaire(
    request: AuthenticatedRequest, patient: Patient, key: str, *, channel: str, back: str
) -> HttpResponse:
    text = offered_instruments().get(key)
    if text is None:
        raise Http404("This questionnaire is not offered.")
    inst = instrument(key)
    errors: dict[str, str] = {}
    answers: dict[str, int | None] = {}
    names: list[str] = []
    if request.method == "POST":
        if inst.patient_named:
            for i in range(PSFS_SLOTS):
                name = request.POST.get(f"activity-{i}", "").strip()[:80]
                names.append(name)
                raw = request.POST.get(f"score-{i}", "")
                if name:
                    answers[name] = int(raw) if raw.isdigit() else None
        else:
            for item in text.items:
                raw = request.POST.get(item.key, "")
                answers[item.key] = int(raw) if raw.lstrip("-").isdigit() else None
        due = {d.instrument: d.reason.value for d in questionnaires_due(patient)}
        try:
            response = response_record(
                actor=request.user,
                patient=patient,
                instrument_key=key,
                answers=answers,
                channel=channel,
                due_reason=due.get(key, ""),
            )
        except DomainError as exc:
            errors[exc.field or "answers"] = exc.message
        else:
            _audit(request, AuditAction.CREATE, "questionnaire_response", patient, response)
            messages.success(request, f"Thank you: {text.title} is saved.")
            return redirect(back)
    return render(
        request,
        "outcomes/questionnaire.html",
        {
            "patient": patient,
            "text": text,
            "inst": inst,
            "errors": errors,
            "answers": answers,
            "slots": [
                (i, names[i] if i < len(names) else "", answers.get(names[i]) if i < len(names) else None)
                for i in range(PSFS_SLOTS)
            ],
            "tablet": channel == Channel.TABLET,
        },
        status=422 if errors else 200,
    )


@role_required(Role.PATIENT)
def my_questionnaire(request: AuthenticatedRequest, key: str) -> HttpResponse:
    return _questionnaire(request, _own_patient(request), key, channel=Channel.PORTAL, back="my-progress")


@role_required(*CARE_ROLES)
def tablet_questionnaire(request: AuthenticatedRequest, public_id: str, key: str) -> HttpResponse:
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    response = _questionnaire(request, patient, key, channel=Channel.TABLET, back="patient-progress")
    if response.status_code == 302:
        return redirect("patient-progress", patient.public_id)
    return response


# --- Consents ---------------------------------------------------------------------------------------


def _consents(request: AuthenticatedRequest, patient: Patient, *, via: str, here: str) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.POST.get("withdraw"):
                consent = get_in_scope_or_404(
                    Consent.objects.filter(patient=patient), request.POST["withdraw"], request=request
                )
                consent_withdraw(actor=request.user, consent=consent)
                _audit(request, AuditAction.UPDATE, "consent", patient, consent)
                messages.success(request, "Consent withdrawn.")
            else:
                consent = consent_sign(
                    actor=request.user,
                    patient=patient,
                    kind=request.POST.get("kind", ""),
                    signer_name=request.POST.get("signer_name", ""),
                    via=via,
                    version=request.POST.get("version") or None,
                )
                _audit(request, AuditAction.CREATE, "consent", patient, consent)
                messages.success(request, f"Signed: {CURRENT[consent.kind].title}.")
            return redirect(here) if here == "my-consents" else redirect(here, patient.public_id)
        except DomainError as exc:
            errors[request.POST.get("kind", "")] = exc.message
    given = {c.kind: c for c in Consent.objects.filter(patient=patient, withdrawn_at__isnull=True)}
    _audit(request, AuditAction.READ, "consent_list", patient)
    return render(
        request,
        "charting/consents.html",
        {
            "patient": patient,
            "texts": [CURRENT[k] for k in CONSENT_KINDS],
            "given": given,
            "errors": errors,
            "tablet": via == SignedVia.TABLET,
        },
        status=422 if errors else 200,
    )


@role_required(Role.PATIENT)
def my_consents(request: AuthenticatedRequest) -> HttpResponse:
    return _consents(request, _own_patient(request), via=SignedVia.PORTAL, here="my-consents")


@role_required(*CARE_ROLES)
def tablet_consents(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    return _consents(request, patient, via=SignedVia.TABLET, here="patient-consents")
