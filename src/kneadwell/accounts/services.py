"""Writes for accounts: API tokens and audit events."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from kneadwell.lib.clock import now

from .audit import audit_record
from .models import ApiToken, AuditAction, User

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "TOKEN_PREFIX",
    "IssuedToken",
    "audit_record",
    "digest_secret",
    "token_authenticate",
    "token_create",
    "token_revoke",
]

TOKEN_PREFIX = "kw_"
# A token's last use is written at most this often: an API client polling every
# second would otherwise turn each GET into a write.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=5)


def digest_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def token_create(
    *, user: User, name: str = "", created_by: User | None = None, request: HttpRequest | None = None
) -> IssuedToken:
    """Make a bearer token for `user`. The returned secret is never stored and cannot be shown again.

    Audited (token_created) under `created_by` when given, else as a command-line action.
    """
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6], digest=digest_secret(secret)
    )
    token.full_clean()
    token.save()
    _audit_token(token, AuditAction.TOKEN_CREATED, actor=created_by, request=request)
    return IssuedToken(token=token, secret=secret)


def token_revoke(
    *, token: ApiToken, revoked_by: User | None = None, request: HttpRequest | None = None
) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
        _audit_token(token, AuditAction.TOKEN_REVOKED, actor=revoked_by, request=request)
    return token


def token_authenticate(secret: str, *, request: HttpRequest | None = None) -> User | None:
    """The active user a bearer secret belongs to, or None.

    The token's last use is written at most every TOKEN_TOUCH_INTERVAL; the
    first use of each UTC day is audited (token_used). Both are conditional
    UPDATEs, so of many concurrent requests exactly one writes and audits.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_secret(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    at = now()
    last = token.last_used_at
    if last is None or last <= at - TOKEN_TOUCH_INTERVAL or last > at:
        start_of_day = at.replace(hour=0, minute=0, second=0, microsecond=0)
        stale = (
            Q(last_used_at__isnull=True)
            | Q(last_used_at__lte=at - TOKEN_TOUCH_INTERVAL)
            | Q(last_used_at__gt=at)
        )
        first_today = Q(last_used_at__isnull=True) | Q(last_used_at__lt=start_of_day)
        if ApiToken.objects.filter(stale & first_today, pk=token.pk).update(last_used_at=at):
            _audit_token(token, AuditAction.TOKEN_USED, actor=token.user, request=request)
        else:
            ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=at)
    return token.user


def _audit_token(
    token: ApiToken, action: AuditAction, *, actor: User | None, request: HttpRequest | None
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="api_token",
        object_id=token.public_id,
        channel="api" if action == AuditAction.TOKEN_USED else ("web" if request is not None else "cli"),
        request=request,
        detail={"prefix": token.prefix, "user": token.user.username, "name": token.name},
        actor_username=None if actor is not None else _os_user(),
    )


def _os_user() -> str:
    """Who ran a command-line action on the server (tokens are made and revoked with `kneadwell token`)."""
    import getpass

    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "os:unknown"
