"""Reading the referral and clearance forms (the referrer's portal and the front desk's new referral)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydantic import ValidationError

from kneadwell.clinic.selectors import clinic_today
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.referrals.models import ClearanceScope
from kneadwell.web.intake_forms import Errors, FormData, parse_area, read_areas, read_date, read_diagnosis

DIAGNOSIS_ROWS = 3


# Where a service's DomainError field shows on the referral form.
SERVICE_FIELDS = {
    "diagnoses": "dx0_condition",
    "provider": "provider",
    "received_on": "received_on",
    "scope": "clear_scope",
    "region": "clear_area",
    "expires_on": "clear_expires",
    "granted_on": "clear_scope",
    "flag": "clear_flag",
}


def _int(data: FormData, name: str, low: int, high: int, errors: Errors) -> int | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors.setdefault(name, []).append(f"Enter a whole number from {low} to {high}.")
        return None
    return int(raw)


@dataclass
class ClearanceInput:
    scope: str
    area: AreaIn | None
    expires_on: dt.date | None
    note: str = ""
    flag: str = ""  # for scope "flag": the screening flag the provider's evaluation clears


@dataclass
class ReferralInput:
    errors: Errors = field(default_factory=dict)
    diagnoses: list[DiagnosisIn] = field(default_factory=list)
    area_tokens: list[str] = field(default_factory=list)
    areas: list[AreaIn] = field(default_factory=list)
    reason: str = ""
    requested_sessions: int | None = None
    requested_frequency_per_week: int | None = None
    precautions: str = ""
    clearance: ClearanceInput | None = None


def read_clearance(
    data: FormData, errors: Errors, *, prefix: str = "clear_", required: bool = False
) -> ClearanceInput | None:
    """A clearance from `<prefix>scope`, `<prefix>area`, `<prefix>expires`, `<prefix>note`."""
    scope = (data.get(f"{prefix}scope") or "").strip()
    token = (data.get(f"{prefix}area") or "").strip()
    expires = read_date(data.get(f"{prefix}expires") or "", f"{prefix}expires", errors)
    if not scope:
        if required or token:
            errors.setdefault(f"{prefix}scope", []).append("Choose what the clearance allows.")
        return None
    if scope not in ClearanceScope.values:
        errors.setdefault(f"{prefix}scope", []).append("Choose one of the listed kinds of clearance.")
        return None
    area = None
    if token:
        try:
            area = parse_area(token)
        except ValidationError as exc:
            errors.setdefault(f"{prefix}area", []).extend(
                str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()
            )
            return None
    if expires is not None and expires < clinic_today():
        errors.setdefault(f"{prefix}expires", []).append("The expiry date has already passed.")
    return ClearanceInput(
        scope=scope,
        area=area,
        expires_on=expires,
        note=(data.get(f"{prefix}note") or "")[:2000],
        flag=(data.get(f"{prefix}flag") or "").strip()[:60],
    )


def read_referral(data: FormData) -> ReferralInput:
    out = ReferralInput()
    for i in range(DIAGNOSIS_ROWS):
        diagnosis = read_diagnosis(data, out.errors, prefix=f"dx{i}_", own_onset=True, required=i == 0)
        if diagnosis is not None:
            out.diagnoses.append(diagnosis)
    out.area_tokens = [t for t in data.getlist("area") if t.strip()]
    out.areas = read_areas(out.area_tokens, "areas", out.errors)
    out.reason = (data.get("reason") or "").strip()[:4000]
    out.precautions = (data.get("precautions") or "").strip()[:4000]
    out.requested_sessions = _int(data, "requested_sessions", 1, 100, out.errors)
    out.requested_frequency_per_week = _int(data, "requested_frequency_per_week", 1, 7, out.errors)
    out.clearance = read_clearance(data, out.errors)
    return out
