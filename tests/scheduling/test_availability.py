"""The pure availability engine: every offered slot is bookable, DST edges, ranking, alternatives.

The properties compare the engine with `reference_starts`, a deliberately naive reading of the
rule (minute by minute, in datetimes, straight from the module docstring), so that an
optimisation in the engine cannot quietly change what is offered.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneadwell.lib.zones import local_to_utc
from kneadwell.scheduling.availability import (
    REASON_BETWEEN_VISITS,
    REASON_CONTINUITY,
    REASON_HOURS_END,
    REASON_HOURS_START,
    REASON_NEXT_TO_VISIT,
    HoursTemplate,
    RankWeights,
    RoomCalendar,
    ServiceSpec,
    Slot,
    SlotQuery,
    Span,
    TherapistCalendar,
    find_slots,
    local_week,
    match_reason,
    nearest_alternatives,
    slot_score,
)

NY = "America/New_York"
BERLIN = "Europe/Berlin"
MINUTE = dt.timedelta(minutes=1)
EVERY_DAY = range(7)
LONG_AGO = dt.date(2020, 1, 1)


# --- Builders ----------------------------------------------------------------------------------


def at(day: dt.date, hour: int, minute: int = 0, tz: str = NY) -> dt.datetime:
    """A local wall time as lib.zones resolves it (gap: forward; repeat: first occurrence)."""
    return local_to_utc(day, dt.time(hour, minute), tz)


def hours(
    start: int, end: int, weekdays: Sequence[int] = EVERY_DAY, *, start_minute: int = 0, end_minute: int = 0
) -> list[HoursTemplate]:
    return [
        HoursTemplate(weekday, dt.time(start, start_minute), dt.time(end, end_minute), LONG_AGO)
        for weekday in weekdays
    ]


def therapist(
    name: str = "T1",
    *,
    work: Sequence[HoursTemplate] | None = None,
    busy: Sequence[Span] = (),
    time_off: Sequence[Span] = (),
    match: float | None = None,
    last: bool = False,
) -> TherapistCalendar:
    return TherapistCalendar(
        id=name,
        hours=hours(9, 17) if work is None else work,
        busy=busy,
        time_off=time_off,
        match_score=match,
        last_therapist=last,
    )


def room(name: str = "R1", *, features: Sequence[str] = (), busy: Sequence[Span] = ()) -> RoomCalendar:
    return RoomCalendar(id=name, features=frozenset(features), busy=busy)


def query(
    day: dt.date,
    *,
    days: int = 1,
    tz: str = NY,
    duration: int = 60,
    buffer: int = 0,
    step: int = 60,
    now: dt.datetime | None = None,
    notice: dt.timedelta = dt.timedelta(0),
    horizon: dt.timedelta | None = None,
    features: Sequence[str] = (),
) -> SlotQuery:
    start = at(day, 0, tz=tz)
    end = at(day + dt.timedelta(days=days), 0, tz=tz)
    return SlotQuery(
        service=ServiceSpec("svc", duration, buffer),
        location="loc",
        time_zone=tz,
        window_start=start,
        window_end=end,
        now=now or start - dt.timedelta(days=7),
        step_minutes=step,
        min_notice=notice,
        horizon=horizon,
        room_features=frozenset(features),
    )


def local_times(slots: Sequence[Slot], tz: str = NY) -> list[str]:
    """Start times on the local wall clock with their UTC offset, in time order."""
    zone = zoneinfo.ZoneInfo(tz)
    return [slot.start.astimezone(zone).strftime("%H:%M%z") for slot in sorted(slots, key=lambda s: s.start)]


# --- The reference reading of the rule ----------------------------------------------------------


def as_datetime(value: dt.datetime | int) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromtimestamp(value, dt.UTC)


def overlaps(a: tuple[dt.datetime, dt.datetime], spans: Sequence[Span]) -> bool:
    return any(a[0] < as_datetime(y) and as_datetime(x) < a[1] for x, y in spans)


def inside_working_hours(q: SlotQuery, t: TherapistCalendar, start: dt.datetime) -> bool:
    day = start.astimezone(zoneinfo.ZoneInfo(q.time_zone)).date()
    end = start + dt.timedelta(minutes=q.service.duration_minutes)
    return any(
        block.applies_on(day)
        and local_to_utc(day, block.start, q.time_zone) <= start
        and end <= local_to_utc(day, block.end, q.time_zone)
        for block in t.hours
    )


def room_free(q: SlotQuery, r: RoomCalendar, start: dt.datetime) -> bool:
    blocked = start + dt.timedelta(minutes=q.service.duration_minutes + q.service.buffer_minutes)
    return q.room_features <= r.features and not overlaps((start, blocked), r.busy)


def reference_starts(
    q: SlotQuery,
    therapists: Sequence[TherapistCalendar],
    rooms: Sequence[RoomCalendar],
    patient_busy: Sequence[Span] = (),
) -> set[tuple[dt.datetime, Hashable]]:
    """Minute by minute over the window: every (start, therapist) the rule allows."""
    zone = zoneinfo.ZoneInfo(q.time_zone)
    low = max(q.window_start, q.now + q.min_notice)
    high = q.window_end if q.horizon is None else min(q.window_end, q.now + q.horizon)
    duration = dt.timedelta(minutes=q.service.duration_minutes)
    blocked = duration + dt.timedelta(minutes=q.service.buffer_minutes)
    start = low.astimezone(dt.UTC).replace(second=0, microsecond=0)
    if start < low:
        start += MINUTE
    found = set()
    while start < high:
        local = start.astimezone(zone)
        if local.second == 0 and (local.hour * 60 + local.minute) % q.step_minutes == 0:
            for t in therapists:
                if (
                    inside_working_hours(q, t, start)
                    and not overlaps((start, start + blocked), [*t.busy, *t.time_off])
                    and any(room_free(q, r, start) for r in rooms)
                    and not overlaps((start, start + duration), patient_busy)
                ):
                    found.add((start, t.id))
        start += MINUTE
    return found


def keys(slots: Sequence[Slot]) -> set[tuple[dt.datetime, Hashable]]:
    return {(slot.start, slot.therapist) for slot in slots}


# --- Random clinics around DST edges ------------------------------------------------------------

ZONES_AND_DAYS = [
    (NY, dt.date(2026, 3, 7)),  # spring forward on the 8th
    (NY, dt.date(2026, 10, 31)),  # fall back on 1 November
    (BERLIN, dt.date(2026, 3, 28)),  # spring forward on the 29th
    (BERLIN, dt.date(2026, 10, 24)),  # fall back on the 25th
    ("Australia/Lord_Howe", dt.date(2026, 4, 4)),  # a half-hour change, on the 5th
    ("Asia/Kolkata", dt.date(2026, 6, 10)),  # a half-hour offset, no DST
    (NY, dt.date(2026, 6, 10)),
]
FEATURES = ["massage_table", "accessible"]


@st.composite
def hours_templates(draw: st.DrawFn, base: dt.date) -> list[HoursTemplate]:
    """One to three blocks on the weekdays of the searched days, often across a DST change."""
    weekdays = [(base + dt.timedelta(days=i)).weekday() for i in range(4)]
    templates = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, 22 * 60))
        end = min(start + draw(st.integers(60, 10 * 60)), 24 * 60 - 1)
        templates.append(
            HoursTemplate(
                weekday=draw(st.sampled_from(weekdays)),
                start=dt.time(start // 60, start % 60),
                end=dt.time(end // 60, end % 60),
                effective_from=base + dt.timedelta(days=draw(st.integers(-3, 1))),
                effective_until=draw(
                    st.none() | st.integers(1, 3).map(lambda d: base + dt.timedelta(days=d))
                ),
            )
        )
    return templates


@st.composite
def spans(draw: st.DrawFn, origin: dt.datetime, max_size: int = 5) -> list[Span]:
    """Busy spans near the window, sometimes with odd seconds; all integers or all datetimes."""
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for _ in range(draw(st.integers(0, max_size))):
        start = origin + dt.timedelta(minutes=draw(st.integers(-180, 4 * 24 * 60)))
        if draw(st.booleans()):
            start += dt.timedelta(
                seconds=draw(st.integers(0, 59)), microseconds=draw(st.integers(0, 999_999))
            )
        out.append((start, start + dt.timedelta(minutes=draw(st.integers(1, 240)))))
    as_integers = draw(st.booleans())
    if out and as_integers:
        # Epoch seconds as a selector would fetch them: whole seconds, rounded outwards.
        return [(int(a.timestamp() // 1), -int(-b.timestamp() // 1)) for a, b in out]
    return list(out)


@st.composite
def clinics(
    draw: st.DrawFn,
) -> tuple[SlotQuery, list[TherapistCalendar], list[RoomCalendar], list[Span]]:
    tz, base = draw(st.sampled_from(ZONES_AND_DAYS))
    origin = local_to_utc(base, dt.time(0), tz)
    # From some time before the first local day to some time in the next three.
    window_start = origin - dt.timedelta(minutes=draw(st.integers(0, 12 * 60)))
    window_end = origin + dt.timedelta(minutes=draw(st.integers(12 * 60, 3 * 24 * 60)))
    horizon = draw(st.none() | st.integers(12 * 60, 4 * 24 * 60).map(lambda m: dt.timedelta(minutes=m)))
    q = SlotQuery(
        service=ServiceSpec(
            "svc", draw(st.sampled_from([15, 30, 45, 60, 90])), draw(st.sampled_from([0, 5, 15]))
        ),
        location="loc",
        time_zone=tz,
        window_start=window_start,
        window_end=window_end,
        now=window_start + dt.timedelta(minutes=draw(st.integers(-2 * 24 * 60, 6 * 60))),
        step_minutes=draw(st.sampled_from([5, 15, 30, 45, 60, 7])),
        min_notice=dt.timedelta(minutes=draw(st.sampled_from([0, 30, 120]))),
        horizon=horizon,
        room_features=frozenset(draw(st.sets(st.sampled_from(FEATURES), max_size=1))),
    )
    therapists = [
        TherapistCalendar(
            id=f"T{i}",
            hours=draw(hours_templates(base)),
            busy=draw(spans(origin)),
            time_off=draw(spans(origin, max_size=1)),
            match_score=draw(st.none() | st.integers(0, 100)),
            last_therapist=draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    rooms = [
        RoomCalendar(
            id=f"R{i}", features=frozenset(draw(st.sets(st.sampled_from(FEATURES)))), busy=draw(spans(origin))
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    return q, therapists, rooms, draw(spans(origin, max_size=3))


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(clinics())
def test_the_engine_offers_exactly_what_the_rule_allows(
    clinic: tuple[SlotQuery, list[TherapistCalendar], list[RoomCalendar], list[Span]],
) -> None:
    q, therapists, rooms, patient = clinic
    slots = find_slots(q, therapists, rooms, patient)
    assert keys(slots) == reference_starts(q, therapists, rooms, patient)
    assert len(keys(slots)) == len(slots)  # no (start, therapist) twice


@PROPERTY
@given(clinics())
def test_every_offered_slot_is_bookable(
    clinic: tuple[SlotQuery, list[TherapistCalendar], list[RoomCalendar], list[Span]],
) -> None:
    q, therapists, rooms, patient = clinic
    by_id = {t.id: t for t in therapists}
    rooms_by_id = {r.id: r for r in rooms}
    zone = zoneinfo.ZoneInfo(q.time_zone)
    duration = dt.timedelta(minutes=q.service.duration_minutes)
    for slot in find_slots(q, therapists, rooms, patient):
        t, r = by_id[slot.therapist], rooms_by_id[slot.room]
        local = slot.start.astimezone(zone)
        assert slot.end == slot.start + duration
        assert slot.blocked_until == slot.end + dt.timedelta(minutes=q.service.buffer_minutes)
        assert (local.hour * 60 + local.minute) % q.step_minutes == 0
        assert local.second == 0
        assert q.window_start <= slot.start < q.window_end
        assert slot.start >= q.now + q.min_notice
        assert q.horizon is None or slot.start < q.now + q.horizon
        assert inside_working_hours(q, t, slot.start)
        assert not overlaps((slot.start, slot.blocked_until), [*t.busy, *t.time_off])
        assert room_free(q, r, slot.start)
        assert not overlaps((slot.start, slot.end), patient)
        assert (slot.location, slot.service) == ("loc", "svc")
        assert 0 <= slot.score <= 100


@PROPERTY
@given(clinics(), st.data())
def test_booking_an_offered_slot_removes_it_and_what_overlaps_it_and_nothing_else(
    clinic: tuple[SlotQuery, list[TherapistCalendar], list[RoomCalendar], list[Span]], data: st.DataObject
) -> None:
    q, therapists, rooms, patient = clinic
    before = find_slots(q, therapists, rooms, patient)
    if not before:
        return
    booked = data.draw(st.sampled_from(before))
    held = (booked.start, booked.blocked_until)

    def with_booking(spans: Sequence[Span], span: tuple[dt.datetime, dt.datetime]) -> list[Span]:
        # The engine takes a list of one kind: keep integers as integers.
        if spans and isinstance(spans[0][0], int):
            return [*spans, (int(span[0].timestamp()), int(span[1].timestamp()))]
        return [*spans, span]

    therapists_after = [
        replace(t, busy=with_booking(t.busy, held)) if t.id == booked.therapist else t for t in therapists
    ]
    rooms_after = [replace(r, busy=with_booking(r.busy, held)) if r.id == booked.room else r for r in rooms]
    patient_after = with_booking(patient, (booked.start, booked.end))
    after = find_slots(q, therapists_after, rooms_after, patient_after)

    def conflicts(slot: Slot) -> bool:
        same_therapist = slot.therapist == booked.therapist and overlaps(
            (slot.start, slot.blocked_until), [held]
        )
        same_patient = overlaps((slot.start, slot.end), [(booked.start, booked.end)])
        no_room_left = not any(room_free(q, r, slot.start) for r in rooms_after)
        return same_therapist or same_patient or no_room_left

    assert (booked.start, booked.therapist) not in keys(after)
    assert keys(after) == {(slot.start, slot.therapist) for slot in before if not conflicts(slot)}


@settings(max_examples=30, deadline=None)
@given(clinics())
def test_integer_spans_and_datetime_spans_give_the_same_slots(
    clinic: tuple[SlotQuery, list[TherapistCalendar], list[RoomCalendar], list[Span]],
) -> None:
    q, therapists, rooms, patient = clinic

    def as_datetimes(spans: Sequence[Span]) -> list[Span]:
        return [(as_datetime(a), as_datetime(b)) for a, b in spans]

    converted = [replace(t, busy=as_datetimes(t.busy), time_off=as_datetimes(t.time_off)) for t in therapists]
    converted_rooms = [replace(r, busy=as_datetimes(r.busy)) for r in rooms]
    assert find_slots(q, therapists, rooms, patient) == find_slots(
        q, converted, converted_rooms, as_datetimes(patient)
    )


# --- The rule, case by case ---------------------------------------------------------------------

TUESDAY = dt.date(2026, 5, 12)


def test_a_free_day_offers_every_hour_that_fits() -> None:
    slots = find_slots(query(TUESDAY), [therapist()], [room()])
    assert local_times(slots) == [f"{h:02d}:00-0400" for h in range(9, 17)]


def test_back_to_back_with_an_existing_visit_is_offered() -> None:
    visit = (at(TUESDAY, 11), at(TUESDAY, 12))
    slots = find_slots(query(TUESDAY, step=30), [therapist(busy=[visit])], [room()])
    starts = local_times(slots)
    assert "10:00-0400" in starts  # ends as the visit starts
    assert "12:00-0400" in starts  # starts as the visit ends
    assert "10:30-0400" not in starts
    assert "11:30-0400" not in starts


def test_the_buffer_holds_the_therapist_and_the_room_but_not_the_patient() -> None:
    q = query(TUESDAY, step=5, duration=60, buffer=15)
    # The therapist's earlier visit is held until 12:15 (its end plus its buffer).
    held = (at(TUESDAY, 11), at(TUESDAY, 12, 15))
    starts = local_times(find_slots(q, [therapist(busy=[held])], [room()]))
    assert "09:45-0400" in starts  # 09:45-10:45, held until 11:00: back to back
    assert "09:50-0400" not in starts  # held until 11:05
    assert "12:15-0400" in starts
    assert "12:10-0400" not in starts
    assert "16:00-0400" in starts  # the session ends at 17:00; the turnover may run past the hours
    assert "16:05-0400" not in starts

    # The room: the same rule.
    starts = local_times(find_slots(q, [therapist()], [room(busy=[held])]))
    assert "09:45-0400" in starts
    assert "09:50-0400" not in starts

    # The patient only needs the session itself free: 10:00-11:00 then their 11:00 visit elsewhere.
    patient = [(at(TUESDAY, 11), at(TUESDAY, 12))]
    starts = local_times(find_slots(q, [therapist()], [room()], patient))
    assert "10:00-0400" in starts
    assert "10:05-0400" not in starts


def test_time_off_removes_its_hours() -> None:
    off = (at(TUESDAY, 12), at(TUESDAY, 14))
    slots = find_slots(query(TUESDAY), [therapist(time_off=[off])], [room()])
    assert local_times(slots) == [
        "09:00-0400",
        "10:00-0400",
        "11:00-0400",
        "14:00-0400",
        "15:00-0400",
        "16:00-0400",
    ]


def test_rooms_must_have_every_required_feature() -> None:
    plain = room("plain", features=["massage_table"])
    accessible = room(
        "accessible", features=["massage_table", "accessible"], busy=[(at(TUESDAY, 9), at(TUESDAY, 12))]
    )
    slots = find_slots(query(TUESDAY, features=["accessible"]), [therapist()], [plain, accessible])
    assert {slot.room for slot in slots} == {"accessible"}
    assert local_times(slots) == [f"{h:02d}:00-0400" for h in range(12, 17)]
    # Without the requirement the plain room covers the morning.
    assert len(find_slots(query(TUESDAY), [therapist()], [plain, accessible])) == 8


def test_no_room_at_all_means_no_slot() -> None:
    assert find_slots(query(TUESDAY), [therapist()], []) == []
    assert find_slots(query(TUESDAY, features=["accessible"]), [therapist()], [room()]) == []


def test_the_room_offered_is_the_one_free_the_longest() -> None:
    short = room("short", busy=[(at(TUESDAY, 10), at(TUESDAY, 11))])
    long = room("long", busy=[(at(TUESDAY, 15), at(TUESDAY, 16))])
    slots = find_slots(query(TUESDAY), [therapist()], [short, long], order="time")
    assert [(s.start.astimezone(zoneinfo.ZoneInfo(NY)).hour, s.room) for s in slots][:3] == [
        (9, "long"),
        (10, "long"),
        (11, "short"),  # free from 11:00 to the end of the day; "long" only until 15:00
    ]


def test_notice_and_horizon_bound_the_starts() -> None:
    now = at(TUESDAY, 9, 30)
    q = query(TUESDAY, days=3, now=now, notice=dt.timedelta(hours=2), horizon=dt.timedelta(days=1))
    slots = find_slots(q, [therapist()], [room()], order="time")
    assert slots[0].start == at(TUESDAY, 12)  # 11:00 is under two hours' notice
    assert slots[-1].start == at(TUESDAY + dt.timedelta(days=1), 9)  # before 09:30 the next day
    assert all(now + dt.timedelta(hours=2) <= s.start < now + dt.timedelta(days=1) for s in slots)


def test_a_five_minute_step_shares_the_calendar_between_services() -> None:
    visit = (at(TUESDAY, 10, 20), at(TUESDAY, 10, 35))  # a 15-minute visit off any hour grid
    q = query(TUESDAY, step=5, duration=60)
    starts = local_times(find_slots(q, [therapist(busy=[visit])], [room()]))
    assert "09:20-0400" in starts
    assert "10:35-0400" in starts
    assert "09:25-0400" not in starts
    assert "10:30-0400" not in starts


def test_a_session_must_fit_inside_one_block() -> None:
    # Two touching blocks: 09:00-12:00 and 12:00-17:00. 11:30-12:30 is in neither.
    work = [*hours(9, 12, [1]), *hours(12, 17, [1])]
    starts = local_times(find_slots(query(TUESDAY, step=30), [therapist(work=work)], [room()]))
    assert "11:00-0400" in starts
    assert "12:00-0400" in starts
    assert "11:30-0400" not in starts


def test_overlapping_blocks_offer_each_start_once() -> None:
    work = [*hours(9, 13, [1]), *hours(12, 17, [1])]
    slots = find_slots(query(TUESDAY, step=30), [therapist(work=work)], [room()])
    assert Counter(s.start for s in slots).most_common(1)[0][1] == 1
    assert len(slots) == 15  # 09:00 to 16:00 every half hour


def test_effective_dates_apply() -> None:
    later = HoursTemplate(1, dt.time(9), dt.time(17), effective_from=TUESDAY + dt.timedelta(days=7))
    ended = HoursTemplate(1, dt.time(9), dt.time(10), effective_from=LONG_AGO, effective_until=TUESDAY)
    slots = find_slots(query(TUESDAY, days=14), [therapist(work=[later, ended])], [room()], order="time")
    assert [s.start.date() for s in slots].count(TUESDAY) == 1  # only the ended block, on its last day
    assert len(slots) == 1 + 8  # then the next Tuesday, from the later block


def test_naive_datetimes_and_mixed_spans_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        replace(query(TUESDAY), now=dt.datetime(2026, 5, 12, 9))
    naive = [(dt.datetime(2026, 5, 12, 9), dt.datetime(2026, 5, 12, 10))]
    with pytest.raises(ValueError, match="busy spans"):
        find_slots(query(TUESDAY), [therapist(busy=naive)], [room()])
    mixed: list[Span] = [(0, 1), (at(TUESDAY, 9), at(TUESDAY, 10))]
    with pytest.raises(ValueError, match="busy spans"):
        find_slots(query(TUESDAY), [therapist()], [room(busy=mixed)])
    with pytest.raises(zoneinfo.ZoneInfoNotFoundError):
        replace(query(TUESDAY), time_zone="Mars/Olympus_Mons")


# --- DST ----------------------------------------------------------------------------------------

NY_SPRING, NY_FALL = dt.date(2026, 3, 8), dt.date(2026, 11, 1)  # Sundays
BERLIN_SPRING, BERLIN_FALL = dt.date(2026, 3, 29), dt.date(2026, 10, 25)  # Sundays
SUNDAY = [6]


def dst_slots(
    day: dt.date, tz: str, work: list[HoursTemplate], *, step: int = 60, duration: int = 60
) -> list[Slot]:
    return find_slots(
        query(day, tz=tz, step=step, duration=duration), [therapist(work=work)], [room()], order="time"
    )


def test_new_york_spring_forward_offers_no_start_in_the_missing_hour() -> None:
    slots = dst_slots(NY_SPRING, NY, hours(0, 6, SUNDAY))
    # 00:00 EST to 06:00 EDT is five real hours: 02:00-03:00 never happens.
    assert local_times(slots) == ["00:00-0500", "01:00-0500", "03:00-0400", "04:00-0400", "05:00-0400"]


def test_new_york_spring_forward_half_hours_skip_the_gap() -> None:
    slots = dst_slots(NY_SPRING, NY, hours(1, 4, SUNDAY), step=30, duration=30)
    assert local_times(slots) == ["01:00-0500", "01:30-0500", "03:00-0400", "03:30-0400"]


def test_a_block_starting_in_the_gap_starts_after_it() -> None:
    slots = dst_slots(NY_SPRING, NY, hours(2, 5, SUNDAY, start_minute=30), step=30)
    # 02:30 does not exist: the block starts at 03:30 EDT, as lib.zones.local_to_utc says.
    assert local_times(slots) == ["03:30-0400", "04:00-0400"]


def test_new_york_fall_back_offers_both_one_oclocks() -> None:
    slots = dst_slots(NY_FALL, NY, hours(0, 4, SUNDAY))
    # 00:00 EDT to 04:00 EST is five real hours; 01:00 happens twice, each once.
    assert local_times(slots) == ["00:00-0400", "01:00-0400", "01:00-0500", "02:00-0500", "03:00-0500"]
    assert len({s.start for s in slots}) == 5


def test_alignment_in_the_repeated_hour_follows_the_wall_clock() -> None:
    slots = dst_slots(NY_FALL, NY, hours(0, 4, SUNDAY), step=45, duration=15)
    assert local_times(slots) == [
        "00:00-0400",
        "00:45-0400",
        "01:30-0400",
        "01:30-0500",  # the repeat's 01:00 is not a multiple of 45 minutes after midnight
        "02:15-0500",
        "03:00-0500",
        "03:45-0500",
    ]


def test_a_block_ending_in_the_repeated_hour_ends_at_its_first_occurrence() -> None:
    slots = dst_slots(NY_FALL, NY, hours(0, 1, SUNDAY, end_minute=30), step=30, duration=30)
    assert local_times(slots) == ["00:00-0400", "00:30-0400", "01:00-0400"]


def test_berlin_spring_forward() -> None:
    slots = dst_slots(BERLIN_SPRING, BERLIN, hours(1, 5, SUNDAY))
    assert local_times(slots, BERLIN) == ["01:00+0100", "03:00+0200", "04:00+0200"]


def test_berlin_fall_back() -> None:
    slots = dst_slots(BERLIN_FALL, BERLIN, hours(1, 5, SUNDAY))
    assert local_times(slots, BERLIN) == [
        "01:00+0200",
        "02:00+0200",
        "02:00+0100",
        "03:00+0100",
        "04:00+0100",
    ]


@pytest.mark.parametrize(
    ("tz", "monday"),
    [
        (NY, dt.date(2026, 3, 2)),
        (NY, dt.date(2026, 10, 26)),
        (BERLIN, dt.date(2026, 3, 23)),
        (BERLIN, dt.date(2026, 10, 19)),
    ],
)
def test_nine_to_five_stays_nine_to_five_across_a_change(tz: str, monday: dt.date) -> None:
    """Two working weeks around a DST change: eight starts each weekday, 09:00 to 16:00 local."""
    weekdays = hours(9, 17, range(5))
    slots = find_slots(query(monday, days=14, tz=tz), [therapist(work=weekdays)], [room()], order="time")
    assert len(slots) == 10 * 8
    zone = zoneinfo.ZoneInfo(tz)
    per_day = Counter(s.start.astimezone(zone).date() for s in slots)
    assert set(per_day.values()) == {8}
    assert {s.start.astimezone(zone).strftime("%H:%M") for s in slots} == {
        f"{h:02d}:00" for h in range(9, 17)
    }
    # The UTC hour of 09:00 did change in those two weeks.
    assert len({s.start.astimezone(dt.UTC).hour for s in slots if s.start.astimezone(zone).hour == 9}) == 2


def test_local_week_spans_the_spring_change() -> None:
    start, end = local_week(at(NY_SPRING, 12), NY)
    assert start == dt.datetime(2026, 3, 2, 5, tzinfo=dt.UTC)  # Monday 00:00 EST
    assert end == dt.datetime(2026, 3, 9, 4, tzinfo=dt.UTC)  # Monday 00:00 EDT
    assert end - start == dt.timedelta(days=7, hours=-1)


# --- Ranking ------------------------------------------------------------------------------------


def test_the_formula_with_the_default_weights() -> None:
    # 50 x match + 25 x continuity + 25 x compactness, out of 100.
    assert slot_score(match_score=None, last_therapist=False, left="visit", right="hours")[0] == 50
    assert slot_score(match_score=80, last_therapist=True, left="visit", right="visit")[0] == 90
    assert slot_score(match_score=80, last_therapist=False, left="roomy", right="fragment")[0] == 46
    assert slot_score(match_score=0, last_therapist=False, left="fragment", right="fragment")[0] == 0
    assert slot_score(match_score=100, last_therapist=True, left="hours", right="hours")[0] == 100


def test_weights_are_clinic_settings() -> None:
    compact_only = RankWeights(match=0, continuity=0, compactness=1)
    assert (
        slot_score(match_score=100, last_therapist=True, left="roomy", right="visit", weights=compact_only)[0]
        == 75
    )
    with pytest.raises(ValueError, match="Weights"):
        RankWeights(match=0, continuity=0, compactness=0)


def test_a_better_match_ranks_first_and_says_why() -> None:
    strong, weak = therapist("strong", match=90), therapist("weak", match=40)
    slots = find_slots(query(TUESDAY), [weak, strong], [room("R1"), room("R2")])
    assert slots[0].therapist == "strong"
    assert match_reason(90) in slots[0].reasons
    assert match_reason(90) == "Therapist match 90/100"
    assert min(s.score for s in slots if s.therapist == "strong") > max(
        s.score for s in slots if s.therapist == "weak"
    )


def test_continuity_ranks_the_last_therapist_first() -> None:
    other, last = therapist("other"), therapist("last", last=True)
    slots = find_slots(query(TUESDAY), [other, last], [room("R1"), room("R2")])
    assert slots[0].therapist == "last"
    assert REASON_CONTINUITY in slots[0].reasons
    assert not any(REASON_CONTINUITY in s.reasons for s in slots if s.therapist == "other")


def test_compactness_prefers_slots_next_to_visits_and_hours() -> None:
    visit = (at(TUESDAY, 12), at(TUESDAY, 13))
    slots = find_slots(query(TUESDAY, step=30), [therapist(busy=[visit])], [room()])
    by_time = {s.start.astimezone(zoneinfo.ZoneInfo(NY)).strftime("%H:%M"): s for s in slots}
    assert by_time["09:00"].reasons == (REASON_HOURS_START,)
    assert by_time["11:00"].reasons == (REASON_NEXT_TO_VISIT,)
    assert by_time["13:00"].reasons == (REASON_NEXT_TO_VISIT,)
    assert by_time["16:00"].reasons == (REASON_HOURS_END,)
    assert by_time["10:00"].reasons == ()  # an hour either side: still bookable, no merit
    # 09:30 leaves a half hour before it that no 60-minute visit can use.
    assert by_time["13:00"].score > by_time["10:00"].score > by_time["09:30"].score
    assert by_time["09:00"].score == by_time["11:00"].score


def test_a_slot_between_two_visits_fills_the_gap() -> None:
    busy = [(at(TUESDAY, 10), at(TUESDAY, 11)), (at(TUESDAY, 12), at(TUESDAY, 13))]
    slots = find_slots(query(TUESDAY), [therapist(busy=busy)], [room()])
    filler = next(s for s in slots if s.start == at(TUESDAY, 11))
    assert filler.reasons == (REASON_BETWEEN_VISITS,)
    assert filler.score == max(s.score for s in slots)


def test_the_edge_of_the_search_window_is_not_an_edge_of_the_day() -> None:
    q = replace(query(TUESDAY), window_start=at(TUESDAY, 10))
    first = find_slots(q, [therapist()], [room()], order="time")[0]
    assert first.start == at(TUESDAY, 10)
    assert REASON_HOURS_START not in first.reasons


def test_time_off_edges_count_as_edges_of_the_hours() -> None:
    off = (at(TUESDAY, 12), at(TUESDAY, 14))
    slots = find_slots(query(TUESDAY), [therapist(time_off=[off])], [room()])
    after = next(s for s in slots if s.start == at(TUESDAY, 14))
    assert after.reasons == (REASON_HOURS_START,)


def test_time_order_and_limit() -> None:
    a, b = therapist("A", match=10), therapist("B", match=90)
    rooms = [room("R1"), room("R2")]
    by_time = find_slots(query(TUESDAY), [a, b], rooms, order="time")
    assert [s.start for s in by_time] == sorted(s.start for s in by_time)
    assert [s.therapist for s in by_time[:2]] == ["A", "B"]  # input order at equal starts
    ranked = find_slots(query(TUESDAY), [a, b], rooms)
    assert find_slots(query(TUESDAY), [a, b], rooms, limit=3) == ranked[:3]
    assert find_slots(query(TUESDAY), [a, b], rooms, order="time", limit=3) == by_time[:3]


# --- Alternatives -------------------------------------------------------------------------------


def test_nearest_alternatives_are_ordered_by_distance() -> None:
    busy = [(at(TUESDAY, 11), at(TUESDAY, 13))]
    alternatives = nearest_alternatives(
        query(TUESDAY), [therapist(busy=busy)], [room()], wanted=at(TUESDAY, 12), count=4
    )
    # 13:00 is an hour away; 10:00 and 14:00 two hours (the earlier first); then 09:00 or 15:00.
    assert [a.start for a in alternatives] == [
        at(TUESDAY, 13),
        at(TUESDAY, 10),
        at(TUESDAY, 14),
        at(TUESDAY, 9),
    ]


def test_alternatives_give_one_slot_per_start_the_best_ranked() -> None:
    good, poor = therapist("good", match=95), therapist("poor", match=5)
    alternatives = nearest_alternatives(
        query(TUESDAY), [poor, good], [room("R1"), room("R2")], wanted=at(TUESDAY, 12, 10), count=2
    )
    assert [a.start for a in alternatives] == [at(TUESDAY, 12), at(TUESDAY, 13)]
    assert {a.therapist for a in alternatives} == {"good"}


def test_alternatives_can_stay_in_the_same_local_week() -> None:
    friday = dt.date(2026, 5, 15)
    fully_booked_friday = [(at(friday, 9), at(friday, 17))]
    q = query(dt.date(2026, 5, 11), days=14)
    work = hours(9, 17, range(5))
    unbounded = nearest_alternatives(
        q, [therapist(work=work, busy=fully_booked_friday)], [room()], wanted=at(friday, 16), count=20
    )
    same_week = nearest_alternatives(
        q,
        [therapist(work=work, busy=fully_booked_friday)],
        [room()],
        wanted=at(friday, 16),
        count=20,
        within=local_week(at(friday, 16), NY),
    )
    assert any(a.start >= at(dt.date(2026, 5, 18), 0) for a in unbounded)
    assert same_week
    assert all(a.start < at(dt.date(2026, 5, 18), 0) for a in same_week)
    assert same_week[0].start == at(dt.date(2026, 5, 14), 16)  # Thursday 16:00, a day earlier


def test_no_alternatives_outside_the_window() -> None:
    q = query(TUESDAY)
    assert nearest_alternatives(q, [therapist()], [room()], wanted=at(TUESDAY, 12), count=0) == []
    far = (at(TUESDAY + dt.timedelta(days=30), 0), at(TUESDAY + dt.timedelta(days=31), 0))
    assert nearest_alternatives(q, [therapist()], [room()], wanted=at(TUESDAY, 12), within=far) == []
