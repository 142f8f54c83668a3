"""The slot expansion's shortcut for days without a DST change equals the wall-clock walk.

``core.slots`` computes the slots of a day whose UTC offset never changes arithmetically
(evenly spaced in UTC, starting at the first one at or after the range's start) and walks
the wall clock slot by slot only on DST days. In zones with odd offsets and transitions, both
ways must give the same slots.

Every day of two years (2026-2027, and 2028's leap day) is classified (constant offset or
not: cheap); the slots are compared on the days where the shortcut can go wrong — the days
around each of the zone's offset changes (the last constant day before one, whose 24:00
already has the new offset, and the first after), the first and last day of every month and
the days around 29 February 2028 — plus a sample of other days drawn at random with a fixed
seed per case (``SAMPLED_DAYS``), about a sixth of the days in all instead of every one.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from closerhub.core.availability import build_rules
from closerhub.core.slots import _constant_offset, _day_slots_by_wall_clock, _day_slots_constant_offset

ZONES = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kathmandu",  # +05:45, no DST
    "America/Santiago",  # changes at local midnight
    "America/Havana",  # changes at local midnight
    "Pacific/Auckland",
    "UTC",
]
INTERVALS = [(0, 1440), (60, 240), (90, 1410), (1335, 1440)]  # whole day, the DST hours, odd edges, to 24:00
FIRST, END = date(2026, 1, 1), date(2028, 1, 1)
LEAP_DAYS = [date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1)]
SAMPLED_DAYS = 60  # ordinary days per case, on top of the edge days


def _days(first: date, end: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((end - first).days)]


def edge_days(tz: ZoneInfo, days: list[date]) -> set[date]:
    """The days where the shortcut can go wrong: next to an offset change, at month ends, the leap day."""
    edges = set(LEAP_DAYS)
    for day in days:
        if day.day == 1 or (day + timedelta(days=1)).day == 1:
            edges.add(day)
        noon, next_noon = (datetime.combine(d, time(12), tzinfo=tz).utcoffset() for d in (day, day + timedelta(days=1)))
        if _constant_offset(day, tz) is None or noon != next_noon:
            edges |= {day - timedelta(days=2) + timedelta(days=n) for n in range(5)}
    return edges


def test_the_edge_days_hold_every_offset_change() -> None:
    """The chosen days really are the edges: each DST day of Paris and Santiago, with its neighbours."""
    days = _days(FIRST, END)
    paris = edge_days(ZoneInfo("Europe/Paris"), days)
    for change in (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)):
        assert {change - timedelta(days=1), change, change + timedelta(days=1)} <= paris
    assert date(2026, 6, 15) not in paris and date(2026, 6, 30) in paris and date(2026, 7, 1) in paris
    santiago = edge_days(ZoneInfo("America/Santiago"), days)
    # Santiago falls back at local midnight ending Saturday 4 April 2026: the Saturday keeps one
    # offset all day but its 24:00 is an hour later than a constant day's
    assert {date(2026, 4, 4), date(2026, 4, 5)} <= santiago
    assert len(edge_days(ZoneInfo("UTC"), days)) == 2 * 24 + len(LEAP_DAYS)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("slot_minutes", "step_minutes"), [(45, 45), (60, 60), (45, 15), (50, 30)])
def test_constant_offset_days_give_the_wall_clock_slots(zone: str, slot_minutes: int, step_minutes: int) -> None:
    """Also for an offer's calls (``for_call``): a length with a shorter start increment."""
    rules = build_rules(
        timezone=zone,
        weekly=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
        slot_minutes=slot_minutes,
        buffer_minutes=0,
        min_notice_minutes=0,
        horizon_days=365,
        max_per_day=None,
    ).for_call(slot_minutes, step_minutes)
    tz = ZoneInfo(zone)
    days = _days(FIRST, END)
    skipped = sum(_constant_offset(day, tz) is None for day in days)
    assert len(days) - skipped > 700
    # zones with DST have (some of) their change days walked: Santiago's fall-back repeats the
    # last hour of a day, which keeps one offset from midnight to 23:59:59 (the comparison below covers it)
    assert (skipped == 0) == (zone in ("Asia/Kathmandu", "UTC"))

    edges = edge_days(tz, days)
    ordinary = sorted(set(days) - edges)
    sample = random.Random(f"{zone} {slot_minutes} {step_minutes}").sample(ordinary, SAMPLED_DAYS)
    checked = 0
    for day in sorted(edges | set(sample)):
        offset = _constant_offset(day, tz)
        if offset is None:
            continue
        midnight = datetime.combine(day, time(0), tzinfo=UTC) - offset
        # the whole day, and a range starting mid-slot (the shortcut jumps to the first slot after it)
        for low, high in (
            (midnight - timedelta(hours=3), midnight + timedelta(days=2)),
            (midnight + timedelta(minutes=617), midnight + timedelta(minutes=1201)),
        ):
            for wall_start, wall_end in INTERVALS:
                walked = list(_day_slots_by_wall_clock(rules, day, wall_start, wall_end, low, high))
                computed = list(_day_slots_constant_offset(rules, day, wall_start, wall_end, low, high, offset))
                assert computed == walked, (zone, day, wall_start, wall_end, low)
        checked += 1
    assert checked >= SAMPLED_DAYS + 2 * 24


def test_dst_days_are_not_constant() -> None:
    assert _constant_offset(date(2026, 3, 29), ZoneInfo("Europe/Paris")) is None
    assert _constant_offset(date(2026, 10, 25), ZoneInfo("Europe/Paris")) is None
    assert _constant_offset(date(2026, 3, 28), ZoneInfo("Europe/Paris")) == timedelta(hours=1)
    assert _constant_offset(date(2026, 4, 5), ZoneInfo("Australia/Lord_Howe")) is None  # back 30 minutes
