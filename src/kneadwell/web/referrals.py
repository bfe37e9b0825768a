"""Referral pages: the referrer's portal (patients, new referral, clearances) and the front desk's inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.selectors import clinic_today
from kneadwell.lib.clock import now
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.paging import capped_count, page_window
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.patients.services import DuplicatePatient, patient_create
from kneadwell.referrals.models import (
    Clearance,
    ClearanceScope,
    ClearanceStatus,
    Referral,
    ReferralChannel,
    ReferralStatus,
    ReferringProvider,
)
from kneadwell.referrals.selectors import clearance_scope, referral_scope
from kneadwell.referrals.services import (
    clearance_decide,
    clearance_grant,
    referral_ask_more,
    referral_create,
    referral_set_status,
    referral_version,
)
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.web.base import AuthenticatedRequest, role_required
from kneadwell.web.bodymap import body_map_context
from kneadwell.web.intake_forms import read_date
from kneadwell.web.presenters import (
    area_label,
    area_select_choices,
    area_words,
    condition_choices,
    diagnosis_rows,
)
from kneadwell.web.presenters import (
    clearance_words as scope_words,
)
from kneadwell.web.referral_forms import (
    DIAGNOSIS_ROWS,
    SERVICE_FIELDS,
    ReferralInput,
    read_clearance,
    read_referral,
)

PAGE_SIZE = 25
# The inbox's section sizes are counted up to this ("99+ new").
INBOX_COUNT_CAP = 99
NEW_PATIENT_FIELDS = ("given_name", "family_name", "birth_date", "phone", "email")


def _audit(
    request: AuthenticatedRequest, action: str, object_type: str, obj: Any, patients: list[Any], view: str
) -> None:
    ids = list(dict.fromkeys(str(p) for p in patients))
    if not ids:
        return
    audit_record(
        actor=request.user,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", obj or ""),
        patient_ids=ids,
        channel="web",
        request=request,
        detail={"view": view},
    )


def clearance_words(c: Clearance) -> str:
    where = f" at the {area_label(c.region, c.side or None, patient=True).lower()}" if c.region else ""
    return f"{scope_words(c.scope, c.flag)}{where}"


@role_required(Role.REFERRER)
def referrer_home(request: AuthenticatedRequest) -> HttpResponse:
    return _referrer_home_page(request)


def _referrer_home_page(request: AuthenticatedRequest, *, status: int = 200) -> HttpResponse:
    provider = ReferringProvider.objects.filter(user=request.user).first()
    current = now()
    visits = (
        Appointment.objects.filter(patient=OuterRef("patient"), status=AppointmentStatus.COMPLETED)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    upcoming = Appointment.objects.filter(
        Q(status=AppointmentStatus.BOOKED) | Q(status=AppointmentStatus.CHECKED_IN), end__gte=current
    ).select_related("location")
    # A page at a time, newest first, never counted: with the provider named (their own, the scope's
    # provider__user), the (provider, received_on, id) index serves the order and the page is a range.
    mine = referral_scope(request.user)
    page = page_window(
        (mine.filter(provider=provider) if provider is not None else mine.none())
        .annotate(visits_attended=Subquery(visits))
        .prefetch_related(
            Prefetch("patient__appointments", queryset=upcoming.order_by("start"), to_attr="upcoming")
        )
        .order_by("-received_on", "-id"),
        PAGE_SIZE,
        request.GET.get("page"),
    )
    referrals: list[Referral] = list(page.object_list)
    waiting = list(
        clearance_scope(request.user).filter(status=ClearanceStatus.REQUESTED).order_by("created_at")
    )
    patient_ids = sorted(
        {str(r.patient.public_id) for r in referrals} | {str(c.patient.public_id) for c in waiting}
    )
    _audit(request, AuditAction.READ, "referral", "", patient_ids, "referrer-home")
    context = {
        "provider": provider,
        "rows": [
            # visits_attended and upcoming are the annotation and the Prefetch(to_attr) above.
            _referral_row(r, visits=r.visits_attended or 0, next_visit=next(iter(r.patient.upcoming), None))  # type: ignore[attr-defined]  # `upcoming` is a Prefetch to_attr set by the selector
            for r in referrals
        ],
        "waiting": [{"clearance": c, "words": clearance_words(c)} for c in waiting],
        "today": clinic_today(),
        "page": page,
    }
    return render(request, "referrals/referrer_home.html", context, status=status)


def _referral_row(referral: Referral, *, visits: int, next_visit: Appointment | None) -> dict[str, Any]:
    """One row of the referrer's table; visits beyond the sessions requested are flagged, not hidden."""
    requested = referral.requested_sessions
    return {
        "referral": referral,
        "visits": visits,
        "next": next_visit,
        "over_request": bool(requested) and visits > (requested or 0),
    }


def _referral_form_context(
    request: AuthenticatedRequest, data: Any, parsed: ReferralInput | None, errors: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "data": data,
        "errors": errors,
        "dx_rows": [
            {
                "prefix": f"dx{i}_",
                "n": i + 1,
                **{name: data.get(f"dx{i}_{name}", "") for name in ("condition", "icd10", "side", "onset")},
                "errors": {
                    name: errors.get(f"dx{i}_{name}", []) for name in ("condition", "icd10", "side", "onset")
                },
            }
            for i in range(DIAGNOSIS_ROWS)
        ],
        "conditions": condition_choices(),
        "sides": [("", "—"), ("right", "Right"), ("left", "Left"), ("bilateral", "Both sides")],
        "scope_choices": ClearanceScope.choices,
        "area_options": area_select_choices(),
        **body_map_context(parsed.area_tokens if parsed else list(data.getlist("area")), map_id="refmap"),
    }


def _new_patient(
    request: AuthenticatedRequest, data: Any, errors: dict[str, list[str]]
) -> dict[str, Any] | None:
    values = {name: (data.get(f"new_{name}") or "").strip()[:200] for name in NEW_PATIENT_FIELDS}
    for name in ("given_name", "family_name", "birth_date"):
        if not values[name]:
            errors.setdefault(f"new_{name}", []).append("Required.")
    birth = read_date(values["birth_date"], "new_birth_date", errors)
    if errors:
        return None
    return {**values, "birth_date": birth}


def _service_error(errors: dict[str, list[str]], exc: DomainError) -> None:
    errors.setdefault(SERVICE_FIELDS.get(exc.field or "", exc.field or "general"), []).append(exc.message)


def _save_referral(
    request: AuthenticatedRequest,
    *,
    patient: Patient | None,
    new_patient: dict[str, Any] | None,
    parsed: ReferralInput,
    errors: dict[str, list[str]],
    provider: ReferringProvider | None = None,
    channel: str = ReferralChannel.PORTAL,
    received_on: dt.date | None = None,
    confirm_new: bool = False,
) -> Referral | None:
    """Patient (when new), referral and any up-front clearance, all or nothing.

    A new patient matching one on file raises DuplicatePatient for the front desk (who then
    chooses); for a referrer the service holds the new record for the desk, and says nothing.
    """
    try:
        with transaction.atomic():
            if patient is None and new_patient is not None:
                try:
                    patient = patient_create(
                        actor=request.user, referred=True, confirm_new=confirm_new, **new_patient
                    )
                except ValidationError as exc:
                    for name, msgs in exc.message_dict.items():
                        errors.setdefault(f"new_{name}", []).extend(msgs)
                    raise DomainError("Check the patient's details.", field="patient") from exc
            assert patient is not None
            referral = referral_create(
                actor=request.user,
                patient=patient,
                provider=provider,
                channel=channel,
                received_on=received_on,
                reason=parsed.reason,
                diagnoses=parsed.diagnoses,
                areas=parsed.areas,
                requested_sessions=parsed.requested_sessions,
                requested_frequency_per_week=parsed.requested_frequency_per_week,
                precautions=parsed.precautions,
            )
            if parsed.clearance is not None:
                clearance_grant(
                    actor=request.user,
                    patient=patient,
                    provider=provider,
                    referral=referral,
                    scope=parsed.clearance.scope,
                    area=parsed.clearance.area,
                    expires_on=parsed.clearance.expires_on,
                    note=parsed.clearance.note,
                    flag=parsed.clearance.flag,
                )
    except DuplicatePatient:
        raise  # the front desk's choice to make (desk_referral_new)
    except DomainError as exc:
        if exc.field != "patient" or not errors:
            _service_error(errors, exc)
        return None
    return referral


@role_required(Role.REFERRER)
def referrer_referral_new(request: AuthenticatedRequest) -> HttpResponse:
    provider = ReferringProvider.objects.filter(user=request.user).first()
    own_patients = list(patient_scope(request.user).order_by("family_name", "given_name"))
    if request.method != "POST":
        context = _referral_form_context(request, request.GET, None, {})
        return render(
            request,
            "referrals/referral_form.html",
            {**context, "portal": True, "provider": provider, "own_patients": own_patients},
        )
    parsed = read_referral(request.POST)
    errors = parsed.errors
    choice = request.POST.get("patient", "new")
    patient = None
    new_patient = None
    if choice != "new":
        patient = get_in_scope_or_404(patient_scope(request.user), choice, request=request)
    else:
        new_patient = _new_patient(request, request.POST, errors)
    referral = (
        None
        if errors
        else _save_referral(request, patient=patient, new_patient=new_patient, parsed=parsed, errors=errors)
    )
    if referral is None:
        context = _referral_form_context(request, request.POST, parsed, errors)
        return render(
            request,
            "referrals/referral_form.html",
            {**context, "portal": True, "provider": provider, "own_patients": own_patients},
            status=422,
        )
    _audit(
        request,
        AuditAction.CREATE,
        "referral",
        referral,
        [referral.patient.public_id],
        "referrer-referral-new",
    )
    messages.success(
        request, f"Referral for {referral.patient.full_name} sent. The clinic will contact the patient."
    )
    return redirect("referrer-home")


@role_required(Role.REFERRER)
def clearance_decide_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    clearance = get_in_scope_or_404(clearance_scope(request.user), public_id, request=request)
    if request.method != "POST":
        return redirect("referrer-home")
    decision = request.POST.get("decision", "")
    errors: dict[str, list[str]] = {}
    expires = read_date(request.POST.get("expires_on", ""), "expires_on", errors)
    if decision not in ("grant", "decline"):
        errors.setdefault("decision", []).append("Choose Grant or Decline.")
    if not errors:
        try:
            clearance_decide(
                actor=request.user,
                clearance=clearance,
                grant=decision == "grant",
                expires_on=expires,
                note=request.POST.get("note", "")[:2000],
            )
        except Conflict as exc:
            # Decided meanwhile (another tab, a double click): say what stands, as a 409.
            messages.error(
                request, f"{clearance_words(clearance)} for {clearance.patient.full_name}: {exc.message}"
            )
            return _referrer_home_page(request, status=409)
        except DomainError as exc:
            errors.setdefault(exc.field or "general", []).append(exc.message)
    if errors:
        messages.error(request, " ".join(m for msgs in errors.values() for m in msgs))
        return redirect("referrer-home")
    _audit(
        request, AuditAction.UPDATE, "clearance", clearance, [clearance.patient.public_id], "clearance-decide"
    )
    verb = "granted" if decision == "grant" else "declined"
    messages.success(request, f"{clearance_words(clearance)} for {clearance.patient.full_name}: {verb}.")
    return redirect("referrer-home")


@role_required(Role.REFERRER)
def referrer_clearance_grant(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    referrals = list(referral_scope(request.user).filter(patient=patient).order_by("-received_on"))
    context: dict[str, Any] = {
        "patient": patient,
        "scope_choices": ClearanceScope.choices,
        "area_options": area_select_choices(),
        "data": request.POST if request.method == "POST" else request.GET,
        "errors": {},
    }
    if request.method != "POST":
        _audit(request, AuditAction.READ, "patient", patient, [patient.public_id], "referrer-clearance")
        return render(request, "referrals/clearance_form.html", context)
    errors: dict[str, list[str]] = {}
    parsed = read_clearance(request.POST, errors, required=True)
    if parsed is not None and not errors:
        try:
            clearance = clearance_grant(
                actor=request.user,
                patient=patient,
                referral=referrals[0] if referrals else None,
                scope=parsed.scope,
                area=parsed.area,
                expires_on=parsed.expires_on,
                note=parsed.note,
                document=request.FILES.get("document"),
                flag=parsed.flag,
            )
        except DomainError as exc:
            _service_error(errors, exc)
        else:
            _audit(
                request, AuditAction.CREATE, "clearance", clearance, [patient.public_id], "referrer-clearance"
            )
            messages.success(
                request, f"Clearance recorded: {clearance_words(clearance)} for {patient.full_name}."
            )
            return redirect("referrer-home")
    context["errors"] = errors
    return render(request, "referrals/clearance_form.html", context, status=422)


def _inbox_context(request: AuthenticatedRequest, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    # Each section a page at a time, oldest first, on the (status, received_on, id) index; the
    # sections' sizes are counted up to a cap ("99+"), so a long inbox costs what a short one does.
    inbox = referral_scope(request.user).select_related("patient__suspected_duplicate_of")
    new = inbox.filter(status=ReferralStatus.RECEIVED).order_by("received_on", "id")
    triaged = inbox.filter(status=ReferralStatus.TRIAGED).order_by("received_on", "id")
    new_page = page_window(new, PAGE_SIZE, request.GET.get("new"))
    triaged_page = page_window(triaged, PAGE_SIZE, request.GET.get("triaged"))
    rows = [*new_page.object_list, *triaged_page.object_list]
    # A referrer's new patient held as a possible duplicate names the record on file it may repeat.
    on_file = [r.patient.suspected_duplicate_of for r in rows if r.patient.suspected_duplicate_of]
    shown = [r.patient.public_id for r in rows] + [p.public_id for p in on_file]
    _audit(request, AuditAction.READ, "referral", "", shown, "referral-inbox")

    def item(r: Referral) -> dict[str, Any]:
        return {
            "referral": r,
            "diagnoses": diagnosis_rows(r),
            "areas": area_words(r.areas),
            # Sent back with the decision: it stands only if no one changed the referral since.
            "version": referral_version(r),
            "duplicate_of": r.patient.suspected_duplicate_of,
        }

    return {
        "new_items": [item(r) for r in rows if r.status == ReferralStatus.RECEIVED],
        "triaged_items": [item(r) for r in rows if r.status == ReferralStatus.TRIAGED],
        "triage_errors": errors or {},
        "new_page": new_page,
        "triaged_page": triaged_page,
        "new_count": capped_count(new, INBOX_COUNT_CAP),
        "triaged_count": capped_count(triaged, INBOX_COUNT_CAP),
        "count_cap": INBOX_COUNT_CAP,
    }


@role_required(*STAFF_ROLES)
def referral_inbox(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "referrals/inbox.html", _inbox_context(request))


@role_required(*STAFF_ROLES)
def referral_triage(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    referral = get_in_scope_or_404(referral_scope(request.user), public_id, request=request)
    if request.method != "POST":
        return redirect("referral-inbox")
    action = request.POST.get("action", "")
    note = request.POST.get("note", "").strip()[:500]
    seen = request.POST.get("seen") or None
    try:
        if action == "accept":
            referral_set_status(
                actor=request.user,
                referral=referral,
                status=ReferralStatus.TRIAGED,
                note=note,
                seen_version=seen,
            )
        elif action == "decline":
            referral_set_status(
                actor=request.user,
                referral=referral,
                status=ReferralStatus.DECLINED,
                note=note,
                seen_version=seen,
            )
        elif action == "ask":
            referral_ask_more(actor=request.user, referral=referral, note=note, seen_version=seen)
        else:
            raise DomainError("Choose accept, ask for more, or decline.", field="action")
    except DomainError as exc:
        if isinstance(exc, Conflict):
            # A colleague decided first: the referral may have left the inbox, so say it at the top.
            messages.error(request, f"Referral for {referral.patient.full_name}: {exc.message}")
        errors = {
            str(referral.public_id): {
                "field": exc.field or "note",
                "message": exc.message,
                "note": note,
                "action": action,
            }
        }
        return render(
            request, "referrals/inbox.html", _inbox_context(request, errors), status=exc.status_code
        )
    _audit(
        request, AuditAction.UPDATE, "referral", referral, [referral.patient.public_id], f"referral-{action}"
    )
    if action == "accept":
        messages.success(request, f"Referral accepted. Call {referral.patient.full_name} to take the intake.")
        query = urlencode({"patient": str(referral.patient.public_id), "referral": str(referral.public_id)})
        return redirect(f"{reverse('desk-call')}?{query}")
    if action == "decline":
        messages.success(request, f"Referral for {referral.patient.full_name} declined.")
    else:
        messages.success(request, f"Noted what to ask {referral.provider.name}.")
    return redirect("referral-inbox")


@role_required(*STAFF_ROLES)
def desk_referral_new(request: AuthenticatedRequest) -> HttpResponse:
    """A referral received by fax or phone, entered by the front desk for a patient on file or a new one.

    A new patient who matches one on file is offered as that record ("use_patient"), or
    registered once the desk confirms this is someone else ("confirm_new").
    """
    providers = list(ReferringProvider.objects.order_by("name"))
    data = request.POST if request.method == "POST" else request.GET
    query = (data.get("q") or "").strip()[:100]
    results: list[Patient] = []
    if query:
        cond = Q()
        for term in query.split()[:4]:
            cond &= Q(given_name__icontains=term) | Q(family_name__icontains=term)
        results = list(patient_scope(request.user).filter(cond).order_by("family_name", "given_name")[:20])
    choice = (data.get("use_patient") or data.get("patient") or "").strip()
    chosen = None
    if choice and choice != "new":
        chosen = get_in_scope_or_404(patient_scope(request.user), choice, request=request)
        if chosen not in results:
            results.insert(0, chosen)
    if results:
        _audit(request, AuditAction.READ, "patient", "", [p.public_id for p in results], "desk-referral-new")
    extra: dict[str, Any] = {
        "desk": True,
        "providers": providers,
        "query": query,
        "results": results,
        "choice": "new" if choice == "new" and chosen is None else (str(chosen.public_id) if chosen else ""),
        "channels": [(ReferralChannel.FAX, "Fax"), (ReferralChannel.PHONE, "Phone")],
    }
    answered = "use_patient" in request.POST or "confirm_new" in request.POST
    if request.method != "POST" or (request.POST.get("action") == "find" and not answered):
        context = _referral_form_context(request, data, None, {})
        return render(request, "referrals/referral_form.html", {**context, **extra})
    parsed = read_referral(request.POST)
    errors = parsed.errors
    provider = next((p for p in providers if str(p.public_id) == request.POST.get("provider")), None)
    if provider is None:
        errors.setdefault("provider", []).append("Choose the referring provider.")
    new_patient = None
    if chosen is None and choice == "new":
        new_patient = _new_patient(request, request.POST, errors)
    elif chosen is None:
        errors.setdefault("patient", []).append("Find and choose the patient, or enter a new one.")
    received_on = read_date(request.POST.get("received_on", ""), "received_on", errors)
    channel = request.POST.get("channel", ReferralChannel.FAX)
    if channel not in (ReferralChannel.FAX, ReferralChannel.PHONE):
        errors.setdefault("channel", []).append("Choose fax or phone.")
    referral = None
    if not errors:
        try:
            referral = _save_referral(
                request,
                patient=chosen,
                new_patient=new_patient,
                parsed=parsed,
                errors=errors,
                provider=provider,
                channel=channel,
                received_on=received_on,
                confirm_new=bool(request.POST.get("confirm_new")),
            )
        except DuplicatePatient as exc:
            # "This looks like <name>, born …: use this record?" (the desk sees every patient anyway).
            _audit(
                request,
                AuditAction.READ,
                "patient",
                "",
                [p.public_id for p in exc.matches],
                "desk-referral-new",
            )
            context = _referral_form_context(request, request.POST, parsed, errors)
            return render(
                request,
                "referrals/referral_form.html",
                {**context, **extra, "duplicates": exc.matches},
                status=409,
            )
    if referral is None:
        context = _referral_form_context(request, request.POST, parsed, errors)
        return render(request, "referrals/referral_form.html", {**context, **extra}, status=422)
    _audit(
        request, AuditAction.CREATE, "referral", referral, [referral.patient.public_id], "desk-referral-new"
    )
    messages.success(
        request, f"Referral for {referral.patient.full_name} from {referral.provider.name} recorded."
    )
    return redirect("referral-inbox")


@login_required
def clearance_document(request: AuthenticatedRequest, public_id: str) -> FileResponse:
    """The clearance letter, to those who may see the clearance; never a public media URL."""
    clearance = get_in_scope_or_404(
        clearance_scope(request.user).exclude(document=""), public_id, request=request
    )
    _audit(
        request, AuditAction.READ, "clearance_document", clearance, [clearance.patient.public_id], "document"
    )
    response = FileResponse(clearance.document.open("rb"), as_attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response
