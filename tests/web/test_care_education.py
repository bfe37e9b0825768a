"""Patient-education pages (written by us, citing the catalogue's sources) and the care admin screens."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kneadwell.knowledge import catalogue
from tests.web.test_care_support import frozen_shoulder_intake


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("key", sorted(catalogue.conditions()))
def test_each_condition_page_is_public_and_cites_its_catalogue_sources(client, db, key):
    response = client.get(reverse("learn-condition", args=[key]))
    assert response.status_code == 200
    page = text(response)
    sources = page[page.index("<h2>Sources</h2>") :]
    for source_id in catalogue.conditions()[key].sources:
        assert f'id="source-{source_id}"' in sources
        assert (
            catalogue.sources()[source_id].citation.replace("&", "&amp;").replace('"', "&quot;")[:30]
            in sources
        )


def test_condition_pages_say_when_we_wait_and_when_to_speak_up(client, db):
    page = text(client.get(reverse("learn-condition", args=["post_surgical_scar"])))
    assert "your surgeon or doctor has given their approval" in page
    assert "if the pressure is too deep" in page
    strain = text(client.get(reverse("learn-condition", args=["strain_sprain"])))
    assert "first three days after the injury we leave the injured area alone" in strain
    assert "only a little swollen, we use just light strokes above it" in strain
    shoulder = text(client.get(reverse("learn-condition", args=["frozen_shoulder"])))
    assert "loose-fitting clothes" in shoulder


def test_every_flag_a_page_can_show_is_worded_and_fired_by_a_running_rule():
    """The pages claim only what runs: every listed or global flag has words, and every worded flag is
    one a registered screening rule reports (tests/intake/test_flag_coverage.py shows each one fires)."""
    from kneadwell.education.content import FLAG_WORDS, GENERAL_WORDS
    from kneadwell.intake.screening import rules

    listed = {f.id for c in catalogue.conditions().values() for f in (*c.red_flags, *c.precautions)}
    assert listed - FLAG_WORDS.keys() == set(), "condition flags without patient words"
    assert {f.id for f in catalogue.global_flags()} - GENERAL_WORDS.keys() == set()
    fired = {f for r in rules() for f in r.flags}
    assert (FLAG_WORDS.keys() | GENERAL_WORDS.keys()) - fired == set(), "pages promise checks no rule makes"
    assert (FLAG_WORDS.keys() | GENERAL_WORDS.keys()) <= catalogue.flags().keys()


@pytest.mark.parametrize("key", sorted(catalogue.conditions()))
def test_pages_show_no_keys_or_internal_notes(client, db, key):
    page = text(client.get(reverse("learn-condition", args=[key])))
    body = page[page.index("<article") : page.index("</article>")]
    visible = re.sub(r"<[^>]+>", " ", body)
    for internal in ("unverified", "REFERENCE", "_", "[R"):
        assert internal not in visible, (key, internal)


def test_unknown_condition_is_404(client, db):
    assert client.get(reverse("learn-condition", args=["gout"])).status_code == 404


def test_the_index_lists_every_condition(client, db):
    page = text(client.get(reverse("learn-index")))
    for key in catalogue.conditions():
        assert reverse("learn-condition", args=[key]) in page


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:intake_intake_changelist",
        "admin:planning_careplan_changelist",
        "admin:planning_handoff_changelist",
    ],
)
def test_care_admin_changelists_open(client, cast, admin_mfa, url_name):
    frozen_shoulder_intake(cast)
    client.force_login(admin_mfa)
    assert client.get(reverse(url_name)).status_code == 200


def test_care_plan_admin_edits_goals_inline(client, cast, admin_mfa):
    from kneadwell.planning.services import care_plan_draft

    frozen_shoulder_intake(cast)
    plan = care_plan_draft(actor=cast.desk, patient=cast.pat)
    client.force_login(admin_mfa)
    page = text(client.get(reverse("admin:planning_careplan_change", args=[plan.pk])))
    assert "goals-TOTAL_FORMS" in page
