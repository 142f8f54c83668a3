"""The analytics pages' reads of the pre-aggregates (``analytics.models``, kept by ``analytics.refresh``).

For the whole platform (admins) or a business the call counts and the show-up counts are sums of 15-minute
slots (``week_counts``, ``show_counts``): a viewer's week starts on a quarter hour in every zone,
so the sums are exact. The per-closer table sums whole UTC weeks of ``analytics_closer_weeks``,
the other whole UTC days of ``analytics_closer_days``, and reads the partial days at the period's
two edges from the appointments (``grouped``).

The figures are those of the worker's last run (``freshness`` says when, and how many days
changed since): once it has run they equal the live queries exactly (tested on both databases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from closerhub.analytics import queries, refresh
from closerhub.analytics.models import (
    CHANNELS,
    CONFIRMATIONS,
    PERFORMANCE,
    AnalyticsCloserDay,
    AnalyticsCloserWeek,
    AnalyticsDirty,
    AnalyticsRefresh,
    AnalyticsSlot,
)
from closerhub.analytics.queries import GroupBy, Performance, Scope, Week
from closerhub.booking.models import Appointment

SLOT = timedelta(minutes=15)


def serves(scope: Scope, weeks: Sequence[Week]) -> bool:
    """Whether the aggregates answer this scope and period: the platform's (admins) or a business's, in
    weeks that start on a quarter hour (every zone in use; a historical zone's odd offset reads live).
    A closer's own calls are few: read live."""
    aligned = all(_on_slot(w.start) and _on_slot(w.end) for w in weeks)
    return aligned and scope.closer_id is None


def _on_slot(at: datetime) -> bool:
    return at.second == 0 and at.microsecond == 0 and at.minute % 15 == 0


def week_counts(session: Session, scope: Scope, weeks: Sequence[Week]) -> list[Performance]:
    """The call counts per week (every week, zeros included), from the slots."""
    s = AnalyticsSlot
    week = queries._week_of(s.bucket, weeks).label("week")
    rows = (
        select(week, *(getattr(s, n).label(n) for n in PERFORMANCE))
        .where(queries._in_range(s.bucket, weeks), *scope.where(None, s.business_id))
        .subquery()
    )
    stmt = select(rows.c.week, *(func.sum(rows.c[n]) for n in PERFORMANCE)).group_by(rows.c.week)
    found = [Performance(int(k), "", *(queries._int(v) for v in values)) for k, *values in session.execute(stmt)]
    return queries._per_week(found, weeks)


@dataclass(frozen=True)
class ShowCounts:
    confirmation: str
    channel: str
    calls: int
    shows: int


def show_counts(session: Session, scope: Scope, weeks: Sequence[Week]) -> list[ShowCounts]:
    """Calls over (completed or no-show) and shows per confirmation and reminder channel, from the slots."""
    s = AnalyticsSlot
    names = [f"{kind}_{c}_{ch}" for c in CONFIRMATIONS for ch in CHANNELS for kind in ("shows", "misses")]
    stmt = select(*(func.sum(getattr(s, n)) for n in names)).where(
        queries._in_range(s.bucket, weeks), *scope.where(None, s.business_id)
    )
    sums = dict(zip(names, (queries._int(v) for v in session.execute(stmt).one()), strict=True))
    out = []
    for c in CONFIRMATIONS:
        for ch in CHANNELS:
            shows, misses = sums[f"shows_{c}_{ch}"], sums[f"misses_{c}_{ch}"]
            if shows + misses:
                out.append(ShowCounts(c, ch, shows + misses, shows))
    return out


def performance_by(
    session: Session, scope: Scope, weeks: Sequence[Week], groupings: Sequence[GroupBy], *, limit: int | None = None
) -> dict[GroupBy, list[Performance]]:
    """``queries.performance_by`` from the sums (``limit`` applies to the closer and offer groupings)."""
    return {
        by: week_counts(session, scope, weeks) if by == "week" else grouped(session, scope, weeks, by, limit=limit)
        for by in groupings
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def grouped(
    session: Session, scope: Scope, weeks: Sequence[Week], by: GroupBy, *, limit: int | None = None
) -> list[Performance]:
    """The call counts of the period per closer or offer (same order and limit as the live query):
    whole UTC weeks from the weekly sums, the other whole UTC days from the daily sums, and the
    partial days at both edges live from the appointments."""
    start, end = weeks[0].start, weeks[-1].end
    first = start.date() if start == _midnight(start.date()) else start.date() + timedelta(days=1)
    last = end.date()
    week0 = refresh.monday(first + timedelta(days=6))  # the first Monday on or after ``first``
    week1 = max(refresh.monday(last), week0)  # the last Monday on or before ``last``
    if week0 > last:
        week0 = week1 = last  # no whole week: every whole day from the daily sums
    w, d, a = AnalyticsCloserWeek, AnalyticsCloserDay, Appointment
    parts: list[Any] = [
        select(w.closer_id, w.offer_id, *(getattr(w, n) for n in PERFORMANCE)).where(
            w.week >= week0, w.week < week1, *scope.where(w.closer_id, w.business_id)
        ),
        select(d.closer_id, d.offer_id, *(getattr(d, n) for n in PERFORMANCE)).where(
            or_(and_(d.day >= first, d.day < week0), and_(d.day >= week1, d.day < last)),
            *scope.where(d.closer_id, d.business_id),
        ),
    ]
    edges = or_(
        and_(a.starts_at >= start, a.starts_at < _midnight(first)),
        and_(a.starts_at >= _midnight(last), a.starts_at < end),
    )
    live = queries._performance_rows(scope, weeks, where=edges)
    parts.append(select(live.c.closer, live.c.offer, *(live.c[n] for n in PERFORMANCE)))
    u = union_all(*parts).subquery()
    # Summed per closer and offer first (a few thousand rows), then named and ordered by ``performance``.
    keyed = select(
        literal_column("0").label("week"),
        u.c.closer_id.label("closer"),
        u.c.offer_id.label("offer"),
        *(func.sum(u.c[n]).label(n) for n in PERFORMANCE),
    ).group_by(u.c.closer_id, u.c.offer_id)
    return queries.performance(session, scope, weeks, by, limit=limit, rows=keyed.subquery())


@dataclass(frozen=True)
class Freshness:
    refreshed_at: datetime | None  # the worker's last run (None: never)
    pending_days: int  # days changed since, summed at its next run


def freshness(session: Session) -> Freshness:
    at = session.scalar(select(AnalyticsRefresh.refreshed_at).where(AnalyticsRefresh.id == 1))
    pending = session.scalar(select(func.count(func.distinct(AnalyticsDirty.day)))) or 0
    return Freshness(at, int(pending))
