"""Clinic settings: the clinic's own allocation defaults reach the session plan."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kneadwell.clinic.models import ClinicSettings, Service
from kneadwell.intake.schemas import AreaIn, DiagnosisIn
from kneadwell.intake.services import intake_record
from kneadwell.planning.selectors import session_plan_for
from kneadwell.therapists.models import Training


def _focus_minutes(cast) -> int:
    plan = session_plan_for(
        patient=cast.pat,
        service=Service.objects.get(code="therapeutic-60"),
        therapist=cast.tess,
        on=dt.date(2026, 12, 1),
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
    assert ClinicSettings.current().focus_share == "2/3"
    assert _focus_minutes(cast) == 40
    ClinicSettings.objects.filter(pk=1).update(focus_share="5/6")
    assert _focus_minutes(cast) == 50


@pytest.mark.parametrize("value", ["1/2", "3/2", "two thirds", "1/0"])
def test_a_focus_share_must_be_a_majority_fraction(db, value):
    settings = ClinicSettings.current()
    settings.focus_share = value
    with pytest.raises(ValidationError) as exc:
        settings.full_clean()
    assert "focus_share" in exc.value.message_dict


def test_the_admin_home_links_to_the_clinic_settings(client, cast):
    client.force_login(cast.admin)
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=cast.admin, type=Authenticator.Type.TOTP, data={"secret": "x"})
    page = client.get("/settings/").content.decode()
    assert "/admin/clinic/clinicsettings/" in page
    assert client.get("/admin/clinic/clinicsettings/").status_code == 200
