"""django-allauth hooks: closed sign-up, per-(login, address) rate limits, audited failures, kept factors."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from .audit import audit_record
from .models import AuditAction, SecurityPolicy
from .network import client_ip
from .policy import mfa_required

# A lockout is audited once per (login, address) per window, not on every refused try:
# a script hammering a locked account must not fill the audit trail.
LOCKOUT_AUDIT_SECONDS = 300


def _login_of(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()[:150]


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by the clinic (front desk, admin), never by open sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client behind trusted proxies (accounts.network), for every allauth rate limit."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client address.")
        return ip

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys failed sign-ins by login alone, so five wrong passwords typed
        # anywhere lock that person out everywhere. Keyed by login *and* client
        # address, they lock out that login from that place; the per-address limit
        # in ACCOUNT_RATE_LIMITS still caps guessing across many logins.
        return f"{_login_of(credentials)}|{client_ip(request) or 'unknown'}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            login = _login_of(credentials)
            if cache.add(f"kneadwell:lockout-audited:{login}|{client_ip(request)}", 1, LOCKOUT_AUDIT_SECONDS):
                audit_record(
                    actor=None,
                    actor_username=login or "anonymous",
                    action=AuditAction.LOCKOUT,
                    object_type="login",
                    channel="web",
                    request=request,
                    detail={"login": login},
                )
            raise

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        login = _login_of(credentials)
        audit_record(
            actor=None,
            actor_username=login or "anonymous",
            action=AuditAction.LOGIN_FAILED,
            object_type="login",
            channel="web",
            request=request,
            detail={"login": login},
        )


class MFAAdapter(DefaultMFAAdapter):
    """Someone who must use a second factor cannot remove their last one."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return super().can_delete_authenticator(authenticator)
        user = authenticator.user
        if not mfa_required(user, SecurityPolicy.current()):
            return super().can_delete_authenticator(authenticator)
        others = (
            Authenticator.objects.filter(user_id=user.pk)
            .exclude(type=Authenticator.Type.RECOVERY_CODES)
            .exclude(pk=authenticator.pk)
        )
        return others.exists() and super().can_delete_authenticator(authenticator)
