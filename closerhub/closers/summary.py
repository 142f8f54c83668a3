"""The precomputed availability summary that search reads (``closer_availability_summary``).

Search must not expand slots for every closer on every request, so each closer's next
free slot, free-slot counts and usual weekly hours (per UTC hour) are kept in one row,
refreshed when their availability changes and every 15 minutes by the worker.

A booking does not recompute the row: ``note_booking`` subtracts the slots the new call
removes (found on the call's closer-local day and its buffers only) from the counts and
moves ``next_available_at`` on if the call took it. The result is the row a full refresh at
``refreshed_at`` would give with the call already booked; as between any two refreshes,
slots that passed since ``refreshed_at`` are still counted until the next full refresh
(the worker's, at most 15 minutes later).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.closers.models import AvailabilitySettings, AvailabilitySummary
from closerhub.closers.rules import busy_intervals, rules_for, rules_from_rows, rules_loader_options
from closerhub.core import matching
from closerhub.core.availability import AvailabilityRules
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.slots import Busy, free_slots, next_free_slot, rule_intervals_utc
from closerhub.core.tz import day_bounds_utc, to_local


def compute_summary(rules: AvailabilityRules, busy: Iterable[Busy], now: datetime) -> dict[str, Any]:
    """The summary columns for one closer at ``now`` (pure; see ``AvailabilitySummary``)."""
    busy = list(busy)
    two_weeks = free_slots(rules, busy, now=now, range_start=now, range_end=now + timedelta(days=14))
    week_end = now + timedelta(days=7)
    nxt = two_weeks[0] if two_weeks else next_free_slot(rules, busy, now=now)
    week_start = matching.reference_week_start(now.date())
    spans = rule_intervals_utc(rules, week_start, week_start + timedelta(days=7), overrides=False)
    minutes = [0] * matching.HOURS_PER_WEEK
    for start, end in spans:
        cursor = start
        while cursor < end:
            hour = int((cursor - week_start).total_seconds() // 3600)
            hour_end = week_start + timedelta(hours=hour + 1)
            piece_end = min(end, hour_end)
            minutes[hour] += int((piece_end - cursor).total_seconds() // 60)
            cursor = piece_end
    return {
        "next_available_at": nxt.start if nxt else None,
        "free_slots_7d": sum(1 for s in two_weeks if s.start < week_end),
        "free_slots_14d": len(two_weeks),
        "weekly_minutes": minutes,
        "weekly_hours_mask": matching.mask_to_hex(matching.weekly_mask(spans, week_start)),
        "refreshed_at": now,
    }


def _store_summary(session: Session, closer_id: int, values: dict[str, Any], row: AvailabilitySummary | None) -> None:
    if row is None:
        session.add(AvailabilitySummary(closer_id=closer_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)


def refresh_summary(
    session: Session, closer_id: int, now: datetime, *, rules: AvailabilityRules | None = None
) -> AvailabilitySummary:
    """Recompute one closer's summary row in the current transaction (the caller commits).

    ``rules``: the closer's current rules when the caller already holds them (a booking
    loads them once and passes them down), saving the four queries that read them.
    """
    closer = session.get(User, closer_id)
    if closer is None or closer.role != Role.CLOSER:
        raise ValidationError(_("Only closers have an availability summary."))
    if rules is None:
        rules = rules_for(session, closer)
    busy = busy_intervals(
        session, closer_id, now - timedelta(days=2), now + timedelta(days=rules.horizon_days + 2), now=now
    )
    _store_summary(session, closer_id, compute_summary(rules, busy, now), session.get(AvailabilitySummary, closer_id))
    session.flush()
    return session.get(AvailabilitySummary, closer_id)  # type: ignore[return-value]


def _call_day(rules: AvailabilityRules, starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    """The call's closer-local day widened to the slots its buffers touch (UTC)."""
    buffer, length = timedelta(minutes=rules.buffer_minutes), timedelta(minutes=rules.slot_minutes)
    day_start, day_end = day_bounds_utc(to_local(starts_at, rules.zone).date(), rules.zone)
    return min(day_start, starts_at - buffer - length), max(day_end, ends_at + buffer)


def booking_busy_window(
    rules: AvailabilityRules, starts_at: datetime, ends_at: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """The busy time ``note_booking`` reads: from ``now`` (the next free slot) to past the call's day,
    with ``busy_intervals``' two days of slack. It contains the booking check's window
    (``booking.slots.free_slot_at``), so a booking reads its closer's calls once for both."""
    low, high = _call_day(rules, starts_at, ends_at)
    slack = timedelta(days=2, minutes=rules.buffer_minutes)
    return min(now, low) - slack, high + slack


def note_booking(
    session: Session,
    closer_id: int,
    rules: AvailabilityRules,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    *,
    busy_before: list[Busy] | None = None,
    row: AvailabilitySummary | None = None,
) -> AvailabilitySummary:
    """Update one closer's summary for a call just booked (and flushed) at ``[starts_at, ends_at)``; the caller commits.

    Only the slots the call can remove are expanded, twice (without and with it): those its
    time and buffers touch, and, for a closer with a daily cap, the rest of its closer-local
    day. A row that is missing, from the future, or whose next free slot cannot be found near
    the call is recomputed in full (``refresh_summary``). ``busy_before``: the closer's calls
    in ``booking_busy_window`` read before this one was inserted (the booking has them);
    without it they are read here. ``row``: the closer's summary row if the caller has it.
    """
    if row is None:
        row = session.get(AvailabilitySummary, closer_id)
    if row is None or row.refreshed_at > now or row.next_available_at is None:
        return refresh_summary(session, closer_id, now, rules=rules)
    call = Busy(starts_at, ends_at)
    if busy_before is None:
        busy = busy_intervals(session, closer_id, *booking_busy_window(rules, starts_at, ends_at, now), now=now)
        without = list(busy)
        try:
            without.remove(call)
        except ValueError:  # not flushed, or not booked: nothing to subtract from
            return refresh_summary(session, closer_id, now, rules=rules)
    else:
        without = list(busy_before)
        busy = sorted([*without, call], key=lambda b: b.start)
    buffer, length = timedelta(minutes=rules.buffer_minutes), timedelta(minutes=rules.slot_minutes)
    day_low, day_high = _call_day(rules, starts_at, ends_at)
    # Without a daily cap only the slots overlapping the call and its buffers can go.
    low, high = (
        (day_low, day_high) if rules.max_per_day is not None else (starts_at - buffer - length, ends_at + buffer)
    )
    after = set(free_slots(rules, busy, now=now, range_start=low, range_end=high))
    removed = [s for s in free_slots(rules, without, now=now, range_start=low, range_end=high) if s not in after]
    # The counts are as of refreshed_at: a slot is in them if it starts before that day + 7 / + 14 (and the horizon).
    ref, horizon = row.refreshed_at, row.refreshed_at + timedelta(days=rules.horizon_days)
    # Read-modify-write is safe: bookings of one closer run one after the other
    # (``booking.guard.lock_for_booking``; SQLite's write lock).
    for key, days in (("free_slots_7d", 7), ("free_slots_14d", 14)):
        gone = sum(s.start < min(ref + timedelta(days=days), horizon) for s in removed)
        if gone:
            setattr(row, key, max(0, getattr(row, key) - gone))
    notice = now + timedelta(minutes=rules.min_notice_minutes)
    if row.next_available_at < notice or any(s.start == row.next_available_at for s in removed):
        first = next_free_slot(rules, busy, now=now)
        if first is None or first.start >= day_high:  # beyond the calls read here: look further, in full
            return refresh_summary(session, closer_id, now, rules=rules)
        row.next_available_at = first.start
    return row


def refresh_all_summaries(session: Session, now: datetime, *, batch_size: int = 500) -> int:
    """Recompute every active closer's summary (the 15-minute job); returns how many were refreshed.

    Runs in batches, each loaded in a few queries and committed on its own, so a long run
    never holds the write lock for long. Running it twice gives the same rows.
    """
    ids = list(
        session.scalars(
            select(User.id).where(User.role == Role.CLOSER, User.status == AccountStatus.ACTIVE).order_by(User.id)
        )
    )
    for first in range(0, len(ids), batch_size):
        batch = ids[first : first + batch_size]
        users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(batch)))}
        settings = {
            s.closer_id: s
            for s in session.scalars(
                select(AvailabilitySettings)
                .where(AvailabilitySettings.closer_id.in_(batch))
                .options(*rules_loader_options())
            ).unique()
        }
        rows = {
            r.closer_id: r
            for r in session.scalars(select(AvailabilitySummary).where(AvailabilitySummary.closer_id.in_(batch)))
        }
        for closer_id in batch:
            rules = rules_from_rows(users[closer_id].timezone, settings.get(closer_id))
            window_end = now + timedelta(days=rules.horizon_days + 2)
            busy = busy_intervals(session, closer_id, now - timedelta(days=2), window_end, now=now)
            _store_summary(session, closer_id, compute_summary(rules, busy, now), rows.get(closer_id))
        session.commit()
    return len(ids)
