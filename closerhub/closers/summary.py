"""The precomputed availability summary that search reads (``closer_availability_summary``).

Search must not expand slots for every closer on every request, so each closer's next
free slot, free-slot counts and usual weekly hours (per UTC hour) are kept in one row,
refreshed when their availability changes and every 15 minutes by the worker.

A booking does not touch the row in its request: its outbox event has the worker recompute the
closer's row (``booking.booked_event``), once per batch however many of their calls it holds.
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
