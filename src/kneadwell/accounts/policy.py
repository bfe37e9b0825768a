"""Who must use a second factor, and how long sessions last: the rules, read from SecurityPolicy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from .models import CARE_ROLES, Role, SecurityPolicy

if TYPE_CHECKING:
    from django.http import HttpRequest

# Session keys: when the session signed in, and when it was last active (epoch seconds).
SESSION_AUTH_AT = "kneadwell_auth_at"
SESSION_SEEN_AT = "kneadwell_seen_at"
_POLICY_ATTR = "_kneadwell_security_policy"


def policy_for(request: HttpRequest) -> SecurityPolicy:
    """The security policy, read once per request."""
    policy = getattr(request, _POLICY_ATTR, None)
    if policy is None:
        policy = SecurityPolicy.current()
        setattr(request, _POLICY_ATTR, policy)
    return policy


def is_privileged(user: Any) -> bool:
    """Can reach the Django admin or every patient's chart: superusers, staff, clinic admins."""
    return bool(
        getattr(user, "is_superuser", False)
        or getattr(user, "is_staff", False)
        or getattr(user, "role", None) == Role.CLINIC_ADMIN
    )


def mfa_required(user: Any, policy: SecurityPolicy) -> bool:
    """Whether `user` must have a second factor (outside the demo; see KNEADWELL_REQUIRE_ADMIN_MFA)."""
    if not settings.KNEADWELL_REQUIRE_ADMIN_MFA or not getattr(user, "is_authenticated", False):
        return False
    if is_privileged(user):
        return True
    return policy.clinician_mfa and getattr(user, "role", None) in (Role.FRONT_DESK, Role.THERAPIST)


def has_second_factor(user: Any) -> bool:
    """An authenticator app or a security key (recovery codes alone are a fallback, not a factor)."""
    from allauth.mfa.models import Authenticator

    return (
        Authenticator.objects.filter(user_id=user.pk).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()
    )


def idle_limit(user: Any, policy: SecurityPolicy) -> int:
    """Seconds of inactivity after which `user`'s session ends: staff get the shorter limit."""
    staff = is_privileged(user) or getattr(user, "role", None) in CARE_ROLES
    minutes = policy.staff_idle_minutes if staff else policy.patient_idle_minutes
    return int(minutes) * 60
