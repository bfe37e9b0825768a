"""Passwords: at least 12 characters, not common however dressed up, not the demo's outside the demo."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from kneadwell import demo
from kneadwell.accounts.models import User
from kneadwell.accounts.passwords import DEMO_PASSWORD


def refused(password: str) -> bool:
    try:
        validate_password(password, User(username="dana", email="dana@example.org"))
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize(
    "password",
    [
        "short-pass1",  # 11 characters
        "password1234",  # common
        "Password1234!",  # common, dressed up
        "P@ssw0rd2026!",  # look-alike digits
        "Summer2026!!!",  # a common word and a year
        "qwertyuiop12",  # a keyboard run
        "abcdefghijklmnop",  # the alphabet
        "aaaaaaaaaaaaaa",  # one character
        "123456789012",  # numbers only
        "kneadwell-2026!",  # the product's name
        "Massage-Therapy-1",  # the trade's words
        "dana@example.org1",  # the user's own address
    ],
)
def test_weak_passwords_are_refused(password, db):
    assert refused(password)


@pytest.mark.parametrize(
    "password",
    ["correct-horse-battery", "lantern oyster bicycle", "Velvet-Harbour-Quince-42", "tq8#Lm2$vR9!zK"],
)
def test_ordinary_strong_passwords_pass(password, db):
    assert not refused(password)


def test_the_demo_password_is_refused_outside_the_demo(settings, db):
    settings.DEMO = False
    assert refused(DEMO_PASSWORD)
    assert refused(DEMO_PASSWORD.upper())


def test_the_demo_password_is_accepted_in_the_demo(settings, db):
    settings.DEMO = True
    assert not refused(DEMO_PASSWORD)


def test_the_refused_demo_password_is_the_published_one():
    assert DEMO_PASSWORD == demo.DEMO_PASSWORD
