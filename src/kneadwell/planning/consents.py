"""Which work needs which of the patient's consents. Pure Python: no Django.

Consent is a clinic's documentation duty (REFERENCE §6.1: informed consent before treatment), not a
clinical rule, so the lists below are **clinic policy**, labelled as such wherever they show. The
texts the patient signs are written by the project and versioned (``charting/consent_texts.py``);
the records of who signed what live in ``charting``. Planning never reads those records: the caller
passes the kinds of consent in force as plain data (``frozenset`` of the keys below), the way a
``VisitHistory`` is passed from scheduling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TREATMENT = "treatment"
INTRAORAL = "intraoral"
SENSITIVE_AREAS = "sensitive_areas"
PHOTOGRAPHS = "photographs"

CONSENT_KINDS: tuple[str, ...] = (TREATMENT, INTRAORAL, SENSITIVE_AREAS, PHOTOGRAPHS)

# Techniques that are planned only with a specific consent on file. Intraoral TMJ work is done
# inside the mouth (catalogue: `intraoral_tmj`); clinic policy asks for its own consent.
TECHNIQUE_CONSENTS: dict[str, str] = {"intraoral_tmj": INTRAORAL}

# Regions a clinic treats as "sensitive areas" (clinic policy, not a clinical claim): work there is
# planned only with the patient's consent to it.
SENSITIVE_REGIONS: frozenset[str] = frozenset({"chest", "abdomen", "hip_gluteal"})

POLICY_NOTE = "clinic consent policy (not a clinical rule)"


@dataclass(frozen=True, slots=True)
class ConsentGate:
    """Work the plan must leave out because a consent is missing: a technique, or a whole region."""

    consent: str
    technique: str | None = None
    region: str | None = None


def missing_gates(consents: Iterable[str] | None) -> tuple[ConsentGate, ...]:
    """The gates that apply when the patient holds exactly ``consents``.

    ``None`` means the caller did not look consents up: nothing is gated (the engine's behaviour for
    callers that predate consents). An empty set means none is on file: every gated item is left out.
    """
    if consents is None:
        return ()
    held = frozenset(consents)
    gates = [ConsentGate(kind, technique=t) for t, kind in TECHNIQUE_CONSENTS.items() if kind not in held]
    if SENSITIVE_AREAS not in held:
        gates += [ConsentGate(SENSITIVE_AREAS, region=r) for r in sorted(SENSITIVE_REGIONS)]
    return tuple(gates)
