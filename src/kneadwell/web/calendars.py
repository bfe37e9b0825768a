"""Calendars: the secret feed addresses (made, shown once, revoked) and each visit's `.ics` file."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404, parse_public_id
from kneadwell.accounts.services import audit_record
from kneadwell.lib.clock import now
from kneadwell.notifications import ics
from kneadwell.notifications.content import visit_instructions
from kneadwell.notifications.feeds import feed_calendar
from kneadwell.notifications.models import FeedToken
from kneadwell.notifications.services import (
    IssuedFeed,
    feed_token_create,
    feed_token_for_secret,
    feed_token_revoke,
)
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.scheduling.selectors import appointment_scope
from kneadwell.therapists.models import Therapist
from kneadwell.web.base import AuthenticatedRequest, role_required


def _ics_response(body: bytes, filename: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=ics.ICS_CONTENT_TYPE)
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # Patient data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """A feed, for calendar apps (no sign-in: the secret in the address is the key). Unknown, malformed
    and revoked secrets are all 404: nothing tells a guess that it came close."""
    token = feed_token_for_secret(secret)
    if token is None:
        raise Http404("No such calendar.")
    return _ics_response(feed_calendar(token, at=now()), "kneadwell.ics", download=False)


@role_required(*Role)
def appointment_calendar_file(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """One visit's `.ics` for whoever may see the appointment (the patient, their therapist, staff)."""
    appointment = get_in_scope_or_404(appointment_scope(request.user), public_id, request=request)
    instructions = visit_instructions(appointment) if request.user.role != Role.REFERRER else []
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="appointment",
        object_id=appointment.public_id,
        patient_ids=[appointment.patient.public_id],
        channel="web",
        request=request,
        detail={"view": "appointment-ics"},
    )
    body = ics.appointment_ics(appointment, instructions=instructions, stamp=now())
    return _ics_response(body, ics.ics_filename(appointment), download=True)


def feed_address(request: HttpRequest, secret: str) -> str:
    """The feed's full address: the clinic's public address when set, else the one this request used."""
    path = reverse("calendar-feed", args=[secret])
    base = getattr(settings, "KNEADWELL_PUBLIC_URL", "")
    return base + path if base else request.build_absolute_uri(path)


def _show_once(request: AuthenticatedRequest, issued: IssuedFeed, back: str) -> HttpResponse:
    address = feed_address(request, issued.secret)
    webcal = "webcal://" + address.split("://", 1)[-1]
    return render(
        request,
        "notifications/feed_created.html",
        {"token": issued.token, "address": address, "webcal": webcal, "back": back},
    )


@require_POST
@role_required(Role.THERAPIST)
def therapist_feed_create(request: AuthenticatedRequest) -> HttpResponse:
    therapist = Therapist.objects.filter(user=request.user).first()
    if therapist is None:
        raise Http404("Your login is not linked to a therapist.")
    issued = feed_token_create(actor=request.user, therapist=therapist, name="My day", request=request)
    return _show_once(request, issued, reverse("therapist-day"))


@require_POST
@role_required(Role.PATIENT)
def patient_own_feed_create(request: AuthenticatedRequest) -> HttpResponse:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404("Your login is not linked to a patient record.")
    issued = feed_token_create(actor=request.user, patient=patient, name="My visits", request=request)
    return _show_once(request, issued, reverse("patient-home"))


@require_POST
@role_required(*STAFF_ROLES)
def patient_feed_create(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    issued = feed_token_create(
        actor=request.user, patient=patient, name="Made by the clinic", request=request
    )
    return _show_once(request, issued, reverse("patient-detail", args=[patient.public_id]))


@require_POST
@role_required(Role.THERAPIST, Role.PATIENT, *STAFF_ROLES)
def feed_revoke(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Revoke a feed address. A feed the user may not manage answers 404, like one that does not exist."""
    parsed = parse_public_id(public_id)
    token = (
        FeedToken.objects.select_related("therapist", "patient").filter(public_id=parsed).first()
        if parsed is not None
        else None
    )
    if token is None:
        raise Http404("No such calendar feed.")
    try:
        feed_token_revoke(actor=request.user, token=token, request=request)
    except PermissionDenied:
        raise Http404("No such calendar feed.") from None
    if request.user.role == Role.THERAPIST:
        return redirect("therapist-day")
    if request.user.role == Role.PATIENT:
        return redirect("patient-home")
    if token.patient is not None:
        return redirect("patient-detail", token.patient.public_id)
    return redirect("home")
