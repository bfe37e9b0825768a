"""The delivery rules on their own (no database): backoff, reminder timing, opt-outs, wording."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneadwell.notifications import policy

RETRY = policy.RetryPolicy(max_attempts=6, base=dt.timedelta(minutes=2), cap=dt.timedelta(hours=1))
AT = dt.datetime(2026, 3, 8, 6, 0, tzinfo=dt.UTC)


def test_backoff_doubles_from_the_base_until_the_cap():
    assert [RETRY.delay_after(n).total_seconds() / 60 for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_there_is_no_next_attempt_after_the_last():
    assert RETRY.next_attempt(5, AT) == AT + dt.timedelta(minutes=32)
    assert RETRY.next_attempt(6, AT) is None


@given(st.integers(min_value=1, max_value=10_000))
def test_backoff_never_shrinks_and_never_passes_the_cap(attempt):
    assert RETRY.base <= RETRY.delay_after(attempt) <= RETRY.cap
    assert RETRY.delay_after(attempt) <= RETRY.delay_after(attempt + 1)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"max_attempts": 0, "base": dt.timedelta(1), "cap": dt.timedelta(1)}, "max_attempts"),
        ({"max_attempts": 1, "base": dt.timedelta(0), "cap": dt.timedelta(1)}, "base"),
        ({"max_attempts": 1, "base": dt.timedelta(2), "cap": dt.timedelta(1)}, "base"),
    ],
)
def test_a_nonsensical_policy_is_refused(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        policy.RetryPolicy(**kwargs)


def test_the_reminder_lead_is_elapsed_time_across_a_dst_change():
    # Monday 9 March 2026, 10:00 EDT in New York; the clocks went forward on the Sunday.
    start = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)
    due = policy.reminder_due(start, dt.timedelta(hours=24))
    assert start - due == dt.timedelta(hours=24)
    assert policy.when_text(due, due, "America/New_York").startswith("Sunday 8 March 2026, 10:00")


@given(
    booked=st.datetimes(timezones=st.just(dt.UTC)),
    ahead=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)),
    lead=st.timedeltas(min_value=dt.timedelta(hours=1), max_value=dt.timedelta(days=7)),
)
def test_a_visit_gets_a_reminder_iff_it_was_booked_before_the_reminder_was_due(booked, ahead, lead):
    try:
        start = booked + ahead
    except OverflowError:
        return
    assert policy.wants_reminder(start=start, booked_at=booked, lead=lead) == (ahead > lead)


@pytest.mark.parametrize(
    ("kind", "channel", "choices", "reason"),
    [
        ("reminder", "email", policy.ContactChoices(reminders_enabled=False), "not to get reminders"),
        ("confirmation", "email", policy.ContactChoices(reminders_enabled=False), ""),
        ("confirmation", "email", policy.ContactChoices(email_enabled=False), "not to get e-mail"),
        ("confirmation", "sms", policy.ContactChoices(), "not to get text messages"),
        ("change", "sms", policy.ContactChoices(sms_enabled=True, sms_number="+13125550123"), ""),
    ],
)
def test_suppression_follows_the_patients_choices(kind, channel, choices, reason):
    got = policy.suppression_reason(kind, channel, choices)
    assert (reason in got) if reason else got == ""


def test_texts_are_written_only_for_patients_who_asked_for_them():
    assert policy.channels_for(policy.ContactChoices()) == ("email",)
    assert policy.channels_for(policy.ContactChoices(sms_enabled=True, sms_number="+1")) == ("email", "sms")


@pytest.mark.parametrize(
    ("tz", "label"),
    [("America/New_York", "New York"), ("America/Argentina/Buenos_Aires", "Buenos Aires"), ("UTC", "UTC")],
)
def test_zones_are_named_as_people_say_them(tz, label):
    assert policy.zone_label(tz) == label


@pytest.mark.parametrize(
    ("start", "text"),
    [
        # Either side of Europe's autumn change (25 October 2026): 10:00 local both times.
        (
            dt.datetime(2026, 10, 24, 8, 0, tzinfo=dt.UTC),
            "Saturday 24 October 2026, 10:00 to 11:00 Berlin time (CEST)",
        ),
        (
            dt.datetime(2026, 10, 26, 9, 0, tzinfo=dt.UTC),
            "Monday 26 October 2026, 10:00 to 11:00 Berlin time (CET)",
        ),
    ],
)
def test_times_are_on_the_locations_clock_with_the_zone_named(start, text):
    assert policy.when_text(start, start + dt.timedelta(hours=1), "Europe/Berlin") == text


@pytest.mark.parametrize(
    ("detail", "label"),
    [("none", "Client"), ("initials", "P. P."), ("short", "Pat P."), ("full", "Pat Palmer")],
)
def test_a_patient_is_named_only_as_far_as_the_setting_allows(detail, label):
    assert policy.patient_label("Pat", "Palmer", detail) == label


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_the_default_never_shows_more_than_one_letter_of_the_family_name(given_name, family_name):
    label = policy.patient_label(given_name, family_name, policy.DETAIL_SHORT)
    family = family_name.strip()
    rest = label.removeprefix(given_name.strip()).strip()
    assert rest == (f"{family[0]}." if family else "")
