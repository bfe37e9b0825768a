"""Request-level protections: audit collection, session timeouts, the second-factor rule, no-store.

Order in settings.MIDDLEWARE matters and is explained there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode

from kneadwell.lib.clock import now

from . import audit
from .models import AuditAction
from .policy import (
    SESSION_AUTH_AT,
    SESSION_SEEN_AT,
    has_second_factor,
    idle_limit,
    mfa_required,
    policy_for,
)
from .signals import QUIET_LOGOUT

GetResponse = Callable[[HttpRequest], HttpResponse]

# Pages a signed-in user without a required second factor may still reach: sign-in,
# sign-out and the MFA set-up itself (all under /accounts/), static files, the health
# check, the session status the timeout warning asks, and the API (bearer tokens, no session).
_MFA_EXEMPT = ("/accounts/", "/static/", "/healthz", "/api/", "/session/")
# The timeout warning asks how long is left (GET, not activity) and "stay signed in" (POST).
STATUS_PATH = "/session/status"
# The last-activity stamp is rewritten at most this often (seconds): a session write per
# request would be a database write per request.
SEEN_RESOLUTION = 60


class AuditMiddleware:
    """Collects the audit events of a request and writes them in one insert before responding.

    If they cannot be written, the error propagates and the client gets a 500
    instead of the page: nothing is shown without its audit record.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        audit.start_buffer(request)
        try:
            response = self.get_response(request)
        finally:
            # Also on an exception: an attempt that failed is still an attempt.
            audit.flush_buffer(request)
        return response


class SessionTimeoutMiddleware:
    """Signs a session out after the policy's idle time, and at its absolute lifetime.

    The first request of a session stamps when it began; each later request
    (but the status check) stamps activity, at most every SEEN_RESOLUTION
    seconds. `request.session_seconds_left` tells the page (and its warning
    script) how long it has.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.path.startswith("/api/"):  # bearer tokens, no session
            return self.get_response(request)
        if user is not None and user.is_authenticated:
            expired = self._check(request, user)
            if expired is not None:
                return expired
        response = self.get_response(request)
        # A sign-in during this request (the login POST) starts the clocks.
        if request.user.is_authenticated and SESSION_AUTH_AT not in request.session:
            request.session[SESSION_AUTH_AT] = request.session[SESSION_SEEN_AT] = now().timestamp()
        return response

    def _check(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        """Sign out an expired session (returns the response), else stamp activity and note what is left."""
        policy = policy_for(request)
        session = request.session
        at = now().timestamp()
        auth_at = session.get(SESSION_AUTH_AT)
        seen_at = session.get(SESSION_SEEN_AT)
        idle = idle_limit(user, policy)
        lifetime = policy.session_max_hours * 3600
        if auth_at is not None and seen_at is not None:
            if at - float(auth_at) > lifetime:
                return self._expire(request, reason="lifetime", limit_minutes=policy.session_max_hours * 60)
            if at - float(seen_at) > idle:
                return self._expire(request, reason="idle", limit_minutes=idle // 60)
        if auth_at is None:
            # A session from before this middleware, or made without a sign-in page (tests'
            # force_login): its clocks start now.
            session[SESSION_AUTH_AT] = auth_at = at
        is_status_check = request.path == STATUS_PATH and request.method == "GET"
        if not is_status_check and (seen_at is None or at - float(seen_at) >= SEEN_RESOLUTION):
            session[SESSION_SEEN_AT] = seen_at = at
        # For the session-status view: how long this session has left (a per-request value).
        request.session_seconds_left = max(  # type: ignore[attr-defined]  # a per-request attribute read by the session-status view
            0, int(min(float(seen_at or at) + idle, float(auth_at) + lifetime) - at)
        )
        return None

    def _expire(self, request: HttpRequest, *, reason: str, limit_minutes: int) -> HttpResponse:
        audit.audit_record(
            actor=request.user,  # type: ignore[arg-type]  # signed in: the session being expired is theirs
            action=AuditAction.SESSION_EXPIRED,
            object_type="session",
            channel="web",
            request=request,
            detail={"reason": reason, "limit_minutes": limit_minutes},
        )
        setattr(request, QUIET_LOGOUT, True)
        logout(request)
        if reason == "idle":
            text = (
                f"You were signed out after {limit_minutes} minutes without activity. Please sign in again."
            )
        else:
            text = "Your session reached its time limit. Please sign in again."
        messages.info(request, text)
        target = f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true":
            # htmx would follow a redirect and swap the sign-in page into the target element.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        if request.path == STATUS_PATH:
            return HttpResponse('{"signed_in": false}', status=401, content_type="application/json")
        return redirect(target)


class RequireMFAMiddleware:
    """Outside the demo, people who can see other patients' data must have a second factor.

    Superusers and Django-admin staff (whatever their role) and clinic admins
    always; front desk and therapists unless the clinic admin turns
    SecurityPolicy.clinician_mfa off. Until they add one (authenticator app or
    security key), every page but the account pages sends them to set it up.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.KNEADWELL_REQUIRE_ADMIN_MFA or request.path.startswith(_MFA_EXEMPT):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and mfa_required(user, policy_for(request))
            and not has_second_factor(user)
        ):
            messages.warning(
                request,
                "Your account can see patients' records: set up two-factor authentication to continue.",
            )
            return redirect("mfa_index")
        return self.get_response(request)


# The name used before the requirement covered more than clinic admins.
RequireAdminMFAMiddleware = RequireMFAMiddleware


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every API answer and every page a signed-in user gets.

    Such pages may carry patient data; no browser, proxy or shared cache may
    keep a copy (a shared front-desk computer's back button, a proxy cache).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        return response
