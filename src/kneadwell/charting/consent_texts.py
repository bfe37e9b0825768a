"""The consent texts patients sign, written for Kneadwell and versioned. Pure Python.

A text never changes once published: a change is a new version, and each signed consent keeps the
exact text it was given (``Consent.text``). The content follows REFERENCE §6.1 (informed consent:
risks, benefits, alternatives, the right to refuse or stop); the wording is the project's own.
A clinic may need its own legal wording: these are a starting point, reviewed by the clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from kneadwell.planning.consents import INTRAORAL, PHOTOGRAPHS, SENSITIVE_AREAS, TREATMENT


@dataclass(frozen=True, slots=True)
class ConsentText:
    kind: str
    version: str
    title: str
    body: str


_TEXTS = (
    ConsentText(
        TREATMENT,
        "1",
        "Consent to massage therapy",
        "I agree to receive massage therapy at this clinic. The therapist has explained what the "
        "sessions involve, what they are meant to help with, and that results are not guaranteed. "
        "Common effects include tenderness or soreness for a day or two; I will tell the therapist "
        "at once if pressure feels too deep or if anything hurts. Other options, such as rest, "
        "exercise or other therapies, have been mentioned. Massage therapists do not diagnose or "
        "prescribe. I have told the clinic about my health conditions and medicines and will tell "
        "them about changes. I may ask questions, refuse any part of a session, or stop at any time.",
    ),
    ConsentText(
        INTRAORAL,
        "1",
        "Consent to work inside the mouth (jaw)",
        "I agree that the therapist may work on the jaw muscles from inside my mouth, wearing "
        "gloves, as explained to me. I understand why this is suggested for my jaw problem, that it "
        "may feel uncomfortable, and that I can ask the therapist to stop at any moment by raising "
        "a hand. I may withdraw this consent at any time; the rest of my care goes on without it.",
    ),
    ConsentText(
        SENSITIVE_AREAS,
        "1",
        "Consent to work near sensitive areas",
        "I agree that the therapist may work on the chest, belly or buttock muscles when my plan "
        "needs it, as explained to me. I stay covered except for the area being worked on, and I may "
        "ask the therapist to leave out any area or to stop at any time. I may withdraw this consent "
        "at any time; the rest of my care goes on without it.",
    ),
    ConsentText(
        PHOTOGRAPHS,
        "1",
        "Consent to photographs for my record",
        "I agree that the clinic may take photographs of the area being treated (for example a "
        "scar) to follow its progress. The photographs are kept in my clinical record only, are "
        "never used for anything else without my written permission, and never show my face unless "
        "I agree. I may withdraw this consent at any time; photographs already taken stay in my record.",
    ),
)

CURRENT: MappingProxyType[str, ConsentText] = MappingProxyType({t.kind: t for t in _TEXTS})
ALL_VERSIONS: tuple[ConsentText, ...] = _TEXTS
