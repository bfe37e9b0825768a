from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from kneadwell.accounts.models import User


@pytest.fixture
def admin_mfa(cast):  # type: ignore[no-untyped-def]
    """The cast's clinic admin with an authenticator app, so the MFA requirement lets them through."""
    TOTP.activate(cast.admin, generate_totp_secret())
    return cast.admin


@pytest.fixture
def superuser_client(client, cast):  # type: ignore[no-untyped-def]
    """The test client signed in as a superuser with a second factor (outside the demo every account
    that reaches the Django admin has one)."""
    user = User.objects.create_superuser(
        username="root", email="root@example.org", password="x-long-password"
    )
    TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    return client
