from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by the clinic (front desk, admin), never by open sign-up."""

    def is_open_for_signup(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
