"""The slot expansion's shortcut for days without a DST change equals the wall-clock walk.

``core.slots`` computes the slots of a day whose UTC offset never changes arithmetically
(evenly spaced in UTC, starting at the first one at or after the range's start) and walks
the wall clock slot by slot only on DST days. For every day of two years in zones with odd
offsets and transitions, both ways must give the same slots.
"""

from __future__ import annotations

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
    day, checked, skipped = date(2026, 1, 1), 0, 0
    while day < date(2028, 1, 1):
        offset = _constant_offset(day, tz)
        if offset is None:
            skipped += 1
        else:
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
        day += timedelta(days=1)
    assert checked > 700
    # zones with DST have (some of) their change days walked: Santiago's fall-back repeats the
    # last hour of a day, which keeps one offset from midnight to 23:59:59 (the comparison above covers it)
    assert (skipped == 0) == (zone in ("Asia/Kathmandu", "UTC"))


def test_dst_days_are_not_constant() -> None:
    assert _constant_offset(date(2026, 3, 29), ZoneInfo("Europe/Paris")) is None
    assert _constant_offset(date(2026, 10, 25), ZoneInfo("Europe/Paris")) is None
    assert _constant_offset(date(2026, 3, 28), ZoneInfo("Europe/Paris")) == timedelta(hours=1)
    assert _constant_offset(date(2026, 4, 5), ZoneInfo("Australia/Lord_Howe")) is None  # back 30 minutes
