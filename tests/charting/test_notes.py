"""Session notes: start from the plan, save, sign (then immutable, in the database too), amend with a
reason and keep every version; only the note's own therapist writes; screened-out visits need a statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, transaction

from kneadwell.billing.units import TIMED_CODES as ENGINE_CODES
from kneadwell.charting.content import TIMED_CODES, FeedbackIn, WorkLineIn
from kneadwell.charting.models import FeedbackEvent, NoteVersion, VersionStatus, WorkLine
from kneadwell.charting.selectors import current_version, last_session, overdue_notes, visible_versions
from kneadwell.charting.services import note_amend, note_feedback_add, note_save, note_sign, note_start
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn
from kneadwell.lib.errors import Conflict, DomainError, FieldErrors
from kneadwell.scheduling.models import AppointmentStatus
from tests.records import content, signed_note, treatable, visit

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)


@pytest.fixture
def appt(cast):  # type: ignore[no-untyped-def]
    treatable(cast)
    cast.pat_appointment.status = AppointmentStatus.COMPLETED
    cast.pat_appointment.save()
    return cast.pat_appointment


def test_the_charting_codes_are_the_billing_engines_timed_codes():
    assert set(TIMED_CODES) == set(ENGINE_CODES)


def test_a_note_starts_from_the_session_plan(cast, appt):
    note = note_start(actor=cast.tess_user, appointment=appt)
    version = current_version(note)

    lines = list(version.work_lines.all())
    assert version.number == 1
    assert version.status == VersionStatus.DRAFT
    assert [line.region for line in lines][:1] == ["neck"]
    assert sum(line.minutes for line in lines) == version.plan_snapshot["segments"][0]["minutes"] + sum(
        s["minutes"] for s in version.plan_snapshot["segments"][1:]
    )
    assert all(line.pressure in ("light", "medium", "firm", "deep") for line in lines)
    # Starting again returns the same note.
    assert note_start(actor=cast.tess_user, appointment=appt) == note


def test_only_the_appointments_therapist_starts_its_note(cast, appt):
    with pytest.raises(PermissionDenied):
        note_start(actor=cast.theo_user, appointment=appt)
    with pytest.raises(PermissionDenied):
        note_start(actor=cast.desk, appointment=appt)


def test_a_cancelled_visit_has_no_note(cast, appt):
    appt.status = AppointmentStatus.CANCELLED
    appt.save()
    with pytest.raises(DomainError) as err:
        note_start(actor=cast.tess_user, appointment=appt)
    assert err.value.field == "appointment"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nprs_before": 11}, "nprs_before"),
        ({"nprs_after": -1}, "nprs_after"),
        ({"work_lines": (WorkLineIn(region="neck", minutes=50, pressure="firm"), WorkLineIn(region="upper_back", minutes=20, pressure="firm"))}, "work_lines[1].minutes"),
        ({"work_lines": (WorkLineIn(region="elbowz", minutes=5, pressure="firm"),)}, "work_lines[0].region"),
        ({"work_lines": (WorkLineIn(region="shoulder", minutes=5, pressure="firm"),)}, "work_lines[0].side"),
        ({"work_lines": (WorkLineIn(region="neck", minutes=5, pressure="hard"),)}, "work_lines[0].pressure"),
        ({"work_lines": (WorkLineIn(region="neck", minutes=5, pressure="firm", techniques=("reiki",)),)}, "work_lines[0].techniques[0]"),
        ({"work_lines": (WorkLineIn(region="neck", minutes=5, pressure="firm", code="99999"),)}, "work_lines[0].code"),
        ({"feedback": (FeedbackIn(region="neck", pressure="firm", feedback="ouch"),)}, "feedback[0].feedback"),
    ],
)  # fmt: skip
def test_bad_content_is_refused_naming_the_field_and_nothing_is_written(cast, appt, changes, field):
    note = note_start(actor=cast.tess_user, appointment=appt)
    before = list(current_version(note).work_lines.values_list("region", "minutes"))

    with pytest.raises(FieldErrors) as err:
        note_save(actor=cast.tess_user, note=note, content=content(**changes))

    assert field in err.value.errors
    assert list(current_version(note).work_lines.values_list("region", "minutes")) == before
    assert current_version(note).nprs_before is None


def test_code_is_suggested_from_the_techniques_when_not_given(cast, appt):
    note = note_start(actor=cast.tess_user, appointment=appt)
    body = content(
        work_lines=(
            WorkLineIn(
                region="neck", minutes=20, pressure="firm", techniques=("trigger_point", "myofascial_release")
            ),
            WorkLineIn(
                region="upper_back", minutes=10, pressure="firm", techniques=("swedish", "trigger_point")
            ),
            WorkLineIn(region="low_back", minutes=10, pressure="firm", techniques=("swedish",), code=""),
        )
    )
    version = note_save(actor=cast.tess_user, note=note, content=body)
    assert list(version.work_lines.values_list("code", flat=True)) == ["97140", "", ""]


def test_signing_makes_the_version_immutable_and_edits_are_409(cast, appt):
    note = signed_note(cast.tess_user, appt)

    with pytest.raises(Conflict):
        note_save(actor=cast.tess_user, note=note, content=content(subjective="changed"))
    with pytest.raises(Conflict):
        note_feedback_add(
            actor=cast.tess_user,
            note=note,
            feedback=FeedbackIn(region="neck", pressure="firm", feedback="ok"),
        )
    with pytest.raises(Conflict):
        note_sign(actor=cast.tess_user, note=note)
    assert current_version(note).subjective == content().subjective


def test_the_database_refuses_to_change_a_signed_version_or_its_lines(cast, appt):
    note = signed_note(cast.tess_user, appt)
    version = current_version(note)
    line = version.work_lines.first()

    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        NoteVersion.objects.filter(pk=version.pk).update(assessment="rewritten")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        WorkLine.objects.filter(pk=line.pk).update(minutes=1)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        FeedbackEvent.objects.filter(version=version).update(feedback="ok")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE charting_noteversion SET subjective = 'x' WHERE id = %s", [version.pk])
    with pytest.raises(TypeError):
        version.delete()
    version.refresh_from_db()
    assert version.assessment == content().assessment


def test_only_the_notes_own_therapist_signs_or_edits(cast, appt):
    note = note_start(actor=cast.tess_user, appointment=appt)
    note_save(actor=cast.tess_user, note=note, content=content())
    for user in (cast.theo_user, cast.desk, cast.admin, cast.pat_user):
        with pytest.raises(PermissionDenied):
            note_sign(actor=user, note=note)
        with pytest.raises(PermissionDenied):
            note_save(actor=user, note=note, content=content())
    assert current_version(note).status == VersionStatus.DRAFT


def test_an_amendment_is_a_new_version_with_a_reason_and_the_old_stays_readable(cast, appt):
    note = signed_note(cast.tess_user, appt)

    with pytest.raises(DomainError) as err:
        note_amend(actor=cast.tess_user, note=note, reason="  ")
    assert err.value.field == "reason"

    v2 = note_amend(actor=cast.tess_user, note=note, reason="NPRS after was 4, not 3")
    assert v2.number == 2
    assert v2.status == VersionStatus.DRAFT
    assert v2.work_lines.count() == 2
    assert v2.marks.count() == 1
    with pytest.raises(Conflict):
        note_amend(actor=cast.tess_user, note=note, reason="again")

    note_save(actor=cast.tess_user, note=note, content=content(nprs_after=4))
    note_sign(actor=cast.tess_user, note=note)

    versions = visible_versions(note, cast.tess_user)
    assert [(v.number, v.nprs_after, v.status) for v in versions] == [(1, 3, "signed"), (2, 4, "signed")]
    assert versions[1].amendment_reason == "NPRS after was 4, not 3"


def test_a_screened_out_visit_needs_the_clinicians_statement_to_sign(cast, appt):
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Neck",
        areas=[AreaIn(region="neck")],
        answers=HealthAnswersIn(fever=True),
    )
    note = note_start(actor=cast.tess_user, appointment=appt)
    version = current_version(note)
    assert version.screening_decision in ("defer", "refer_out")
    assert version.work_lines.count() == 0  # nothing was planned

    note_save(actor=cast.tess_user, note=note, content=content())
    with pytest.raises(DomainError) as err:
        note_sign(actor=cast.tess_user, note=note)
    assert err.value.field == "safety_statement"

    note_save(
        actor=cast.tess_user,
        note=note,
        content=content(
            safety_statement="Temperature taken at arrival: 36.8 °C; fever resolved two days ago per patient."
        ),
    )
    assert note_sign(actor=cast.tess_user, note=note).status == VersionStatus.SIGNED


def test_last_session_reads_feedback_findings_and_painful_techniques(cast, appt):
    body = content(
        work_lines=(
            WorkLineIn(
                region="neck",
                minutes=25,
                pressure="firm",
                techniques=("swedish", "trigger_point"),
                response="pain_increased",
            ),
        )
    )
    signed_note(cast.tess_user, appt, body)

    last = last_session(cast.pat)

    assert [(f.area.region, f.feedback) for f in last.feedback] == [("neck", "too_deep")]
    assert [(f.area.region, f.kind) for f in last.findings] == [("neck", "trigger_point")]
    assert {t.technique for t in last.painful_techniques} == {"swedish", "trigger_point"}


def test_overdue_unsigned_notes_show_for_the_therapist_and_the_desk(cast, appt, settings):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)):
        assert [o.appointment for o in overdue_notes(cast.tess_user)] == [appt]
        assert [o.appointment for o in overdue_notes(cast.desk)] == [appt]
        assert overdue_notes(cast.theo_user) == []
        assert overdue_notes(cast.pat_user) == []
        signed_note(cast.tess_user, appt)
        assert overdue_notes(cast.tess_user) == []
    with time_machine.travel(dt.datetime(2026, 12, 1, 17, tzinfo=dt.UTC)):
        later = visit(cast, dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC) + dt.timedelta(days=1))
        assert later not in [o.appointment for o in overdue_notes(cast.tess_user)]  # not yet past the hours
