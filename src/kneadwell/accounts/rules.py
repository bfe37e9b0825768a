"""Action permissions (who may do what), as `rules` predicates, checked with `user.has_perm(...)`.

Reading is governed by the scopes in each app's selectors; these rules decide the actions on top of
that. Services check them (so every interface gets the same answer); pages and endpoints may check
them first to hide what a role cannot do. Object-level rules take the object the action is about.
"""

from __future__ import annotations

from typing import Any

import rules

from .models import CARE_ROLES, STAFF_ROLES, Role

# A user as the rules see it: a User, or Django's AnonymousUser (role-less).
Actor = Any


def _role(user: Actor) -> str | None:
    return getattr(user, "role", None)


@rules.predicate
def is_front_desk(user: Actor) -> bool:
    return _role(user) == Role.FRONT_DESK


@rules.predicate
def is_clinic_admin(user: Actor) -> bool:
    return _role(user) == Role.CLINIC_ADMIN


@rules.predicate
def is_therapist(user: Actor) -> bool:
    return _role(user) == Role.THERAPIST


@rules.predicate
def is_patient(user: Actor) -> bool:
    return _role(user) == Role.PATIENT


@rules.predicate
def is_referrer(user: Actor) -> bool:
    return _role(user) == Role.REFERRER


@rules.predicate
def is_clinic_staff(user: Actor) -> bool:
    return _role(user) in STAFF_ROLES


@rules.predicate
def is_care_staff(user: Actor) -> bool:
    """Those who treat or run the clinic: front desk, clinic admins and therapists."""
    return _role(user) in CARE_ROLES


@rules.predicate
def is_own_record(user: Actor, patient: Any) -> bool:
    """The patient record is the user's own."""
    return patient is not None and patient.user_id is not None and patient.user_id == user.pk


@rules.predicate
def is_the_asked_provider(user: Actor, clearance: Any) -> bool:
    """The clearance was asked of this referrer (their provider record)."""
    return clearance is not None and clearance.provider.user_id == user.pk


@rules.predicate
def is_plans_therapist(user: Actor, plan: Any) -> bool:
    """The plan of care is drafted for this therapist, or for no one yet (whoever approves it treats)."""
    if plan is None:
        return False
    return plan.therapist_id is None or plan.therapist.user_id == user.pk


@rules.predicate
def is_appointments_therapist(user: Actor, appointment: Any) -> bool:
    """The appointment is with this therapist (their own session)."""
    return appointment is not None and appointment.therapist.user_id == user.pk


@rules.predicate
def is_notes_therapist(user: Actor, note: Any) -> bool:
    """The session note is this therapist's own (the therapist of its appointment)."""
    return note is not None and note.therapist.user_id == user.pk


@rules.predicate
def is_own_therapist_record(user: Actor, therapist: Any) -> bool:
    """The therapist record is the user's own."""
    return therapist is not None and therapist.user_id is not None and therapist.user_id == user.pk


rules.add_perm("patients.add_patient", is_clinic_staff)
rules.add_perm("patients.change_patient", is_clinic_staff)
rules.add_perm("patients.change_own_patient", is_patient & is_own_record)
rules.add_perm("patients.add_referred_patient", is_clinic_staff | is_referrer)
rules.add_perm("therapists.add_therapist", is_clinic_admin)
rules.add_perm("therapists.change_therapist", is_clinic_admin)
rules.add_perm("accounts.view_auditevent", is_clinic_admin)
rules.add_perm("clinic.change_settings", is_clinic_admin)
rules.add_perm("intake.add_intake", is_care_staff | (is_patient & is_own_record))
rules.add_perm("referrals.add_referral", is_clinic_staff | is_referrer)
rules.add_perm("referrals.change_referral", is_clinic_staff)
rules.add_perm("referrals.add_clearance", is_clinic_staff | is_referrer)
rules.add_perm("referrals.request_clearance", is_care_staff)
rules.add_perm("referrals.decide_clearance", is_referrer & is_the_asked_provider)
rules.add_perm("referrals.add_careteam", is_clinic_staff)
rules.add_perm("planning.add_careplan", is_care_staff)
rules.add_perm("planning.change_careplan", is_care_staff)
rules.add_perm("planning.approve_careplan", is_therapist & is_plans_therapist)
rules.add_perm("planning.add_handoff", is_therapist)

# Session records (issue 11): notes are written, signed and amended by the session's own therapist only.
rules.add_perm("charting.add_note", is_therapist & is_appointments_therapist)
rules.add_perm("charting.change_note", is_therapist & is_notes_therapist)
rules.add_perm("charting.sign_note", is_therapist & is_notes_therapist)
rules.add_perm("charting.amend_note", is_therapist & is_notes_therapist)
# Consents: the patient in the portal, or the clinic on its tablet with the patient present.
rules.add_perm("charting.add_consent", is_care_staff | (is_patient & is_own_record))
rules.add_perm("charting.withdraw_consent", is_care_staff | (is_patient & is_own_record))
# Measurements by the clinic; questionnaires by the patient (portal) or with the clinic (tablet).
rules.add_perm("outcomes.add_measurement", is_care_staff)
rules.add_perm("outcomes.void_measurement", is_care_staff)
rules.add_perm("outcomes.add_response", is_care_staff | (is_patient & is_own_record))
rules.add_perm("outcomes.send_report", is_care_staff)
rules.add_perm("billing.view_superbill", is_care_staff)
# Messages and calendars (notifications/).
rules.add_perm("notifications.change_contactpreference", is_clinic_staff | (is_patient & is_own_record))
rules.add_perm("notifications.retry_message", is_clinic_staff)
rules.add_perm("notifications.view_message", is_clinic_staff)
rules.add_perm("notifications.manage_patient_feed", is_clinic_staff | (is_patient & is_own_record))
rules.add_perm(
    "notifications.manage_therapist_feed", is_clinic_admin | (is_therapist & is_own_therapist_record)
)
