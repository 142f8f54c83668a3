"""A process's memory of closers' free slots, a UTC week at a time, so a busy booking page does not run
the slot engine for every closer on every request.

An entry is the engine's answer (``core.slots.window_slots``: the slots of one week, notice and
horizon not applied) for one closer's rules and the busy time around that week. Its key is
everything that answer depends on:

- the closer's ``rules_etag`` (a new random one on every save of their hours, overrides or time
  off) and zone, and the call (``slot_minutes``, ``step``) the slots are cut for;
- the week (UTC, from a Monday 00:00);
- the busy time itself: every booked call and calendar span the engine would read around that
  week (``MARGIN``), as a tuple. That is the busy-time version: a booking, a cancellation, a
  reschedule or a calendar sync changes the busy rows, hence the key, with no counter to bump
  in each writer and none to forget. The busy rows are read on every request (one statement
  for all closers, as before); only the expansion of rules into slots is saved.

So an entry is never served for busy time or rules other than its own: the cache changes the
cost of a slot list, not its content. (Booking re-checks the slot under the closer's lock in any
case.) ``now`` is applied after the cache (``bookable_window``): the clock moving does not
change an entry. Bounded: emptied when full; shared by the threads of a process.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from datetime import UTC, datetime, timedelta

from closerhub.core.availability import AvailabilityRules
from closerhub.core.slots import Busy, Slot, bookable_window, window_slots

BLOCK = timedelta(days=7)
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday
#: Busy time that can change a week's slots lies within this of the week: a slot ends at most a
#: call (≤ 4 h) after the week and stays a buffer (≤ 24 h) away from busy time, and ``max_per_day``
#: counts the calls of every closer-local day touching the week (a local day is at most 14 h off UTC).
MARGIN = timedelta(days=2)
#: Entries hold starts only (a slot lasts ``slot_minutes``): a closer's week of 30-minute starts over 8 hours
#: a day is ~10 kB, so a full cache is ~100 MB at most; 500 closers reading 5 weeks fill a quarter of it.
CACHE_SIZE = 10_000
#: The "etag" of a closer who never saved their rules (the defaults in their zone).
DEFAULT_RULES = "defaults"

Entry = tuple[datetime, ...]
_CACHE: dict[tuple[object, ...], Entry] = {}
#: ``hits`` and ``misses`` of this process (tests and the bench read them).
stats: Counter[str] = Counter()


def clear() -> None:
    """Forget every entry (tests)."""
    _CACHE.clear()


def weeks(range_start: datetime, range_end: datetime) -> list[datetime]:
    """The starts of the UTC weeks that ``[range_start, range_end)`` touches."""
    first = _EPOCH + ((range_start - _EPOCH) // BLOCK) * BLOCK
    found = []
    while first < range_end:
        found.append(first)
        first += BLOCK
    return found


def busy_window(range_start: datetime, range_end: datetime) -> tuple[datetime, datetime]:
    """The window to read busy time over for slots starting in ``[range_start, range_end)``: its whole
    weeks, ``MARGIN`` each side."""
    found = weeks(range_start, range_end) or [range_start]
    return found[0] - MARGIN, found[-1] + BLOCK + MARGIN


def free_starts(
    rules: AvailabilityRules,
    etag: str | None,
    busy: list[Busy],
    *,
    now: datetime,
    range_start: datetime,
    range_end: datetime,
) -> list[tuple[datetime, ...]]:
    """The starts of the closer's free slots in ``[range_start, range_end)`` at ``now``, as runs of
    starts (one per week, each sorted, in time order). ``busy``: read over ``busy_window`` (sorted by start)."""
    return [entry[i:j] for entry, i, j in _runs(rules, etag, busy, now, range_start, range_end)]


def free_slots(
    rules: AvailabilityRules,
    etag: str | None,
    busy: list[Busy],
    *,
    now: datetime,
    range_start: datetime,
    range_end: datetime,
) -> list[Slot]:
    """``core.slots.free_slots`` of the closer over ``[range_start, range_end)``, from the cache."""
    length = timedelta(minutes=rules.slot_minutes)  # every slot of the engine lasts exactly that
    return [
        Slot(start, start + length)
        for entry, i, j in _runs(rules, etag, busy, now, range_start, range_end)
        for start in entry[i:j]
    ]


def _runs(
    rules: AvailabilityRules,
    etag: str | None,
    busy: list[Busy],
    now: datetime,
    range_start: datetime,
    range_end: datetime,
) -> list[tuple[Entry, int, int]]:
    notice_end, horizon_end = bookable_window(rules, now)
    low, high = max(range_start, notice_end), min(range_end, horizon_end)
    runs = []
    for week in weeks(low, high) if low < high else []:
        entry = _entry(rules, etag, busy, week)
        runs.append((entry, bisect_left(entry, low), bisect_left(entry, high)))
    return runs


def _entry(rules: AvailabilityRules, etag: str | None, busy: list[Busy], week: datetime) -> Entry:
    low, high = week - MARGIN, week + BLOCK + MARGIN
    near = tuple(b for b in busy if b.start < high and b.end > low)
    key = (etag, rules.timezone, rules.slot_minutes, rules.step, week, near)
    entry = _CACHE.get(key) if etag is not None else None
    if entry is not None:
        stats["hits"] += 1
        return entry
    stats["misses"] += 1
    entry = tuple(s.start for s in window_slots(rules, near, range_start=week, range_end=week + BLOCK))
    if etag is not None:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = entry
    return entry
