"""Writes for patients, shared by the web UI, the REST API and the CLI.

Permission lives here, not in the callers: the front desk and clinic admins
may create patients and change any writable field; a patient may change only
their own contact details and preferences. Callers fetch the patient through
`patient_scope` first, so an invisible patient is a 404 before it gets here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from kneadwell.accounts.models import User
from kneadwell.lib.clock import latest_possible_today
from kneadwell.lib.errors import Conflict
from kneadwell.lib.zones import FIRST_DAY

from .identity import phone_key
from .models import Patient
from .selectors import identity_of, patient_duplicates, phone_region

CONTACT_FIELDS = ("email", "phone", "address_line", "city", "postal_code")
PREFERENCE_FIELDS = (
    "pressure",
    "lighting",
    "music",
    "therapist_gender",
    "therapist_gender_required",
    "areas_to_avoid",
    "oil_allergies",
)
IDENTITY_FIELDS = ("given_name", "family_name", "birth_date")

# What staff may write, and the part of it a patient may change about themselves.
WRITABLE_FIELDS = frozenset(IDENTITY_FIELDS + CONTACT_FIELDS + PREFERENCE_FIELDS)
SELF_SERVICE_FIELDS = frozenset(CONTACT_FIELDS + PREFERENCE_FIELDS)


class FieldsForbidden(PermissionDenied):
    """The actor may change this patient, but not these fields."""

    def __init__(self, message: str, *, fields: Mapping[str, str]) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields)


def _validate(patient: Patient, changed: Sequence[str] | None = None) -> None:
    """full_clean plus the rules the model cannot express; all errors at once, by field.

    The birth date and phone rules apply to what is being written (`changed`; everything for a
    new patient), so a record kept from before a rule does not block an unrelated change.
    """
    errors: dict[str, list[str]] = {}
    try:
        patient.full_clean(exclude=["user"])
    except ValidationError as exc:
        errors.update({field: list(messages) for field, messages in exc.message_dict.items()})
    birth_date = patient.birth_date
    if (changed is None or "birth_date" in changed) and isinstance(birth_date, dt.date):
        if birth_date > latest_possible_today():
            errors.setdefault("birth_date", []).append("The birth date is in the future.")
        elif birth_date < FIRST_DAY:
            errors.setdefault("birth_date", []).append(
                f"The birth date is before {FIRST_DAY.year}: check the year."
            )
    if (changed is None or "phone" in changed) and patient.phone.strip():
        region = phone_region()
        if phone_key(patient.phone, region) is None:
            errors.setdefault("phone", []).append(
                "This is not a phone number. A number without a + is read as a "
                f"{region} number; give the country code (e.g. +44) for one from elsewhere."
            )
    if errors:
        raise ValidationError(errors)


def _reject_unknown(fields: Mapping[str, object]) -> None:
    # A programming error in a caller, reported like bad input so it can never
    # slip a non-writable attribute (user, public_id) onto the row.
    unknown = sorted(set(fields) - WRITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be written."] for name in unknown})


class DuplicatePatient(Conflict):
    """The new patient looks like one the clinic already has (`matches`, oldest first).

    Interfaces offer the existing record instead; a caller who has checked that this is
    someone else registers them with `confirm_new=True`.
    """

    def __init__(self, matches: Sequence[Patient]) -> None:
        first = matches[0]
        super().__init__(
            f"This looks like {first.full_name}, born {_long_date(first.birth_date)}, who is already "
            "a patient: use that record, or confirm that this is someone else.",
            code="duplicate_patient",
        )
        self.matches = list(matches)


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def patient_create(
    *, actor: User, referred: bool = False, confirm_new: bool = False, **fields: object
) -> Patient:
    """Register a patient. Clinic staff (front desk, clinic admin) may; a referrer may when sending a referral.

    A new patient who matches an existing one (patients/identity.py: name and birth date, plus
    phone or e-mail) is not registered twice:

    - clinic staff get DuplicatePatient (409) naming the existing records, unless they
      confirm that this is someone else (`confirm_new=True`);
    - anyone else (a referrer) gets a new record, as if nothing matched, marked
      `suspected_duplicate_of` the existing one for the front desk to compare and merge.

    Why not link a referrer's patient to the existing record, or tell them it exists? Either
    would disclose that a person with that name, birth date and phone or e-mail is a patient of
    the clinic, and linking would open that person's whole chart (intakes, screening, plans,
    visits) to whoever typed those details: a referrer's portal scope is "the patients I
    referred". A held record shows the referrer only what they sent; the front desk, who sees
    every patient, decides whether it is the same person, and merging then gives the referrer
    access through their referral, as for any patient they refer.
    """
    permission = "patients.add_referred_patient" if referred else "patients.add_patient"
    if not actor.has_perm(permission):
        raise PermissionDenied("You do not have permission to register patients.")
    _reject_unknown(fields)
    patient = Patient(**fields)
    _validate(patient)
    matches = patient_duplicates(identity_of(patient))
    if matches and not actor.has_perm("patients.see_duplicates"):
        patient.suspected_duplicate_of = matches[0]
    elif matches and not confirm_new:
        raise DuplicatePatient(matches)
    with transaction.atomic():
        patient.save()
    return patient


def patient_update(*, actor: User, patient: Patient, data: Mapping[str, object]) -> Patient:
    """Change some fields of `patient`; fields absent from `data` stay as they are."""
    _reject_unknown(data)
    if actor.has_perm("patients.change_patient"):
        allowed = WRITABLE_FIELDS
    elif actor.has_perm("patients.change_own_patient", patient):
        allowed = SELF_SERVICE_FIELDS
    else:
        raise PermissionDenied("You do not have permission to change this patient.")
    forbidden = sorted(set(data) - allowed)
    if forbidden:
        raise FieldsForbidden(
            "You do not have permission to change some of these fields.",
            fields=dict.fromkeys(forbidden, "Only the clinic can change this field."),
        )
    for name, value in data.items():
        setattr(patient, name, value)
    try:
        _validate(patient, changed=list(data))
    except ValidationError:
        # Leave the caller's instance as the database has it, not half-changed.
        patient.refresh_from_db()
        raise
    with transaction.atomic():
        patient.save()
    return patient
