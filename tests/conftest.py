from __future__ import annotations

import os

import pytest

from tests.cast import Cast, build_cast

# Browser tests drive the live server from the test body's thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def cast(db) -> Cast:  # type: ignore[no-untyped-def]
    return build_cast()


@pytest.fixture
def bearer():  # type: ignore[no-untyped-def]
    """bearer(user) -> headers carrying a fresh API token for that user."""
    from kneadwell.accounts.services import token_create

    def make(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user).secret}"}

    return make
