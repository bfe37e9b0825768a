"""Outcomes on the database: packs from the clinic's folder, progress per measure, reports every N visits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kneadwell.charting.models import RecordsSettings
from kneadwell.outcomes.models import ProgressReport, ReportKind
from kneadwell.outcomes.selectors import pack_status, patient_progress
from kneadwell.outcomes.services import response_record
from kneadwell.scheduling.models import AppointmentStatus
from tests.records import content, signed_note, treatable, visit

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "instrument-packs.md"


def example_pack() -> str:
    text = DOCS.read_text()
    return text.split("<!-- example-pack -->")[1].split("```toml")[1].split("```")[0]


def test_a_clinic_pack_in_the_folder_offers_its_instrument(tmp_path, settings):
    (tmp_path / "hit6.toml").write_text(example_pack())
    status = pack_status(tmp_path)
    assert "hit6" in status.offered
    assert status.errors == ()


def test_a_pack_whose_scoring_key_does_not_match_its_items_is_refused_and_named(tmp_path):
    bad = example_pack().replace("{ points = 13, text", "{ points = 12, text")
    (tmp_path / "bad.toml").write_text(bad)
    status = pack_status(tmp_path)
    assert "hit6" not in status.offered
    assert "bad.toml" in status.errors[0]
    assert "scoring key" in status.errors[0]


def test_a_licensed_questionnaire_is_scored_once_its_pack_is_loaded(cast, tmp_path, settings):
    settings.KNEADWELL_INSTRUMENT_PACK_DIR = tmp_path
    (tmp_path / "hit6.toml").write_text(example_pack())
    response = response_record(
        actor=cast.pat_user,
        patient=cast.pat,
        instrument_key="hit6",
        answers={f"q{i}": 10 for i in range(1, 7)},
    )
    assert response.score == 60
    assert response.pack == "example-clinic-licensed"


def test_progress_signs_the_change_by_direction_and_cites_the_mcid(cast):
    treatable(cast)
    days = [dt.datetime(2026, 12, d, 15, tzinfo=dt.UTC) for d in (1, 8, 15)]
    for day, before in zip(days, (7, 6, 4), strict=True):
        appt = cast.pat_appointment if day == days[0] else visit(cast, day)
        appt.status = AppointmentStatus.COMPLETED
        appt.save()
        signed_note(cast.tess_user, appt, content(nprs_before=before))

    nprs = patient_progress(cast.pat).measures[0]

    assert (nprs.baseline, nprs.latest) == (7, 4)
    assert nprs.change.difference == -3
    assert nprs.improvement == 3
    assert nprs.change.mcid_reached is True
    assert "R21" in nprs.change.mcid.label
    assert nprs.change.responder is True
    assert "<svg" in nprs.chart_svg


def test_a_report_goes_to_the_referrer_every_n_signed_visits(cast):
    treatable(cast)
    RecordsSettings.objects.create(report_every_visits=2)
    days = [dt.datetime(2026, 12, d, 15, tzinfo=dt.UTC) for d in (1, 8, 15, 22)]
    made = []
    for day in days:
        appt = cast.pat_appointment if day == days[0] else visit(cast, day)
        signed_note(cast.tess_user, appt)
        made.append(ProgressReport.objects.count())
    assert made == [0, 1, 1, 2]
    assert set(ProgressReport.objects.values_list("kind", flat=True)) == {ReportKind.INTERIM}
    assert all(r.deliveries.filter(event="sent").exists() for r in ProgressReport.objects.all())


def test_check_packs_lists_what_is_offered_and_fails_on_a_bad_pack(tmp_path, capsys):
    from django.core.management import CommandError, call_command

    (tmp_path / "hit6.toml").write_text(example_pack())
    call_command("check_packs", str(tmp_path))
    assert "offered: hit6" in capsys.readouterr().out
    (tmp_path / "bad.toml").write_text("format = 1\nname = 'x'\n")
    with pytest.raises(CommandError):
        call_command("check_packs", str(tmp_path))
