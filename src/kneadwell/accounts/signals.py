"""Sign-in, sign-out and second-factor events, recorded in the audit trail (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .audit import audit_record
from .models import AuditAction

# Set on a request whose logout is a session expiry, already audited as such.
QUIET_LOGOUT = "_kneadwell_quiet_logout"


def _methods(request: HttpRequest | None) -> list[str]:
    session = getattr(request, "session", None)
    recorded = session.get("account_authentication_methods", []) if session is not None else []
    return [str(m.get("method", "")) for m in recorded if isinstance(m, dict)]


def on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """allauth's user_logged_in: a complete sign-in (after the second factor, if any)."""
    audit_record(
        actor=user,
        action=AuditAction.LOGIN,
        object_type="session",
        channel="web",
        request=request,
        detail={"methods": _methods(request)},
    )


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None or (request is not None and getattr(request, QUIET_LOGOUT, False)):
        return
    audit_record(actor=user, action=AuditAction.LOGOUT, object_type="session", channel="web", request=request)


def _authenticator_event(action: AuditAction) -> Any:
    def receiver(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
        authenticator = kwargs.get("authenticator")
        detail: dict[str, Any] = {"type": getattr(authenticator, "type", "")}
        if "reauthentication" in kwargs:
            detail["reauthentication"] = bool(kwargs["reauthentication"])
        audit_record(
            actor=user,
            action=action,
            object_type="authenticator",
            object_id=getattr(authenticator, "pk", "") or "",
            channel="web",
            request=request,
            detail=detail,
        )

    return receiver


on_authenticator_added = _authenticator_event(AuditAction.MFA_ADDED)
on_authenticator_removed = _authenticator_event(AuditAction.MFA_REMOVED)
on_authenticator_reset = _authenticator_event(AuditAction.MFA_RESET)
on_mfa_failed = _authenticator_event(AuditAction.MFA_FAILED)


def connect() -> None:
    from allauth.account.signals import user_logged_in
    from allauth.mfa import signals as mfa_signals
    from django.contrib.auth.signals import user_logged_out

    user_logged_in.connect(on_logged_in, dispatch_uid="kneadwell-audit-login")
    user_logged_out.connect(on_logged_out, dispatch_uid="kneadwell-audit-logout")
    mfa_signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="kneadwell-mfa-added")
    mfa_signals.authenticator_removed.connect(on_authenticator_removed, dispatch_uid="kneadwell-mfa-removed")
    mfa_signals.authenticator_reset.connect(on_authenticator_reset, dispatch_uid="kneadwell-mfa-reset")
    mfa_signals.authentication_failed.connect(on_mfa_failed, dispatch_uid="kneadwell-mfa-failed")
