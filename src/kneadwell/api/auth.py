"""Bearer-token authentication for the REST API. No sessions: a browser's login cookie opens nothing here."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from kneadwell.accounts.models import User
from kneadwell.accounts.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token, request=request)
        if user is None:
            return None
        # Permission checks, scopes and the audit trail all read request.user.
        request.user = user
        return user


def api_user(request: HttpRequest) -> User:
    """The signed-in user of an authenticated endpoint (BearerToken put them on the request)."""
    user = request.user
    if not isinstance(user, User):  # unreachable behind BearerToken: it answers 401 first
        raise PermissionError("This endpoint needs a signed-in user.")
    return user
