"""Clinic settings: the clinic's own allocation defaults reach the session plan."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kneadwell.clinic.models import ClinicSettings, Service
from kneadwell.intake.services import intake_record
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.planning.selectors import screened_session_plan
from kneadwell.scheduling.selectors import visit_history
from kneadwell.therapists.models import Training


def _focus_minutes(cast) -> int:
    plan, _ = screened_session_plan(
        patient=cast.pat,
        service=Service.objects.get(code="therapeutic-60"),
        therapist=cast.tess,
        on=dt.date(2026, 12, 1),
        history=visit_history(cast.pat),
    )
    return sum(s.minutes for s in plan.segments if s.role == "focus")


def test_the_focus_share_is_the_clinics_setting(cast):
    Training.objects.create(therapist=cast.tess, technique="swedish")
    intake_record(
        actor=cast.desk,
        patient=cast.pat,
        channel="phone",
        chief_complaint="Low back",
        areas=[AreaIn(region="low_back")],
        diagnoses=[DiagnosisIn(condition="low_back_pain", onset=dt.date(2026, 6, 1))],
    )
    assert ClinicSettings.current().focus_percent == 67
    assert _focus_minutes(cast) == 40
    ClinicSettings.objects.create(pk=1, focus_percent=83)
    assert _focus_minutes(cast) == 50


@pytest.mark.parametrize("value", [50, 101, 0])
def test_a_focus_share_must_be_a_majority(db, value):
    settings = ClinicSettings.current()
    settings.focus_percent = value
    with pytest.raises(ValidationError) as exc:
        settings.full_clean()
    assert "focus_percent" in exc.value.message_dict


def test_the_database_refuses_a_focus_share_that_is_not_a_majority(db):
    from django.db import IntegrityError, transaction

    ClinicSettings.current().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicSettings.objects.filter(pk=1).update(focus_percent=50)


def test_the_admin_home_links_to_the_clinic_settings(client, cast):
    client.force_login(cast.admin)
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=cast.admin, type=Authenticator.Type.TOTP, data={"secret": "x"})
    page = client.get("/settings/").content.decode()
    assert "/admin/clinic/clinicsettings/" in page
    assert client.get("/admin/clinic/clinicsettings/").status_code == 200
