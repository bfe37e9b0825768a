from __future__ import annotations

from django.db.models import QuerySet

from kneadwell.accounts.models import STAFF_ROLES, Role, Viewer
from kneadwell.lib.paging import capped_count
from kneadwell.patients.selectors import in_patient_scope

from .models import Clearance, Referral, ReferralStatus


def referral_scope(user: Viewer) -> QuerySet[Referral]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    qs = Referral.objects.select_related("patient", "provider")
    role = user.role
    if role in STAFF_ROLES:
        return qs
    if role == Role.REFERRER:
        return qs.filter(provider__user=user)
    if role == Role.PATIENT:
        return qs.filter(patient__user=user)
    if role == Role.THERAPIST:
        return qs.filter(in_patient_scope(user))
    return qs.none()


def clearance_scope(user: Viewer) -> QuerySet[Clearance]:
    """Clearances: the provider's own (referrer), the patient's own, their patients' (therapist), all (staff)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Clearance.objects.none()
    qs = Clearance.objects.select_related("patient", "provider")
    role = user.role
    if role in STAFF_ROLES:
        return qs
    if role == Role.REFERRER:
        return qs.filter(provider__user=user)
    if role in (Role.PATIENT, Role.THERAPIST):
        return qs.filter(in_patient_scope(user))
    return qs.none()


# The Today page's "New referrals" counter reads at most this many and one more ("99+"), so a long
# unread inbox costs the page no more than a short one.
NEW_REFERRALS_CAP = 99


def new_referral_count(*, cap: int = NEW_REFERRALS_CAP) -> int:
    """Referrals received and not yet triaged, counted up to `cap` + 1 (a LIMIT-ed subquery on the
    (status, received_on, id) index): more than `cap` reads as `cap` + 1."""
    return capped_count(Referral.objects.filter(status=ReferralStatus.RECEIVED), cap)
