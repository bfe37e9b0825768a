"""The demo clinic: what `kneadwell demo` loads for `make run`.

The clinic is loaded once for TestDemoClinic (inside a transaction rolled back
at the end) because a load books about 1,500 appointments through the real
booking service; each test still runs in its own savepoint.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import pairwise

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from kneadwell import demo
from kneadwell.accounts.models import Role, User
from kneadwell.clinic.models import Location, LocationKind, Room, Service
from kneadwell.demo import data as demo_data
from kneadwell.lib.zones import local_day_bounds, zone
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral, ReferralStatus, ReferringProvider, validate_npi
from kneadwell.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from kneadwell.therapists.models import Licence, Therapist, TimeOff

# A Sunday two weeks after the US clocks went back (1 November 2026): the
# window crosses the DST change, and a weekend "today" is the hard case for
# "the therapist login has sessions today".
TODAY = dt.date(2026, 11, 15)
NEW_YORK = "America/New_York"


@pytest.fixture(scope="class")
def demo_clinic(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo._load_demo(today=TODAY, allow=True)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def clinic(demo_clinic, db):  # type: ignore[no-untyped-def]
    return demo_clinic


def _counts() -> dict[str, int]:
    models = [User, Location, Room, Therapist, Licence, Patient, ReferringProvider, Referral, Appointment]
    return {m.__name__: m.objects.count() for m in models}


class TestDemoClinic:
    """One load of the demo clinic, shared by the tests of this class."""

    def test_demo_has_three_kinds_of_location_in_two_time_zones(self, clinic):
        locations = list(Location.objects.all())
        assert len(locations) >= 3
        assert len({loc.time_zone for loc in locations}) >= 2
        assert {loc.kind for loc in locations} >= {
            LocationKind.HOSPITAL,
            LocationKind.CHIROPRACTIC_OFFICE,
            LocationKind.PHYSICAL_THERAPY_CLINIC,
        }
        for location in locations:
            assert 2 <= location.rooms.count() <= 3
            assert location.address_line

    def test_demo_has_eight_or_more_licensed_trained_therapists(self, clinic):
        therapists = list(Therapist.objects.prefetch_related("licences", "trainings", "expertise"))
        assert len(therapists) >= 8
        assert len({t.gender for t in therapists}) >= 3
        for therapist in therapists:
            assert therapist.licences.all(), therapist
            assert therapist.trainings.all(), therapist
            assert therapist.expertise.all(), therapist
            assert therapist.working_hours.exists(), therapist

    def test_expired_licence_therapist_has_no_clinical_session_after_expiry(self, clinic):
        expired = [t for t in Therapist.objects.all() if all(lic.expires < TODAY for lic in t.licences.all())]
        assert len(expired) >= 1
        for therapist in expired:
            expiry = max(lic.expires for lic in therapist.licences.all())
            later = Appointment.objects.filter(therapist=therapist).select_related("service", "location")
            clinical_after = [
                a
                for a in later
                if a.service.is_clinical and a.start.astimezone(zone(a.location.time_zone)).date() > expiry
            ]
            assert clinical_after == []
            # They still work: non-clinical (relaxation) sessions after expiry.
            assert any(not a.service.is_clinical for a in later)

    def test_demo_has_thirty_or_more_patients_with_preferences(self, clinic):
        patients = list(Patient.objects.all())
        assert len(patients) >= 30
        assert sum(1 for p in patients if p.oil_allergies) == 1
        assert any(p.areas_to_avoid for p in patients)
        assert any(p.therapist_gender for p in patients)
        assert {p.pressure for p in patients} >= {"light", "medium", "firm"}
        assert all(p.phone for p in patients)

    def test_appointments_span_six_weeks_back_and_four_weeks_ahead(self, clinic):
        starts = list(Appointment.objects.values_list("start", flat=True))
        local_days = {s.astimezone(zone(NEW_YORK)).date() for s in starts}
        assert min(local_days) <= TODAY - dt.timedelta(weeks=5)
        assert max(local_days) >= TODAY + dt.timedelta(weeks=3)

    def test_no_two_active_appointments_overlap_for_any_therapist_room_or_patient(self, clinic):
        rows = list(
            Appointment.objects.filter(status__in=ACTIVE_STATUSES).values(
                "therapist_id", "room_id", "patient_id", "start", "blocked_until"
            )
        )
        assert len(rows) > 500
        for resource in ("therapist_id", "room_id", "patient_id"):
            by_resource = defaultdict(list)
            for row in rows:
                by_resource[row[resource]].append((row["start"], row["blocked_until"]))
            for key, intervals in by_resource.items():
                intervals.sort()
                for (_, first_until), (second_start, _) in pairwise(intervals):
                    assert first_until <= second_start, (resource, key, second_start)

    def test_every_service_is_booked_only_where_it_is_offered(self, clinic):
        pairs = set(Appointment.objects.values_list("service__code", "location__kind"))
        spot = {kind for code, kind in pairs if code == "spot-work-15"}
        assert spot == {LocationKind.CHIROPRACTIC_OFFICE, LocationKind.PHYSICAL_THERAPY_CLINIC}
        assert {kind for code, kind in pairs if code == "relaxation-60"} == {LocationKind.HOSPITAL}
        services = {s.code: s for s in Service.objects.all()}
        assert all(kind in services[code].location_kinds for code, kind in pairs)

    def test_appointments_start_on_local_clinic_hours(self, clinic):
        for appointment in Appointment.objects.select_related("location"):
            local = appointment.start.astimezone(zone(appointment.location.time_zone))
            assert dt.time(8) <= local.time() <= dt.time(20), appointment
            assert local.minute % 5 == 0

    def test_no_active_appointment_falls_in_time_off(self, clinic):
        assert TimeOff.objects.exists()
        for off in TimeOff.objects.all():
            clashing = Appointment.objects.filter(
                therapist=off.therapist,
                status__in=ACTIVE_STATUSES,
                start__lt=off.end,
                blocked_until__gt=off.start,
            )
            assert not clashing.exists(), off

    def test_past_appointments_are_settled_and_future_ones_booked(self, clinic):
        noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=zone(NEW_YORK))
        past = set(Appointment.objects.filter(end__lte=noon).values_list("status", flat=True))
        future = set(Appointment.objects.filter(start__gt=noon).values_list("status", flat=True))
        assert past == {AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED}
        assert AppointmentStatus.BOOKED in future
        # Held: the time the demo's waitlist offer holds for the patient login (issue 10).
        assert future <= {AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED, AppointmentStatus.HELD}
        assert set(Appointment.objects.values_list("channel", flat=True)) >= {"phone", "online", "referral"}

    def test_referrers_have_valid_npis_and_referrals_in_every_stage(self, clinic):
        providers = list(ReferringProvider.objects.all())
        assert {p.kind for p in providers} == {"physician", "chiropractor", "physical_therapist"}
        for provider in providers:
            validate_npi(provider.npi)
            statuses = set(provider.referrals.values_list("status", flat=True))
            assert statuses >= {
                ReferralStatus.RECEIVED,
                ReferralStatus.TRIAGED,
                ReferralStatus.SCHEDULED,
                ReferralStatus.IN_CARE,
                ReferralStatus.DISCHARGED,
            }

    @pytest.mark.parametrize(
        ("username", "role"),
        [
            ("admin", Role.CLINIC_ADMIN),
            ("frontdesk", Role.FRONT_DESK),
            ("therapist", Role.THERAPIST),
            ("patient", Role.PATIENT),
            ("referrer", Role.REFERRER),
        ],
    )
    def test_each_demo_login_works_with_the_demo_password(self, clinic, username, role):
        user = authenticate(username=username, password=demo.DEMO_PASSWORD)
        assert user is not None
        assert user.role == role
        if role == Role.THERAPIST:
            assert user.therapist.full_name
        if role == Role.PATIENT:
            assert user.patient.full_name
        if role == Role.REFERRER:
            assert user.referring_provider.kind == "physician"

    def test_the_chiropractic_office_has_an_applied_spot_work_day(self, clinic):
        from kneadwell.scheduling.gates import spot_work_window
        from kneadwell.scheduling.spot_window import spot_work_verdict
        from kneadwell.spotwork.models import HostVisit, SpotWorkRequest, SpotWorkStatus

        chiro = Location.objects.get(name=demo_data.CHIRO)
        day = TODAY + dt.timedelta(days=1)  # Monday: Rosa and Thomas work at the office
        lo, hi = local_day_bounds(day, chiro.time_zone)
        visits = HostVisit.objects.filter(location=chiro, start__gte=lo, start__lt=hi)
        requests = SpotWorkRequest.objects.filter(host_visit__in=visits)
        assert requests.count() >= 6
        booked = requests.filter(status=SpotWorkStatus.BOOKED).select_related("appointment", "host_visit")
        assert booked.count() >= 5
        for row in booked:
            appointment = row.appointment
            assert appointment.service.code == "spot-work-15"
            assert appointment.status == AppointmentStatus.BOOKED
            span = (row.host_visit.start, row.host_visit.end)
            assert spot_work_verdict(appointment.start, appointment.end, [span], spot_work_window()).ok
        # Every spot work in the demo calendar sits beside a host visit of its patient, at its location.
        for appointment in Appointment.objects.filter(
            service__code="spot-work-15", status__in=ACTIVE_STATUSES
        ):
            assert HostVisit.objects.filter(
                patient=appointment.patient,
                location=appointment.location,
                start__lte=appointment.end + dt.timedelta(minutes=30),
                end__gte=appointment.start - dt.timedelta(minutes=30),
            ).exists(), appointment

    def test_admin_login_can_use_the_django_admin_and_set_up_totp(self, clinic):
        admin = User.objects.get(username="admin")
        assert admin.is_staff
        assert admin.is_superuser
        assert EmailAddress.objects.filter(user=admin, verified=True, primary=True).exists()

    def test_therapist_login_has_sessions_today_and_on_following_days(self, clinic):
        therapist = User.objects.get(username="therapist").therapist
        start, end = local_day_bounds(TODAY, NEW_YORK)
        mine = Appointment.objects.filter(therapist=therapist, status__in=ACTIVE_STATUSES)
        assert mine.filter(start__gte=start, start__lt=end).exists()
        assert mine.filter(start__gte=end, start__lt=end + dt.timedelta(days=7)).exists()

    def test_patient_login_has_past_and_upcoming_sessions_and_the_physicians_referral(self, clinic):
        patient = User.objects.get(username="patient").patient
        _, today_end = local_day_bounds(TODAY, NEW_YORK)
        upcoming = Appointment.objects.filter(
            patient=patient, status=AppointmentStatus.BOOKED, start__gte=today_end
        ).order_by("start")
        assert upcoming.exists()
        assert upcoming.first().start < today_end + dt.timedelta(days=4)
        assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.COMPLETED).count() >= 3
        physician = User.objects.get(username="referrer").referring_provider
        assert Referral.objects.filter(patient=patient, provider=physician).exists()

    def test_every_therapist_has_completed_visits_and_the_next_two_weeks_booked(self, clinic):
        noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=zone(NEW_YORK))
        for therapist in Therapist.objects.all():
            theirs = Appointment.objects.filter(therapist=therapist)
            assert theirs.filter(end__lte=noon, status=AppointmentStatus.COMPLETED).exists(), therapist
            for week in range(2):
                start = noon + dt.timedelta(weeks=week)
                booked = theirs.filter(
                    start__gte=start, start__lt=start + dt.timedelta(weeks=1), status=AppointmentStatus.BOOKED
                )
                assert booked.count() >= 3, (therapist, week)

    def test_one_series_is_under_way_with_visits_done_and_ahead(self, clinic):
        from kneadwell.planning.models import CarePlanStatus
        from kneadwell.scheduling.models import Series

        noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=zone(NEW_YORK))
        series = Series.objects.get()
        assert series.care_plan.status == CarePlanStatus.ACTIVE
        visits = list(series.appointments.order_by("start"))
        assert [a.series_index for a in visits] == list(range(series.weeks))
        done = [a.status for a in visits if a.end <= noon]
        ahead = [a.status for a in visits if a.start > noon]
        assert set(done) == {AppointmentStatus.COMPLETED}  # at least one done, each completed
        assert set(ahead) == {AppointmentStatus.BOOKED}  # at least one ahead, each booked
        local = {a.start.astimezone(zone(NEW_YORK)).strftime("%a %H:%M") for a in visits}
        assert local == {"Thu 08:00"}  # the same wall-clock time across the DST change

    def test_a_late_cancellation_and_a_no_show_were_recorded_through_the_services(self, clinic):
        from kneadwell.accounts.models import AuditEvent

        noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=zone(NEW_YORK))
        late = Appointment.objects.get(late_cancellation=True)
        assert late.status == AppointmentStatus.CANCELLED
        assert late.cancelled_by_patient
        assert noon < late.start < noon + dt.timedelta(hours=24)
        assert AuditEvent.objects.filter(object_id=str(late.public_id), detail__event="cancel").exists()
        no_shows = Appointment.objects.filter(status=AppointmentStatus.NO_SHOW, end__lte=noon)
        audited = AuditEvent.objects.filter(
            object_id__in=[str(a.public_id) for a in no_shows], detail__event="no_show"
        )
        assert audited.count() == 1

    def test_every_referral_carries_a_valid_coded_diagnosis(self, clinic):
        from kneadwell.knowledge.schemas import DiagnosisIn

        for referral in Referral.objects.all():
            assert referral.diagnoses, referral.reason
            for diagnosis in referral.diagnoses:
                assert DiagnosisIn.model_validate(diagnosis).icd10

    def test_the_patient_logins_plan_includes_the_cleared_scar_work(self, clinic):
        from kneadwell.clinic.models import Service
        from kneadwell.intake.selectors import screening_for
        from kneadwell.planning.selectors import current_therapist, screened_session_plan
        from kneadwell.scheduling.selectors import visit_history

        patient = User.objects.get(username="patient").patient
        therapist = current_therapist(patient, visit_history(patient))
        assert therapist == User.objects.get(username="therapist").therapist
        on = TODAY + dt.timedelta(days=1)
        assert screening_for(patient, on).decision != "needs_clearance"
        plan, _ = screened_session_plan(
            patient=patient,
            service=Service.objects.get(code="therapeutic-60"),
            therapist=therapist,
            on=on,
            history=visit_history(patient),
        )
        assert "scar_mobilization" in plan.techniques
        assert any(s.region == "shoulder" and s.side == "right" for s in plan.segments)

    def test_a_scar_clearance_request_waits_for_the_referrer(self, clinic):
        from kneadwell.referrals.models import Clearance, ClearanceStatus

        physician = User.objects.get(username="referrer").referring_provider
        assert Clearance.objects.filter(provider=physician, status=ClearanceStatus.REQUESTED).exists()

    def test_loading_again_creates_nothing(self, clinic, settings):
        settings.DEMO = True
        before = _counts()
        again = demo.load_demo()
        assert again.created is False
        assert _counts() == before


def test_npi_check_digit_matches_the_cms_example():
    # CMS's published example: stem 123456789, check digit 3.
    assert demo_data.with_npi_check_digit("123456789") == "1234567893"


def test_load_demo_refuses_when_demo_is_off(db, settings):
    settings.DEMO = False
    with pytest.raises(ImproperlyConfigured):
        demo.load_demo()
    assert not Location.objects.exists()


def test_demo_refuses_a_database_holding_another_clinic(db):
    Location.objects.create(
        name="A real clinic",
        kind=LocationKind.MASSAGE_CLINIC,
        time_zone="Europe/Berlin",
        jurisdiction="DE-BE",
    )
    with pytest.raises(ImproperlyConfigured):
        demo._load_demo(today=TODAY, allow=True)
    assert not Patient.objects.exists()


class TestDemoRecords:
    """Issue 11: every chart and report of the demo has data, and one patient is not improving."""

    def test_signed_notes_with_feedback_and_measures(self, clinic):
        from kneadwell.charting.models import FeedbackEvent, NoteVersion
        from kneadwell.outcomes.models import Measurement, QuestionnaireResponse

        assert NoteVersion.objects.filter(status="signed").count() > 100
        assert FeedbackEvent.objects.filter(feedback="too_deep").exists()
        assert Measurement.objects.filter(measure="rom").exists()
        assert QuestionnaireResponse.objects.filter(instrument="psfs").count() >= 2

    def test_the_patient_login_improves_and_one_patient_does_not(self, clinic):
        from kneadwell.outcomes.models import ProgressReport
        from kneadwell.outcomes.selectors import patient_progress

        olivia = Patient.objects.get(user__username="patient")
        pain = patient_progress(olivia).measures[0]
        assert pain.improvement > 0
        stuck = ProgressReport.objects.get(kind="not_improving")
        assert patient_progress(stuck.patient, charts=False).not_improving


class TestDemoWaitlistAndMessages:
    """Issue 10: the demo shows a waitlist with an open offer, and a message that failed, was retried
    and went out."""

    def test_a_ranked_waitlist_with_an_open_offer_held_for_the_patient_login(self, clinic):
        from kneadwell.waitlist.models import WaitlistOffer
        from kneadwell.waitlist.selectors import ranked_requests

        as_of = dt.datetime(2026, 11, 15, 17, tzinfo=dt.UTC)  # the demo's noon in New York on TODAY
        ranked = ranked_requests(now=as_of)
        assert len(ranked) >= 3
        assert all(r.ranked.reasons for r in ranked)
        offer = WaitlistOffer.objects.get(status="open")
        assert offer.request.patient.user.username == "patient"
        assert offer.hold is not None
        assert (offer.hold.status, offer.hold.hold_expires_at) == ("held", offer.expires_at)
        assert offer.expires_at == as_of + dt.timedelta(hours=2)  # the clinic's default hold
        assert ranked[0].request == offer.request  # first in line: an urgent referral

    def test_a_message_failed_then_was_retried_and_sent(self, clinic):
        from kneadwell.notifications.models import Message

        retried = [
            m
            for m in Message.objects.filter(status="sent").prefetch_related("delivery_attempts")
            if [a.outcome for a in m.delivery_attempts.all()][:1] == ["error"]
        ]
        assert retried
        attempts = list(retried[0].delivery_attempts.order_by("number"))
        assert [a.outcome for a in attempts] == ["error", "error", "sent"]
        assert all(a.detail for a in attempts)
