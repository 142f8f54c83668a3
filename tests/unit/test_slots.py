"""The availability engine: free slots from rules and bookings, across zones and DST.

Every expected instant is computed with zoneinfo (``at`` below) from a wall-clock time in a
named zone, not written as a guessed UTC value. The transition dates used are checked by
``test_the_named_transition_dates_really_are_dst_days`` so a tzdata change cannot make the
DST cases silently test ordinary days.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import timeit
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closerhub.core.availability import AvailabilityRules, build_rules
from closerhub.core.errors import ValidationError
from closerhub.core.slots import (
    Busy,
    Slot,
    free_slots,
    free_slots_for_dates,
    next_free_slot,
    rule_intervals_utc,
    wall_instant,
    working_minutes_overlap,
)
from closerhub.core.tz import day_bounds_utc

PARIS, NEW_YORK, SAO_PAULO = "Europe/Paris", "America/New_York", "America/Sao_Paulo"
KOLKATA, LORD_HOWE, AUCKLAND, LOS_ANGELES = (
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "America/Los_Angeles",
)


def at(zone: str, day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in ``zone`` (zoneinfo does the arithmetic)."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).replace(fold=fold).astimezone(UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def closer(zone: str, weekly: list[tuple[int, str, str]], **settings: object) -> AvailabilityRules:
    """Rules for a closer in ``zone`` working ``(weekday, "HH:MM", "HH:MM")`` intervals."""
    settings.setdefault("slot_minutes", 60)
    settings.setdefault("horizon_days", 365)
    items = [{"weekday": wd, "start": start, "end": end} for wd, start, end in weekly]
    return build_rules(timezone=zone, weekly=items, **settings)  # type: ignore[arg-type]


def slots_on(
    rules: AvailabilityRules, viewer: str, first: date, last: date | None = None, busy: tuple[Busy, ...] = ()
) -> list[Slot]:
    """Slots on the viewer's local dates, asked a week ahead (so notice and horizon do not bite)."""
    now = day_bounds_utc(first, viewer)[0] - timedelta(days=7)
    return free_slots_for_dates(rules, busy, now=now, viewer_zone=viewer, from_date=first, to_date=last or first)


def walls(slots: list[Slot], zone: str) -> list[str]:
    return [f"{s.local_start(zone):%H:%M}" for s in slots]


def assert_real_length(slots: list[Slot], minutes: int) -> None:
    assert all(s.end - s.start == timedelta(minutes=minutes) for s in slots)
    assert all(a.end <= b.start for a, b in itertools.pairwise(slots))


# --- the DST days themselves -------------------------------------------------------------------------

SPRING_FORWARD = [  # (zone, date, skipped wall hour): 02:00–03:00 does not exist
    (PARIS, date(2026, 3, 29)),
    (PARIS, date(2027, 3, 28)),
    (NEW_YORK, date(2026, 3, 8)),
    (NEW_YORK, date(2027, 3, 14)),
]
FALL_BACK = [  # (zone, date, repeated wall hour)
    (PARIS, date(2026, 10, 25), 2),
    (PARIS, date(2027, 10, 31), 2),
    (NEW_YORK, date(2026, 11, 1), 1),
    (NEW_YORK, date(2027, 11, 7), 1),
]
LORD_HOWE_SPRING = [date(2026, 10, 4), date(2027, 10, 3)]  # 02:00 → 02:30
LORD_HOWE_FALL = [date(2026, 4, 5), date(2027, 4, 4)]  # 02:00 → 01:30


def day_length(zone: str, day: date) -> timedelta:
    start, end = day_bounds_utc(day, zone)
    return end - start


def test_the_named_transition_dates_really_are_dst_days() -> None:
    def local_dates(zone: str) -> set[date]:
        return {instant.astimezone(ZoneInfo(zone)).date() for instant in transitions(zone)}

    for zone in (PARIS, NEW_YORK):
        named = {day for z, day in SPRING_FORWARD if z == zone} | {day for z, day, _ in FALL_BACK if z == zone}
        assert local_dates(zone) == named
    assert local_dates(LORD_HOWE) == set(LORD_HOWE_SPRING + LORD_HOWE_FALL)
    assert len(transitions(SAO_PAULO)) == 2  # no DST: the two ordinary anchors
    for zone, day in SPRING_FORWARD:
        assert day_length(zone, day) == timedelta(hours=23), (zone, day)
    for zone, day, _ in FALL_BACK:
        assert day_length(zone, day) == timedelta(hours=25), (zone, day)
    for day in LORD_HOWE_SPRING:
        assert day_length(LORD_HOWE, day) == timedelta(hours=23, minutes=30)
    for day in LORD_HOWE_FALL:
        assert day_length(LORD_HOWE, day) == timedelta(hours=24, minutes=30)


@pytest.mark.parametrize(("zone", "day"), SPRING_FORWARD)
def test_a_slot_start_that_does_not_exist_on_a_spring_forward_day_is_skipped(zone, day):
    rules = closer(zone, [(6, "00:00", "05:00")])
    slots = slots_on(rules, zone, day)
    assert [s.start for s in slots] == [at(zone, day, h) for h in (0, 1, 3, 4)]
    assert walls(slots, zone) == ["00:00", "01:00", "03:00", "04:00"]
    assert_real_length(slots, 60)
    assert f"{slots[1].local_end(zone):%H:%M}" == "03:00"  # 01:00 + one real hour, across the jump


@pytest.mark.parametrize(("zone", "day"), SPRING_FORWARD)
def test_a_slot_crossing_the_spring_forward_lasts_its_real_length_and_its_wall_end_reads_two_hours_later(zone, day):
    rules = closer(zone, [(6, "01:30", "03:30")])
    [slot] = slots_on(rules, zone, day)
    assert (slot.start, slot.end) == (at(zone, day, 1, 30), at(zone, day, 1, 30) + timedelta(hours=1))
    assert slot.end == at(zone, day, 3, 30)


@pytest.mark.parametrize(("zone", "day", "repeated"), FALL_BACK)
def test_an_ambiguous_slot_start_on_a_fall_back_day_takes_its_first_occurrence(zone, day, repeated):
    rules = closer(zone, [(6, "00:00", "05:00")])
    slots = slots_on(rules, zone, day)
    assert [s.start for s in slots] == [at(zone, day, h) for h in range(5)]
    assert at(zone, day, repeated, fold=1) not in {s.start for s in slots}
    assert_real_length(slots, 60)
    # The repeated hour's second occurrence is never a start: one real hour is left unoffered.
    assert slots[repeated + 1].start - slots[repeated].end == timedelta(hours=1)


@pytest.mark.parametrize(("zone", "day", "repeated"), FALL_BACK)
def test_a_slot_crossing_the_fall_back_lasts_its_real_length_and_its_wall_end_reads_the_same_time(zone, day, repeated):
    rules = closer(zone, [(6, f"{repeated:02d}:30", f"{repeated + 1:02d}:30")])
    [slot] = slots_on(rules, zone, day)
    assert slot.start == at(zone, day, repeated, 30, fold=0)
    assert slot.end == at(zone, day, repeated, 30, fold=1)
    assert slot.end - slot.start == timedelta(hours=1)
    assert slot.local_start(zone).strftime("%H:%M") == slot.local_end(zone).strftime("%H:%M")


def test_longer_slots_after_a_spring_forward_keep_the_wall_grid_and_drop_a_start_inside_the_previous_slot():
    day = date(2026, 3, 29)
    rules = closer(PARIS, [(6, "00:00", "06:00")], slot_minutes=90)
    slots = slots_on(rules, PARIS, day)
    # 01:30 + 90 real minutes ends at 04:00 wall, so the grid's 03:00 would overlap it.
    assert [s.start for s in slots] == [at(PARIS, day, 0), at(PARIS, day, 1, 30), at(PARIS, day, 4, 30)]
    assert f"{slots[1].local_end(PARIS):%H:%M}" == "04:00"
    assert_real_length(slots, 90)


def test_an_interval_ending_inside_the_spring_forward_gap_ends_at_the_jump():
    day = date(2026, 3, 29)
    rules = closer(PARIS, [(6, "00:00", "02:30")], slot_minutes=30)
    slots = slots_on(rules, PARIS, day)
    assert walls(slots, PARIS) == ["00:00", "00:30", "01:00", "01:30"]
    assert slots[-1].end == at(PARIS, day, 3, 0) == wall_instant(day, 150, ZoneInfo(PARIS))


@pytest.mark.parametrize("day", LORD_HOWE_SPRING)
def test_lord_howe_half_hour_spring_forward_skips_02_00_and_keeps_the_half_hour_grid(day):
    rules = closer(LORD_HOWE, [(6, "00:00", "05:00")], slot_minutes=30)
    slots = slots_on(rules, LORD_HOWE, day)
    expected = ["00:00", "00:30", "01:00", "01:30", "02:30", "03:00", "03:30", "04:00", "04:30"]
    assert walls(slots, LORD_HOWE) == expected
    assert [s.start for s in slots] == [at(LORD_HOWE, day, int(w[:2]), int(w[3:])) for w in expected]
    assert slots[3].end == slots[4].start  # 01:30 + 30 real minutes is 02:30 after the jump
    assert_real_length(slots, 30)


@pytest.mark.parametrize("day", LORD_HOWE_SPRING)
def test_lord_howe_hour_slots_on_the_spring_forward_day_end_half_an_hour_later_on_the_wall(day):
    slots = slots_on(closer(LORD_HOWE, [(6, "00:00", "05:00")]), LORD_HOWE, day)
    assert walls(slots, LORD_HOWE) == ["00:00", "01:00", "03:00", "04:00"]
    assert f"{slots[1].local_end(LORD_HOWE):%H:%M}" == "02:30"
    assert_real_length(slots, 60)


@pytest.mark.parametrize("day", LORD_HOWE_FALL)
def test_lord_howe_half_hour_fall_back_offers_the_repeated_01_30_once(day):
    rules = closer(LORD_HOWE, [(6, "00:00", "03:00")], slot_minutes=30)
    slots = slots_on(rules, LORD_HOWE, day)
    assert walls(slots, LORD_HOWE) == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30"]
    assert slots[3].start == at(LORD_HOWE, day, 1, 30, fold=0)
    assert slots[3].end == at(LORD_HOWE, day, 1, 30, fold=1)  # the clock reads 01:30 again
    assert at(LORD_HOWE, day, 1, 30, fold=1) not in {s.start for s in slots}
    assert_real_length(slots, 30)


@pytest.mark.parametrize("day", [date(2026, 11, 1), date(2027, 11, 7), date(2026, 2, 15), date(2027, 2, 21)])
def test_sao_paulo_keeps_utc_minus_three_all_year_so_its_old_dst_sundays_are_ordinary(day):
    slots = slots_on(closer(SAO_PAULO, [(6, "00:00", "03:00")]), SAO_PAULO, day)
    assert [s.start for s in slots] == [at(SAO_PAULO, day, h) for h in range(3)]
    assert all(s.local_start(SAO_PAULO).utcoffset() == timedelta(hours=-3) for s in slots)
    assert day_length(SAO_PAULO, day) == timedelta(hours=24)


def test_kolkata_slots_sit_on_the_half_hour_in_utc_and_move_for_a_paris_viewer_when_paris_changes_clocks():
    rules = closer(KOLKATA, [(0, "09:00", "12:00")], slot_minutes=45)
    before = slots_on(rules, KOLKATA, date(2026, 3, 23))
    after = slots_on(rules, KOLKATA, date(2026, 3, 30))
    assert walls(before, KOLKATA) == walls(after, KOLKATA) == ["09:00", "09:45", "10:30", "11:15"]
    assert [s.start for s in before] == [
        at(KOLKATA, date(2026, 3, 23), h, m) for h, m in [(9, 0), (9, 45), (10, 30), (11, 15)]
    ]
    assert [s.start.time() for s in before] == [s.start.time() for s in after]  # Kolkata has no DST
    assert walls(before, PARIS)[0] == "04:30" and walls(after, PARIS)[0] == "05:30"


@pytest.mark.parametrize(
    ("monday", "paris_hour"),
    [
        (date(2026, 3, 2), 15),  # both on winter time
        (date(2026, 3, 9), 14),  # New York moved on 03-08, Paris waits until 03-29
        (date(2026, 3, 30), 15),
        (date(2026, 10, 26), 14),  # Paris fell back on 10-25, New York waits until 11-01
        (date(2026, 11, 2), 15),
        (date(2027, 3, 15), 14),  # New York moved on 03-14, Paris on 03-28
        (date(2027, 11, 1), 14),  # Paris fell back on 10-31, New York on 11-07
    ],
)
def test_a_paris_prospect_sees_a_new_york_closer_an_hour_earlier_between_the_two_clock_changes(monday, paris_hour):
    rules = closer(NEW_YORK, [(0, "09:00", "17:00")])
    slots = slots_on(rules, PARIS, monday)
    assert slots[0].start == at(NEW_YORK, monday, 9)
    assert slots[0].local_start(PARIS).hour == paris_hour
    assert len(slots) == 8


AUCKLAND_TUESDAYS = [  # (Auckland Tuesday, Auckland hour of the Los Angeles Monday 09:00)
    (date(2026, 3, 10), 5),  # LA on PDT since 03-08, Auckland still on NZDT
    (date(2026, 4, 7), 4),  # Auckland back on NZST since 04-05
    (date(2026, 9, 29), 5),  # Auckland on NZDT since 09-27
    (date(2026, 11, 3), 6),  # LA on PST since 11-01
    (date(2027, 3, 16), 5),
    (date(2027, 4, 6), 4),
    (date(2027, 9, 28), 5),
    (date(2027, 11, 9), 6),
]


@pytest.mark.parametrize(("tuesday", "first_hour"), AUCKLAND_TUESDAYS)
def test_an_auckland_prospect_books_a_los_angeles_closer_on_tuesday_from_the_closers_monday(tuesday, first_hour):
    rules = closer(LOS_ANGELES, [(0, "09:00", "17:00")])
    monday = tuesday - timedelta(days=1)
    slots = slots_on(rules, AUCKLAND, tuesday)
    assert [s.start for s in slots] == [at(LOS_ANGELES, monday, h) for h in range(9, 17)]
    assert {s.local_start(AUCKLAND).date() for s in slots} == {tuesday}
    assert {s.local_start(LOS_ANGELES).date() for s in slots} == {monday}
    assert slots[0].local_start(AUCKLAND).hour == first_hour
    assert slots_on(rules, AUCKLAND, monday) == []


def test_an_auckland_prospects_week_shows_a_los_angeles_weekday_closer_from_tuesday_to_saturday():
    rules = closer(LOS_ANGELES, [(wd, "09:00", "17:00") for wd in range(5)])
    slots = slots_on(rules, AUCKLAND, date(2026, 6, 1), date(2026, 6, 7))
    assert {s.local_start(AUCKLAND).weekday() for s in slots} == {1, 2, 3, 4, 5}
    assert len(slots) == 5 * 8


# --- bookings, buffers, time off ------------------------------------------------------------------

MONDAY = date(2026, 6, 1)
NOW = utc(2026, 5, 25)


def utc_closer(**settings: object) -> AvailabilityRules:
    return closer("UTC", [(0, "09:00", "13:00")], **settings)


def starts(slots: list[Slot]) -> list[str]:
    return [f"{s.start:%H:%M}" for s in slots]


def monday_slots(rules: AvailabilityRules, busy: list[Busy] | tuple[Busy, ...] = (), now: datetime = NOW) -> list[Slot]:
    return free_slots(rules, busy, now=now, range_start=utc(2026, 6, 1), range_end=utc(2026, 6, 2))


def test_back_to_back_with_a_booking_is_fine_without_a_buffer():
    busy = [Busy(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11))]
    assert starts(monday_slots(utc_closer(), busy)) == ["09:00", "11:00", "12:00"]


def test_a_buffer_widens_each_booking_on_both_sides():
    busy = [Busy(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11))]
    slots = monday_slots(utc_closer(slot_minutes=30, buffer_minutes=15), busy)
    assert starts(slots) == ["09:00", "11:30", "12:00", "12:30"]  # 09:30 and 11:00 sit inside the buffer


def test_a_booking_shorter_than_a_slot_blocks_the_whole_slot():
    busy = [Busy(utc(2026, 6, 1, 10, 15), utc(2026, 6, 1, 10, 45))]
    assert starts(monday_slots(utc_closer(), busy)) == ["09:00", "11:00", "12:00"]


def test_overlapping_bookings_given_in_any_order_are_all_respected():
    busy = [
        Busy(utc(2026, 6, 1, 12), utc(2026, 6, 1, 12, 30)),
        Busy(utc(2026, 6, 1, 9), utc(2026, 6, 1, 10, 30)),
        Busy(utc(2026, 6, 1, 9, 30), utc(2026, 6, 1, 10)),
    ]
    assert starts(monday_slots(utc_closer(slot_minutes=30), busy)) == ["10:30", "11:00", "11:30", "12:30"]


def test_time_off_blocks_the_slots_it_touches_but_is_not_widened_by_the_buffer():
    rules = utc_closer(buffer_minutes=30, time_off=[{"start": "2026-06-01T10:00Z", "end": "2026-06-01T11:30Z"}])
    assert starts(monday_slots(rules)) == ["09:00", "12:00"]


def test_minimum_notice_counts_from_now_and_a_slot_exactly_at_the_notice_is_offered():
    rules = utc_closer(min_notice_minutes=60)
    assert starts(monday_slots(rules, now=utc(2026, 6, 1, 9))) == ["10:00", "11:00", "12:00"]
    assert starts(monday_slots(rules, now=utc(2026, 6, 1, 9, 1))) == ["11:00", "12:00"]


def test_no_slot_starts_at_or_after_the_horizon():
    rules = closer("UTC", [(wd, "09:00", "10:00") for wd in range(7)], horizon_days=3)
    slots = free_slots(rules, [], now=utc(2026, 6, 1, 9), range_start=utc(2026, 6, 1), range_end=utc(2026, 7, 1))
    assert [s.start for s in slots] == [utc(2026, 6, d, 9) for d in (1, 2, 3)]


def test_a_closer_local_day_with_max_per_day_bookings_offers_nothing():
    rules = closer(PARIS, [(0, "09:00", "12:00"), (1, "09:00", "12:00")], max_per_day=2)
    monday, tuesday = date(2026, 6, 1), date(2026, 6, 2)
    # 23:30 UTC on Sunday is already Monday 01:30 in Paris: it counts for Monday.
    busy = (Busy(utc(2026, 5, 31, 23, 30), utc(2026, 6, 1, 0)), Busy(at(PARIS, monday, 9), at(PARIS, monday, 10)))
    assert slots_on(rules, PARIS, monday, busy=busy) == []
    assert walls(slots_on(rules, PARIS, tuesday, busy=busy), PARIS) == ["09:00", "10:00", "11:00"]
    one = busy[1:]
    assert walls(slots_on(rules, PARIS, monday, busy=one), PARIS) == ["10:00", "11:00"]


def test_an_override_replaces_the_weekly_hours_and_an_empty_override_is_a_day_off():
    rules = build_rules(
        timezone=PARIS,
        horizon_days=365,
        weekly=[{"weekday": wd, "start": "09:00", "end": "12:00"} for wd in range(5)],
        overrides=[
            {"date": "2026-06-01", "intervals": []},
            {"date": "2026-06-02", "intervals": [{"start": "14:00", "end": "16:00"}]},
            {"date": "2026-06-06", "intervals": [{"start": "10:00", "end": "11:00"}]},  # a Saturday
        ],
    )
    slots = slots_on(rules, PARIS, date(2026, 6, 1), date(2026, 6, 7))
    by_day = {}
    for s in slots:
        by_day.setdefault(s.local_start(PARIS).date().isoformat(), []).append(f"{s.local_start(PARIS):%H:%M}")
    assert by_day == {
        "2026-06-02": ["14:00", "15:00"],
        "2026-06-03": ["09:00", "10:00", "11:00"],
        "2026-06-04": ["09:00", "10:00", "11:00"],
        "2026-06-05": ["09:00", "10:00", "11:00"],
        "2026-06-06": ["10:00"],
    }


def test_an_interval_ending_at_24_00_offers_its_last_hour_and_the_next_day_starts_afresh():
    rules = closer(PARIS, [(4, "22:00", "24:00"), (5, "00:00", "01:00")])
    slots = slots_on(rules, PARIS, date(2026, 6, 5), date(2026, 6, 6))
    assert [s.start for s in slots] == [at(PARIS, date(2026, 6, 5), h) for h in (22, 23)] + [
        at(PARIS, date(2026, 6, 6), 0)
    ]


def test_the_remainder_of_an_interval_too_short_for_another_slot_is_not_offered():
    rules = closer("UTC", [(0, "09:00", "11:55"), (0, "13:00", "14:00")])
    assert starts(monday_slots(rules)) == ["09:00", "10:00", "13:00"]


def test_a_slot_belongs_to_the_range_it_starts_in_even_if_it_ends_after():
    rules = closer("UTC", [(0, "23:00", "24:00")])
    slots = free_slots(rules, [], now=NOW, range_start=utc(2026, 6, 1, 23, 30), range_end=utc(2026, 6, 2))
    assert slots == []
    slots = free_slots(rules, [], now=NOW, range_start=utc(2026, 6, 1, 23), range_end=utc(2026, 6, 1, 23, 1))
    assert slots == [Slot(utc(2026, 6, 1, 23), utc(2026, 6, 2))]


def test_free_slots_are_utc_whatever_zone_the_range_was_given_in():
    rules = closer(PARIS, [(0, "09:00", "12:00")])
    tokyo = ZoneInfo("Asia/Tokyo")
    in_utc = free_slots(rules, [], now=NOW, range_start=utc(2026, 6, 1), range_end=utc(2026, 6, 2))
    in_tokyo = free_slots(
        rules,
        [],
        now=NOW.astimezone(tokyo),
        range_start=utc(2026, 6, 1).astimezone(tokyo),
        range_end=utc(2026, 6, 2).astimezone(tokyo),
    )
    assert in_utc == in_tokyo and len(in_utc) == 3
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in in_tokyo)


def test_refuses_a_naive_now_or_range():
    rules = utc_closer()
    with pytest.raises(ValidationError) as exc:
        free_slots(rules, [], now=datetime(2026, 6, 1), range_start=utc(2026, 6, 1), range_end=utc(2026, 6, 2))
    assert "now" in exc.value.field_errors
    with pytest.raises(ValidationError):
        free_slots(rules, [], now=NOW, range_start=datetime(2026, 6, 1), range_end=utc(2026, 6, 2))


def test_an_empty_or_inverted_range_has_no_slots():
    assert free_slots(utc_closer(), [], now=NOW, range_start=utc(2026, 6, 2), range_end=utc(2026, 6, 1)) == []


# --- the viewer's dates ---------------------------------------------------------------------------


def test_the_viewers_dates_are_whole_local_days_in_the_viewer_zone():
    rules = closer("UTC", [(wd, "00:00", "24:00") for wd in range(7)], slot_minutes=30)
    slots = slots_on(rules, KOLKATA, date(2026, 6, 1), date(2026, 6, 2))
    assert slots[0].start == at(KOLKATA, date(2026, 6, 1), 0)
    assert slots[-1].end == at(KOLKATA, date(2026, 6, 3), 0)
    assert len(slots) == 2 * 48


def test_the_viewers_range_may_span_62_days_but_not_63():
    rules = utc_closer()
    now = utc(2026, 5, 1)
    slots = free_slots_for_dates(
        rules, [], now=now, viewer_zone=PARIS, from_date=date(2026, 6, 1), to_date=date(2026, 8, 1)
    )
    assert len(slots) == 9 * 4  # nine Mondays from June 1 to July 27
    with pytest.raises(ValidationError) as exc:
        free_slots_for_dates(
            rules, [], now=now, viewer_zone=PARIS, from_date=date(2026, 6, 1), to_date=date(2026, 8, 2)
        )
    assert set(exc.value.field_errors) == {"to"}


def test_the_viewers_range_refuses_an_end_before_its_start_and_an_unknown_zone():
    rules = utc_closer()
    with pytest.raises(ValidationError) as exc:
        free_slots_for_dates(
            rules, [], now=NOW, viewer_zone=PARIS, from_date=date(2026, 6, 2), to_date=date(2026, 6, 1)
        )
    assert set(exc.value.field_errors) == {"to"}
    with pytest.raises(ValidationError) as exc:
        free_slots_for_dates(rules, [], now=NOW, viewer_zone="Mars/Base", from_date=MONDAY, to_date=MONDAY)
    assert set(exc.value.field_errors) == {"timezone"}


# --- next free slot, rule spans, overlap with the prospect's day ----------------------------------


def test_the_next_free_slot_respects_notice_and_bookings():
    rules = utc_closer(min_notice_minutes=30)
    busy = [Busy(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11))]
    assert next_free_slot(rules, busy, now=utc(2026, 6, 1, 8, 45)) == Slot(utc(2026, 6, 1, 11), utc(2026, 6, 1, 12))
    assert next_free_slot(rules, busy, now=utc(2026, 6, 1, 12, 1)) == Slot(utc(2026, 6, 8, 9), utc(2026, 6, 8, 10))


def test_there_is_no_next_free_slot_without_hours_inside_the_horizon():
    assert next_free_slot(closer("UTC", []), [], now=NOW) is None
    assert next_free_slot(utc_closer(horizon_days=1), [], now=utc(2026, 6, 2)) is None


def test_rule_spans_are_the_real_intervals_with_or_without_overrides():
    rules = build_rules(
        timezone=PARIS,
        weekly=[{"weekday": 6, "start": "01:00", "end": "04:00"}],
        overrides=[{"date": "2026-04-05", "intervals": []}],
    )
    spans = rule_intervals_utc(rules, utc(2026, 3, 23), utc(2026, 4, 6))
    assert spans == [(at(PARIS, date(2026, 3, 29), 1), at(PARIS, date(2026, 3, 29), 4))]
    assert spans[0][1] - spans[0][0] == timedelta(hours=2)  # the spring-forward hour is gone
    weekly_only = rule_intervals_utc(rules, utc(2026, 3, 23), utc(2026, 4, 6), overrides=False)
    assert len(weekly_only) == 2


def test_a_los_angeles_closers_weekday_hours_overlap_an_auckland_prospects_working_day_by_three_hours_a_day():
    rules = closer(LOS_ANGELES, [(wd, "09:00", "17:00") for wd in range(5)])
    # In June, LA 09:00–17:00 is Auckland 04:00–12:00 the next day: 09:00–12:00 overlaps, Tue–Fri
    # only (the LA Friday is an Auckland Saturday).
    assert working_minutes_overlap(rules, AUCKLAND, reference_date=date(2026, 6, 3)) == 4 * 180


def test_same_zone_overlap_is_the_shared_hours_and_half_hour_offsets_count_exactly():
    paris = closer(PARIS, [(wd, "08:00", "12:00") for wd in range(7)])
    assert working_minutes_overlap(paris, PARIS, reference_date=date(2026, 6, 3)) == 5 * 180
    kolkata = closer(KOLKATA, [(wd, "09:00", "18:00") for wd in range(5)])
    # Kolkata is 3.5 h ahead of Paris in summer: its 12:30–18:00 is Paris 09:00–14:30.
    assert working_minutes_overlap(kolkata, PARIS, reference_date=date(2026, 6, 3)) == 5 * 330


def test_overlap_follows_the_real_dst_of_the_reference_week():
    rules = closer(NEW_YORK, [(wd, "09:00", "17:00") for wd in range(5)])
    # New York 09:00 is Paris 15:00 (three hours of overlap) except in the gap weeks (14:00, four).
    assert working_minutes_overlap(rules, PARIS, reference_date=date(2026, 3, 4)) == 5 * 180
    assert working_minutes_overlap(rules, PARIS, reference_date=date(2026, 3, 11)) == 5 * 240
    custom = working_minutes_overlap(
        rules,
        PARIS,
        reference_date=date(2026, 3, 4),
        other_day_start=time(8),
        other_day_end=time(20),
        other_weekdays=frozenset({0}),
    )
    assert custom == 300  # Monday only, Paris 15:00–20:00


def test_a_fortnight_with_ten_bookings_takes_well_under_a_millisecond_per_day():
    rules = closer(PARIS, [(wd, "09:00", "18:00") for wd in range(7)], slot_minutes=30, buffer_minutes=15)
    now = utc(2026, 3, 20)
    busy = [Busy(utc(2026, 3, 21 + i, 10), utc(2026, 3, 21 + i, 11)) for i in range(10)]

    def run() -> list[Slot]:
        return free_slots(rules, busy, now=now, range_start=now, range_end=now + timedelta(days=14))

    assert len(run()) > 200
    seconds = min(timeit.repeat(run, number=5, repeat=3)) / 5
    assert seconds / 14 < 0.001


# --- properties -----------------------------------------------------------------------------------

ZONES = [PARIS, NEW_YORK, SAO_PAULO, KOLKATA, LORD_HOWE, AUCKLAND, LOS_ANGELES, "America/Santiago", "UTC"]


@functools.cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """The zone's UTC offset changes in 2026–2027, found with zoneinfo (daily scan, then bisection)."""
    tz, found = ZoneInfo(zone), []
    day = utc(2026, 1, 1)
    while day < utc(2028, 1, 1):
        low, high = day, day + timedelta(days=1)
        if low.astimezone(tz).utcoffset() != high.astimezone(tz).utcoffset():
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        day += timedelta(days=1)
    return tuple(found) or (utc(2026, 6, 1), utc(2027, 1, 15))  # zones without DST: ordinary anchors


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


BREAKPOINTS = st.lists(st.integers(0, 288), unique=True, max_size=6)  # wall minutes / 5


def day_intervals(draw: st.DrawFn, slot: int) -> list[tuple[int, int]]:
    """Non-overlapping wall intervals (minutes, 5-minute grid) each long enough for one slot.

    Often the whole day or a night interval, so that DST transitions (mostly 00:00–03:00)
    fall inside the hours the generated closer works.
    """
    shape = draw(st.sampled_from(["night", "whole day", "random", "night", "none"]))
    if shape == "none":
        return []
    if shape == "random":
        points = sorted(5 * n for n in draw(BREAKPOINTS))
        pairs = list(zip(points[::2], points[1::2], strict=False))
    elif shape == "whole day":
        pairs = [(0, 1440)]
    else:
        start = 5 * draw(st.integers(0, 48))
        pairs = [(start, min(1440, start + 5 * draw(st.integers(slot // 5, 96))))]
    return [(s, e) for s, e in pairs if e - s >= slot]


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    zone = draw(st.sampled_from(ZONES))
    slot = draw(st.sampled_from([15, 20, 30, 45, 60, 90, 120]))
    transition = draw(st.sampled_from(transitions(zone)))
    range_start = transition - timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    range_end = range_start + timedelta(minutes=draw(st.integers(60, 5 * 1440)))
    now = range_start - timedelta(minutes=draw(st.integers(-720, 2 * 1440)))
    weekly = {wd: day_intervals(draw, slot) for wd in range(7)}
    local_first = range_start.astimezone(ZoneInfo(zone)).date()
    override_days = draw(st.lists(st.integers(-1, 6), unique=True, max_size=3))
    overrides = {local_first + timedelta(days=d): day_intervals(draw, slot) for d in override_days}

    busy = []
    for _ in range(draw(st.integers(0, 10))):
        start = range_start + timedelta(minutes=5 * draw(st.integers(-300, 1800)))
        busy.append(Busy(start, start + timedelta(minutes=5 * draw(st.integers(1, 36)))))
    time_off = []
    for _ in range(draw(st.integers(0, 2))):
        start = range_start + timedelta(minutes=15 * draw(st.integers(-100, 500)))
        time_off.append({"start": start, "end": start + timedelta(minutes=15 * draw(st.integers(1, 200)))})
    rules = build_rules(
        timezone=zone,
        slot_minutes=slot,
        buffer_minutes=draw(st.sampled_from([0, 0, 5, 15, 30, 60])),
        min_notice_minutes=draw(st.sampled_from([0, 0, 30, 240, 1440])),
        horizon_days=draw(st.sampled_from([7, 1, 3, 30])),
        max_per_day=draw(st.one_of(st.none(), st.integers(1, 3))),
        weekly=[{"weekday": wd, "start": hhmm(s), "end": hhmm(e)} for wd, pairs in weekly.items() for s, e in pairs],
        overrides=[
            {"date": day, "intervals": [{"start": hhmm(s), "end": hhmm(e)} for s, e in pairs]}
            for day, pairs in overrides.items()
        ],
        time_off=time_off,
    )
    return {
        "rules": rules,
        "weekly": weekly,
        "overrides": overrides,
        "busy": busy,
        "now": now,
        "range_start": range_start,
        "range_end": range_end,
    }


def run(case: dict) -> list[Slot]:
    return free_slots(
        case["rules"], case["busy"], now=case["now"], range_start=case["range_start"], range_end=case["range_end"]
    )


def first_instant_at_or_after(zone: ZoneInfo, naive: datetime) -> datetime:
    """Test oracle for a wall time's instant: walk forward minute by minute until the wall time exists."""
    while True:
        instant = naive.replace(tzinfo=zone).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == naive:
            return instant
        naive += timedelta(minutes=1)


def overlaps(slot: Slot, start: datetime, end: datetime) -> bool:
    return slot.start < end and start < slot.end


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios())
def test_slots_are_sorted_non_overlapping_and_exactly_slot_minutes_long(case):
    slots = run(case)
    assert_real_length(slots, case["rules"].slot_minutes)
    assert all(s.start.tzinfo is UTC for s in slots)


@PROPERTY
@given(scenarios())
def test_no_slot_overlaps_a_booking_widened_by_the_buffer_or_time_off(case):
    rules = case["rules"]
    buffer = timedelta(minutes=rules.buffer_minutes)
    for slot in run(case):
        assert not any(overlaps(slot, b.start - buffer, b.end + buffer) for b in case["busy"])
        assert not any(overlaps(slot, off.start, off.end) for off in rules.time_off)


@PROPERTY
@given(scenarios())
def test_every_slot_starts_on_the_wall_grid_of_a_rule_interval_and_ends_inside_it(case):
    rules = case["rules"]
    zone = rules.zone
    for slot in run(case):
        local = slot.start.astimezone(zone)
        day = local.date()
        intervals = case["overrides"].get(day, case["weekly"][day.weekday()])
        minute = local.hour * 60 + local.minute
        matching = [(s, e) for s, e in intervals if s <= minute < e and (minute - s) % rules.slot_minutes == 0]
        assert len(matching) == 1, (slot, intervals)
        _, end = matching[0]
        # An ambiguous start is its first occurrence; the end is the interval's end instant at the latest.
        assert datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC) == slot.start
        assert slot.end <= first_instant_at_or_after(zone, datetime.combine(day, time(0)) + timedelta(minutes=end))


@PROPERTY
@given(scenarios())
def test_notice_horizon_range_and_max_per_day_hold_for_every_slot(case):
    rules, now = case["rules"], case["now"]
    zone = rules.zone
    for slot in run(case):
        assert (
            now + timedelta(minutes=rules.min_notice_minutes) <= slot.start < now + timedelta(days=rules.horizon_days)
        )
        assert case["range_start"] <= slot.start < case["range_end"]
        if rules.max_per_day is not None:
            day = slot.start.astimezone(zone).date()
            assert sum(b.start.astimezone(zone).date() == day for b in case["busy"]) < rules.max_per_day


@PROPERTY
@given(scenarios())
def test_the_filters_remove_exactly_the_blocked_slots_and_nothing_else(case):
    rules, now = case["rules"], case["now"]
    zone = rules.zone
    open_rules = dataclasses.replace(rules, min_notice_minutes=0, horizon_days=365, max_per_day=None, time_off=())
    everything = free_slots(
        open_rules, [], now=case["range_start"], range_start=case["range_start"], range_end=case["range_end"]
    )
    buffer = timedelta(minutes=rules.buffer_minutes)

    def allowed(slot: Slot) -> bool:
        day = slot.start.astimezone(zone).date()
        return (
            now + timedelta(minutes=rules.min_notice_minutes) <= slot.start < now + timedelta(days=rules.horizon_days)
            and not any(overlaps(slot, b.start - buffer, b.end + buffer) for b in case["busy"])
            and not any(overlaps(slot, off.start, off.end) for off in rules.time_off)
            and (
                rules.max_per_day is None
                or sum(b.start.astimezone(zone).date() == day for b in case["busy"]) < rules.max_per_day
            )
        )

    assert run(case) == [slot for slot in everything if allowed(slot)]


@PROPERTY
@given(scenarios(), st.sampled_from(ZONES))
def test_results_are_identical_whatever_the_viewer_zone_for_the_same_utc_range(case, viewer):
    tz = ZoneInfo(viewer)
    moved = free_slots(
        case["rules"],
        case["busy"],
        now=case["now"].astimezone(tz),
        range_start=case["range_start"].astimezone(tz),
        range_end=case["range_end"].astimezone(tz),
    )
    assert moved == run(case)
    first = case["range_start"].astimezone(tz).date()
    by_dates = free_slots_for_dates(
        case["rules"], case["busy"], now=case["now"], viewer_zone=viewer, from_date=first, to_date=first
    )
    start, end = day_bounds_utc(first, tz)
    assert by_dates == free_slots(case["rules"], case["busy"], now=case["now"], range_start=start, range_end=end)
    assert all(s.local_start(viewer).date() == first for s in by_dates)


@PROPERTY
@given(scenarios())
def test_the_next_free_slot_is_the_first_slot_of_the_whole_horizon(case):
    rules, now = case["rules"], case["now"]
    everything = free_slots(
        rules, case["busy"], now=now, range_start=now, range_end=now + timedelta(days=rules.horizon_days)
    )
    assert next_free_slot(rules, case["busy"], now=now) == (everything[0] if everything else None)


def test_external_busy_time_blocks_exactly_its_slots_without_buffer_and_is_not_counted_per_day() -> None:
    rules = closer(PARIS, [(0, "09:00", "13:00")], buffer_minutes=30, max_per_day=1)
    monday = date(2026, 6, 1)
    now = utc(2026, 5, 1)
    event = Busy(at(PARIS, monday, 10), at(PARIS, monday, 11), external=True)
    found = free_slots(rules, [event], now=now, range_start=at(PARIS, monday, 0), range_end=at(PARIS, monday, 23))
    # 10:00 is taken; 09:00 and 11:00 stay (no buffer around an outside event), and the
    # daily cap of one call is not used up by it (12:00 too).
    assert [s.start for s in found] == [at(PARIS, monday, h) for h in (9, 11, 12)]
    call = Busy(at(PARIS, monday, 10), at(PARIS, monday, 11))
    assert free_slots(rules, [call], now=now, range_start=at(PARIS, monday, 0), range_end=at(PARIS, monday, 23)) == []
