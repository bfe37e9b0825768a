"""The session-record pages as people use them: the therapist's tablet note (start, save, feedback,
sign, amend), the plan that learns, the patient's progress and questionnaires, consents, the
referrer's reports (each opening recorded), superbills, and who may open which page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from kneadwell.charting.models import Consent, Note, VersionStatus
from kneadwell.outcomes.models import DeliveryEvent, ProgressReport, QuestionnaireResponse, ReportDelivery
from kneadwell.outcomes.reports import report_create
from kneadwell.scheduling.models import AppointmentStatus
from tests.records import signed_note, treatable, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, cast, admin_mfa):  # type: ignore[no-untyped-def]
    def as_user(user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def appt(cast):  # type: ignore[no-untyped-def]
    treatable(cast)
    cast.pat_appointment.status = AppointmentStatus.CHECKED_IN
    cast.pat_appointment.save()
    return cast.pat_appointment


def _form(page: str) -> dict[str, str]:
    """The editor's current values, as the browser would post them (enough fields for these tests)."""
    import re

    data: dict[str, str] = {}
    lines = re.search(r'name="lines" value="(\d+)"', page)
    data["lines"] = lines.group(1) if lines else "0"
    for i in range(int(data["lines"])):
        area = re.search(
            rf'name="line-{i}-area">\s*(?:<option[^>]*>[^<]*</option>)*?<option value="([^"]+)" selected',
            page,
        )
        minutes = re.search(rf'name="line-{i}-minutes" value="(\d+)"', page)
        pressure = re.search(rf'name="line-{i}-pressure" value="(\w+)" checked', page)
        data[f"line-{i}-area"] = area.group(1) if area else "neck"
        data[f"line-{i}-minutes"] = minutes.group(1) if minutes else "10"
        data[f"line-{i}-pressure"] = pressure.group(1) if pressure else "medium"
        data[f"line-{i}-code"] = "auto"
    data["marks"] = "0"
    return data


def test_the_therapist_writes_and_signs_the_note_on_the_tablet(login, cast, appt):
    client = login(cast.tess_user)
    url = reverse("appointment-note", args=[appt.public_id])

    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Pain before (0–10)" in body
    assert "Too deep" in body
    note = Note.objects.get(appointment=appt)

    form = _form(body)
    form["line-0-minutes"] = str(int(form["line-0-minutes"]) - 5)  # the plan fills the hour: make room
    form |= {
        "nprs_before": "6",
        "subjective": "Sore neck",
        "new-area": "shoulder:right",
        "new-minutes": "5",
        "new-pressure": "light",
    }
    saved = client.post(url, form | {"action": "save"})
    assert saved.status_code == 302
    version = note.versions.get()
    assert version.nprs_before == 6
    assert version.work_lines.filter(region="shoulder", side="right", minutes=5).exists()

    feedback = client.post(
        url,
        {"action": "feedback:too_deep", "focus-area": "neck", "focus-pressure": "firm"},
        HTTP_HX_REQUEST="true",
    )
    assert feedback.status_code == 200
    assert "Too deep" in feedback.content.decode()
    assert version.feedback.get().feedback == "too_deep"

    signed = client.post(
        url,
        _form(client.get(url).content.decode())
        | {"nprs_before": "6", "nprs_after": "3", "assessment": "Eased", "action": "sign"},
    )
    assert signed.status_code == 302
    assert note.versions.get().status == VersionStatus.SIGNED
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.COMPLETED

    # Signed: read-only, with an amend form; posting a save is refused.
    after = client.get(url).content.decode()
    assert "Amend with a reason" in after
    assert client.post(url, {"action": "save", "lines": "0"}).status_code == 403
    amended = client.post(url, {"action": "amend", "reason": "Pain after was 4"})
    assert amended.status_code == 302
    assert note.versions.count() == 2
    history = client.get(reverse("note-history", args=[note.public_id])).content.decode()
    assert "Version 1" in history
    assert "Pain after was 4" in history


def test_bad_input_in_the_editor_names_the_field_and_keeps_what_was_typed(login, cast, appt):
    client = login(cast.tess_user)
    url = reverse("appointment-note", args=[appt.public_id])
    client.get(url)

    response = client.post(
        url,
        {
            "lines": "1",
            "line-0-area": "neck",
            "line-0-minutes": "75",
            "line-0-pressure": "firm",
            "subjective": "kept text",
            "action": "save",
        },
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert "work_lines[0].minutes" in body
    assert "kept text" in body
    assert not Note.objects.get(appointment=appt).versions.get().work_lines.filter(minutes=75).exists()


def test_another_therapist_or_the_desk_cannot_write_the_note(login, cast, appt):
    url = reverse("appointment-note", args=[appt.public_id])
    assert login(cast.theo_user).get(url).status_code == 404  # not Theo's patient
    assert login(cast.desk).get(url).status_code == 404  # no note yet; the desk never starts one
    login(cast.tess_user).get(url)
    desk = login(cast.desk)
    assert "Amend" not in desk.get(url).content.decode()
    assert desk.post(url, {"action": "sign", "lines": "0"}).status_code == 403


def test_the_plan_page_says_what_it_learned_from_the_last_note(login, cast, appt):
    signed_note(cast.tess_user, appt)
    later = visit(cast, dt.datetime(2026, 12, 8, 15, tzinfo=dt.UTC), status=AppointmentStatus.BOOKED)

    body = login(cast.tess_user).get(reverse("appointment-plan", args=[later.public_id])).content.decode()

    assert "From the last signed note" in body
    assert "too deep" in body


def test_the_day_pages_link_plan_and_note_and_list_overdue_notes(login, cast, appt):
    with time_machine.travel(dt.datetime(2026, 12, 3, 14, tzinfo=dt.UTC)):
        day = login(cast.tess_user).get(reverse("therapist-day"), {"date": "2026-12-01"}).content.decode()
        assert reverse("appointment-plan", args=[appt.public_id]) in day
        assert reverse("appointment-note", args=[appt.public_id]) in day
        assert "Notes to sign" in day
        desk = login(cast.desk).get(reverse("desk-today")).content.decode()
        assert "Notes to sign" in desk


def test_patient_progress_and_the_not_improving_prompt(login, cast, appt):
    from kneadwell.charting.models import RecordsSettings
    from tests.records import content

    RecordsSettings.objects.create(not_improving_after_visits=1)
    signed_note(cast.tess_user, appt, content(nprs_before=5))
    signed_note(
        cast.tess_user, visit(cast, dt.datetime(2026, 12, 8, 15, tzinfo=dt.UTC)), content(nprs_before=6)
    )

    staff = login(cast.tess_user).get(reverse("patient-progress", args=[cast.pat.public_id])).content.decode()
    assert "Not improving after 1 visits" in staff
    assert "Send a progress report to Dr Rita Reyes" in staff
    assert "<svg" in staff

    mine = login(cast.pat_user).get(reverse("my-progress")).content.decode()
    assert "My progress" in mine
    assert "Pain (NPRS, before each session)" in mine
    assert "Not improving after" not in mine  # the prompt is the clinic's


def test_the_patient_fills_a_questionnaire_in_the_portal(login, cast):
    client = login(cast.pat_user)
    url = reverse("my-questionnaire", args=["psfs"])
    assert client.get(url).status_code == 200

    short = client.post(
        url, {"activity-0": "Lifting", "score-0": "4", "activity-1": "Typing", "score-1": "6"}
    )
    assert short.status_code == 422
    ok = client.post(
        url,
        {
            "activity-0": "Lifting",
            "score-0": "4",
            "activity-1": "Typing",
            "score-1": "6",
            "activity-2": "Driving",
            "score-2": "5",
        },
    )
    assert ok.status_code == 302
    assert QuestionnaireResponse.objects.get().score == 5.0
    assert (
        client.get(reverse("my-questionnaire", args=["ndi"])).status_code == 404
    )  # licensed: no text loaded


def test_consents_in_the_portal_and_on_the_tablet(login, cast):
    pat = login(cast.pat_user)
    assert (
        pat.post(
            reverse("my-consents"), {"kind": "treatment", "signer_name": "Pat Palmer", "version": "1"}
        ).status_code
        == 302
    )
    desk = login(cast.desk)
    assert (
        desk.post(
            reverse("patient-consents", args=[cast.pat.public_id]),
            {"kind": "intraoral", "signer_name": "Pat Palmer"},
        ).status_code
        == 302
    )
    assert set(Consent.objects.values_list("kind", "signed_via")) == {
        ("treatment", "portal"),
        ("intraoral", "tablet"),
    }
    blank = desk.post(
        reverse("patient-consents", args=[cast.pat.public_id]), {"kind": "photographs", "signer_name": " "}
    )
    assert blank.status_code == 422


def test_the_referrer_reads_and_downloads_reports_and_each_is_recorded(login, cast, appt):
    signed_note(cast.tess_user, appt)
    report = report_create(actor=cast.tess_user, referral=cast.pat.referrals.get())
    rita = login(cast.rita_user)

    listing = rita.get(reverse("referrer-reports")).content.decode()
    assert "Pat Palmer" in listing
    page = rita.get(reverse("report-page", args=[report.public_id])).content.decode()
    assert "Neck pain" in page
    pdf = rita.get(reverse("report-pdf", args=[report.public_id]))
    assert pdf["Content-Type"] == "application/pdf"
    assert "Pat Palmer" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    events = list(ReportDelivery.objects.order_by("id").values_list("event", flat=True))
    assert events == [DeliveryEvent.SENT, DeliveryEvent.OPENED, DeliveryEvent.DOWNLOADED]
    assert login(cast.rob_user).get(reverse("report-page", args=[report.public_id])).status_code == 404


def test_the_clinic_sends_a_report_from_the_progress_page(login, cast, appt):
    signed_note(cast.tess_user, appt)
    referral = cast.pat.referrals.get()
    response = login(cast.tess_user).post(
        reverse("referral-report-send", args=[referral.public_id]), {"kind": "discharge"}
    )
    assert response.status_code == 302
    assert ProgressReport.objects.get().kind == "discharge"


def test_the_superbill_page_and_pdf(login, cast, appt):
    from kneadwell.charting.content import WorkLineIn
    from tests.records import content

    signed_note(
        cast.tess_user,
        appt,
        content(
            work_lines=(
                WorkLineIn(
                    region="neck", minutes=24, pressure="firm", techniques=("trigger_point",), code="97140"
                ),
                WorkLineIn(
                    region="upper_back", minutes=23, pressure="firm", techniques=("swedish",), code="97124"
                ),
            )
        ),
    )
    desk = login(cast.desk)
    page = desk.get(reverse("appointment-superbill", args=[appt.public_id])).content.decode()
    assert "97140" in page
    assert "LMT-TURNER" in page
    pdf = desk.get(reverse("appointment-superbill-pdf", args=[appt.public_id]))
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "47" in text  # 24 + 23 timed minutes
    assert (
        login(cast.pat_user).get(reverse("appointment-superbill", args=[appt.public_id])).status_code == 403
    )


def test_rom_and_wellbeing_are_recorded_from_the_editor_and_bad_rom_names_the_field(login, cast, appt):
    from kneadwell.outcomes.models import Measurement

    relax = visit(
        cast,
        dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC),
        service="relaxation-60",
        status=AppointmentStatus.CHECKED_IN,
    )
    client = login(cast.tess_user)
    url = reverse("appointment-note", args=[relax.public_id])
    body = client.get(url).content.decode()
    assert "Wellbeing before the session" in body

    bad = client.post(
        url,
        _form(body)
        | {"rom-motion": "neck_rotation", "rom-side": "left", "rom-value": "850", "action": "save"},
    )
    assert bad.status_code == 422
    assert "rom.value" in bad.content.decode()

    ok = client.post(
        url,
        _form(body)
        | {
            "wb-stress_nrs": "7",
            "wb-sleep_nrs": "4",
            "rom-motion": "neck_rotation",
            "rom-side": "left",
            "rom-value": "70",
            "action": "save",
        },
    )
    assert ok.status_code == 302
    assert sorted(
        Measurement.objects.filter(appointment=relax, voided_at__isnull=True).values_list("measure", "value")
    ) == [("rom", 70.0), ("sleep_nrs", 4.0), ("stress_nrs", 7.0)]


def test_phq2_and_gad2_are_due_for_relaxation_patients_only_when_the_clinic_turns_them_on(cast):
    from kneadwell.charting.models import RecordsSettings
    from kneadwell.outcomes.selectors import questionnaires_due

    treatable(cast)
    visit(cast, dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC), service="relaxation-60")
    assert questionnaires_due(cast.pat) == []
    RecordsSettings.objects.create(mental_health_screeners=True)
    assert [d.instrument for d in questionnaires_due(cast.pat)] == ["phq2", "gad2"]
