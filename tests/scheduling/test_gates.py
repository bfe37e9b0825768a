"""The booking gate: screening holds, matching's exclusions, and profiles equal to planning's own."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kneadwell.clinic.models import Service
from kneadwell.intake.screening import Decision
from kneadwell.lib.errors import DomainError
from kneadwell.planning.selectors import therapist_profiles
from kneadwell.scheduling.gates import blocked_message, clinical_booking_gate, location_profiles, visit_holds
from kneadwell.scheduling.selectors import visit_history
from kneadwell.therapists.models import Expertise, Training
from tests.cast import Cast
from tests.planning.builders import finding, screening

ON = dt.date(2026, 11, 25)


def test_location_profiles_are_planning_profiles_of_the_therapists_here(cast: Cast):
    Training.objects.create(therapist=cast.tess, technique="swedish")
    Expertise.objects.create(therapist=cast.theo, condition="low_back_pain", level=2)
    cast.tess.licences.update(intraoral_scope=True)
    cast.theo.locations.add(cast.chiro)
    history = visit_history(cast.pat)
    here = str(cast.hospital.public_id)

    ours = {p.id: p for p in location_profiles(cast.hospital, history)}
    theirs = {
        p.id: replace(p, location_ids=frozenset({here}))
        for p in therapist_profiles(history)
        if here in p.location_ids
    }

    assert ours == theirs
    assert set(ours) == {str(cast.tess.public_id), str(cast.theo.public_id)}


def test_relaxation_passes_with_every_therapist(cast: Cast):
    gate = clinical_booking_gate(
        patient=cast.pat, service=Service.objects.get(code="relaxation-60"), location=cast.hospital, on=ON
    )
    assert not gate.clinical
    assert gate.allowed_public_ids() is None
    assert gate.allows(cast.theo)


def test_a_clinical_gate_scores_and_keeps_only_matched_therapists(cast: Cast):
    cast.theo.licences.update(expires=ON - dt.timedelta(days=1))
    gate = clinical_booking_gate(
        patient=cast.pat, service=Service.objects.get(code="therapeutic-60"), location=cast.hospital, on=ON
    )
    assert gate.allowed_public_ids() == frozenset({str(cast.tess.public_id)})
    assert gate.match_score(str(cast.tess.public_id)) is not None
    with pytest.raises(DomainError) as exc:
        gate.check_therapist(cast.theo)
    assert (exc.value.field, exc.value.code) == ("therapist", "licence_expired")


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ((finding(severity=Decision.PROCEED_WITH_PRECAUTIONS),), None),
        ((finding(severity=Decision.DEFER),), Decision.DEFER),
        ((finding(severity=Decision.REFER_OUT), finding(severity=Decision.DEFER)), Decision.REFER_OUT),
        ((finding(severity=Decision.NEEDS_CLEARANCE),), Decision.NEEDS_CLEARANCE),
    ],
)
def test_whole_visit_holds(findings, expected):
    hold = visit_holds(screening(*findings))
    assert (hold[0] if hold else None) == expected


def test_a_local_clearance_does_not_hold_the_whole_visit():
    from kneadwell.knowledge.vocabulary import Area

    local = finding(severity=Decision.NEEDS_CLEARANCE, area=Area("knee", "right"))
    assert visit_holds(screening(local)) is None


def test_the_patient_reads_their_own_words_and_staff_the_rule():
    f = finding(severity=Decision.DEFER)
    staff = blocked_message(screening(f), for_patient=False)
    patient = blocked_message(screening(f), for_patient=True)
    assert "To go ahead:" in staff
    assert f.message_staff not in patient
    assert f.message_patient in patient
