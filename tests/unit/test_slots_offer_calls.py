"""An offer's calls cut out of a closer's windows: the offer's length, starting every increment.

``AvailabilityRules.for_call(call_minutes, step_minutes)`` keeps the closer's windows, buffer,
notice, horizon and daily cap and changes only the call's length and the start grid. Checked
on ordinary days and on Europe/Paris's clock changes (2026-03-29 02:00 → 03:00 and
2026-10-25 03:00 → 02:00).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from closerhub.core.availability import AvailabilityRules, build_rules
from closerhub.core.slots import Busy, Slot, free_slots, free_slots_for_dates
from closerhub.core.tz import day_bounds_utc

PARIS = "Europe/Paris"
SPRING = date(2026, 3, 29)  # a Sunday: 02:00 becomes 03:00
AUTUMN = date(2026, 10, 25)  # a Sunday: 03:00 becomes 02:00 again
ORDINARY = date(2026, 3, 22)  # the Sunday before


def at(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(PARIS)).replace(fold=fold).astimezone(UTC)


def sunday_closer(start: str, end: str, **settings: object) -> AvailabilityRules:
    settings.setdefault("slot_minutes", 60)
    settings.setdefault("horizon_days", 365)
    return build_rules(timezone=PARIS, weekly=[{"weekday": 6, "start": start, "end": end}], **settings)  # type: ignore[arg-type]


def on(rules: AvailabilityRules, day: date, busy: tuple[Busy, ...] = ()) -> list[Slot]:
    now = day_bounds_utc(day, PARIS)[0] - timedelta(days=7)
    return free_slots_for_dates(rules, busy, now=now, viewer_zone=PARIS, from_date=day, to_date=day)


def walls(slots: list[Slot]) -> list[str]:
    return [f"{s.local_start(PARIS):%H:%M}" for s in slots]


def test_a_45_minute_call_every_15_minutes_fills_a_closers_hour_windows_whatever_their_own_slot_length():
    rules = sunday_closer("09:00", "11:00", slot_minutes=60).for_call(45, 15)
    slots = on(rules, ORDINARY)
    assert walls(slots) == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15"]  # 10:15 + 45 = 11:00
    assert all(s.end - s.start == timedelta(minutes=45) for s in slots)


def test_the_same_offer_gives_the_same_call_length_with_closers_of_different_slot_lengths():
    a = sunday_closer("09:00", "12:00", slot_minutes=60).for_call(45, 30)
    b = sunday_closer("09:00", "12:00", slot_minutes=45).for_call(45, 30)
    assert [(s.start, s.end) for s in on(a, ORDINARY)] == [(s.start, s.end) for s in on(b, ORDINARY)]
    assert walls(on(a, ORDINARY)) == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_for_call_keeps_the_closers_rules_when_the_shape_is_theirs():
    rules = sunday_closer("09:00", "12:00", slot_minutes=45)
    assert rules.for_call(45, 45) is rules
    shaped = rules.for_call(30, 10)
    assert (shaped.slot_minutes, shaped.step, shaped.weekly, shaped.timezone) == (30, 10, rules.weekly, PARIS)


def test_buffer_notice_and_daily_cap_still_apply_to_the_offers_calls():
    rules = sunday_closer("09:00", "13:00", buffer_minutes=15, max_per_day=2).for_call(30, 15)
    booked = (Busy(at(ORDINARY, 10), at(ORDINARY, 10, 45)),)
    # the call 10:00–10:45 plus 15 minutes each side blocks 09:45–11:00: 09:15 (ends 09:45) is the last before
    assert walls(on(rules, ORDINARY, booked)) == [
        "09:00", "09:15", "11:00", "11:15", "11:30", "11:45", "12:00", "12:15", "12:30",
    ]  # fmt: skip
    two = (*booked, Busy(at(ORDINARY, 12), at(ORDINARY, 12, 30)))
    assert on(rules, ORDINARY, two) == []  # two calls that day: the cap is reached
    now = at(ORDINARY, 9, 50)
    notice = sunday_closer("09:00", "12:00", min_notice_minutes=60).for_call(30, 15)
    found = free_slots(notice, (), now=now, range_start=at(ORDINARY, 0), range_end=at(ORDINARY, 23))
    assert walls(found)[0] == "11:00"  # the first start of the grid at least an hour after 09:50


def test_spring_forward_skips_the_missing_starts_and_the_calls_keep_their_real_length():
    rules = sunday_closer("01:00", "05:00").for_call(45, 15)
    slots = on(rules, SPRING)
    # 02:00–02:45 does not exist; 01:30 + 45 real minutes ends at 03:15 on the wall
    assert walls(slots) == [
        "01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30", "03:45", "04:00", "04:15",
    ]  # fmt: skip
    assert all(s.end - s.start == timedelta(minutes=45) for s in slots)
    assert f"{slots[2].local_end(PARIS):%H:%M}" == "03:15"
    assert slots[4].start - slots[3].start == timedelta(minutes=15)  # 01:45 → 03:00 is 15 real minutes
    assert all(b.start - a.start >= timedelta(minutes=15) for a, b in itertools.pairwise(slots))


def test_a_long_call_after_the_spring_forward_drops_a_start_less_than_one_increment_after_the_previous():
    rules = sunday_closer("00:00", "06:00", slot_minutes=30).for_call(90, 90)
    assert walls(on(rules, SPRING)) == ["00:00", "01:30", "04:30"]  # 03:00 is 30 real minutes after 01:30
    increments = sunday_closer("01:00", "04:00", slot_minutes=30).for_call(60, 40)
    # wall grid 01:00, 01:40, 02:20 (missing), 03:00 (20 real minutes after 01:40: dropped), 03:40 ends too late
    assert walls(on(increments, SPRING)) == ["01:00", "01:40"]


def test_fall_back_offers_the_repeated_hour_once_and_calls_crossing_it_last_their_real_length():
    rules = sunday_closer("01:00", "04:00").for_call(45, 30)
    slots = on(rules, AUTUMN)
    # wall starts 01:00 … 03:00; 02:00 and 02:30 are their first occurrence (summer time)
    assert walls(slots) == ["01:00", "01:30", "02:00", "02:30", "03:00"]
    assert slots[2].start == at(AUTUMN, 2, 0, fold=0)
    assert slots[3].end == at(AUTUMN, 2, 15, fold=1)  # 02:30 summer + 45 real minutes = 02:15 winter
    assert all(s.end - s.start == timedelta(minutes=45) for s in slots)
    assert slots[-1].end <= at(AUTUMN, 4)


@pytest.mark.parametrize("day", [SPRING, AUTUMN, ORDINARY])
@pytest.mark.parametrize(("call", "step"), [(15, 5), (45, 15), (60, 30), (240, 60), (30, 20)])
def test_every_call_fits_its_window_and_starts_are_at_least_one_increment_apart(day, call, step):
    rules = sunday_closer("00:00", "24:00", slot_minutes=15).for_call(call, step)
    slots = on(rules, day)
    start, end = day_bounds_utc(day, PARIS)
    assert slots, (day, call, step)
    assert all(s.end - s.start == timedelta(minutes=call) for s in slots)
    assert all(start <= s.start and s.end <= end for s in slots)
    assert all(b.start - a.start >= timedelta(minutes=step) for a, b in itertools.pairwise(slots))
    # every start sits on the closer's wall grid from midnight (when that wall time exists)
    assert all((s.local_start(PARIS).hour * 60 + s.local_start(PARIS).minute) % step == 0 for s in slots)
