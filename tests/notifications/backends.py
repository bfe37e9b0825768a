"""Mail backends that fail on purpose, for the delivery tests."""

from __future__ import annotations

import smtplib
from typing import Any, ClassVar

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class FlakyBackend(BaseEmailBackend):
    """Refuses the first `failures` sends (the server hung up), then delivers to mail.outbox."""

    failures: ClassVar[int] = 2
    calls: ClassVar[int] = 0

    def send_messages(self, email_messages: Any) -> int:
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        mail.outbox.extend(email_messages)
        return len(email_messages)


class DownBackend(BaseEmailBackend):
    """A mail server that never answers."""

    calls: ClassVar[int] = 0

    def send_messages(self, email_messages: Any) -> int:
        type(self).calls += 1
        raise smtplib.SMTPConnectError(421, b"4.3.2 Service not available, closing transmission channel")


class RefusingBackend(BaseEmailBackend):
    """A server that says the mailbox does not exist: retrying cannot help."""

    def send_messages(self, email_messages: Any) -> int:
        address = email_messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({address: (550, b"5.1.1 User unknown")})


class SilentBackend(BaseEmailBackend):
    """A backend that accepts nothing and says so only by returning 0."""

    def send_messages(self, email_messages: Any) -> int:
        return 0
