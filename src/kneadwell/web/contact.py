"""How a patient wants to hear from the clinic: their own page in the portal, and the form on the
patient page for clinic staff (who take the answer over the phone)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kneadwell.accounts.models import STAFF_ROLES, AuditAction, Role
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.lib.clock import now
from kneadwell.lib.errors import DomainError
from kneadwell.notifications.models import ContactPreference
from kneadwell.notifications.selectors import active_feeds, contact_preference, patient_messages
from kneadwell.notifications.services import contact_preferences_update
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.web.base import AuthenticatedRequest, role_required


@dataclass
class PreferenceForm:
    email_enabled: bool
    sms_enabled: bool
    sms_number: str
    reminders_enabled: bool
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_saved(cls, preference: ContactPreference, patient: Patient) -> PreferenceForm:
        # A patient who has never chosen sees the phone number on file offered for texts.
        number = preference.sms_number or (patient.phone if preference.pk is None else "")
        return cls(
            email_enabled=preference.email_enabled,
            sms_enabled=preference.sms_enabled,
            sms_number=number,
            reminders_enabled=preference.reminders_enabled,
        )

    @classmethod
    def from_post(cls, data: QueryDict) -> PreferenceForm:
        # Unticked checkboxes are absent from the post: absent means off.
        return cls(
            email_enabled=data.get("email_enabled") == "on",
            sms_enabled=data.get("sms_enabled") == "on",
            sms_number=data.get("sms_number", "").strip()[:30],
            reminders_enabled=data.get("reminders_enabled") == "on",
        )


def _save(request: AuthenticatedRequest, patient: Patient, form: PreferenceForm) -> bool:
    try:
        contact_preferences_update(
            actor=request.user,
            patient=patient,
            email_enabled=form.email_enabled,
            sms_enabled=form.sms_enabled,
            sms_number=form.sms_number,
            reminders_enabled=form.reminders_enabled,
            request=request,
        )
    except DomainError as exc:
        form.errors.setdefault(exc.field or "__all__", []).append(exc.message)
        return False
    return True


@role_required(Role.PATIENT)
def patient_contact(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own message choices (portal)."""
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404("Your login is not linked to a patient record.")
    if request.method == "POST":
        form = PreferenceForm.from_post(request.POST)
        if _save(request, patient, form):
            messages.success(request, "Saved. We will contact you the way you chose.")
            return redirect("patient-contact")
        status = 422
    else:
        form = PreferenceForm.from_saved(contact_preference(patient), patient)
        status = 200
    return render(request, "notifications/contact.html", {"patient": patient, "form": form}, status=status)


@role_required(*STAFF_ROLES)
def patient_messages_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The patient page's messages panel (htmx), or a page of its own: message choices, the messages
    sent with their status, calendar files for the coming visits, and calendar feeds."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    audit_record(
        actor=request.user,
        action=AuditAction.READ,
        object_type="message",
        object_id=patient.public_id,
        patient_ids=[patient.public_id],
        channel="web",
        request=request,
        detail={"view": "patient-messages"},
    )
    upcoming = list(
        Appointment.objects.filter(
            patient=patient,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
            end__gte=now(),
        )
        .select_related("location")
        .order_by("start")[:5]
    )
    context = {
        "patient": patient,
        "preference": contact_preference(patient),
        "messages_sent": patient_messages(patient),
        "feeds": active_feeds(patient=patient),
        "upcoming": upcoming,
    }
    template = "notifications/patient_messages.html"
    return render(request, f"{template}#panel" if getattr(request, "htmx", False) else template, context)


@require_POST
@role_required(*STAFF_ROLES)
def staff_patient_contact(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """The front desk records the patient's message choices (the form on the patient page)."""
    patient = get_in_scope_or_404(patient_scope(request.user), public_id, request=request)
    form = PreferenceForm.from_post(request.POST)
    if _save(request, patient, form):
        messages.success(request, f"Message choices saved for {patient.full_name}.")
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("patient-detail", patient.public_id)
