"""Password rules beyond Django's own: predictable variations of common passwords, and the demo's.

Django's validators (settings.AUTH_PASSWORD_VALIDATORS) refuse short, numeric,
common and user-like passwords. Breached-password lists are mostly common
words dressed up: "Summer2024!", "P@ssw0rd1234", "kneadwell-2026". Without
calling an online breach service (patient-data systems should not send even
hash prefixes out), this validator undoes the usual dressing — case,
look-alike digits, trailing numbers and symbols, keyboard and alphabet runs,
the product's own name — and refuses what is left if it is a common password
or too little to guess at.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

# The published password of the demo clinic (kneadwell.demo uses the same text; a test checks).
DEMO_PASSWORD = "kneadwell-demo"

_LOOKALIKES = str.maketrans(
    {"0": "o", "1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "+": "t"}
)
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "azertyuiop",
    "0123456789",
)
# Words a guesser tries first against this system.
_CONTEXT_WORDS = ("kneadwell", "massage", "therapy", "clinic", "password", "welcome", "letmein")
MIN_LEFT = 4


@cache
def _common() -> frozenset[str]:
    return frozenset(CommonPasswordValidator().passwords)


def _without_runs(text: str, length: int = 3) -> str:
    """`text` with every run of `length`+ consecutive keyboard or alphabet characters removed."""
    out = text
    for row in _RUNS:
        for sequence in (row, row[::-1]):
            for size in range(len(sequence), length - 1, -1):
                for start in range(len(sequence) - size + 1):
                    out = out.replace(sequence[start : start + size], " ")
    return out.replace(" ", "")


def predictable_core(password: str, extra_words: tuple[str, ...] = ()) -> str:
    """The letters left once context words, digits, symbols and keyboard or alphabet runs are removed."""
    core = re.sub(r"[^a-z]", "", password.lower())
    for word in (*_CONTEXT_WORDS, *extra_words):
        if len(word) >= 4:
            core = core.replace(word, "")
    return _without_runs(core)


def common_variants(password: str) -> set[str]:
    """The password as typed, without trailing digits and symbols, and with look-alikes undone."""
    lowered = password.lower()
    undone = lowered.translate(_LOOKALIKES)
    trailing = re.compile(r"[\d\W_]+$")
    return {
        lowered,
        trailing.sub("", lowered),
        undone,
        trailing.sub("", undone),
        re.sub(r"[^a-z]", "", undone),
    } - {""}


class PredictablePasswordValidator:
    """Refuse a common password however it is dressed up, and passwords with almost nothing to guess."""

    def validate(self, password: str, user: Any = None) -> None:
        if common_variants(password) & _common():
            raise ValidationError(
                "This password is a common password with small changes; such passwords are the first guessed.",
                code="password_predictable",
            )
        site_words = tuple(w for w in re.split(r"[^a-z]+", str(settings.SITE_NAME).lower()) if w)
        if len(set(predictable_core(password, site_words))) < MIN_LEFT:
            raise ValidationError(
                "This password is mostly a name, a keyboard or alphabet run, digits or symbols: "
                "add a few unrelated words.",
                code="password_predictable",
            )

    def get_help_text(self) -> str:
        return "Your password can’t be a common password with a few letters swapped or numbers added."


class DemoPasswordValidator:
    """Outside the demo, the demo's published password is refused."""

    def validate(self, password: str, user: Any = None) -> None:
        if not settings.DEMO and password.strip().lower() == DEMO_PASSWORD:
            raise ValidationError(
                "This is the demo clinic's published password; choose another.", code="password_demo"
            )

    def get_help_text(self) -> str:
        return "Your password can’t be the demo clinic’s password."
