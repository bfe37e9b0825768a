"""ICD-10-CM codes, checked against the installed official code set [R1] (simple-icd-10-cm)."""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import NamedTuple

# --- ICD-10-CM -------------------------------------------------------------------------------


def _icd_module() -> ModuleType:
    # simple_icd_10_cm reads its data file through a deprecated importlib API at import time.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


class Icd10Lookup(NamedTuple):
    valid: bool
    billable: bool
    children: tuple[str, ...]


def icd10_lookup(code: str) -> Icd10Lookup:
    """Check a code against the installed ICD-10-CM code set [R1].

    ``valid``: a category/subcategory/code in the current code set (chapters and blocks are not codes).
    ``billable``: a leaf (full-length) code. ``children``: for a valid header, its billable
    descendants — the answer to "M54.5 is a header; use M54.50/M54.51/M54.59".
    """
    icd = _icd_module()
    normalised = code.strip().upper()
    if not normalised or not icd.is_valid_item(normalised) or icd.is_chapter_or_block(normalised):
        return Icd10Lookup(valid=False, billable=False, children=())
    if icd.is_leaf(normalised):
        return Icd10Lookup(valid=True, billable=True, children=())
    leaves = tuple(c for c in icd.get_descendants(normalised) if icd.is_leaf(c))
    return Icd10Lookup(valid=True, billable=False, children=leaves)


def icd10_title(code: str) -> str:
    """Official title of a valid code in the installed code set."""
    return _icd_module().get_description(code.strip().upper())


# --- The 7th character of injury codes -------------------------------------------------------

# Chapter 19 injury codes carry the encounter in their 7th character: A while the patient receives
# active treatment, D for encounters after it (routine care in the healing or recovery phase, most
# massage visits after the first), S for a sequela (ICD-10-CM Official Guidelines I.C.19.a [R64]).
ENCOUNTER_CHARACTERS = ("A", "D")


def encounter_code(code: str, *, initial: bool) -> str:
    """The code with the 7th character this encounter needs: A at the first visit, D after it.

    Only 7-character injury codes ending in A or D change, and only to a code that exists in the
    installed code set; any other code (a sequela, a code without a 7th character) is returned as is.
    """
    normalised = code.strip().upper()
    if len(normalised.replace(".", "")) != 7 or normalised[-1] not in ENCOUNTER_CHARACTERS:
        return normalised
    wanted = normalised[:-1] + ("A" if initial else "D")
    return wanted if icd10_lookup(wanted).billable else normalised
