"""The front desk and messages: the delivery log, and the actions on a message that did not go out."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kneadwell.accounts.models import STAFF_ROLES, AuditAction
from kneadwell.accounts.scoping import parse_public_id
from kneadwell.accounts.services import audit_record
from kneadwell.lib.errors import DomainError
from kneadwell.notifications.models import Message, MessageStatus
from kneadwell.notifications.selectors import failed_messages, late_message_count, message_log
from kneadwell.notifications.services import message_mark_handled, message_retry
from kneadwell.web.base import AuthenticatedRequest, role_required


def failed_panel_context(request: AuthenticatedRequest) -> dict[str, object]:
    """The Today page's "Messages that did not go out": failed, unhandled messages, and how many are
    late (a sign the worker is not running). Whose names it shows goes into the audit trail."""
    failed = failed_messages()
    if failed:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="message",
            patient_ids=sorted({str(m.patient.public_id) for m in failed}),
            channel="web",
            request=request,
            detail={"view": "desk-today-messages"},
        )
    return {"failed_messages": failed, "late_message_count": late_message_count()}


def _message(public_id: str) -> Message:
    parsed = parse_public_id(public_id)
    message = (
        Message.objects.select_related("patient").filter(public_id=parsed).first()
        if parsed is not None
        else None
    )
    if message is None:
        raise Http404("No such message.")
    return message


def _back(request: AuthenticatedRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("desk-today")


@require_POST
@role_required(*STAFF_ROLES)
def message_retry_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    message = _message(public_id)
    try:
        message_retry(actor=request.user, message=message, request=request)
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, f"The message to {message.patient.full_name} is being sent again.")
    return _back(request)


@require_POST
@role_required(*STAFF_ROLES)
def message_handled_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    message = _message(public_id)
    try:
        message_mark_handled(
            actor=request.user, message=message, note=request.POST.get("note", ""), request=request
        )
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, f"Marked as handled: the message to {message.patient.full_name}.")
    return _back(request)


@role_required(*STAFF_ROLES)
def message_log_view(request: AuthenticatedRequest) -> HttpResponse:
    """The delivery log: each message, its status, and every attempt with the provider's answer."""
    status = request.GET.get("status", "")
    entries = message_log(status=status)
    patient_ids = sorted({str(m.patient.public_id) for m in entries})
    if patient_ids:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="message",
            patient_ids=patient_ids,
            channel="web",
            request=request,
            detail={"view": "message-log", "status": status},
        )
    context = {
        "entries": entries,
        "status": status if status in MessageStatus.values else "",
        "statuses": MessageStatus.choices,
        "late_count": late_message_count(),
    }
    return render(request, "notifications/message_log.html", context)
