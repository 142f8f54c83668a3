"""The worker's side of the analytics pre-aggregates (``analytics.models``): sum the changed days again.

Database triggers add a row to ``analytics_dirty`` (the call's UTC day) in the same transaction
as every change that can move a figure: an appointment booked, moved, cancelled, marked
completed or no-show, confirmed or reminded; an outcome recorded, corrected, voided or deleted;
a text message sent. Nothing is lost while the worker is down: the rows wait.

``refresh`` (every minute, ``jobs.refresh_analytics``) reads the dirty rows, replaces the sums of
those days from the appointments, deletes the rows it read and notes the time, in one
transaction that sees one snapshot (PostgreSQL: ``REPEATABLE READ``; SQLite: ``BEGIN IMMEDIATE``),
so a change committed meanwhile keeps its dirty row for the next run. Runs are idempotent and
never overlap (PostgreSQL: an advisory lock; a second worker skips the run). ``rebuild``
(``flask analytics-rebuild``) sums every day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)

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
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.notifications.sms_models import SmsMessage, SmsStatus
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus

LOCK_KEY = 18_0001  # pg advisory lock: one refresh at a time


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _day(dialect: str) -> Any:
    if dialect == "postgresql":
        return cast(func.timezone("UTC", Appointment.starts_at), Date)
    return func.date(Appointment.starts_at)


def _bucket(dialect: str) -> Any:
    """The start of the call's quarter hour (UTC), in the column's storage format."""
    if dialect == "postgresql":
        return literal_column("date_bin('15 minutes', appointments.starts_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')")
    return literal_column(
        "strftime('%Y-%m-%d %H:', appointments.starts_at) || "
        "printf('%02d:00.000000', (CAST(strftime('%M', appointments.starts_at) AS INTEGER) / 15) * 15)"
    )


def call_rows(dialect: str, start: datetime | None, end: datetime | None) -> Any:
    """One row per call starting in ``[start, end)`` (all calls when None): its keys and 0/1 flags,
    the same definitions as the live queries (``queries._performance_rows``, ``show_up.show_counts``)."""
    a, o = Appointment, Outcome
    texted = a.id.in_(
        select(SmsMessage.appointment_id).where(SmsMessage.status.in_((SmsStatus.SENT, SmsStatus.DELIVERED)))
    )
    emailed = or_(a.reminder_24h_sent_at.is_not(None), a.reminder_1h_sent_at.is_not(None))
    over = a.status.in_((AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW))
    stmt = select(
        _day(dialect).label("day"),
        _bucket(dialect).label("bucket"),
        a.business_id,
        a.closer_id,
        a.offer_id,
        _flag(a.status != AppointmentStatus.CANCELLED).label("appointments"),
        _flag(a.status == AppointmentStatus.COMPLETED).label("completed"),
        _flag(a.status == AppointmentStatus.NO_SHOW).label("no_show"),
        _flag(a.status == AppointmentStatus.CANCELLED).label("cancelled"),
        _flag(and_(o.id.is_not(None), o.result != OutcomeResult.NO_SHOW)).label("held"),
        _flag(and_(o.result == OutcomeResult.WON, o.status != OutcomeStatus.VOIDED)).label("won"),
        case((a.prospect_confirmed_at.is_not(None), literal("confirmed")), else_=literal("not_confirmed")).label(
            "confirmation"
        ),
        case((texted, literal("sms")), (emailed, literal("email")), else_=literal("none")).label("channel"),
        _flag(over).label("over"),
    ).outerjoin(o, o.appointment_id == a.id)
    if start is not None and end is not None:
        stmt = stmt.where(a.starts_at >= start, a.starts_at < end)
    return stmt.subquery()


def _show_up_sums(rows: Any) -> list[Any]:
    sums = []
    for c in CONFIRMATIONS:
        for ch in CHANNELS:
            mine = and_(rows.c.confirmation == c, rows.c.channel == ch)
            sums.append(func.sum(case((mine, rows.c.completed), else_=0)).label(f"shows_{c}_{ch}"))
            sums.append(func.sum(case((mine, rows.c.no_show), else_=0)).label(f"misses_{c}_{ch}"))
    return sums


def _sum_days(conn: Connection, first: date | None, last: date | None) -> None:
    """Replace the sums of the UTC days ``[first, last)`` (every day when None) from the appointments."""
    dialect = conn.dialect.name
    start = datetime.combine(first, time(), UTC) if first else None
    end = datetime.combine(last, time(), UTC) if last else None
    for model in (AnalyticsSlot, AnalyticsCloserDay):
        stmt = delete(model)
        if first is not None and last is not None:
            stmt = stmt.where(model.day >= first, model.day < last)
        conn.execute(stmt)
    rows = call_rows(dialect, start, end)
    perf = [func.sum(rows.c[n]).label(n) for n in PERFORMANCE]
    slots = select(rows.c.day, rows.c.bucket, rows.c.business_id, *perf, *_show_up_sums(rows)).group_by(
        rows.c.day, rows.c.bucket, rows.c.business_id
    )
    columns = ["day", "bucket", "business_id", *PERFORMANCE, *(c.name for c in _show_up_sums(rows))]
    conn.execute(insert(AnalyticsSlot).from_select(columns, slots))
    keys = (rows.c.day, rows.c.closer_id, rows.c.business_id, rows.c.offer_id)
    days = select(*keys, *perf).group_by(*keys)
    conn.execute(
        insert(AnalyticsCloserDay).from_select(["day", "closer_id", "business_id", "offer_id", *PERFORMANCE], days)
    )


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _monday_of(dialect: str, column: Any) -> Any:
    if dialect == "postgresql":
        return cast(func.date_trunc("week", column), Date)
    return func.date(column, "weekday 0", "-6 days")  # the next Sunday (or this one), back to its Monday


def _sum_weeks(conn: Connection, first: date | None, last: date | None) -> None:
    """Replace the weekly sums of the UTC weeks ``[first, last)`` (Mondays; all when None) from the days."""
    w, d = AnalyticsCloserWeek, AnalyticsCloserDay
    stmt = delete(w)
    days = select(
        _monday_of(conn.dialect.name, d.day).label("week"),
        d.closer_id,
        d.business_id,
        d.offer_id,
        *(getattr(d, n).label(n) for n in PERFORMANCE),
    )
    if first is not None and last is not None:
        stmt = stmt.where(w.week >= first, w.week < last)
        days = days.where(d.day >= first, d.day < last)
    conn.execute(stmt)
    rows = days.subquery()
    keys = (rows.c.week, rows.c.closer_id, rows.c.business_id, rows.c.offer_id)
    summed = select(*keys, *(func.sum(rows.c[n]) for n in PERFORMANCE)).group_by(*keys)
    conn.execute(insert(w).from_select(["week", "closer_id", "business_id", "offer_id", *PERFORMANCE], summed))


def _runs(days: list[date], step: int = 1) -> Iterator[tuple[date, date]]:
    """Consecutive days (or Mondays: ``step=7``) as half-open ranges: 3, 4, 5, 9 → [3, 6), [9, 10)."""
    gap = timedelta(days=step)
    first = prev = days[0]
    for d in days[1:]:
        if d != prev + gap:
            yield first, prev + gap
            first = d
        prev = d
    yield first, prev + gap


def _note_refresh(conn: Connection, now: datetime) -> None:
    if not conn.execute(update(AnalyticsRefresh).where(AnalyticsRefresh.id == 1).values(refreshed_at=now)).rowcount:
        conn.execute(insert(AnalyticsRefresh).values(id=1, refreshed_at=now))


@contextmanager
def _exclusive(engine: Engine, wait: bool) -> Iterator[Connection | None]:
    """A connection in a transaction that sees one snapshot, or None when another refresh holds the lock."""
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            with conn.execution_options(sqlite_immediate=True).begin():
                yield conn
            return
        fn = func.pg_advisory_lock if wait else func.pg_try_advisory_lock
        got = conn.scalar(select(fn(LOCK_KEY)))
        conn.commit()
        if not wait and not got:
            yield None
            return
        try:
            with conn.execution_options(isolation_level="REPEATABLE READ").begin():
                yield conn
        finally:
            conn.execution_options(isolation_level="READ COMMITTED")
            conn.scalar(select(func.pg_advisory_unlock(LOCK_KEY)))
            conn.commit()


def refresh(engine: Engine, now: datetime) -> int:
    """Sum again the days changed since the last run; answers how many days (0 when another run holds the lock)."""
    with _exclusive(engine, wait=False) as conn:
        if conn is None:
            return 0
        # One snapshot: the days of every dirty row it holds, and the last of their ids.
        last = conn.scalar(select(func.max(AnalyticsDirty.id)))
        days = sorted({_as_date(d) for d in conn.scalars(select(AnalyticsDirty.day).distinct())})
        if days:
            for first, end in _runs(days):
                _sum_days(conn, first, end)
            for first, end in _runs(sorted({monday(d) for d in days}), step=7):
                _sum_weeks(conn, first, end)
            # Only the rows this snapshot saw: one a later transaction committed stays for the next run.
            conn.execute(delete(AnalyticsDirty).where(AnalyticsDirty.id <= last))
        _note_refresh(conn, now)
        return len(days)


def rebuild(engine: Engine, now: datetime) -> int:
    """Sum every day from scratch (existing data, or after a repair); answers the number of slot rows."""
    with _exclusive(engine, wait=True) as conn:
        assert conn is not None
        last = conn.scalar(select(func.max(AnalyticsDirty.id)))
        _sum_days(conn, None, None)
        _sum_weeks(conn, None, None)
        if conn.dialect.name == "postgresql":  # the planner's row counts, for the pages' first reads
            conn.exec_driver_sql("ANALYZE analytics_slots, analytics_closer_days, analytics_closer_weeks")
        if last is not None:
            conn.execute(delete(AnalyticsDirty).where(AnalyticsDirty.id <= last))
        _note_refresh(conn, now)
        return int(conn.scalar(select(func.count()).select_from(AnalyticsSlot)) or 0)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
