"""The booking pages: find a time, confirm, book, move, cancel, status changes, the series dialog, the day
board and the therapist's week; who may open them (out of scope is 404), bad input (4xx naming the field,
nothing written) and the clinical gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.clinic.models import ClinicSettings, LateCancellationPolicy, Service
from kneadwell.intake.schemas import HealthAnswersIn
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn
from kneadwell.lib.zones import local_to_utc
from kneadwell.planning.models import CarePlan, CarePlanStatus
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Series
from kneadwell.scheduling.services import appointment_book
from tests.cast import Cast

NY = "America/New_York"
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
WEDNESDAY = dt.date(2026, 11, 25)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), NY)


@pytest.fixture
def clinic(cast: Cast) -> Iterator[Cast]:
    with time_machine.travel(NOW, tick=False):
        yield cast


def _intake(cast: Cast, **answers: object) -> None:
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Stiff neck",
        areas=[AreaIn(region="neck")],
        answers=HealthAnswersIn(**answers),  # type: ignore[arg-type]
    )


def _search(cast: Cast, **extra: str) -> dict[str, str]:
    return {
        "location": str(cast.hospital.public_id),
        "service": "therapeutic-60",
        "week": WEDNESDAY.isoformat(),
        **extra,
    }


def _book_form(cast: Cast, start: dt.datetime, **extra: str) -> dict[str, str]:
    return {
        "location": str(cast.hospital.public_id),
        "service": "therapeutic-60",
        "therapist": str(cast.tess.public_id),
        "start": start.isoformat(),
        "key": "k-" + start.strftime("%d%H%M"),
        **extra,
    }


class TestFindATime:
    def test_desk_sees_ranked_slots_with_reasons_and_the_read_is_audited(self, client, clinic):
        client.force_login(clinic.desk)
        response = client.get(reverse("patient-book", args=[clinic.pat.public_id]), _search(clinic))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Free times, 25 Nov" in html
        assert html.count("slot-choose") == 30  # the page shows the 30 best
        slots = response.context["slots"]
        assert [s.score for s in slots] == sorted((s.score for s in slots), reverse=True)
        assert all(s.reasons for s in slots)
        assert AuditEvent.objects.filter(object_type="availability", actor=clinic.desk).exists()

    def test_choosing_a_slot_shows_the_confirmation_with_a_fresh_key(self, client, clinic):
        client.force_login(clinic.desk)
        start = at(WEDNESDAY, 10)
        response = client.get(
            reverse("patient-book", args=[clinic.pat.public_id]),
            _search(clinic, therapist=str(clinic.tess.public_id), start=start.isoformat()),
        )
        assert response.status_code == 200
        assert "Confirm the booking" in response.content.decode()
        assert "Wednesday 25 November 2026, 10:00" in response.content.decode()

    def test_a_bad_week_is_a_400_naming_the_field(self, client, clinic):
        client.force_login(clinic.desk)
        response = client.get(
            reverse("patient-book", args=[clinic.pat.public_id]), _search(clinic, week="31-02")
        )
        assert response.status_code == 400
        assert 'id="week-error"' in response.content.decode()

    def test_a_week_past_the_horizon_is_a_422(self, client, clinic):
        client.force_login(clinic.desk)
        response = client.get(
            reverse("patient-book", args=[clinic.pat.public_id]), _search(clinic, week="2036-01-01")
        )
        assert response.status_code == 422
        assert "at most 180 days ahead" in response.content.decode()

    def test_a_screening_hold_shows_why_and_what_unblocks_it_and_no_slots(self, client, clinic):
        _intake(clinic, thunderclap_headache=True)
        client.force_login(clinic.desk)
        response = client.get(reverse("patient-book", args=[clinic.pat.public_id]), _search(clinic))
        assert response.status_code == 422
        html = response.content.decode()
        assert 'id="gate-hold"' in html
        assert "is held by screening" in html
        assert "To go ahead:" in html  # what unblocks it
        assert "slot-choose" not in html
        assert response.context["blocked"]


class TestAccess:
    @pytest.mark.parametrize("role", ["therapist", "patient", "referrer"])
    def test_only_the_front_desk_uses_the_desk_booking_page(self, client, clinic, role):
        client.force_login(clinic.user(role))
        response = client.get(reverse("patient-book", args=[clinic.pat.public_id]))
        assert response.status_code == 403

    def test_an_unknown_patient_is_404(self, client, clinic):
        client.force_login(clinic.desk)
        assert client.get(reverse("patient-book", args=["not-an-id"])).status_code == 404

    @pytest.mark.parametrize("name", ["appointment-move", "appointment-cancel", "appointment-booked"])
    def test_a_patient_reaches_their_own_visit_and_never_another_patients(self, client, clinic, name):
        client.force_login(clinic.pat_user)
        assert client.get(reverse(name, args=[clinic.pat_appointment.public_id])).status_code == 200
        assert client.get(reverse(name, args=[clinic.paula_appointment.public_id])).status_code == 404

    def test_a_therapist_changes_status_only_of_their_own_visits(self, client, clinic):
        client.force_login(clinic.tess_user)
        url = reverse("appointment-status", args=[clinic.paula_appointment.public_id])
        assert client.post(url, {"action": "check_in"}).status_code == 404
        assert (
            client.get(reverse("appointment-cancel", args=[clinic.pat_appointment.public_id])).status_code
            == 403
        )


class TestBooking:
    def test_desk_books_and_gets_the_confirmation_with_the_calendar_file(self, client, clinic):
        client.force_login(clinic.desk)
        start = at(WEDNESDAY, 10)
        response = client.post(
            reverse("patient-book", args=[clinic.pat.public_id]), _book_form(clinic, start)
        )
        booked = Appointment.objects.get(patient=clinic.pat, start=start)
        assert response.status_code == 302
        assert response["Location"] == reverse("appointment-booked", args=[booked.public_id])
        assert (booked.therapist, booked.status, booked.channel) == (clinic.tess, "booked", "phone")
        page = client.get(response["Location"]).content.decode()
        assert reverse("appointment-ics", args=[booked.public_id]) in page

    def test_the_same_form_sent_twice_books_once(self, client, clinic):
        client.force_login(clinic.desk)
        form = _book_form(clinic, at(WEDNESDAY, 10))
        url = reverse("patient-book", args=[clinic.pat.public_id])
        first, second = client.post(url, form), client.post(url, form)
        assert first["Location"] == second["Location"]
        assert Appointment.objects.filter(patient=clinic.pat, start=at(WEDNESDAY, 10)).count() == 1

    def test_a_taken_slot_is_409_with_the_nearest_free_times_and_nothing_written(self, client, clinic):
        start = at(WEDNESDAY, 10)
        appointment_book(
            actor=clinic.desk,
            patient=clinic.paula,
            service=Service.objects.get(code="therapeutic-60"),
            location=clinic.hospital,
            therapist=clinic.tess,
            start=start,
        )
        before = Appointment.objects.count()
        client.force_login(clinic.desk)
        response = client.post(
            reverse("patient-book", args=[clinic.pat.public_id]), _book_form(clinic, start)
        )
        assert response.status_code == 409
        html = response.content.decode()
        assert "Nearest free times" in html
        assert response.context["alternatives"]
        assert Appointment.objects.count() == before

    @pytest.mark.parametrize(
        ("start", "words"),
        [
            ("2026-11-20T15:00:00+00:00", "in the past"),
            ("2026-11-25T15:02:00+00:00", "multiples of 5 minutes"),
            ("2026-11-25T10:00:00", "time zone offset"),
            ("tomorrow", "Choose a time"),
        ],
    )
    def test_an_impossible_start_is_422_naming_it_and_nothing_written(self, client, clinic, start, words):
        before = Appointment.objects.count()
        client.force_login(clinic.desk)
        form = {**_book_form(clinic, at(WEDNESDAY, 10)), "start": start}
        response = client.post(reverse("patient-book", args=[clinic.pat.public_id]), form)
        assert response.status_code == 422
        assert words in response.content.decode()
        assert response.context["error_field"] == "start"
        assert Appointment.objects.count() == before

    def test_a_screening_hold_refuses_the_booking_with_the_gates_message(self, client, clinic):
        _intake(clinic, thunderclap_headache=True)
        client.force_login(clinic.desk)
        response = client.post(
            reverse("patient-book", args=[clinic.pat.public_id]), _book_form(clinic, at(WEDNESDAY, 10))
        )
        assert response.status_code == 422
        assert response.context["blocked"]
        assert not Appointment.objects.filter(patient=clinic.pat, start=at(WEDNESDAY, 10)).exists()


class TestMoveAndCancel:
    def test_desk_moves_a_visit_atomically(self, client, clinic):
        appt = clinic.pat_appointment
        client.force_login(clinic.desk)
        new = at(WEDNESDAY, 14)
        response = client.post(
            reverse("appointment-move", args=[appt.public_id]),
            {"start": new.isoformat(), "therapist": str(clinic.tess.public_id)},
        )
        assert response.status_code == 302
        appt.refresh_from_db()
        assert appt.start == new
        assert Appointment.objects.filter(patient=clinic.pat).count() == 1

    def test_a_move_onto_a_taken_time_is_409_and_changes_nothing(self, client, clinic):
        appt = clinic.pat_appointment
        taken = clinic.paula_appointment.start
        client.force_login(clinic.desk)
        response = client.post(
            reverse("appointment-move", args=[appt.public_id]),
            {"start": taken.isoformat(), "therapist": str(clinic.theo.public_id)},
        )
        assert response.status_code == 409
        appt.refresh_from_db()
        assert appt.start == dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)

    def test_cancel_needs_a_reason(self, client, clinic):
        client.force_login(clinic.desk)
        response = client.post(reverse("appointment-cancel", args=[clinic.pat_appointment.public_id]), {})
        assert response.status_code == 422
        assert response.context["error_field"] == "reason"
        clinic.pat_appointment.refresh_from_db()
        assert clinic.pat_appointment.status == AppointmentStatus.BOOKED

    def test_a_patients_late_cancellation_is_flagged_and_said_up_front(self, client, clinic):
        appt = clinic.pat_appointment
        client.force_login(clinic.pat_user)
        with time_machine.travel(appt.start - dt.timedelta(hours=3), tick=False):
            page = client.get(reverse("appointment-cancel", args=[appt.public_id]))
            assert "late cancellation" in page.content.decode()
            response = client.post(reverse("appointment-cancel", args=[appt.public_id]), {"reason": "Ill"})
        assert response.status_code == 302
        appt.refresh_from_db()
        assert (appt.status, appt.late_cancellation, appt.cancelled_by_patient) == ("cancelled", True, True)

    def test_a_refused_late_cancellation_is_409_and_staff_may_override_with_a_reason(self, client, clinic):
        ClinicSettings.objects.update_or_create(
            pk=1, defaults={"late_cancellation_policy": LateCancellationPolicy.REFUSE}
        )
        appt = clinic.pat_appointment
        url = reverse("appointment-cancel", args=[appt.public_id])
        with time_machine.travel(appt.start - dt.timedelta(hours=3), tick=False):
            client.force_login(clinic.pat_user)
            refused = client.post(url, {"reason": "Ill"})
            assert refused.status_code == 409
            assert "Please call the clinic" in refused.content.decode()
            client.force_login(clinic.desk)
            done = client.post(url, {"reason": "Ill", "override_reason": "Hospital stay, letter seen"})
        assert done.status_code == 302
        appt.refresh_from_db()
        assert (appt.status, appt.late_cancellation, appt.policy_override) == (
            "cancelled",
            False,
            "Hospital stay, letter seen",
        )


class TestStatusActions:
    def test_desk_checks_in_from_today_and_a_second_check_in_is_409(self, client, clinic):
        appt = clinic.pat_appointment
        with time_machine.travel(appt.start - dt.timedelta(minutes=10), tick=False):
            client.force_login(clinic.desk)
            today = client.get(reverse("desk-today"), {"location": str(clinic.hospital.public_id)})
            assert f'aria-label="Check in {clinic.pat.full_name}"' in today.content.decode()
            url = reverse("appointment-status", args=[appt.public_id])
            ok = client.post(url, {"action": "check_in", "next": "/desk/board/"})
            again = client.post(url, {"action": "check_in"})
        assert (ok.status_code, ok["Location"]) == (302, "/desk/board/")
        assert again.status_code == 409
        appt.refresh_from_db()
        assert appt.status == AppointmentStatus.CHECKED_IN

    def test_an_unknown_action_is_422_and_an_outside_next_is_ignored(self, client, clinic):
        client.force_login(clinic.desk)
        url = reverse("appointment-status", args=[clinic.pat_appointment.public_id])
        assert client.post(url, {"action": "teleport"}).status_code == 422
        response = client.post(url, {"action": "no_show", "next": "https://evil.example/"})
        assert response.status_code == 409  # too early: the visit has not started
        assert "https://evil.example/" not in response.content.decode()


class TestBoards:
    def test_the_day_board_places_each_visit_in_its_room_row(self, client, clinic):
        client.force_login(clinic.desk)
        response = client.get(
            reverse("desk-board"), {"location": str(clinic.hospital.public_id), "date": "2026-12-01"}
        )
        assert response.status_code == 200
        (row,) = response.context["rows"]
        visits = [c.appointment for c in row.cells if c.appointment]
        assert visits == [clinic.pat_appointment, clinic.paula_appointment]
        columns = sum(c.span for c in row.cells)
        assert columns == len(response.context["hours"]) * 12

    def test_the_therapist_week_lists_their_own_visits_with_the_plan(self, client, clinic):
        client.force_login(clinic.tess_user)
        response = client.get(reverse("therapist-week"), {"date": "2026-12-02"})
        assert response.status_code == 200
        days = response.context["days"]
        assert [d["date"].weekday() for d in days] == list(range(7))
        cards = [c for d in days for c in d["cards"]]
        assert [c.appointment for c in cards] == [clinic.pat_appointment]
        assert "Open plan" in response.content.decode()


class TestPortal:
    def test_before_the_intake_the_patient_is_told_what_to_do_first(self, client, clinic):
        client.force_login(clinic.pat_user)
        response = client.get(reverse("my-book"))
        assert response.status_code == 200
        assert 'id="needs-intake"' in response.content.decode()
        assert "slot-choose" not in response.content.decode()

    def test_after_the_intake_the_patient_books_their_own_visit(self, client, clinic):
        _intake(clinic)
        client.force_login(clinic.pat_user)
        page = client.get(reverse("my-book"), _search(clinic, service="relaxation-60"))
        assert page.status_code == 200
        assert "slot-choose" in page.content.decode()
        response = client.post(
            reverse("my-book"), {**_book_form(clinic, at(WEDNESDAY, 10)), "service": "relaxation-60"}
        )
        assert response.status_code == 302
        booked = Appointment.objects.get(patient=clinic.pat, start=at(WEDNESDAY, 10))
        assert booked.channel == "online"

    def test_a_screening_hold_tells_the_patient_what_to_do_in_their_words(self, client, clinic):
        _intake(clinic, thunderclap_headache=True)
        client.force_login(clinic.pat_user)
        response = client.get(reverse("my-book"), _search(clinic, service="relaxation-60"))
        assert response.status_code == 422
        html = response.content.decode()
        assert "Please see your doctor first" in html
        assert "slot-choose" not in html


class TestSeriesDialog:
    @pytest.fixture
    def plan(self, clinic: Cast) -> CarePlan:
        return CarePlan.objects.create(
            patient=clinic.pat,
            therapist=clinic.tess,
            conditions=[],
            frequency_per_week=1,
            weeks=4,
            starts_on=dt.date(2026, 11, 24),
            reassess_on=dt.date(2027, 1, 5),
            status=CarePlanStatus.ACTIVE,
        )

    def _form(self, clinic: Cast, **extra: str) -> dict[str, str]:
        return {
            "location": str(clinic.hospital.public_id),
            "service": "therapeutic-60",
            "therapist": str(clinic.tess.public_id),
            "weekday_0": "3",
            "time_0": "10:00",
            "weeks": "4",
            "starts_on": "2026-11-24",
            "mode": "all_or_nothing",
            **extra,
        }

    def test_dry_run_shows_every_occurrence_and_a_conflict_with_alternatives_then_books_what_fits(
        self, client, clinic, plan
    ):
        appointment_book(
            actor=clinic.desk,
            patient=clinic.paula,
            service=Service.objects.get(code="therapeutic-60"),
            location=clinic.hospital,
            therapist=clinic.tess,
            start=at(dt.date(2026, 12, 3), 10),
        )
        client.force_login(clinic.desk)
        url = reverse("patient-series", args=[clinic.pat.public_id, plan.public_id])
        dry = client.post(url, {**self._form(clinic), "action": "check"})
        assert dry.status_code == 200
        assert [r["status"] for r in dry.context["rows"]] == ["free", "conflict", "free", "free"]
        assert dry.context["rows"][1]["alternatives"]
        assert not Series.objects.exists()
        refused = client.post(url, {**self._form(clinic), "action": "book"})
        assert refused.status_code == 409
        assert not Series.objects.exists()
        fits = client.post(url, {**self._form(clinic, mode="book_what_fits"), "action": "book"})
        assert fits.status_code == 200
        assert fits.context["booked_count"] == 3
        assert Series.objects.get().appointments.count() == 3

    def test_every_other_week_books_occurrences_two_weeks_apart_and_the_series_keeps_the_cadence(
        self, client, clinic, plan
    ):
        client.force_login(clinic.desk)
        url = reverse("patient-series", args=[clinic.pat.public_id, plan.public_id])
        response = client.post(url, {**self._form(clinic, every_weeks="2", weeks="3"), "action": "book"})
        assert response.status_code == 200
        series = Series.objects.get()
        starts = list(series.appointments.order_by("start").values_list("start", flat=True))
        assert starts == [
            at(dt.date(2026, 11, 26), 10),
            at(dt.date(2026, 12, 10), 10),
            at(dt.date(2026, 12, 24), 10),
        ]
        assert series.every_weeks == 2

    def test_a_cadence_out_of_range_is_422_and_nothing_written(self, client, clinic, plan):
        client.force_login(clinic.desk)
        url = reverse("patient-series", args=[clinic.pat.public_id, plan.public_id])
        response = client.post(url, {**self._form(clinic, every_weeks="9"), "action": "book"})
        assert response.status_code == 422
        assert "every_weeks" in response.context["form"].errors
        assert not Series.objects.exists()

    def test_the_desk_cancels_a_series_from_an_occurrence_onward(self, client, clinic, plan):
        client.force_login(clinic.desk)
        url = reverse("patient-series", args=[clinic.pat.public_id, plan.public_id])
        assert client.post(url, {**self._form(clinic), "action": "book"}).status_code == 200
        visits = list(Series.objects.get().appointments.order_by("start"))
        cancel = reverse("appointment-cancel", args=[visits[1].public_id])
        page = client.get(cancel)
        assert 'id="whole_series"' in page.content.decode()
        response = client.post(cancel, {"reason": "Plan changed", "asked_by": "clinic", "whole_series": "on"})
        assert response.status_code == 302
        statuses = [a.status for a in Series.objects.get().appointments.order_by("start")]
        assert statuses == ["booked", "cancelled", "cancelled", "cancelled"]

    def test_a_bad_time_is_422_naming_the_field(self, client, clinic, plan):
        client.force_login(clinic.desk)
        url = reverse("patient-series", args=[clinic.pat.public_id, plan.public_id])
        response = client.post(url, {**self._form(clinic, time_0="25:99"), "action": "check"})
        assert response.status_code == 422
        assert "time_0" in response.context["form"].errors

    def test_another_patients_plan_is_404(self, client, clinic, plan):
        client.force_login(clinic.desk)
        url = reverse("patient-series", args=[clinic.paula.public_id, plan.public_id])
        assert client.get(url).status_code == 404
