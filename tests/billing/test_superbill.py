"""Superbills from signed notes reproduce CMS's worked examples (REFERENCE §3.2), switch to the midpoint
rule for a payer set to it, and carry the encounter's 7th character, the licence and the referrer."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.billing.models import Coverage, Payer
from kneadwell.billing.superbill import superbill_for
from kneadwell.charting.content import WorkLineIn
from kneadwell.lib.errors import Conflict
from kneadwell.scheduling.models import AppointmentStatus
from tests.records import content, signed_note, treatable, visit

pytestmark = pytest.mark.django_db


def lines(*pairs: tuple[str, int]) -> tuple[WorkLineIn, ...]:
    regions = ("neck", "upper_back", "low_back")
    return tuple(
        WorkLineIn(region=regions[i], minutes=m, pressure="medium", techniques=("swedish",), code=code)
        for i, (code, m) in enumerate(pairs)
    )


@pytest.fixture
def appt(cast):  # type: ignore[no-untyped-def]
    treatable(cast)
    cast.pat_appointment.status = AppointmentStatus.COMPLETED
    cast.pat_appointment.save()
    return cast.pat_appointment


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((("97112", 24), ("97110", 23)), {"97112": 2, "97110": 1}),  # 47 min → 3 units
        ((("97110", 33), ("97140", 7)), {"97110": 2, "97140": 1}),  # 40 min → 3 units
        ((("97110", 7), ("97140", 7), ("97124", 7)), {"97110": 1, "97140": 0, "97124": 0}),  # 21 min → 1 unit
    ],
)
def test_cms_worked_examples_from_a_signed_note(cast, appt, pairs, expected):
    signed_note(cast.tess_user, appt, content(work_lines=lines(*pairs)))

    bill = superbill_for(appt)

    assert {c.code: c.units for c in bill.codes} == expected
    assert bill.rule == "cms_8_minute"


def test_a_payer_on_the_midpoint_rule_bills_each_code_on_its_own(cast, appt):
    Coverage.objects.create(
        patient=cast.pat, payer=Payer.objects.create(name="Acme Health", unit_rule="cpt_midpoint")
    )
    signed_note(cast.tess_user, appt, content(work_lines=lines(("97110", 7), ("97140", 7), ("97124", 7))))

    bill = superbill_for(appt)

    assert bill.total_units == 0  # no code reaches its midpoint
    assert bill.payer == "Acme Health"


def test_the_superbill_names_the_licence_the_referrer_and_only_billable_codes(cast, appt):
    cast.pat.referrals.update(
        diagnoses=[
            {"condition": "whiplash", "icd10": "S16.1XXA"},
            {"condition": "low_back_pain", "icd10": "M54.5"},
        ]
    )
    cast.rita.npi = "1234567893"
    cast.rita.save()
    signed_note(cast.tess_user, appt)
    second = visit(cast, dt.datetime(2026, 12, 8, 15, tzinfo=dt.UTC))
    signed_note(cast.tess_user, second)

    first_bill, later_bill = superbill_for(appt), superbill_for(second)

    assert first_bill.diagnoses[0].code == "S16.1XXA"
    assert later_bill.diagnoses[0].code == "S16.1XXD"  # routine care in the recovery phase
    assert any("M54.5 is not a billable" in c for c in later_bill.cautions)
    assert later_bill.licence.number == "LMT-TURNER"
    assert later_bill.referral.provider.npi == "1234567893"


def test_no_superbill_before_the_note_is_signed(cast, appt):
    with pytest.raises(Conflict):
        superbill_for(appt)
