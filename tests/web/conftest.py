from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret


@pytest.fixture
def admin_mfa(cast):  # type: ignore[no-untyped-def]
    """The cast's clinic admin with an authenticator app, so the MFA requirement lets them through."""
    TOTP.activate(cast.admin, generate_totp_secret())
    return cast.admin
