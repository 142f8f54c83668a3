"""``closers.slot_cache`` gives exactly the engine's slots: a week's slots computed once without notice and
horizon, then cut to the range and to ``bookable_window`` at each read (DST weeks, buffers, a daily cap,
busy time on the week's edges)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from closerhub.closers import slot_cache
from closerhub.core.slots import AvailabilityRules, Busy, TimeOff, WeeklyInterval, free_slots

WEEKLY = tuple(WeeklyInterval(d, time(1), time(23)) for d in range(7))


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        ("Europe/Paris", datetime(2026, 3, 25, tzinfo=UTC)),  # spring forward on Sunday 29 March
        ("America/New_York", datetime(2026, 10, 29, tzinfo=UTC)),  # fall back on Sunday 1 November
        ("Asia/Kolkata", datetime(2026, 6, 4, 18, 30, tzinfo=UTC)),  # +05:30, range off the hour
    ],
)
def test_cached_slots_are_the_engines(zone: str, first: datetime) -> None:
    rules = AvailabilityRules(
        timezone=zone,
        slot_minutes=45,
        step_minutes=15,
        buffer_minutes=30,
        min_notice_minutes=600,
        horizon_days=9,
        max_per_day=3,
        weekly=WEEKLY,
        time_off=(TimeOff(first + timedelta(days=3), first + timedelta(days=3, hours=5)),),
    )
    busy = [
        Busy(first + timedelta(days=d, hours=h), first + timedelta(days=d, hours=h, minutes=45))
        for d, h in ((-2, 20), (0, 10), (1, 9), (1, 12), (1, 15), (6, 23), (8, 3))
    ] + [Busy(first + timedelta(days=4, hours=2), first + timedelta(days=4, hours=4), external=True)]
    slot_cache.clear()
    end = first + timedelta(days=10)
    for now in (first - timedelta(days=1), first + timedelta(hours=7, minutes=5), first + timedelta(days=5)):
        for _ in range(2):  # cold, then from the cache
            cached = slot_cache.free_slots(rules, "etag", busy, now=now, range_start=first, range_end=end)
            assert cached == free_slots(rules, busy, now=now, range_start=first, range_end=end)
            runs = slot_cache.free_starts(rules, "etag", busy, now=now, range_start=first, range_end=end)
            assert [s for run in runs for s in run] == [s.start for s in cached]
        assert cached  # the case is not empty
    assert slot_cache.stats["hits"] > 0
