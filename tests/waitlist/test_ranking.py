"""The waitlist's ranking and window fit: pure functions, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadwell.waitlist.ranking import Cadence, Candidate, Window, fits, overdue_days, rank

NOW = dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 10)


def _since(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def test_urgency_comes_before_an_overdue_plan_and_the_age_of_the_request():
    ranked = rank(
        [
            Candidate(key="old", urgency="routine", waiting_since=_since(60)),
            Candidate(
                key="overdue",
                urgency="routine",
                waiting_since=_since(1),
                cadence=Cadence(
                    per_week=2, plan_starts_on=dt.date(2026, 11, 1), last_visit_on=dt.date(2026, 12, 1)
                ),
            ),
            Candidate(key="soon", urgency="soon", waiting_since=_since(2)),
            Candidate(
                key="urgent", urgency="urgent", waiting_since=_since(0), urgency_source="Dr Rita Reyes"
            ),
        ],
        now=NOW,
        today=TODAY,
    )

    assert [r.key for r in ranked] == ["urgent", "soon", "overdue", "old"]
    assert [r.position for r in ranked] == [1, 2, 3, 4]


def test_more_overdue_first_then_the_older_request():
    plan = {"per_week": 1, "plan_starts_on": dt.date(2026, 10, 1)}
    ranked = rank(
        [
            Candidate(
                key="a",
                urgency="routine",
                waiting_since=_since(30),
                cadence=Cadence(**plan, last_visit_on=dt.date(2026, 11, 30)),
            ),  # due 7 Dec: 3 days
            Candidate(
                key="b",
                urgency="routine",
                waiting_since=_since(3),
                cadence=Cadence(**plan, last_visit_on=dt.date(2026, 11, 20)),
            ),  # due 27 Nov: 13 days
            Candidate(key="c", urgency="routine", waiting_since=_since(40)),
            Candidate(key="d", urgency="routine", waiting_since=_since(50)),
        ],
        now=NOW,
        today=TODAY,
    )

    assert [r.key for r in ranked] == ["b", "a", "d", "c"]
    assert [r.overdue_days for r in ranked] == [13, 3, 0, 0]


def test_the_ranking_explains_itself():
    (first,) = rank(
        [
            Candidate(
                key=1,
                urgency="urgent",
                waiting_since=_since(9),
                urgency_source="from Dr Rita Reyes, received 1 Nov 2026",
                cadence=Cadence(
                    per_week=1, plan_starts_on=dt.date(2026, 11, 1), last_visit_on=dt.date(2026, 11, 26)
                ),
            )
        ],
        now=NOW,
        today=TODAY,
    )

    assert first.reasons == (
        "Referral marked urgent (from Dr Rita Reyes, received 1 Nov 2026).",
        "Plan of care (once a week) is 7 days overdue: a visit was due by 3 Dec 2026.",
        "Waiting since 1 Dec 2026 (9 days).",
    )


def test_a_plan_visited_in_time_is_on_schedule():
    cadence = Cadence(per_week=1, plan_starts_on=dt.date(2026, 11, 1), last_visit_on=dt.date(2026, 12, 5))
    assert overdue_days(cadence, TODAY) == (0, dt.date(2026, 12, 12))
    (only,) = rank(
        [Candidate(key=1, urgency="routine", waiting_since=NOW, cadence=cadence)], now=NOW, today=TODAY
    )
    assert "Plan of care is on schedule." in only.reasons


def test_a_plan_without_visits_is_due_from_its_start():
    cadence = Cadence(per_week=3, plan_starts_on=dt.date(2026, 12, 4), last_visit_on=None)
    assert overdue_days(cadence, TODAY) == (6, dt.date(2026, 12, 4))


def test_an_unknown_urgency_is_refused():
    with pytest.raises(ValueError, match="unknown urgency"):
        rank([Candidate(key=1, urgency="whenever", waiting_since=NOW)], now=NOW, today=TODAY)


WINDOW = Window(
    first_day=dt.date(2026, 12, 14),
    last_day=dt.date(2026, 12, 18),
    weekdays=frozenset({0, 2}),  # Monday, Wednesday
    earliest=dt.time(9),
    latest=dt.time(12),
    therapist_ids=frozenset({7}),
)


def _local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute)


@pytest.mark.parametrize(
    ("start", "end", "therapist", "expected"),
    [
        (_local(14, 9), _local(14, 10), 7, True),  # Monday 9-10
        (_local(16, 11), _local(16, 12), 7, True),  # Wednesday, ends exactly at the latest time
        (_local(16, 11, 30), _local(16, 12, 30), 7, False),  # ends after the latest time
        (_local(14, 8, 30), _local(14, 9, 30), 7, False),  # starts before the earliest
        (_local(15, 9), _local(15, 10), 7, False),  # Tuesday
        (_local(21, 9), _local(21, 10), 7, False),  # after the last day
        (_local(14, 9), _local(14, 10), 8, False),  # another therapist
    ],
)
def test_a_time_fits_a_window(start, end, therapist, expected):
    assert fits(WINDOW, local_start=start, local_end=end, therapist_id=therapist) is expected


def test_any_therapist_when_none_was_chosen():
    window = Window(**{**WINDOW.__dict__, "therapist_ids": frozenset()})
    assert fits(window, local_start=_local(14, 9), local_end=_local(14, 10), therapist_id=99)
