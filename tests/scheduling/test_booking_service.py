"""The booking service's front door, the status table, cancellation policy, rescheduling and the audit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from kneadwell.accounts.models import AuditEvent
from kneadwell.clinic.models import ClinicSettings, LateCancellationPolicy, Room, Service
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn
from kneadwell.lib.errors import Conflict, DomainError
from kneadwell.lib.zones import local_to_utc
from kneadwell.referrals.services import clearance_grant
from kneadwell.scheduling.gates import BookingBlocked
from kneadwell.scheduling.models import Appointment, AppointmentStatus
from kneadwell.scheduling.services import (
    TRANSITIONS,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
)
from kneadwell.therapists.models import TimeOff
from tests.cast import Cast

NY = "America/New_York"
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
WEDNESDAY = dt.date(2026, 11, 25)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), NY)


@pytest.fixture
def clinic(cast: Cast):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield cast


def book(cast: Cast, start: dt.datetime, **kw):  # type: ignore[no-untyped-def]
    args = {
        "actor": cast.desk,
        "patient": cast.pat,
        "service": Service.objects.get(code="therapeutic-60"),
        "location": cast.hospital,
        "therapist": cast.tess,
        "start": start,
    }
    args.update(kw)
    return appointment_book(**args)


def _intake(cast: Cast, **answers: object) -> None:
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Stiff neck",
        areas=[AreaIn(region="neck")],
        answers=HealthAnswersIn(**answers),  # type: ignore[arg-type]
    )


class TestBooking:
    def test_books_holds_the_turnover_and_is_audited(self, clinic):
        booked = book(clinic, at(WEDNESDAY, 10))

        a = booked.appointment
        assert (a.start, a.end, a.blocked_until) == (
            at(WEDNESDAY, 10),
            at(WEDNESDAY, 11),
            at(WEDNESDAY, 11, 15),
        )
        assert not booked.replayed
        event = AuditEvent.objects.get(object_type="appointment", action="create")
        assert (event.object_id, event.patient_id, event.actor) == (
            str(a.public_id),
            str(clinic.pat.public_id),
            clinic.desk,
        )

    @pytest.mark.parametrize(
        ("start", "code"),
        [
            (at(WEDNESDAY, 10, 3), "start_off_alignment"),
            (at(WEDNESDAY, 10) + dt.timedelta(seconds=30), "start_off_alignment"),
            (NOW - dt.timedelta(hours=1), "start_too_soon"),  # already past
            (NOW + dt.timedelta(minutes=30), "start_too_soon"),  # inside the hour's notice
            (at(WEDNESDAY, 10) + dt.timedelta(days=3650), "start_beyond_horizon"),
        ],
    )
    def test_a_start_the_policy_refuses_is_a_422_naming_start_and_writes_nothing(self, clinic, start, code):
        before = Appointment.objects.count()

        with pytest.raises(DomainError) as exc:
            book(clinic, start)

        assert (exc.value.field, exc.value.code, exc.value.status_code) == ("start", code, 422)
        assert Appointment.objects.count() == before

    def test_a_naive_start_names_start(self, clinic):
        with pytest.raises(DomainError) as exc:
            book(clinic, dt.datetime(2026, 11, 25, 10))
        assert exc.value.field == "start"

    def test_the_clinics_alignment_setting_is_the_one_enforced(self, clinic):
        ClinicSettings.objects.update_or_create(pk=1, defaults={"booking_step_minutes": 15})
        with pytest.raises(DomainError):
            book(clinic, at(WEDNESDAY, 10, 5))
        assert book(clinic, at(WEDNESDAY, 10, 15)).appointment.pk

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ("inactive_service", "service"),
            ("spot_work_at_a_hospital", "service"),
            ("therapist_elsewhere", "therapist"),
            ("expired_licence", "therapist"),
            ("time_off", "start"),
            ("outside_hours", "start"),
            ("room_elsewhere", "room"),
        ],
    )
    def test_a_request_that_can_never_succeed_is_a_422_naming_the_field(self, clinic, change, field):
        kw: dict[str, object] = {}
        start = at(WEDNESDAY, 10)
        if change == "inactive_service":
            Service.objects.filter(code="therapeutic-60").update(active=False)
        elif change == "spot_work_at_a_hospital":
            kw["service"] = Service.objects.get(code="spot-work-15")
        elif change == "therapist_elsewhere":
            clinic.tess.locations.set([clinic.chiro])
        elif change == "expired_licence":
            clinic.tess.licences.update(expires=WEDNESDAY - dt.timedelta(days=1))
        elif change == "time_off":
            TimeOff.objects.create(therapist=clinic.tess, start=at(WEDNESDAY, 9), end=at(WEDNESDAY, 12))
        elif change == "outside_hours":
            start = at(WEDNESDAY, 17, 30)
        elif change == "room_elsewhere":
            kw["room"] = clinic.chiro_room

        with pytest.raises(DomainError) as exc:
            book(clinic, start, **kw)

        assert not isinstance(exc.value, Conflict)
        assert exc.value.field == field
        assert not Appointment.objects.filter(start=start).exists()

    def test_time_off_touching_the_turnover_is_refused(self, clinic):
        TimeOff.objects.create(therapist=clinic.tess, start=at(WEDNESDAY, 11, 10), end=at(WEDNESDAY, 12))
        with pytest.raises(DomainError):
            book(clinic, at(WEDNESDAY, 10))  # blocked until 11:15
        assert book(clinic, at(WEDNESDAY, 9, 55)).appointment.pk

    def test_the_clinic_picks_another_free_room_when_the_first_is_taken(self, clinic):
        Room.objects.create(location=clinic.hospital, name="Room 2", features=["massage_table"])
        theirs = book(clinic, at(WEDNESDAY, 10), therapist=clinic.theo, patient=clinic.paula).appointment

        a = book(clinic, at(WEDNESDAY, 10)).appointment

        assert a.room != theirs.room
        assert {a.room.name, theirs.room.name} == {"Room 1", "Room 2"}

    def test_no_free_room_is_a_409_naming_the_room(self, clinic):
        book(clinic, at(WEDNESDAY, 10), therapist=clinic.theo, patient=clinic.paula)
        with pytest.raises(Conflict) as exc:
            book(clinic, at(WEDNESDAY, 10))
        assert exc.value.field == "room"


class TestIdempotency:
    def test_the_same_key_and_request_returns_the_first_booking(self, clinic):
        first = book(clinic, at(WEDNESDAY, 10), idempotency_key="call-42")
        again = book(clinic, at(WEDNESDAY, 10), idempotency_key="call-42")

        assert again.replayed
        assert again.appointment.pk == first.appointment.pk
        assert Appointment.objects.filter(idempotency_key="call-42").count() == 1

    def test_the_same_key_with_another_request_is_a_422(self, clinic):
        book(clinic, at(WEDNESDAY, 10), idempotency_key="call-42")
        with pytest.raises(DomainError) as exc:
            book(clinic, at(WEDNESDAY, 11), idempotency_key="call-42")
        assert (exc.value.field, exc.value.code) == ("idempotency_key", "idempotency_key_reused")

    @pytest.mark.parametrize("key", ["has space", "x" * 101, "ünïcode", "semi;colon"])
    def test_a_malformed_key_is_a_422(self, clinic, key):
        with pytest.raises(DomainError) as exc:
            book(clinic, at(WEDNESDAY, 10), idempotency_key=key)
        assert exc.value.field == "idempotency_key"
        assert not Appointment.objects.filter(start=at(WEDNESDAY, 10)).exists()


class TestWhoBooks:
    def test_a_referrer_does_not_book(self, clinic):
        with pytest.raises(PermissionDenied):
            book(clinic, at(WEDNESDAY, 10), actor=clinic.rita_user)

    def test_a_patient_books_only_for_themself(self, clinic):
        with pytest.raises(PermissionDenied):
            book(clinic, at(WEDNESDAY, 10), actor=clinic.pat_user, patient=clinic.paula)

    def test_a_patient_books_after_their_intake(self, clinic):
        with pytest.raises(DomainError) as exc:
            book(clinic, at(WEDNESDAY, 10), actor=clinic.pat_user)
        assert exc.value.code == "intake_required"
        _intake(clinic)
        assert book(clinic, at(WEDNESDAY, 10), actor=clinic.pat_user).appointment.booked_by == clinic.pat_user


class TestGate:
    @pytest.mark.parametrize(
        ("answers", "decision"),
        [
            ({"thunderclap_headache": True}, "refer_out"),
            ({"fever": True}, "defer"),
            ({"suspected_dvt": True}, "needs_clearance"),
        ],
    )
    def test_a_screening_that_holds_the_visit_blocks_clinical_booking(self, clinic, answers, decision):
        _intake(clinic, **answers)

        with pytest.raises(BookingBlocked) as exc:
            book(clinic, at(WEDNESDAY, 10))

        assert (exc.value.status_code, exc.value.field, exc.value.code) == (422, "patient", "screening_hold")
        assert exc.value.decision == decision
        assert "To go ahead:" in exc.value.message
        assert not Appointment.objects.filter(start=at(WEDNESDAY, 10)).exists()

    @pytest.mark.parametrize(
        ("answers", "unblock"),
        [
            ({"fever": True}, "Rebook once the patient is well"),
            ({"clot_signs": True}, "A doctor's assessment today"),
            ({"suspected_dvt": True}, "clearance for massage with the blood clot"),
            ({"unexplained_pain": True}, "Pain without a known cause"),
        ],
    )
    @pytest.mark.parametrize("service", ["therapeutic-60", "relaxation-60"])
    def test_a_held_visit_cannot_be_booked_for_any_service(self, clinic, answers, unblock, service):
        # The one clinical gate (intake.screening.gate): relaxation is spared the paperwork, not safety.
        _intake(clinic, **answers)
        with pytest.raises(BookingBlocked) as exc:
            book(clinic, at(WEDNESDAY, 10), service=Service.objects.get(code=service))
        assert (exc.value.code, exc.value.field) == ("screening_hold", "patient")
        assert unblock in exc.value.message
        assert not Appointment.objects.filter(start=at(WEDNESDAY, 10)).exists()

    def test_relaxation_needs_neither_referral_nor_plan(self, clinic):
        # Paula has no intake for relaxation, no plan of care: a relaxation massage books.
        booked = book(
            clinic, at(WEDNESDAY, 10), patient=clinic.paula, service=Service.objects.get(code="relaxation-60")
        )
        assert booked.appointment.pk

    def test_a_precaution_or_a_local_hold_does_not_stop_a_booking(self, clinic):
        _intake(clinic, anticoagulants=True, open_wound_regions=[{"region": "knee", "side": "right"}])
        assert book(clinic, at(WEDNESDAY, 10)).appointment.pk

    def test_the_referrers_clearance_for_the_flag_lets_the_booking_through(self, clinic):
        _intake(clinic, unexplained_pain=True)
        with pytest.raises(BookingBlocked):
            book(clinic, at(WEDNESDAY, 10))
        clearance_grant(
            actor=clinic.desk,
            patient=clinic.pat,
            provider=clinic.rita,
            scope="flag",
            flag="unexplained_pain",
            granted_on=dt.date(2026, 11, 20),
            note="Examined; musculoskeletal. Normal massage is fine.",
        )
        assert book(clinic, at(WEDNESDAY, 10)).appointment.pk

    def test_a_therapist_matching_excludes_is_refused_with_the_reason(self, clinic):
        clinic.pat.therapist_gender = "male"
        clinic.pat.therapist_gender_required = True
        clinic.pat.save()

        with pytest.raises(DomainError) as exc:
            book(clinic, at(WEDNESDAY, 10))  # Tess is female

        assert (exc.value.field, exc.value.code) == ("therapist", "gender")


def _with_status(cast: Cast, status: str) -> Appointment:
    a = book(cast, at(WEDNESDAY, 10)).appointment
    # A waitlist hold carries its expiry (a database constraint).
    expires = a.start if status == AppointmentStatus.HELD else None
    Appointment.objects.filter(pk=a.pk).update(status=status, hold_expires_at=expires)
    a.refresh_from_db()
    return a


CHANGES = {
    AppointmentStatus.CHECKED_IN: appointment_check_in,
    AppointmentStatus.NO_SHOW: appointment_no_show,
    AppointmentStatus.COMPLETED: appointment_complete,
}


class TestTransitions:
    @pytest.mark.parametrize("status", list(AppointmentStatus))
    @pytest.mark.parametrize("to", list(CHANGES))
    def test_only_the_tables_transitions_happen(self, clinic, status, to):
        a = _with_status(clinic, status)
        later = at(WEDNESDAY, 10, 30)  # on the day, after the start

        if to in TRANSITIONS[status]:
            assert CHANGES[to](appointment=a, actor=clinic.desk, now=later).status == to
        else:
            with pytest.raises(Conflict) as exc:
                CHANGES[to](appointment=a, actor=clinic.desk, now=later)
            assert exc.value.code == "invalid_transition"
            a.refresh_from_db()
            assert a.status == status

    @pytest.mark.parametrize("status", list(AppointmentStatus))
    def test_cancel_follows_the_table(self, clinic, status):
        a = _with_status(clinic, status)
        if AppointmentStatus.CANCELLED in TRANSITIONS[status]:
            assert (
                appointment_cancel(appointment=a, actor=clinic.desk, by_patient=False).status == "cancelled"
            )
        else:
            with pytest.raises(Conflict):
                appointment_cancel(appointment=a, actor=clinic.desk, by_patient=False)

    def test_check_in_waits_for_the_day_no_show_and_complete_for_the_start(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        with pytest.raises(Conflict):
            appointment_check_in(
                appointment=a, actor=clinic.desk, now=at(WEDNESDAY, 0) - dt.timedelta(minutes=1)
            )
        with pytest.raises(Conflict):
            appointment_no_show(appointment=a, actor=clinic.desk, now=at(WEDNESDAY, 9, 59))
        appointment_check_in(appointment=a, actor=clinic.desk, now=at(WEDNESDAY, 0))
        with pytest.raises(Conflict):
            appointment_complete(appointment=a, actor=clinic.desk, now=at(WEDNESDAY, 9, 59))
        assert appointment_complete(appointment=a, actor=clinic.tess_user, now=at(WEDNESDAY, 11)).completed_at

    def test_a_patient_or_another_therapist_cannot_change_the_status(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        for actor in (clinic.pat_user, clinic.theo_user, clinic.rita_user):
            with pytest.raises(PermissionDenied):
                appointment_check_in(appointment=a, actor=actor, now=at(WEDNESDAY, 9))

    def test_every_status_change_is_audited(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        appointment_check_in(appointment=a, actor=clinic.tess_user, now=at(WEDNESDAY, 9))
        appointment_complete(appointment=a, actor=clinic.tess_user, now=at(WEDNESDAY, 11))

        events = list(AuditEvent.objects.filter(object_id=str(a.public_id)).order_by("id"))
        assert [(e.action, e.detail.get("event")) for e in events] == [
            ("create", "book"),
            ("update", "checked_in"),
            ("update", "completed"),
        ]


class TestCancellation:
    def _late(self, cast: Cast) -> Appointment:
        return book(cast, NOW + dt.timedelta(hours=5)).appointment  # Monday 14:00, inside 24 hours

    def test_the_slot_is_free_again_at_once(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        appointment_cancel(appointment=a, actor=clinic.desk, by_patient=False, reason="Therapist ill")
        assert book(clinic, at(WEDNESDAY, 10), patient=clinic.paula).appointment.pk != a.pk

    def test_a_patients_late_cancellation_is_flagged_by_default(self, clinic):
        _intake(clinic)
        a = self._late(clinic)
        done = appointment_cancel(appointment=a, actor=clinic.pat_user, reason="Car broke down")
        assert (done.status, done.late_cancellation, done.cancelled_by_patient) == ("cancelled", True, True)

    def test_the_clinic_may_refuse_late_cancellations_and_staff_may_override_with_a_reason(self, clinic):
        ClinicSettings.objects.update_or_create(
            pk=1, defaults={"late_cancellation_policy": LateCancellationPolicy.REFUSE}
        )
        a = self._late(clinic)
        with pytest.raises(Conflict) as exc:
            appointment_cancel(appointment=a, actor=clinic.pat_user)
        assert exc.value.code == "late_cancellation"
        with pytest.raises(Conflict):
            appointment_cancel(appointment=a, actor=clinic.desk)  # phoned in: the patient's, still late

        done = appointment_cancel(appointment=a, actor=clinic.desk, override_reason="Family emergency")
        assert (done.status, done.late_cancellation, done.policy_override) == (
            "cancelled",
            False,
            "Family emergency",
        )

    def test_an_early_or_clinic_cancellation_is_not_late(self, clinic):
        early = book(clinic, at(WEDNESDAY, 10)).appointment
        assert not appointment_cancel(appointment=early, actor=clinic.pat_user).late_cancellation
        late = self._late(clinic)
        assert not appointment_cancel(appointment=late, actor=clinic.desk, by_patient=False).late_cancellation

    def test_only_staff_override_and_patients_cancel_only_their_own(self, clinic):
        a = self._late(clinic)
        with pytest.raises(PermissionDenied):
            appointment_cancel(appointment=a, actor=clinic.pat_user, override_reason="I say so")
        with pytest.raises(PermissionDenied):
            appointment_cancel(appointment=a, actor=clinic.paula_user)
        with pytest.raises(PermissionDenied):
            appointment_cancel(appointment=a, actor=clinic.tess_user)


class TestReschedule:
    def test_moves_in_place_and_frees_the_old_time(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment

        moved = appointment_reschedule(appointment=a, actor=clinic.desk, start=at(WEDNESDAY, 14))

        assert (moved.pk, moved.start, moved.blocked_until) == (
            a.pk,
            at(WEDNESDAY, 14),
            at(WEDNESDAY, 15, 15),
        )
        assert book(clinic, at(WEDNESDAY, 10), patient=clinic.paula).appointment.pk
        event = AuditEvent.objects.filter(detail__event="reschedule").get()
        assert event.detail["from"] == at(WEDNESDAY, 10).isoformat()

    def test_may_overlap_its_own_old_time(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        assert (
            appointment_reschedule(appointment=a, actor=clinic.desk, start=at(WEDNESDAY, 10, 30)).pk == a.pk
        )

    def test_to_a_taken_time_changes_nothing(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        book(clinic, at(WEDNESDAY, 14), patient=clinic.paula)

        with pytest.raises(Conflict):
            appointment_reschedule(appointment=a, actor=clinic.desk, start=at(WEDNESDAY, 14, 30))

        a.refresh_from_db()
        assert (a.start, a.status) == (at(WEDNESDAY, 10), "booked")

    def test_to_another_therapist(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        moved = appointment_reschedule(
            appointment=a, actor=clinic.desk, start=at(WEDNESDAY, 12), therapist=clinic.theo
        )
        assert moved.therapist == clinic.theo

    def test_only_a_booked_appointment_moves(self, clinic):
        a = _with_status(clinic, AppointmentStatus.CHECKED_IN)
        with pytest.raises(Conflict) as exc:
            appointment_reschedule(appointment=a, actor=clinic.desk, start=at(WEDNESDAY, 14))
        assert exc.value.code == "invalid_transition"

    def test_a_new_time_the_policy_refuses_is_a_422(self, clinic):
        a = book(clinic, at(WEDNESDAY, 10)).appointment
        with pytest.raises(DomainError) as exc:
            appointment_reschedule(appointment=a, actor=clinic.desk, start=at(WEDNESDAY, 14, 2))
        assert exc.value.field == "start"

    def test_a_patients_late_move_follows_the_cancellation_policy(self, clinic):
        ClinicSettings.objects.update_or_create(
            pk=1, defaults={"late_cancellation_policy": LateCancellationPolicy.REFUSE}
        )
        a = book(clinic, NOW + dt.timedelta(hours=5)).appointment
        with pytest.raises(Conflict):
            appointment_reschedule(appointment=a, actor=clinic.pat_user, start=at(WEDNESDAY, 14))
        assert appointment_reschedule(
            appointment=a, actor=clinic.desk, start=at(WEDNESDAY, 14), override_reason="Snow storm"
        ).start == at(WEDNESDAY, 14)
