"""Who may open which page: every role × every page, and own versus someone else's patient."""

from __future__ import annotations

import pytest
from django.urls import reverse

ROLES = ["front_desk", "therapist", "patient", "referrer", "clinic_admin"]

# Pages without an object, and the roles that may open them (all others get 403).
ROLE_PAGES = {
    "desk-today": {"front_desk", "clinic_admin"},
    "therapist-day": {"therapist"},
    "patient-home": {"patient"},
    "referrer-home": {"referrer"},
    "admin-home": {"clinic_admin"},
    "audit-log": {"clinic_admin"},
    "patient-search": {"front_desk", "clinic_admin"},
    # Issue 11
    "my-progress": {"patient"},
    "my-consents": {"patient"},
    "referrer-reports": {"referrer"},
    "desk-messages": {"front_desk", "clinic_admin"},
    "spot-work-board": {"front_desk", "clinic_admin"},
    "patient-contact": {"patient"},
    # Issue 8: booking pages
    "desk-board": {"front_desk", "clinic_admin"},
    "therapist-week": {"therapist"},
    "my-book": {"patient"},
    # Issue 10: the waitlist
    "desk-waitlist": {"front_desk", "clinic_admin"},
    "patient-waitlist": {"patient"},
}

HOMES = {
    "front_desk": "desk-today",
    "therapist": "therapist-day",
    "patient": "patient-home",
    "referrer": "referrer-home",
    "clinic_admin": "admin-home",
}

# Patient pages: (role, whose page) -> status. Pat is Tess's patient on Rita's referral; Paula is not.
PATIENT_PAGES = {
    ("front_desk", "pat"): 200,
    ("front_desk", "paula"): 200,
    ("clinic_admin", "pat"): 200,
    ("clinic_admin", "paula"): 200,
    ("therapist", "pat"): 200,
    ("therapist", "paula"): 404,
    ("patient", "pat"): 200,
    ("patient", "paula"): 404,
    ("referrer", "pat"): 200,
    ("referrer", "paula"): 404,
}


@pytest.fixture
def login(client, cast, admin_mfa):  # type: ignore[no-untyped-def]
    def as_role(role: str):  # type: ignore[no-untyped-def]
        client.force_login(cast.user(role))
        return client

    return as_role


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", sorted(ROLE_PAGES))
def test_role_pages_answer_200_for_their_roles_and_403_for_others(login, role, url_name):
    # (Not named `page`: that is pytest-playwright's fixture, and would pull these tests into a browser run.)
    response = login(role).get(reverse(url_name))
    expected = 200 if role in ROLE_PAGES[url_name] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("url_name", [*sorted(ROLE_PAGES), "home"])
def test_anonymous_visitors_are_sent_to_login(client, cast, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ROLES)
def test_home_redirects_each_role_to_its_own_home(login, role):
    response = login(role).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(HOMES[role])


@pytest.mark.parametrize(("role", "whose"), sorted(PATIENT_PAGES))
def test_patient_page_is_visible_only_in_scope(login, cast, role, whose):
    patient = getattr(cast, whose)
    response = login(role).get(reverse("patient-detail", args=[patient.public_id]))
    assert response.status_code == PATIENT_PAGES[(role, whose)]
    if response.status_code == 200:
        assert patient.full_name in response.content.decode()


def test_anonymous_visitor_cannot_open_a_patient_page(client, cast):
    response = client.get(reverse("patient-detail", args=[cast.pat.public_id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("bad_id", ["1", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_patient_page_answers_404_for_unknown_or_malformed_ids(login, bad_id):
    response = login("front_desk").get(reverse("patient-detail", args=[bad_id]))
    assert response.status_code == 404


def test_forbidden_page_renders_in_the_kneadwell_layout(login):
    response = login("patient").get(reverse("desk-today"))
    body = response.content.decode()
    assert response.status_code == 403
    assert "This page is not available to you" in body
    assert 'class="skip-link"' in body


def test_other_therapist_sees_paula_but_not_pat(client, cast):
    client.force_login(cast.theo_user)
    assert client.get(reverse("patient-detail", args=[cast.paula.public_id])).status_code == 200
    assert client.get(reverse("patient-detail", args=[cast.pat.public_id])).status_code == 404


# Issue 11: pages about one patient's records, by role, for own (Pat's) and someone else's (Paula's).
# A referrer reads reports, never the raw record; a patient their own progress through /me/.
RECORD_PAGES = {
    "patient-progress": {
        "front_desk": (200, 200),
        "clinic_admin": (200, 200),
        "therapist": (200, 404),
        "patient": (403, 403),
        "referrer": (403, 403),
    },
    "patient-consents": {
        "front_desk": (200, 200),
        "clinic_admin": (200, 200),
        "therapist": (200, 404),
        "patient": (403, 403),
        "referrer": (403, 403),
    },
    "appointment-plan": {
        "front_desk": (200, 200),
        "clinic_admin": (200, 200),
        "therapist": (200, 404),
        "patient": (403, 403),
        "referrer": (403, 403),
    },
    "appointment-superbill": {
        "front_desk": (409, 409),
        "clinic_admin": (409, 409),
        "therapist": (409, 404),
        "patient": (403, 403),
        "referrer": (403, 403),
    },
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", sorted(RECORD_PAGES))
def test_record_pages_follow_the_scopes(login, cast, role, url_name):
    own, other = RECORD_PAGES[url_name][role]
    for obj, expected in (
        ((cast.pat, cast.pat_appointment), own),
        ((cast.paula, cast.paula_appointment), other),
    ):
        target = obj[1] if url_name.startswith("appointment-") else obj[0]
        response = login(role).get(reverse(url_name, args=[target.public_id]))
        assert response.status_code == expected, (url_name, role, target)


# Merging duplicate records, and undoing a merge: the front desk's and clinic admins' pages only.
MERGE_ROLES = {"front_desk", "clinic_admin"}


@pytest.mark.parametrize("whose", ["pat", "paula"])
@pytest.mark.parametrize("role", ROLES)
def test_the_merge_page_is_for_the_front_desk(login, cast, role, whose):
    patient = getattr(cast, whose)
    response = login(role).get(reverse("patient-merge", args=[patient.public_id]))
    assert response.status_code == (200 if role in MERGE_ROLES else 403)


@pytest.mark.parametrize("role", ROLES)
def test_undoing_a_merge_is_for_the_front_desk(login, cast, role):
    import datetime as dt

    from kneadwell.patients.merging import patient_merge
    from kneadwell.patients.models import Patient

    twin = Patient.objects.create(given_name="Pat", family_name="Palmer", birth_date=dt.date(1980, 5, 1))
    patient_merge(actor=cast.desk, source=twin, target=cast.pat)

    response = login(role).post(reverse("patient-unmerge", args=[twin.public_id]))

    assert response.status_code == (302 if role in MERGE_ROLES else 403)
    assert (Patient.objects.get(pk=twin.pk).merged_into is None) == (role in MERGE_ROLES)


def test_a_merged_record_is_404_on_every_patient_page(login, cast):
    import datetime as dt

    from kneadwell.patients.merging import patient_merge
    from kneadwell.patients.models import Patient

    twin = Patient.objects.create(given_name="Pat", family_name="Palmer", birth_date=dt.date(1980, 5, 1))
    patient_merge(actor=cast.desk, source=twin, target=cast.pat)
    client = login("front_desk")

    for name in ("patient-detail", "patient-merge"):
        assert client.get(reverse(name, args=[twin.public_id])).status_code == 404


# Calendar feeds: no sign-in, the secret address is the key; a revoked, wrong or malformed one is 404.
@pytest.mark.parametrize("owner", ["therapist", "patient"])
def test_a_calendar_feed_answers_only_its_live_secret(client, login, cast, owner):
    from kneadwell.notifications.services import feed_token_create, feed_token_revoke

    if owner == "therapist":
        issued = feed_token_create(actor=cast.tess_user, therapist=cast.tess)
    else:
        issued = feed_token_create(actor=cast.pat_user, patient=cast.pat)
    url = reverse("calendar-feed", args=[issued.secret])
    assert client.get(url).status_code == 200
    wrong = issued.secret[:-4] + ("AAAA" if not issued.secret.endswith("AAAA") else "BBBB")
    assert client.get(reverse("calendar-feed", args=[wrong])).status_code == 404
    assert client.get(reverse("calendar-feed", args=["kw_" + issued.secret[4:]])).status_code == 404
    feed_token_revoke(actor=cast.tess_user if owner == "therapist" else cast.pat_user, token=issued.token)
    assert client.get(url).status_code == 404
    # Signing in does not bring a revoked feed back.
    assert login("clinic_admin").get(url).status_code == 404


# A visit's .ics: (role, whose visit) -> status, as for the patient page.
APPOINTMENT_FILES = {
    ("front_desk", "pat"): 200,
    ("front_desk", "paula"): 200,
    ("clinic_admin", "pat"): 200,
    ("therapist", "pat"): 200,
    ("therapist", "paula"): 404,
    ("patient", "pat"): 200,
    ("patient", "paula"): 404,
    ("referrer", "pat"): 200,
    ("referrer", "paula"): 404,
}


@pytest.mark.parametrize(("role", "whose"), sorted(APPOINTMENT_FILES))
def test_a_visits_calendar_file_is_visible_only_in_scope(login, cast, role, whose):
    appointment = getattr(cast, f"{whose}_appointment")
    response = login(role).get(reverse("appointment-ics", args=[appointment.public_id]))
    assert response.status_code == APPOINTMENT_FILES[(role, whose)]


def test_anonymous_visitors_get_no_calendar_file(client, cast):
    response = client.get(reverse("appointment-ics", args=[cast.pat_appointment.public_id]))
    assert response.status_code == 302
