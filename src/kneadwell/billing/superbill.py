"""The superbill of one visit: timed CPT units from the signed note's work lines, diagnoses with the
encounter's 7th character, the rendering therapist's licence, the referring provider.

Built on the fly from immutable records (the latest signed note version, the referral, the licence),
so it always matches what was signed. Units come from the pure engine (`units.py`): the CMS 8-minute
rule by default, or the CPT midpoint rule when the patient's payer is set to it (REFERENCE §3.2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kneadwell.charting.models import Note, NoteVersion
from kneadwell.charting.selectors import latest_signed, signed_versions_of
from kneadwell.clinic.selectors import local_day_of
from kneadwell.knowledge.icd10 import icd10_lookup, icd10_title
from kneadwell.lib.errors import Conflict
from kneadwell.referrals.models import Referral, ReferralStatus
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Licence

from .models import Coverage
from .units import TIMED_CODES, UnitRule, UnitsResult, units

SEVENTH_RULE = (
    "7th character: A for active treatment at the first visit of the referral, D for routine care in the "
    "healing or recovery phase at later visits (ICD-10-CM Official Guidelines FY2026 I.C.19.a, REFERENCE §10)."
)
PAIR_CAUTION = (
    "97124 and 97140 on the same day: payers may need modifier 59/X{EPSU} and distinct regions; whether a "
    "current NCCI edit exists for this pair is unverified (REFERENCE §3.3): check the current PTP table."
)


@dataclass(frozen=True)
class DiagnosisLine:
    code: str
    title: str
    note: str = ""


@dataclass(frozen=True)
class CodeLine:
    code: str
    label: str
    minutes: int
    units: int


@dataclass
class Superbill:
    appointment: Appointment
    version: NoteVersion
    day: dt.date
    payer: str
    rule: UnitRule
    result: UnitsResult
    codes: list[CodeLine]
    diagnoses: list[DiagnosisLine]
    licence: Licence | None
    referral: Referral | None
    total_treatment_minutes: int
    uncoded_minutes: int
    cautions: list[str] = field(default_factory=list)

    @property
    def total_units(self) -> int:
        return self.result.total_units


def _encounter_code(code: str, first_visit: bool) -> tuple[str, str]:
    """The code with the encounter's 7th character where the code takes one (injury codes, chapter 19)."""
    plain = code.strip().upper()
    bare = plain.replace(".", "")
    if len(bare) == 7 and bare[0] in "ST" and bare[-1] in "ADS":
        wanted = "A" if first_visit else "D"
        if bare[-1] != wanted:
            candidate = plain[:-1] + wanted
            if icd10_lookup(candidate).billable:
                return candidate, f"7th character {wanted} for this encounter (referral gave {plain})."
        return plain, ""
    return plain, ""


def referral_for(appointment: Appointment, day: dt.date) -> Referral | None:
    """The referral in force for the visit: the latest received on or before it, not declined."""
    return (
        Referral.objects.filter(patient=appointment.patient, received_on__lte=day)
        .exclude(status=ReferralStatus.DECLINED)
        .select_related("provider")
        .order_by("-received_on", "-id")
        .first()
    )


def superbill_for(appointment: Appointment) -> Superbill:
    """The visit's superbill. 409 while the visit has no signed note (only signed work is billed)."""
    note = Note.objects.filter(appointment=appointment).first()
    version = latest_signed(note) if note is not None else None
    if version is None:
        raise Conflict(
            "This visit has no signed note yet: the superbill is made from the signed record.",
            field="note",
            code="note_unsigned",
        )
    day = local_day_of(appointment.start, appointment.location)
    coverage = (
        Coverage.objects.filter(patient=appointment.patient, active=True).select_related("payer").first()
    )
    rule = UnitRule(coverage.payer.unit_rule) if coverage else UnitRule.CMS_8_MINUTE
    lines = list(version.work_lines.all())
    coded = [(w.code, w.minutes) for w in lines if w.code]
    result = units(coded, rule=rule)
    codes = [CodeLine(c.code, TIMED_CODES[c.code].label, c.minutes, c.units) for c in result.codes]
    referral = referral_for(appointment, day)
    diagnoses: list[DiagnosisLine] = []
    cautions: list[str] = []
    if referral is not None:
        earlier = signed_versions_of(
            Note.objects.filter(patient=appointment.patient, appointment__start__lt=appointment.start)
        ).select_related("note__appointment__location")
        first_visit = not any(
            local_day_of(v.note.appointment.start, v.note.appointment.location) >= referral.received_on
            for v in earlier
        )
        for d in referral.diagnoses or []:
            raw = d.get("icd10")
            if not raw:
                continue
            code, note_text = _encounter_code(raw, first_visit)
            lookup = icd10_lookup(code)
            if not lookup.billable:
                cautions.append(
                    f"{code} is not a billable (leaf) ICD-10-CM code: ask the referrer for the full code."
                )
                diagnoses.append(
                    DiagnosisLine(
                        code, icd10_title(code) if lookup.valid else "(not a valid code)", "not billable"
                    )
                )
                continue
            diagnoses.append(DiagnosisLine(code, icd10_title(code), note_text))
    else:
        cautions.append("No referral on file for this visit: add the diagnosis codes before claiming.")
    licence = appointment.therapist.valid_licence(appointment.location.jurisdiction, day)
    if licence is None:
        cautions.append(
            f"{appointment.therapist.full_name} has no valid licence for {appointment.location.jurisdiction} on {day}."
        )
    uncoded = sum(w.minutes for w in lines if not w.code)
    if uncoded:
        cautions.append(f"{uncoded} minutes of work have no billing code and are not billed.")
    present = {c.code for c in codes if c.units}
    if {"97124", "97140"} <= present:
        cautions.append(PAIR_CAUTION)
    return Superbill(
        appointment=appointment,
        version=version,
        day=day,
        payer=coverage.payer.name if coverage else "Self-pay / no payer on file",
        rule=rule,
        result=result,
        codes=codes,
        diagnoses=diagnoses,
        licence=licence,
        referral=referral,
        total_treatment_minutes=sum(w.minutes for w in lines),
        uncoded_minutes=uncoded,
        cautions=cautions,
    )


def superbill_pdf(bill: Superbill) -> bytes:
    from kneadwell.charting.pdf import render_pdf

    return render_pdf("billing/superbill_pdf.html", {"bill": bill, "seventh_rule": SEVENTH_RULE})
