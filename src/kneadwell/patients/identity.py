"""Is this new patient someone the clinic already has? Pure matching rules (no Django).

Two records are taken for the same person when their given and family names agree (ignoring
case, accents, punctuation and spacing), their birth dates are equal, and they share a phone
number (compared as numbers, not as typed) or an e-mail address (ignoring case). Name and birth
date alone are not enough: people share them (and twins share a birth date and family name),
while a phone or e-mail in common with the same name and birth date rarely happens by chance.

The rule errs towards offering a match for a person to confirm; nothing here merges anything.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

# Anything that is not a letter or digit (in any script) separates words:
# "Anne-Marie" is "anne marie", "O'Neil" is "o neil".
_SEPARATORS = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """A name as compared: accents removed, case folded, punctuation and spacing made uniform.

    "Zoë  Ó'Brien-Smith" and "zoe o brien smith" give the same key. Letters without a
    decomposition (ø, ł) are kept as they are, so "Bjørn" and "Bjorn" stay different names.
    """
    # Fold case first (it may spell a letter out: ß → ss, ᾳ → αι), drop the accents, and fold once
    # more for the letters that decomposing uncovers; the result is its own key.
    return _SEPARATORS.sub(" ", _unaccented(_unaccented(name.casefold()).casefold())).strip()


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def phone_key(phone: str, region: str) -> str | None:
    """The number in E.164 (`+15550100123`), read as dialled in `region` (ISO 3166 alpha-2, e.g. "US").

    None when the text is not a possible phone number: a typo never makes two people match.
    """
    text = phone.strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_key(email: str) -> str | None:
    """The address as compared: trimmed and in lower case; None when empty or not an address."""
    text = email.strip().lower()
    return text if "@" in text else None


@dataclass(frozen=True)
class Identity:
    """What a new patient is known by when they are registered."""

    given_name: str
    family_name: str
    birth_date: dt.date
    phone: str = ""
    email: str = ""


def same_person(a: Identity, b: Identity, *, region: str) -> bool:
    """Name and birth date agree, and a phone number or e-mail address is shared."""
    if a.birth_date != b.birth_date:
        return False
    if name_key(a.given_name) != name_key(b.given_name) or name_key(a.family_name) != name_key(b.family_name):
        return False
    phone = phone_key(a.phone, region)
    if phone is not None and phone == phone_key(b.phone, region):
        return True
    email = email_key(a.email)
    return email is not None and email == email_key(b.email)
