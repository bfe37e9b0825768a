"""Writes for accounts: API tokens and audit events."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kneadwell.lib.clock import now

from .models import ApiToken, AuditAction, AuditEvent, User

if TYPE_CHECKING:
    from django.http import HttpRequest

TOKEN_PREFIX = "kw_"


def digest_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def token_create(*, user: User, name: str = "") -> IssuedToken:
    """Make a bearer token for `user`. The returned secret is never stored and cannot be shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6], digest=digest_secret(secret)
    )
    token.full_clean()
    token.save()
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(secret: str) -> User | None:
    """The active user a bearer secret belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_secret(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now())
    return token.user


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: User | None,
    action: AuditAction | str,
    object_type: str,
    object_id: object = "",
    patient_ids: Iterable[object] = (),
    channel: str,
    request: HttpRequest | None = None,
    detail: dict | None = None,
) -> None:
    """Append one audit event per patient concerned (one with no patient if none is)."""
    at = now()
    common = {
        "at": at,
        "actor": actor if actor is not None and actor.is_authenticated else None,
        "actor_username": getattr(actor, "username", "") or "anonymous",
        "action": str(action),
        "object_type": object_type,
        "object_id": str(object_id or ""),
        "channel": channel,
        "ip": _client_ip(request),
        "path": (request.get_full_path()[:500] if request is not None else ""),
        "detail": detail or {},
    }
    ids = [str(pid) for pid in patient_ids] or [""]
    AuditEvent.objects.bulk_create([AuditEvent(patient_id=pid, **common) for pid in ids])
