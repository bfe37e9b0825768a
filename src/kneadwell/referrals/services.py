"""Writes for referrals and clearances, shared by the referrer portal, the front desk and the API.

Who may do what lives here. Callers fetch objects through the scope functions
first, so an invisible object is a 404 before it gets here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet

from kneadwell.accounts.models import Role, User
from kneadwell.clinic.selectors import clinic_today
from kneadwell.knowledge import catalogue
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.lib.clock import latest_possible_today, now
from kneadwell.lib.errors import Conflict, DomainError, FieldErrors
from kneadwell.lib.uploads import KINDS, DocumentLimits, UploadRejected, parse_document
from kneadwell.patients.models import Patient

from .models import (
    CareTeamMember,
    CareTeamRole,
    Clearance,
    ClearanceScope,
    ClearanceStatus,
    Referral,
    ReferralChannel,
    ReferralStatus,
    ReferringProvider,
)

# The referral's journey. Declining is possible until the patient is scheduled.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.RECEIVED: frozenset({ReferralStatus.TRIAGED, ReferralStatus.DECLINED}),
    ReferralStatus.TRIAGED: frozenset({ReferralStatus.SCHEDULED, ReferralStatus.DECLINED}),
    ReferralStatus.SCHEDULED: frozenset({ReferralStatus.IN_CARE}),
    ReferralStatus.IN_CARE: frozenset({ReferralStatus.DISCHARGED}),
    ReferralStatus.DISCHARGED: frozenset(),
    ReferralStatus.DECLINED: frozenset(),
}


def _provider_of(actor: User) -> ReferringProvider | None:
    return ReferringProvider.objects.filter(user=actor).first()


def _check_date(value: dt.date | None, field: str) -> None:
    if value is not None and value > latest_possible_today():
        raise DomainError("The date cannot be in the future.", field=field)


@transaction.atomic
def referral_create(
    *,
    actor: User,
    patient: Patient,
    provider: ReferringProvider | None = None,
    received_on: dt.date | None = None,
    channel: str = ReferralChannel.PORTAL,
    reason: str = "",
    diagnoses: Sequence[DiagnosisIn] = (),
    areas: Sequence[AreaIn] = (),
    requested_sessions: int | None = None,
    requested_frequency_per_week: int | None = None,
    precautions: str = "",
) -> Referral:
    """Record a referral. A referrer sends their own; the front desk enters faxed or phoned ones for any provider."""
    if not actor.has_perm("referrals.add_referral"):
        raise PermissionDenied("You do not have permission to record referrals.")
    if actor.role == Role.REFERRER:
        own = _provider_of(actor)
        if own is None:
            raise PermissionDenied(
                "You do not have permission to act as a referrer: your account is not linked to a referring provider."
            )
        if provider is not None and provider != own:
            raise PermissionDenied("You do not have permission to send referrals in another provider's name.")
        provider = own
    if provider is None:
        raise DomainError("Name the referring provider.", field="provider")
    if not diagnoses:
        raise DomainError("Give at least one diagnosis.", field="diagnoses")
    _check_date(received_on, "received_on")
    referral = Referral(
        patient=patient,
        provider=provider,
        received_on=received_on or clinic_today(),
        channel=channel,
        reason=reason,
        diagnoses=[d.model_dump(mode="json") for d in diagnoses],
        areas=[a.model_dump(mode="json") for a in areas],
        requested_sessions=requested_sessions,
        requested_frequency_per_week=requested_frequency_per_week,
        precautions=precautions,
        created_by=actor,
    )
    referral.full_clean(exclude=["patient", "provider", "created_by"])
    referral.save()
    return referral


# Decisions race. Two people at the front desk may triage, decline or query the same referral at
# once, and a referrer may press "Grant" twice while a colleague presses "Decline". The checks
# below are made on the copy of the row read at the start of the request, which may already be
# stale when we write. So each decision is a compare-and-set: one UPDATE whose WHERE repeats what
# the caller read, judged by the database against the row as it is at write time.
#
# - PostgreSQL (READ COMMITTED): a second UPDATE of the same row waits for the first writer's
#   transaction, then re-evaluates its WHERE against the committed row; it matches nothing.
# - SQLite: the settings open every transaction with BEGIN IMMEDIATE, so writers queue and each
#   UPDATE sees every decision committed before it.
#
# An UPDATE that matched nothing lost the race: the caller gets a Conflict (409) carrying the
# state that won, read after the UPDATE (a fresh snapshot on PostgreSQL), never a success for
# a decision that was not stored.
#
# What the request reads is not always what the person deciding saw: a colleague's decision may
# have landed between the page being shown and the button being pressed, and triaged → declined
# is a legal step of its own. So a decision may also name the state it was taken on: the page
# sends back `referral_version` (status and note, as shown); the API takes `expected_status`.
# A mismatch is the same Conflict.


def referral_version(referral: Referral) -> str:
    """An opaque token of the referral's decision state (status and note), as a page shows it.

    Sent back with a decision, it makes the decision conditional on nothing having changed since.
    """
    return hashlib.sha256(f"{referral.status}\n{referral.status_note}".encode()).hexdigest()[:16]


def _referral_state(values: Mapping[str, object]) -> dict[str, object]:
    return {"status": values["status"], "status_note": values["status_note"]}


def _referral_conflict(referral: Referral, message: str) -> Conflict:
    """The Conflict for a decision on `referral` that cannot stand, with the referral as stored now."""
    row = Referral.objects.filter(pk=referral.pk).values("status", "status_note").first()
    current = (
        _referral_state(row) if row else {"status": referral.status, "status_note": referral.status_note}
    )
    label = ReferralStatus(str(current["status"])).label.lower()
    note = f" ({current['status_note']})" if current["status_note"] else ""
    return Conflict(f"{message} It is {label} now{note}.", field="status", code="stale", current=current)


CHANGED_MEANWHILE = "Someone else has just changed this referral."


def _check_seen(referral: Referral, expected_status: str | None, seen_version: str | None) -> None:
    """The decision was taken on the referral as it is (when the caller says what they saw)."""
    if (expected_status is not None and expected_status != referral.status) or (
        seen_version is not None and seen_version != referral_version(referral)
    ):
        raise _referral_conflict(referral, CHANGED_MEANWHILE)


def _referral_compare_and_set(referral: Referral, *, status: str, status_note: str) -> None:
    """Store the decision only if the referral still has the status and note `referral` was read with."""
    changed = Referral.objects.filter(
        pk=referral.pk, status=referral.status, status_note=referral.status_note
    ).update(status=status, status_note=status_note, updated_at=now())
    if not changed:
        raise _referral_conflict(referral, CHANGED_MEANWHILE)
    referral.status = status
    referral.status_note = status_note


def referral_set_status(
    *,
    actor: User,
    referral: Referral,
    status: str,
    note: str = "",
    expected_status: str | None = None,
    seen_version: str | None = None,
) -> Referral:
    """Move a referral along its journey (front desk and admins only).

    A compare-and-set on the status and note (see above): of people deciding at once, one wins
    and the others get a Conflict (409) with the state that won. `expected_status` or
    `seen_version` (`referral_version` of the referral as shown) make the decision conditional on
    what the caller saw. A step the journey does not allow from the referral's state is also a
    Conflict, with that state.
    """
    if not actor.has_perm("referrals.change_referral", referral):
        raise PermissionDenied(
            "You do not have permission to change a referral's status: the clinic does that."
        )
    if status not in ReferralStatus.values:
        raise DomainError(f"Unknown status {status!r}.", field="status")
    if status == ReferralStatus.DECLINED and not note.strip():
        raise DomainError("Say why the referral is declined.", field="note")
    _check_seen(referral, expected_status, seen_version)
    if status not in TRANSITIONS.get(referral.status, frozenset()):
        raise _referral_conflict(
            referral,
            f"A {referral.get_status_display().lower()} referral cannot become "
            f"{ReferralStatus(status).label.lower()}.",
        )
    _referral_compare_and_set(referral, status=status, status_note=note[:500])
    return referral


# The referral is still being considered: the clinic may ask the referrer for more.
ASKABLE_STATUSES = frozenset({ReferralStatus.RECEIVED, ReferralStatus.TRIAGED})


def referral_ask_more(
    *, actor: User, referral: Referral, note: str, seen_version: str | None = None
) -> Referral:
    """Note what the clinic asked the referrer for; the referral keeps its status and shows the question.

    A compare-and-set like `referral_set_status`: a question asked at the same moment as a decline
    (or as another question) neither overwrites it nor is lost silently.
    """
    if not actor.has_perm("referrals.change_referral", referral):
        raise PermissionDenied("You do not have permission to change a referral: the clinic does that.")
    if not note.strip():
        raise DomainError("Say what the referrer should send.", field="note")
    _check_seen(referral, None, seen_version)
    if referral.status not in ASKABLE_STATUSES:
        raise _referral_conflict(referral, "The clinic asks for more only while a referral is open.")
    _referral_compare_and_set(
        referral, status=referral.status, status_note=f"Asked the referrer: {note.strip()}"[:500]
    )
    return referral


# A clearance lifts a hold that waits for a provider: a referral out or a needed clearance. A deferral
# (fever) is waited out, and a precaution is not a hold, so neither can be cleared.
CLEARABLE_ACTIONS = ("refer_out", "needs_clearance", "local_contraindication")


def _check_flag(scope: str, flag: str) -> None:
    """A flag clearance names a catalogue flag that a clearance can lift; other scopes name none."""
    if scope != ClearanceScope.FLAG:
        if flag:
            raise DomainError(
                "Only a clearance for a screening finding (scope “flag”) names a flag.", field="flag"
            )
        return
    if not flag:
        raise DomainError("Name the screening finding the evaluation clears.", field="flag")
    known = catalogue.flags().get(flag)
    if known is None:
        raise DomainError(f"Unknown screening flag {flag!r}.", field="flag")
    if known.action not in CLEARABLE_ACTIONS:
        raise DomainError(
            f"“{known.label}” is not lifted by a clearance: "
            + (
                "the visit is postponed until the patient is well."
                if known.action == "defer"
                else "it only adapts the session."
            ),
            field="flag",
        )


def _clearance_fields(
    scope: str,
    area: AreaIn | None,
    granted_on: dt.date | None,
    expires_on: dt.date | None,
    flag: str = "",
) -> None:
    if scope not in ClearanceScope.values:
        raise DomainError(
            f"Unknown scope {scope!r}; use one of: {', '.join(ClearanceScope.values)}.", field="scope"
        )
    _check_flag(scope, flag)
    if scope == ClearanceScope.SCAR_WORK and area is None:
        raise DomainError("Scar work is cleared for a region: give the region (and side).", field="region")
    _check_date(granted_on, "granted_on")
    if granted_on and expires_on and expires_on < granted_on:
        raise DomainError("The clearance cannot expire before it is granted.", field="expires_on")


# Relations are set by the services from objects already fetched; the document is optional.
_CLEARANCE_NOT_CLEANED = ["patient", "provider", "referral", "decided_by", "requested_by", "document"]


# A scanned letter or a photo of it: what clinics receive clearances as.
DOCUMENT_LIMITS = DocumentLimits(max_bytes=10 * 1024 * 1024, max_pages=50)
DOCUMENT_MAX_BYTES = DOCUMENT_LIMITS.max_bytes


def _check_document(document: UploadedFile) -> None:
    """A PDF, PNG or JPEG of at most 10 MB that opens as what its name says (see lib/uploads.py).

    Parsed, not sniffed: no scripts, attachments, appended archives or pages,
    or images too large to decode safely.
    """
    name = (document.name or "").lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in KINDS:
        raise DomainError("Attach the clearance as a PDF, PNG or JPEG file.", field="document")
    if document.size is None or document.size > DOCUMENT_LIMITS.max_bytes:
        raise DomainError("The document is larger than 10 MB.", field="document")
    document.seek(0)
    data = document.read(DOCUMENT_LIMITS.max_bytes + 1)
    document.seek(0)
    try:
        parse_document(data, suffix, DOCUMENT_LIMITS)
    except UploadRejected as exc:
        raise DomainError(str(exc), field="document") from None


def _clearance_save(clearance: Clearance, area: AreaIn | None) -> Clearance:
    clearance.region = area.region if area else ""
    clearance.side = (area.side or "") if area else ""
    clearance.full_clean(exclude=_CLEARANCE_NOT_CLEANED)
    clearance.save()
    return clearance


@transaction.atomic
def clearance_grant(
    *,
    actor: User,
    patient: Patient,
    scope: str,
    area: AreaIn | None = None,
    provider: ReferringProvider | None = None,
    referral: Referral | None = None,
    granted_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    note: str = "",
    document: UploadedFile | None = None,
    flag: str = "",
) -> Clearance:
    """Record a clearance: granted by the referrer in the portal, or entered by the front desk from a letter.

    `document` (optional) is the letter itself, kept with the clearance and
    served only to those who may see it. With scope "flag", `flag` names the screening flag the
    provider evaluated (a catalogue flag id); its `note` states the precautions to follow.
    """
    if not actor.has_perm("referrals.add_clearance"):
        raise PermissionDenied(
            "You do not have permission to record a clearance: the referring provider or the clinic does that."
        )
    if actor.role == Role.REFERRER:
        provider = _provider_of(actor)
        if provider is None:
            raise PermissionDenied(
                "You do not have permission to act as a referrer: your account is not linked to a referring provider."
            )
    if provider is None:
        raise DomainError("Name the provider who gave the clearance.", field="provider")
    granted_on = granted_on or clinic_today()
    _clearance_fields(scope, area, granted_on, expires_on, flag)
    if document is not None:
        _check_document(document)
    return _clearance_save(
        Clearance(
            patient=patient,
            provider=provider,
            referral=referral,
            scope=scope,
            flag=flag,
            status=ClearanceStatus.GRANTED,
            granted_on=granted_on,
            expires_on=expires_on,
            note=note,
            decided_by=actor,
            document=document,
        ),
        area,
    )


def clearance_request(
    *,
    actor: User,
    patient: Patient,
    provider: ReferringProvider,
    scope: str,
    area: AreaIn | None = None,
    note: str = "",
    flag: str = "",
) -> Clearance:
    """Ask the referrer for a clearance (clinic staff and therapists); it waits in the referrer's portal."""
    if not actor.has_perm("referrals.request_clearance", patient):
        raise PermissionDenied("You do not have permission to ask for a clearance: the clinic does that.")
    if not patient_providers(patient).filter(pk=provider.pk).exists():
        raise DomainError(
            "Ask a provider who referred or treats this patient; add them to the patient's care team first.",
            field="provider",
        )
    _clearance_fields(scope, area, None, None, flag)
    return _clearance_save(
        Clearance(
            patient=patient,
            provider=provider,
            scope=scope,
            flag=flag,
            status=ClearanceStatus.REQUESTED,
            note=note,
            requested_by=actor,
        ),
        area,
    )


def _clearance_state(values: Mapping[str, object]) -> dict[str, object]:
    return {key: values[key] for key in ("status", "granted_on", "expires_on")}


def _clearance_conflict(clearance: Clearance) -> Conflict:
    """The Conflict for a decision on a clearance that is no longer waiting, with its decision as stored."""
    row = Clearance.objects.filter(pk=clearance.pk).values("status", "granted_on", "expires_on").first()
    current = _clearance_state(row) if row else _clearance_state(vars(clearance))
    label = ClearanceStatus(str(current["status"])).label.lower()
    return Conflict(
        f"This clearance has already been decided: it is {label}.",
        field="status",
        code="stale",
        current=current,
    )


def clearance_decide(
    *, actor: User, clearance: Clearance, grant: bool, expires_on: dt.date | None = None, note: str = ""
) -> Clearance:
    """The referrer grants or declines a requested clearance, in one step.

    A compare-and-set from "requested" (see the note above `referral_set_status`): of two
    decisions sent at once (a double click, two browser tabs) one is stored and the other gets a
    Conflict (409) naming the decision that stands, so no one is told "declined" while "granted"
    is stored.
    """
    if not actor.has_perm("referrals.decide_clearance", clearance):
        raise PermissionDenied(
            "You do not have permission to decide this clearance: only the provider asked can."
        )
    if clearance.status != ClearanceStatus.REQUESTED:
        raise _clearance_conflict(clearance)
    today = clinic_today()
    if grant and expires_on and expires_on < today:
        raise DomainError("The clearance cannot expire before it is granted.", field="expires_on")
    decision = {
        "status": ClearanceStatus.GRANTED if grant else ClearanceStatus.DECLINED,
        "granted_on": today if grant else None,
        "expires_on": expires_on if grant else None,
        "note": note or clearance.note,
        "decided_by": actor,
    }
    for name, value in decision.items():
        setattr(clearance, name, value)
    clearance.full_clean(exclude=_CLEARANCE_NOT_CLEANED)
    changed = Clearance.objects.filter(pk=clearance.pk, status=ClearanceStatus.REQUESTED).update(
        **decision, updated_at=now()
    )
    if not changed:
        raise _clearance_conflict(clearance)
    return clearance


def patient_providers(patient: Patient) -> QuerySet[ReferringProvider]:
    """The providers who referred or treat `patient`: the only ones a clearance may be asked of."""
    # Two subqueries on the patient's keys of referrals and care-team links: an OR over joins made
    # SQLite scan every referral of the clinic (and needed a DISTINCT).
    referred = Referral.objects.filter(patient=patient).values("provider_id")
    treating = CareTeamMember.objects.filter(patient=patient).values("provider_id")
    return ReferringProvider.objects.filter(Q(pk__in=referred) | Q(pk__in=treating))


@dataclass(frozen=True)
class NewProvider:
    name: str
    kind: str
    organisation: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    npi: str = ""


@transaction.atomic
def care_team_add(
    *,
    actor: User,
    patient: Patient,
    role: str,
    provider: ReferringProvider | None = None,
    new_provider: NewProvider | None = None,
    note: str = "",
) -> CareTeamMember:
    """Add a referring or treating provider to the patient's care team (front desk), registering a new
    provider when they are not on file yet: both saved, or neither."""
    if not actor.has_perm("referrals.add_careteam", patient):
        raise PermissionDenied(
            "You do not have permission to change a patient's care team: the clinic does that."
        )
    if role not in CareTeamRole.values:
        raise DomainError("Say whether this provider refers or treats the patient.", field="role")
    if provider is None:
        if new_provider is None or not new_provider.name.strip():
            raise DomainError("Choose a provider on file, or give the new provider's name.", field="provider")
        provider = ReferringProvider(**{k: v.strip() for k, v in asdict(new_provider).items()})
        try:
            provider.full_clean(exclude=["user"])
        except ValidationError as exc:
            raise FieldErrors(
                "The new provider's details need fixing.",
                errors={f"new_{name}": msgs for name, msgs in exc.message_dict.items()},
            ) from exc
        provider.save()
    elif CareTeamMember.objects.filter(patient=patient, provider=provider).exists():
        raise DomainError(f"{provider.name} is already on the care team.", field="provider")
    member = CareTeamMember(patient=patient, provider=provider, role=role, note=note[:200], created_by=actor)
    member.full_clean(exclude=["patient", "provider", "created_by"])
    member.save()
    return member
