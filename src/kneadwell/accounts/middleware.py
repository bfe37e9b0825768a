"""Clinic admins must use two-factor authentication outside the demo."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Role

_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/")


class RequireAdminMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.KNEADWELL_REQUIRE_ADMIN_MFA or request.path.startswith(_ALLOWED_PREFIXES):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "role", None) == Role.CLINIC_ADMIN
            and not user.authenticator_set.exists()  # type: ignore[union-attr]
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
