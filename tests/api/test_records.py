"""The session-record API as a client would use it: notes (start, save, feedback, sign, amend,
versions), consents, measurements, questionnaires, progress, progress reports and superbills,
with every bad input of issue 11 answered by a 4xx naming the field and changing nothing."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest
from pypdf import PdfReader

from kneadwell.charting.models import Consent, NoteVersion, WorkLine
from kneadwell.outcomes.models import DeliveryEvent, Measurement, QuestionnaireResponse, ReportDelivery
from kneadwell.scheduling.models import AppointmentStatus
from tests.records import treatable, visit

from .conftest import fields_of, patient_data_events, row_counts

NOTE = {
    "subjective": "Neck stiff after a long week at the desk.",
    "nprs_before": 6,
    "objective": "Hypertonic upper trapezius; trigger point right.",
    "assessment": "Tone eased.",
    "nprs_after": 3,
    "plan_next": "Same focus.",
    "home_care": "Chin tucks.",
    "work_lines": [
        {
            "region": "neck",
            "minutes": 33,
            "pressure": "firm",
            "techniques": ["trigger_point"],
            "code": "97140",
        },
        {
            "region": "upper_back",
            "minutes": 7,
            "pressure": "medium",
            "techniques": ["swedish"],
            "code": "97124",
        },
    ],
    "feedback": [{"region": "neck", "pressure": "firm", "feedback": "too_deep", "change": "Eased off"}],
    "marks": [{"kind": "trigger_point", "region": "neck", "view": "back", "x": 100, "y": 60}],
}


@pytest.fixture
def appt(cast):  # type: ignore[no-untyped-def]
    treatable(cast)
    cast.pat_appointment.status = AppointmentStatus.COMPLETED
    cast.pat_appointment.save()
    return cast.pat_appointment


def _start(api_as, cast, appt):  # type: ignore[no-untyped-def]
    response = api_as(cast.tess_user).post(f"/appointments/{appt.public_id}/note", {})
    assert response.status_code == 201, response.content
    return response.json()


def test_note_lifecycle_over_the_api(api_as, cast, appt):
    tess = api_as(cast.tess_user)
    note = _start(api_as, cast, appt)
    assert note["status"] == "draft"
    assert note["current"]["work_lines"]  # pre-filled from the plan
    nid = note["id"]

    saved = tess.patch(f"/notes/{nid}", NOTE)  # PATCH is not an operation: 405
    assert saved.status_code == 405
    saved = tess.client.put(
        f"/api/v1/notes/{nid}",
        data=__import__("json").dumps(NOTE),
        content_type="application/json",
        **tess.headers,
    )
    assert saved.status_code == 200, saved.content
    assert [w["code"] for w in saved.json()["work_lines"]] == ["97140", "97124"]

    fb = tess.post(f"/notes/{nid}/feedback", {"region": "neck", "pressure": "medium", "feedback": "ok"})
    assert fb.status_code == 201

    signed = tess.post(f"/notes/{nid}/sign", {})
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"
    assert len(signed.json()["feedback"]) == 2

    again = tess.client.put(
        f"/api/v1/notes/{nid}", data="{}", content_type="application/json", **tess.headers
    )
    assert again.status_code == 409
    assert fields_of(again) == ["note"]
    assert (
        tess.post(
            f"/notes/{nid}/feedback", {"region": "neck", "pressure": "firm", "feedback": "ok"}
        ).status_code
        == 409
    )

    amended = tess.post(f"/notes/{nid}/amend", {"reason": "Pain after was 4"})
    assert amended.status_code == 201
    assert amended.json()["number"] == 2
    assert tess.post(f"/notes/{nid}/amend", {"reason": "again"}).status_code == 409

    versions = tess.get(f"/notes/{nid}/versions").json()
    assert [(v["number"], v["status"]) for v in versions] == [(1, "signed"), (2, "draft")]
    assert tess.get(f"/notes/{nid}/versions/1").json()["nprs_after"] == 3
    assert tess.get(f"/notes/{nid}/versions/9").status_code == 404
    assert tess.get("/notes", status="unsigned", count="true").json()["count"] == 1


def test_signing_someone_elses_note_is_403_and_changes_nothing(api_as, cast, appt):
    note = _start(api_as, cast, appt)
    # Theo cannot see Pat (404); the desk and the admin can see the note but not sign it (403).
    assert api_as(cast.theo_user).post(f"/notes/{note['id']}/sign", {}).status_code == 404
    for user in (cast.desk, cast.admin):
        response = api_as(user).post(f"/notes/{note['id']}/sign", {})
        assert response.status_code == 403, response.content
    assert not NoteVersion.objects.filter(status="signed").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"nprs_before": 11}, "nprs_before"),
        ({"nprs_after": -1}, "nprs_after"),
        ({"work_lines": [{"region": "neck", "minutes": 45, "pressure": "firm"}, {"region": "upper_back", "minutes": 20, "pressure": "firm"}]}, "work_lines[1].minutes"),
        ({"work_lines": [{"region": "shoulder", "minutes": 10, "pressure": "firm"}]}, "work_lines[0].side"),
        ({"work_lines": [{"region": "neck", "minutes": 10, "pressure": "crushing"}]}, "work_lines[0].pressure"),
        ({"marks": [{"kind": "bruise", "region": "neck", "view": "back", "x": 1, "y": 1}]}, "marks[0].kind"),
    ],
)  # fmt: skip
def test_bad_note_content_is_422_naming_the_field_and_writes_nothing(api_as, cast, appt, change, field):
    note = _start(api_as, cast, appt)
    api = api_as(cast.tess_user)
    before = row_counts(WorkLine)

    response = api.client.put(
        f"/api/v1/notes/{note['id']}",
        data=__import__("json").dumps({**NOTE, **change}),
        content_type="application/json",
        **api.headers,
    )

    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    assert row_counts(WorkLine) == before


def test_a_referrer_never_sees_raw_notes_and_a_patient_only_when_shared(api_as, cast, appt):
    note = _start(api_as, cast, appt)
    api_as(cast.tess_user).post(f"/notes/{note['id']}/sign", {})  # empty plan lines are enough to sign
    assert api_as(cast.rita_user).get(f"/notes/{note['id']}").status_code == 404
    assert api_as(cast.rita_user).get(f"/appointments/{appt.public_id}/note").status_code == 404
    assert api_as(cast.pat_user).get(f"/notes/{note['id']}").status_code == 404

    from kneadwell.charting.models import RecordsSettings

    RecordsSettings.objects.create(share_notes_with_patients=True)
    shared = api_as(cast.pat_user).get(f"/notes/{note['id']}")
    assert shared.status_code == 200
    assert all(v["status"] == "signed" for v in shared.json()["versions"])


def test_consents_are_signed_against_the_current_text_and_withdrawn(api_as, cast):
    pat = api_as(cast.pat_user)
    texts = pat.get("/consent-texts").json()
    treatment = next(t for t in texts if t["kind"] == "treatment")

    signed = pat.post(
        f"/patients/{cast.pat.public_id}/consents",
        {"kind": "treatment", "signer_name": "Pat Palmer", "version": treatment["version"], "via": "portal"},
    )
    assert signed.status_code == 201, signed.content
    assert signed.json()["text"].startswith(treatment["title"])

    stale = pat.post(
        f"/patients/{cast.pat.public_id}/consents",
        {"kind": "intraoral", "signer_name": "Pat", "version": "0"},
    )
    assert stale.status_code == 409
    assert fields_of(stale) == ["version"]
    assert (
        api_as(cast.rita_user)
        .post(f"/patients/{cast.pat.public_id}/consents", {"kind": "treatment", "signer_name": "X"})
        .status_code
        == 403
    )

    withdrawn = pat.post(f"/consents/{signed.json()['id']}/withdraw", {})
    assert withdrawn.json()["in_force"] is False
    assert pat.post(f"/consents/{signed.json()['id']}/withdraw", {}).status_code == 409
    assert Consent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "rom", "motion": "neck_rotation", "side": "left", "value": 850}, "value"),
        ({"kind": "rom", "motion": "neck_rotation", "value": 60}, "side"),
        ({"kind": "rom", "motion": "neck_flexion", "side": "left", "value": 40}, "side"),
        ({"kind": "rom", "motion": "elbow_wiggle", "value": 40}, "motion"),
        ({"kind": "rom", "motion": "neck_flexion", "value": -5}, "value"),
        ({"kind": "rating", "measure": "stress_nrs", "value": 11}, "value"),
    ],
)
def test_measurements_out_of_range_are_422_naming_the_field(api_as, cast, body, field):
    response = api_as(cast.tess_user).post(f"/patients/{cast.pat.public_id}/measurements", body)

    assert response.status_code == 422, response.content
    assert fields_of(response) == [field]
    assert Measurement.objects.count() == 0


def test_rom_is_recorded_with_its_reference_and_voided_with_a_reason(api_as, cast):
    api = api_as(cast.tess_user)
    made = api.post(
        f"/patients/{cast.pat.public_id}/measurements",
        {"kind": "rom", "motion": "neck_rotation", "side": "left", "value": 60, "method": "goniometer"},
    ).json()
    assert (made["unit"], made["reference_value"]) == ("degrees", 85.0)
    voided = api.post(f"/measurements/{made['id']}/void", {"reason": "Wrong side"})
    assert voided.json()["voided"] is True
    assert api_as(cast.rita_user).get(f"/patients/{cast.pat.public_id}/measurements").status_code == 403


def test_questionnaires_are_scored_and_bad_answers_name_the_item(api_as, cast):
    api = api_as(cast.pat_user)
    url = f"/patients/{cast.pat.public_id}/questionnaire-responses"

    wrong_count = api.post(url, {"instrument": "psfs", "answers": {"Lifting": 4, "Typing": 5}})
    assert wrong_count.status_code == 422
    assert fields_of(wrong_count) == ["answers"]
    bad_option = api.post(url, {"instrument": "phq2", "answers": {"q1": 1, "q2": 7}})
    assert bad_option.status_code == 422
    assert fields_of(bad_option) == ["answers.q2"]
    unknown_item = api.post(url, {"instrument": "phq2", "answers": {"q1": 1, "q9": 0}})
    assert fields_of(unknown_item) == ["answers.q9"]
    licensed = api.post(url, {"instrument": "ndi", "answers": {f"q{i}": 1 for i in range(1, 11)}})
    assert licensed.status_code == 422
    assert "not offered" in licensed.json()["detail"]
    assert QuestionnaireResponse.objects.count() == 0

    ok = api.post(
        url, {"instrument": "psfs", "answers": {"Lifting": 4, "Typing": 5, "Driving": 6}, "channel": "portal"}
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["score"] == 5.0
    assert Measurement.objects.get().value == 5.0


def test_progress_report_is_json_or_pdf_and_each_answer_is_a_recorded_delivery(api_as, cast, appt):
    tess = api_as(cast.tess_user)
    nid = _start(api_as, cast, appt)["id"]
    tess.client.put(
        f"/api/v1/notes/{nid}",
        data=__import__("json").dumps(NOTE),
        content_type="application/json",
        **tess.headers,
    )
    tess.post(f"/notes/{nid}/sign", {})
    referral = cast.pat.referrals.get()
    rita = api_as(cast.rita_user)

    body = rita.get(f"/referrals/{referral.public_id}/progress-report").json()
    assert body["visits"] == 1
    assert body["referral"]["question"] == "Neck pain"
    assert body["measures"][0]["key"] == "nprs"
    assert "<svg" in body["measures"][0]["chart_svg"]

    pdf = rita.client.get(
        f"/api/v1/referrals/{referral.public_id}/progress-report",
        HTTP_ACCEPT="application/pdf",
        **rita.headers,
    )
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Pat Palmer" in text
    assert "Neck pain" in text
    image = pypdfium2.PdfDocument(pdf.content)[0].render(scale=0.5).to_pil().convert("L")
    assert image.getextrema()[0] < 100  # ink on the page, not a blank render
    assert list(ReportDelivery.objects.values_list("event", flat=True)) == [
        DeliveryEvent.FETCHED,
        DeliveryEvent.DOWNLOADED,
    ]
    # Paula's referral is not Rita's: 404.
    assert rita.get(f"/referrals/{cast.paula.referrals.get().public_id}/progress-report").status_code == 404
    assert patient_data_events().filter(object_type="progress_report").exists()


def test_superbill_over_the_api_is_json_or_pdf(api_as, cast, appt):
    tess = api_as(cast.tess_user)
    nid = _start(api_as, cast, appt)["id"]
    tess.client.put(
        f"/api/v1/notes/{nid}",
        data=__import__("json").dumps(NOTE),
        content_type="application/json",
        **tess.headers,
    )
    desk = api_as(cast.desk)
    assert desk.get(f"/appointments/{appt.public_id}/superbill").status_code == 409  # not signed yet
    tess.post(f"/notes/{nid}/sign", {})

    bill = desk.get(f"/appointments/{appt.public_id}/superbill").json()
    # CMS worked example: 33 min + 7 min = 40 min → 3 units: 2 × 97140 + 1 × 97124.
    assert [(c["code"], c["units"]) for c in bill["codes"]] == [("97140", 2), ("97124", 1)]
    assert bill["licence"]["jurisdiction"] == "US-NY"
    assert bill["referring_provider"]["name"] == "Dr Rita Reyes"
    assert api_as(cast.pat_user).get(f"/appointments/{appt.public_id}/superbill").status_code == 403

    pdf = desk.client.get(
        f"/api/v1/appointments/{appt.public_id}/superbill", HTTP_ACCEPT="application/pdf", **desk.headers
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "97140" in text
    assert "Superbill" in text
    image = pypdfium2.PdfDocument(pdf.content)[0].render(scale=0.5).to_pil().convert("L")
    assert image.getextrema()[0] < 100  # rendered with ink, not blank


def test_a_later_visit_learns_from_the_signed_note(api_as, cast, appt):
    tess = api_as(cast.tess_user)
    nid = _start(api_as, cast, appt)["id"]
    note = {**NOTE, "work_lines": [{**NOTE["work_lines"][0], "response": "pain_increased"}]}
    tess.client.put(
        f"/api/v1/notes/{nid}",
        data=__import__("json").dumps(note),
        content_type="application/json",
        **tess.headers,
    )
    tess.post(f"/notes/{nid}/sign", {})
    later = visit(cast, dt.datetime(2026, 12, 8, 15, tzinfo=dt.UTC), status=AppointmentStatus.BOOKED)

    plan = tess.post(f"/appointments/{later.public_id}/note", {}).json()["current"]
    rules = {r["rule"] for r in NoteVersion.objects.get(public_id=plan["id"]).plan_snapshot["rationale"]}
    assert "tailoring.pressure.feedback" in rules
