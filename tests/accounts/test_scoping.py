"""The scope functions: who sees which patients, appointments and referrals (invariant 7)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.patients.selectors import patient_scope
from kneadwell.referrals.selectors import referral_scope
from kneadwell.scheduling.selectors import appointment_scope


def _names(qs):
    return sorted(p.given_name for p in qs)


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("admin", ["Pat", "Paula"]),
        ("desk", ["Pat", "Paula"]),
        ("tess", ["Pat"]),
        ("theo", ["Paula"]),
        ("pat", ["Pat"]),
        ("paula", ["Paula"]),
        ("rita", ["Pat"]),
        ("rob", ["Paula"]),
    ],
)
def test_each_persona_sees_exactly_their_patients(cast, username, expected):
    user = type(cast.admin).objects.get(username=username)
    assert _names(patient_scope(user)) == expected
    assert _names(a.patient for a in appointment_scope(user)) == expected
    assert _names(r.patient for r in referral_scope(user)) == expected


def test_anonymous_and_inactive_users_see_nothing(cast):
    assert not patient_scope(AnonymousUser()).exists()
    cast.desk.is_active = False
    assert not patient_scope(cast.desk).exists()
    assert not appointment_scope(cast.desk).exists()


def test_out_of_scope_is_indistinguishable_from_missing(cast):
    with pytest.raises(Http404) as other:
        get_in_scope_or_404(patient_scope(cast.pat_user), cast.paula.public_id)
    with pytest.raises(Http404) as missing:
        get_in_scope_or_404(patient_scope(cast.pat_user), "00000000-0000-0000-0000-000000000000")
    assert str(other.value) == str(missing.value)


@pytest.mark.parametrize("bad", ["1", "not-a-uuid", None, "' OR 1=1 --"])
def test_a_malformed_id_is_a_404(cast, bad):
    with pytest.raises(Http404):
        get_in_scope_or_404(patient_scope(cast.desk), bad)


def test_a_sequential_database_id_is_not_accepted(cast):
    with pytest.raises(Http404):
        get_in_scope_or_404(patient_scope(cast.desk), cast.pat.pk)
