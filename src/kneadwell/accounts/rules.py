"""Action permissions (who may do what), as `rules` predicates.

Reading is governed by the scopes in each app's selectors; these rules decide
the actions on top of that.
"""

from __future__ import annotations

import rules

from .models import Role


@rules.predicate
def is_front_desk(user) -> bool:  # type: ignore[no-untyped-def]
    return getattr(user, "role", None) == Role.FRONT_DESK


@rules.predicate
def is_clinic_admin(user) -> bool:  # type: ignore[no-untyped-def]
    return getattr(user, "role", None) == Role.CLINIC_ADMIN


@rules.predicate
def is_therapist(user) -> bool:  # type: ignore[no-untyped-def]
    return getattr(user, "role", None) == Role.THERAPIST


@rules.predicate
def is_patient(user) -> bool:  # type: ignore[no-untyped-def]
    return getattr(user, "role", None) == Role.PATIENT


@rules.predicate
def is_referrer(user) -> bool:  # type: ignore[no-untyped-def]
    return getattr(user, "role", None) == Role.REFERRER


is_clinic_staff = is_front_desk | is_clinic_admin

rules.add_perm("patients.add_patient", is_clinic_staff)
rules.add_perm("patients.change_patient", is_clinic_staff)
rules.add_perm("patients.add_referred_patient", is_clinic_staff | is_referrer)
rules.add_perm("therapists.add_therapist", is_clinic_admin)
rules.add_perm("therapists.change_therapist", is_clinic_admin)
rules.add_perm("accounts.view_auditevent", is_clinic_admin)
rules.add_perm("clinic.change_settings", is_clinic_admin)
