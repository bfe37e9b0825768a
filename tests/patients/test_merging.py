"""Merging two records of one person moves every row, is audited, and is undone from the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from kneadwell.accounts.audit import verify_chain
from kneadwell.accounts.models import AuditEvent
from kneadwell.clinic.models import Room
from kneadwell.intake.models import Intake
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.patients.merging import MERGE_EVENT, UNMERGE_EVENT, merge_event, patient_merge, patient_unmerge
from kneadwell.patients.models import Patient
from kneadwell.patients.selectors import patient_scope
from kneadwell.planning.models import CarePlan, HandOff
from kneadwell.planning.services import care_plan_draft
from kneadwell.referrals.models import CareTeamMember, Clearance, Referral
from kneadwell.scheduling.models import Appointment

DUPLICATE = {"given_name": "Pat", "family_name": "Palmer", "birth_date": dt.date(1980, 5, 1)}


def _rows_of(patient: Patient) -> dict[str, set[int]]:
    return {
        model.__name__: set(model.objects.filter(patient=patient).values_list("pk", flat=True))
        for model in (Intake, Referral, Clearance, CareTeamMember, CarePlan, HandOff, Appointment)
    }


@pytest.fixture
def two_records(cast):  # type: ignore[no-untyped-def]
    """Pat's record, and a second record of Pat (a referrer's) with a history of its own."""
    twin = Patient.objects.create(**DUPLICATE, email="pat@example.org", suspected_duplicate_of=cast.pat)
    Referral.objects.create(patient=twin, provider=cast.rob, received_on=dt.date(2026, 11, 5), reason="Knee")
    Clearance.objects.create(
        patient=twin, provider=cast.rob, scope="general", granted_on=dt.date(2026, 11, 5)
    )
    CareTeamMember.objects.create(patient=twin, provider=cast.rob, role="referring")
    CareTeamMember.objects.create(patient=twin, provider=cast.rita, role="treating")  # Pat has Rita too
    CareTeamMember.objects.create(patient=cast.pat, provider=cast.rita, role="referring")
    Intake.objects.create(patient=twin, channel="phone", chief_complaint="Knee", recorded_by=cast.desk)
    care_plan_draft(actor=cast.desk, patient=twin, conditions=["low_back_pain"])
    HandOff.objects.create(patient=twin, from_therapist=cast.tess, to_therapist=cast.theo, note="Knee")
    Appointment.objects.filter(pk=cast.paula_appointment.pk).update(patient=twin)
    return cast, twin


def test_a_merge_moves_every_row_and_takes_the_merged_record_out_of_sight(two_records):
    cast, twin = two_records
    pat_before, twin_before = _rows_of(cast.pat), _rows_of(twin)

    result = patient_merge(actor=cast.desk, source=twin, target=cast.pat)

    after = _rows_of(cast.pat)
    for kind, rows in twin_before.items():
        if kind == "CareTeamMember":
            continue
        assert after[kind] == pat_before[kind] | rows, kind
    # Rob joins Pat's care team; Rita was on it already, so the twin's copy stays with the twin.
    assert set(CareTeamMember.objects.filter(patient=cast.pat).values_list("provider", flat=True)) == {
        cast.rita.pk,
        cast.rob.pk,
    }
    assert result.moved["referrals.referral.patient"] == 1
    twin.refresh_from_db()
    cast.pat.refresh_from_db()
    assert twin.merged_into == cast.pat
    assert (twin.suspected_duplicate_of, cast.pat.email) == (None, "pat@example.org")
    assert not patient_scope(cast.desk).filter(pk=twin.pk).exists()
    # Rob referred the twin: through the moved referral he now sees Pat, as any referrer sees whom they refer.
    assert patient_scope(cast.rob_user).filter(pk=cast.pat.pk).exists()


def test_the_merge_is_audited_with_what_moved(two_records):
    cast, twin = two_records

    result = patient_merge(actor=cast.desk, source=twin, target=cast.pat)

    events = AuditEvent.objects.filter(object_type=MERGE_EVENT, object_id=result.merge_id)
    assert {e.patient_id for e in events} == {str(cast.pat.public_id), str(twin.public_id)}
    detail = events[0].detail["merge"]
    assert detail["moved"]["referrals.referral.patient"] == list(
        Referral.objects.filter(patient=cast.pat, provider=cast.rob).values_list("pk", flat=True)
    )
    assert detail["filled"] == ["email"]
    assert "pat@example.org" not in str(detail)  # names of fields, never the chart's values
    found = merge_event(twin)
    assert found is not None
    assert found.object_id == result.merge_id
    assert verify_chain().ok


def test_unmerge_restores_both_records_from_the_audit_trail(two_records):
    cast, twin = two_records
    pat_before, twin_before = _rows_of(cast.pat), _rows_of(twin)
    patient_merge(actor=cast.desk, source=twin, target=cast.pat)
    later = Intake.objects.create(
        patient=cast.pat, channel="phone", chief_complaint="After", recorded_by=cast.desk
    )

    result = patient_unmerge(actor=cast.desk, source=Patient.objects.get(pk=twin.pk))

    assert _rows_of(twin) == twin_before
    assert _rows_of(cast.pat) == {**pat_before, "Intake": pat_before["Intake"] | {later.pk}}
    twin.refresh_from_db()
    cast.pat.refresh_from_db()
    assert (twin.merged_into, twin.suspected_duplicate_of) == (None, cast.pat)
    assert cast.pat.email == ""
    assert result.moved["referrals.referral.patient"] == 1
    assert AuditEvent.objects.filter(object_type=UNMERGE_EVENT, object_id=result.merge_id).count() == 2


def test_a_portal_login_moves_with_the_merge_and_back(cast):
    twin = Patient.objects.create(**DUPLICATE, user=None)
    pat_user = cast.pat.user
    # Merge Pat (with the login) into the twin record.
    patient_merge(actor=cast.desk, source=cast.pat, target=twin)
    twin.refresh_from_db()
    assert twin.user == pat_user
    assert patient_scope(pat_user).get() == twin

    patient_unmerge(actor=cast.desk, source=Patient.objects.get(pk=cast.pat.pk))

    assert Patient.objects.get(pk=cast.pat.pk).user == pat_user
    assert Patient.objects.get(pk=twin.pk).user is None


def test_two_records_with_a_login_each_are_not_merged(cast):
    with pytest.raises(DomainError):
        patient_merge(actor=cast.desk, source=cast.paula, target=cast.pat)
    assert Patient.objects.get(pk=cast.paula.pk).merged_into is None


@pytest.mark.parametrize("who", ["tess_user", "pat_user", "rita_user"])
def test_only_the_clinic_merges(cast, who):
    twin = Patient.objects.create(**DUPLICATE)
    with pytest.raises(PermissionDenied):
        patient_merge(actor=getattr(cast, who), source=twin, target=cast.pat)


def test_a_record_is_not_merged_with_itself_nor_twice(cast):
    twin = Patient.objects.create(**DUPLICATE)
    with pytest.raises(DomainError):
        patient_merge(actor=cast.desk, source=cast.pat, target=cast.pat)
    patient_merge(actor=cast.desk, source=twin, target=cast.pat)
    with pytest.raises(DomainError):
        patient_merge(actor=cast.desk, source=Patient.objects.get(pk=twin.pk), target=cast.paula)


def test_a_record_not_merged_cannot_be_unmerged(cast):
    with pytest.raises(DomainError):
        patient_unmerge(actor=cast.desk, source=cast.pat)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the patient-overlap constraint is PostgreSQL's"
)
def test_records_booked_at_overlapping_times_are_not_merged_on_postgresql(cast):
    twin = Patient.objects.create(**DUPLICATE)
    booked = cast.pat_appointment
    Appointment.objects.create(
        patient=twin,
        therapist=cast.theo,
        room=Room.objects.create(location=cast.hospital, name="Room 2"),
        location=cast.hospital,
        service=booked.service,
        start=booked.start,
        end=booked.end,
        blocked_until=booked.blocked_until,
        channel="phone",
    )

    with pytest.raises(Conflict) as exc:
        patient_merge(actor=cast.desk, source=twin, target=cast.pat)

    assert "overlapping" in exc.value.message
    assert Patient.objects.get(pk=twin.pk).merged_into is None
    assert Appointment.objects.filter(patient=twin).count() == 1
    assert not AuditEvent.objects.filter(object_type=MERGE_EVENT).exists()
