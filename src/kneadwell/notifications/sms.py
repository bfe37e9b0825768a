"""Text messages through one small provider interface.

A provider is any class with `send(*, to, body) -> SmsReceipt`, named by the setting
KNEADWELL_SMS_PROVIDER (a dotted path; made with no arguments, so it reads its own credentials from
the environment). It raises `SmsError` when the message was not accepted; `permanent=True` when
trying again cannot help (a number that does not exist), so the message fails at once instead of
retrying. Anything else it raises counts as a temporary failure and is retried.

The place for a real provider is a module of your own (or a new class here), e.g.::

    class TwilioSmsProvider:
        def __init__(self) -> None:
            self.sid = os.environ["TWILIO_ACCOUNT_SID"]
            ...
        def send(self, *, to: str, body: str) -> SmsReceipt:
            answer = requests.post(f".../Accounts/{self.sid}/Messages.json", ..., timeout=30)
            if answer.status_code >= 400:
                raise SmsError(answer.text, permanent=400 <= answer.status_code < 500)
            return SmsReceipt(provider_id=answer.json()["sid"], answer=answer.text[:500])

and `KNEADWELL_SMS_PROVIDER=yourmodule.TwilioSmsProvider` (docs/operations.md).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsReceipt:
    """What the provider answered for an accepted message."""

    provider_id: str
    answer: str


class SmsError(Exception):
    """The provider did not accept the message; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str) -> SmsReceipt: ...


class ConsoleSmsProvider:
    """Writes each text to standard output: the demo's and a developer's provider."""

    def send(self, *, to: str, body: str) -> SmsReceipt:
        sys.stdout.write(f"--- SMS to {to} ---\n{body}\n---\n")
        sys.stdout.flush()
        return SmsReceipt(provider_id="", answer="Written to the console (no SMS provider configured).")


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str


class MemorySmsProvider:
    """Keeps each text in `outbox` (tests), like Django's in-memory mail backend."""

    outbox: ClassVar[list[SentSms]] = []

    def send(self, *, to: str, body: str) -> SmsReceipt:
        self.outbox.append(SentSms(to=to, body=body))
        return SmsReceipt(provider_id=f"memory-{len(self.outbox)}", answer="Kept in memory.")


def sms_provider() -> SmsProvider:
    """The configured provider (KNEADWELL_SMS_PROVIDER)."""
    provider_class = import_string(settings.KNEADWELL_SMS_PROVIDER)
    provider: SmsProvider = provider_class()
    return provider
