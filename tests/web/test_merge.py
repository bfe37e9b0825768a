"""The front desk merges two records of one person from the patient page, and can undo it."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.patients.merging import MERGE_EVENT, UNMERGE_EVENT
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _twin(cast):  # type: ignore[no-untyped-def]
    """A second record of Pat that Rob registered, with its own referral."""
    twin = Patient.objects.create(
        given_name="Pat",
        family_name="Palmer",
        birth_date=dt.date(1980, 5, 1),
        suspected_duplicate_of=cast.pat,
    )
    Referral.objects.create(patient=twin, provider=cast.rob, received_on=dt.date(2026, 11, 5), reason="Knee")
    return twin


def test_the_patient_page_offers_the_desk_a_merge_and_names_a_possible_duplicate(client, cast):
    twin = _twin(cast)
    client.force_login(cast.desk)

    page = client.get(reverse("patient-detail", args=[cast.pat.public_id])).content.decode()

    merge = reverse("patient-merge", args=[cast.pat.public_id])
    assert f'href="{merge}"' in page
    assert f'href="{merge}?source={twin.public_id}"' in page
    # On the held record's own page, the link still merges it into the original.
    held_page = client.get(reverse("patient-detail", args=[twin.public_id])).content.decode()
    assert f'href="{merge}?source={twin.public_id}"' in held_page


def test_a_therapist_is_not_offered_a_merge(client, cast):
    _twin(cast)
    client.force_login(cast.tess_user)

    page = client.get(reverse("patient-detail", args=[cast.pat.public_id])).content.decode()

    assert reverse("patient-merge", args=[cast.pat.public_id]) not in page


def test_the_desk_compares_side_by_side_then_merges(client, cast):
    twin = _twin(cast)
    client.force_login(cast.desk)
    url = reverse("patient-merge", args=[cast.pat.public_id])

    compare = client.get(url, {"source": str(twin.public_id)})
    assert compare.status_code == 200
    assert "Merge Pat Palmer's record into this one" in text(compare)
    assert "Referrals 1" in text(compare)

    merged = client.post(url, {"source": str(twin.public_id)})

    assert merged.status_code == 302
    assert merged["Location"] == reverse("patient-detail", args=[cast.pat.public_id])
    assert Patient.objects.get(pk=twin.pk).merged_into == cast.pat
    assert Referral.objects.filter(patient=cast.pat).count() == 2
    assert AuditEvent.objects.filter(object_type=MERGE_EVENT, channel="web").count() == 2
    # The merged record is gone from view; its undo is on the merge page.
    assert client.get(reverse("patient-detail", args=[twin.public_id])).status_code == 404
    assert reverse("patient-unmerge", args=[twin.public_id]) in client.get(url).content.decode()


def test_the_desk_undoes_a_merge(client, cast):
    twin = _twin(cast)
    client.force_login(cast.desk)
    client.post(reverse("patient-merge", args=[cast.pat.public_id]), {"source": str(twin.public_id)})

    undone = client.post(reverse("patient-unmerge", args=[twin.public_id]))

    assert undone.status_code == 302
    assert undone["Location"] == reverse("patient-detail", args=[twin.public_id])
    assert Patient.objects.get(pk=twin.pk).merged_into is None
    assert Referral.objects.get(patient=twin).provider == cast.rob
    assert AuditEvent.objects.filter(object_type=UNMERGE_EVENT, channel="web").count() == 2


def test_merging_a_record_into_itself_is_refused(client, cast):
    client.force_login(cast.desk)

    response = client.post(
        reverse("patient-merge", args=[cast.pat.public_id]), {"source": str(cast.pat.public_id)}
    )

    assert response.status_code == 422
    assert "Nothing was merged" in text(response)


def test_two_records_with_logins_are_not_merged_and_the_page_says_why(client, cast):
    client.force_login(cast.desk)
    url = reverse("patient-merge", args=[cast.pat.public_id])

    compare = client.get(url, {"source": str(cast.paula.public_id)})
    refused = client.post(url, {"source": str(cast.paula.public_id)})

    assert "Both records have a portal login" in text(compare)
    assert refused.status_code == 422
    assert Patient.objects.get(pk=cast.paula.pk).merged_into is None
