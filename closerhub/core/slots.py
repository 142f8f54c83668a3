"""The availability engine: rules + busy time → free slots as UTC intervals (pure, no clock).

How a slot is made, precisely (DESIGN.md "Time"; tested on real DST transitions):

1. The closer's rules are expanded **date by date in the closer's zone**. A date takes its
   override if it has one (empty = day off), else its weekday's intervals.
2. A wall interval ``[ws, we)`` of date ``D`` covers the real span ``[U(ws), U(we))``, where
   ``U(w)`` is the instant the closer's clock first reads ``w`` on ``D`` (an ambiguous wall
   time takes its first occurrence; a wall time skipped by a spring-forward maps to the
   instant of the jump; ``24:00`` is the next day's start).
3. Candidate starts step from ``ws`` by the rules' ``step`` **of wall-clock time** (09:00, 10:00, …
   stay on the hour across DST). The step is ``slot_minutes`` for a closer's own slots (one
   after the other); an offer's calls (``AvailabilityRules.for_call``) step by the offer's start
   increment, so its calls may overlap each other as choices (09:00–09:45, 09:15–10:00, …).
   A start that does not exist that day is skipped; an ambiguous one takes its first occurrence.
4. **A slot lasts exactly ``slot_minutes`` of real time** (the call is an hour long even when
   the clocks change during it; its wall end may read 30 min or 2 h later) and is offered
   only if it ends by ``U(we)``. After a spring-forward a wall-grid start can come less than
   one step of real time after the previous start (e.g. 90-minute slots 01:30, 03:00 over a
   1-hour gap): that later start is dropped, so starts are always at least a step apart (and
   slots stepping by their length never overlap). The repeated hour of a fall-back offers no
   start of its own (its wall times resolve to the first occurrence) but may be covered by a slot.
5. Filters: ``now + min_notice ≤ start < now + horizon_days``; the slot may not overlap a
   busy interval widened by ``buffer_minutes`` on both sides (so a slot is at least the
   buffer away from every booked call), nor time off (time off is not widened); a
   closer-local day that already holds ``max_per_day`` booked calls (counted by the call's
   start) offers nothing. Busy time read from the closer's own calendars
   (``Busy.external``) blocks exactly its span: not widened, not counted per day.
   All ranges are half-open: back-to-back is fine.

A slot belongs to a queried range when it **starts** inside it.
``busy`` is the closer's booked appointments; pass at least those touching the range widened
by the buffer, plus every call on the closer-local days of the range (for ``max_per_day``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from closerhub.core.availability import (
    MINUTES_PER_DAY,
    AvailabilityRules,
    DateOverride,
    TimeOff,
    WeeklyInterval,
    build_rules,
    format_hhmm,
    parse_hhmm,
    time_off_for_dates,
)
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _, ngettext
from closerhub.core.tz import day_bounds_utc, local_to_utc, require_aware, require_zone, to_local

__all__ = [
    "MAX_RANGE_DAYS",
    "AvailabilityRules",
    "Busy",
    "DateOverride",
    "Slot",
    "TimeOff",
    "WeeklyInterval",
    "bookable_window",
    "build_rules",
    "dates_range",
    "format_hhmm",
    "free_slots",
    "free_slots_for_dates",
    "next_free_slot",
    "parse_hhmm",
    "rule_intervals_utc",
    "time_off_for_dates",
    "wall_instant",
    "window_slots",
    "working_minutes_overlap",
]

MAX_RANGE_DAYS = 62
WORKDAYS = frozenset(range(5))
_ONE_DAY = timedelta(days=1)
_TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class Busy:
    """Busy time of the closer: UTC half-open ``[start, end)``.

    A booked appointment by default. ``external=True`` marks busy time read from the
    closer's own calendars: it blocks exactly its own span (no buffer: the event is not
    one of our calls) and does not count towards ``max_per_day``.
    """

    start: datetime
    end: datetime
    external: bool = False


@dataclass(frozen=True)
class Slot:
    """A free slot: UTC half-open ``[start, end)``."""

    start: datetime
    end: datetime

    def local_start(self, zone: str | ZoneInfo) -> datetime:
        """The start as wall-clock time in ``zone`` (aware, carrying that zone)."""
        return to_local(self.start, zone)

    def local_end(self, zone: str | ZoneInfo) -> datetime:
        """The end as wall-clock time in ``zone``."""
        return to_local(self.end, zone)


def wall_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """``U(w)``: the UTC instant the clock in ``zone`` first reads ``minute`` (after midnight) on ``day``.

    ``minute`` may be 1440 (24:00 = next day's start). An ambiguous wall time gives its first
    occurrence; a wall time skipped by a spring-forward gives the instant of the jump.
    """
    day, minute = day + timedelta(days=minute // MINUTES_PER_DAY), minute % MINUTES_PER_DAY
    wall = time(minute // 60, minute % 60)
    instant = local_to_utc(day, wall, zone)
    if instant is not None:
        return instant
    naive = datetime.combine(day, wall)
    # In a gap, fold=1 reads the wall time with the later offset (an instant before the jump)
    # and fold=0 with the earlier one (an instant after it); search the jump between them.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + timedelta(seconds=int((high - low).total_seconds()) // 2)  # both whole seconds
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def _blocked(rules: AvailabilityRules, busy: Iterable[Busy]) -> tuple[list[datetime], list[datetime]]:
    """Busy ± buffer and time off, merged into sorted disjoint ranges (starts, ends) for bisect."""
    buffer = timedelta(minutes=rules.buffer_minutes)
    ranges = [(b.start, b.end) if b.external else (b.start - buffer, b.end + buffer) for b in busy]
    ranges += [(off.start, off.end) for off in rules.time_off]
    ranges.sort()
    starts: list[datetime] = []
    ends: list[datetime] = []
    for start, end in ranges:
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _constant_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset on ``day`` when it is the same all day (no DST change), else None.

    Checked at local midnight, noon and 23:59:59, and midnight must exist and be unambiguous;
    tzdata never changes a zone's offset twice within half a day.
    """
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    offset = midnight.utcoffset()
    if offset is None or midnight.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != midnight.replace(
        tzinfo=None
    ):
        return None
    for wall in (time(12), time(23, 59, 59)):
        if datetime.combine(day, wall, tzinfo=zone).utcoffset() != offset:
            return None
    return offset


def _day_slots_by_wall_clock(
    rules: AvailabilityRules, day: date, wall_start: int, wall_end: int, low: datetime, high: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The ``[start, end)`` of each slot of one interval that starts in ``[low, high)``, read off the
    wall clock slot by slot: correct on any day, DST changes included."""
    zone, length, step = rules.zone, timedelta(minutes=rules.slot_minutes), timedelta(minutes=rules.step)
    limit = wall_instant(day, wall_end, zone)
    next_allowed = None
    for minute in range(wall_start, wall_end, rules.step):
        start = local_to_utc(day, time(minute // 60, minute % 60), zone)
        if start is None or (next_allowed is not None and start < next_allowed):
            continue  # skipped by a spring-forward, or less than a step after the start before it
        end = start + length
        if end > limit or start >= high:
            break  # starts only grow from here
        next_allowed = start + step
        if start >= low:
            yield start, end


def _day_slots_constant_offset(
    rules: AvailabilityRules,
    day: date,
    wall_start: int,
    wall_end: int,
    low: datetime,
    high: datetime,
    offset: timedelta,
) -> Iterator[tuple[datetime, datetime]]:
    """The same as ``_day_slots_by_wall_clock`` on a day whose offset never changes: the slots are
    evenly spaced in UTC, so they are computed, starting at the first one at or after ``low``."""
    length, step = timedelta(minutes=rules.slot_minutes), timedelta(minutes=rules.step)
    limit = wall_instant(day, wall_end, rules.zone)  # 24:00 is the next day's midnight, maybe another offset
    midnight = datetime.combine(day, time(0), tzinfo=UTC) - offset
    start, last = midnight + timedelta(minutes=wall_start), midnight + timedelta(minutes=wall_end)
    if start < low:
        start += -((start - low) // step) * step  # the first start of the grid at or after low
    while start < high and start < last:  # last: a repeated 23:00-24:00 (fall-back at midnight) counts once
        end = start + length
        if end > limit:
            break
        yield start, end
        start += step


def _iter_free(
    rules: AvailabilityRules, busy: Iterable[Busy], *, now: datetime, range_start: datetime, range_end: datetime
) -> Iterator[Slot]:
    """Free slots in time order, lazily (so :func:`next_free_slot` stops at the first)."""
    notice_end, horizon_end = bookable_window(rules, now)
    low = max(require_aware(range_start, "range_start"), notice_end)
    high = min(require_aware(range_end, "range_end"), horizon_end)
    yield from _iter_window(rules, busy, low, high)


def bookable_window(rules: AvailabilityRules, now: datetime) -> tuple[datetime, datetime]:
    """``[now + min_notice, now + horizon)``: where a slot may start at ``now``."""
    now = require_aware(now, "now")
    return now + timedelta(minutes=rules.min_notice_minutes), now + timedelta(days=rules.horizon_days)


def window_slots(
    rules: AvailabilityRules, busy: Iterable[Busy], *, range_start: datetime, range_end: datetime
) -> list[Slot]:
    """Every free slot starting in ``[range_start, range_end)``, notice and horizon NOT applied (they move
    with the clock: the caller keeps those inside :func:`bookable_window`). The same slots as
    :func:`free_slots` where both apply, since neither the slot grid nor busy time depends on ``now``."""
    low, high = require_aware(range_start, "range_start"), require_aware(range_end, "range_end")
    return list(_iter_window(rules, busy, low, high))


def _iter_window(rules: AvailabilityRules, busy: Iterable[Busy], low: datetime, high: datetime) -> Iterator[Slot]:
    if low >= high:
        return
    zone = rules.zone
    busy = list(busy)
    starts, ends = _blocked(rules, busy)
    booked = (
        Counter(to_local(b.start, zone).date() for b in busy if not b.external)
        if rules.max_per_day is not None
        else Counter()
    )
    day, last_day = to_local(low, zone).date(), to_local(high - _TINY, zone).date()
    while day <= last_day:
        if rules.max_per_day is None or booked[day] < rules.max_per_day:
            offset = _constant_offset(day, zone)
            for wall_start, wall_end in rules.intervals_on(day):
                if offset is None:
                    found = _day_slots_by_wall_clock(rules, day, wall_start, wall_end, low, high)
                else:
                    found = _day_slots_constant_offset(rules, day, wall_start, wall_end, low, high, offset)
                for start, end in found:
                    i = bisect_left(starts, end) - 1  # the last blocked range starting before the slot ends
                    if i >= 0 and ends[i] > start:
                        continue
                    yield Slot(start, end)
        day += _ONE_DAY


def free_slots(
    rules: AvailabilityRules, busy: Iterable[Busy], *, now: datetime, range_start: datetime, range_end: datetime
) -> list[Slot]:
    """Every free slot starting in ``[range_start, range_end)`` (aware instants), sorted, in UTC."""
    return list(_iter_free(rules, busy, now=now, range_start=range_start, range_end=range_end))


def free_slots_for_dates(
    rules: AvailabilityRules,
    busy: Iterable[Busy],
    *,
    now: datetime,
    viewer_zone: str | ZoneInfo,
    from_date: date,
    to_date: date,
) -> list[Slot]:
    """Free slots starting on the viewer's local dates ``from_date``..``to_date`` (inclusive, ≤ 62 days).

    Errors name the API fields ``timezone``, ``from`` and ``to``.
    """
    range_start, range_end = dates_range(viewer_zone, from_date, to_date)
    return free_slots(rules, busy, now=now, range_start=range_start, range_end=range_end)


def dates_range(viewer_zone: str | ZoneInfo, from_date: date, to_date: date) -> tuple[datetime, datetime]:
    """The UTC span of the viewer's local dates ``from_date``..``to_date`` (inclusive, ≤ 62 days);
    errors name the API fields ``timezone``, ``from`` and ``to``."""
    zone = viewer_zone if isinstance(viewer_zone, ZoneInfo) else require_zone(viewer_zone, "timezone")
    if to_date < from_date:
        raise ValidationError(_("The end date is before the start date."), field_errors={"to": _("Before 'from'.")})
    if (to_date - from_date).days + 1 > MAX_RANGE_DAYS:
        raise ValidationError(
            ngettext(
                "Ask for at most %(num)d day of slots at a time.",
                "Ask for at most %(num)d days of slots at a time.",
                MAX_RANGE_DAYS,
            ),
            field_errors={
                "to": ngettext(
                    "At most %(num)d day after 'from'.", "At most %(num)d days after 'from'.", MAX_RANGE_DAYS
                )
            },
        )
    return day_bounds_utc(from_date, zone)[0], day_bounds_utc(to_date, zone)[1]


def next_free_slot(rules: AvailabilityRules, busy: Iterable[Busy], *, now: datetime) -> Slot | None:
    """The first free slot from ``now`` (notice applied) within the horizon, or None."""
    horizon_end = require_aware(now, "now") + timedelta(days=rules.horizon_days)
    return next(_iter_free(rules, busy, now=now, range_start=now, range_end=horizon_end), None)


def rule_intervals_utc(
    rules: AvailabilityRules, range_start: datetime, range_end: datetime, *, overrides: bool = True
) -> list[tuple[datetime, datetime]]:
    """The real spans ``[U(ws), U(we))`` of the rule intervals, clipped to the range, sorted.

    With ``overrides=False`` only the weekly rules count (e.g. for a closer's usual weekly
    hours in ``matching.weekly_mask``). Time off and bookings are not subtracted.
    """
    low, high = require_aware(range_start, "range_start"), require_aware(range_end, "range_end")
    zone = rules.zone
    spans: list[tuple[datetime, datetime]] = []
    if low >= high:
        return spans
    day, last_day = to_local(low, zone).date(), to_local(high - _TINY, zone).date()
    while day <= last_day:
        intervals = rules.intervals_on(day) if overrides else rules.weekly_on(day.weekday())
        for wall_start, wall_end in intervals:
            start = max(wall_instant(day, wall_start, zone), low)
            end = min(wall_instant(day, wall_end, zone), high)
            if start < end:
                spans.append((start, end))
        day += _ONE_DAY
    return spans


def working_minutes_overlap(
    rules: AvailabilityRules,
    other_zone: str | ZoneInfo,
    *,
    reference_date: date,
    other_day_start: time = time(9),
    other_day_end: time = time(18),
    other_weekdays: frozenset[int] = WORKDAYS,
) -> int:
    """Minutes per week the closer's weekly hours overlap the daytime of someone in ``other_zone``.

    The week is the closer-local Monday–Sunday containing ``reference_date`` (so DST is the
    real one for that week); the other side's daytime is ``other_day_start``–``other_day_end``
    on ``other_weekdays`` (0 = Monday; Mon–Fri by default) of their own local dates, taken
    over enough days around that week that each closer interval is counted whole, once.
    Overrides and time off are ignored: this describes the closer's usual hours.
    """
    closer_zone = rules.zone
    other = other_zone if isinstance(other_zone, ZoneInfo) else require_zone(other_zone, "prospect_timezone")
    monday = reference_date - timedelta(days=reference_date.weekday())
    week_start = day_bounds_utc(monday, closer_zone)[0]
    week_end = day_bounds_utc(monday + timedelta(days=6), closer_zone)[1]
    mine = rule_intervals_utc(rules, week_start, week_end, overrides=False)
    day_start = other_day_start.hour * 60 + other_day_start.minute
    day_end = (other_day_end.hour * 60 + other_day_end.minute) or MINUTES_PER_DAY
    theirs = []
    day = monday - timedelta(days=2)
    while day <= monday + timedelta(days=8):
        if day.weekday() in other_weekdays and day_start < day_end:
            theirs.append((wall_instant(day, day_start, other), wall_instant(day, day_end, other)))
        day += _ONE_DAY
    # Each side's spans are disjoint, so the pairwise intersections add up to the overlap.
    seconds = 0.0
    for start, end in mine:
        for their_start, their_end in theirs:
            overlap = (min(end, their_end) - max(start, their_start)).total_seconds()
            if overlap > 0:
                seconds += overlap
    return int(seconds // 60)
