"""Reading a connection: fetch (outside any transaction), then replace its busy time and state at once.

``sync_connection`` is what "sync now" (page and API) and the worker's ``sync_due`` run.
The network part holds no database lock (the read state is committed first), and a failure
changes only the connection's status, error text and fail-closed bookkeeping: the busy
time read last keeps blocking.

Fail closed (issue 16): a connection unreadable for ``CALENDAR_FAIL_CLOSED_MINUTES`` after
its last good read (or after it was added) gets ``fails_closed_at`` in the past, and the
slot seam (``closers.rules.busy_intervals``) then makes its closer fully busy, unless the
closer chose to keep offering. The closer is emailed once per unreadable period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.booking.guard import take_write_lock
from closerhub.booking.models import Appointment
from closerhub.calendars import caldav_reader
from closerhub.calendars.ics_reader import CalendarUnreadable, busy_spans, read_feed
from closerhub.calendars.models import (
    CalendarConnection,
    CalendarSource,
    ConnectionKind,
    ConnectionStatus,
    ExternalBusy,
)
from closerhub.closers.rules import rules_for
from closerhub.closers.summary import refresh_summary
from closerhub.notifications.service import public_url, queue_email
from closerhub.secrets_box import unseal

#: Read a day more than the horizon each side: slots near its ends see whole events.
_SLACK = timedelta(days=1)


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default)) if has_app_context() else default


def fail_closed_after() -> timedelta:
    """How long a connection may stay unreadable before its closer stops offering slots."""
    return timedelta(minutes=_config("CALENDAR_FAIL_CLOSED_MINUTES", 60))


def sync_interval() -> timedelta:
    """How often the worker reads each connection."""
    return timedelta(minutes=_config("CALENDAR_SYNC_MINUTES", 5))


@dataclass
class _Plan:
    """What a read needs, copied out of the session before the network part."""

    connection_id: int
    closer_id: int
    kind: ConnectionKind
    url: str
    username: str | None
    password: str | None
    zone: str
    start: datetime
    end: datetime
    skip_uids: set[str]
    sync_state: dict[str, Any]
    choices: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # url -> (busy, write)


@dataclass
class _Read:
    spans: list[tuple[datetime, datetime]] | None  # None: unchanged since the last read
    sync_state: dict[str, Any]
    calendars: list[caldav_reader.FoundCalendar] = field(default_factory=list)


def _plan(session: Session, connection: CalendarConnection, now: datetime) -> _Plan:
    closer = session.get(User, connection.closer_id)
    assert closer is not None
    rules = rules_for(session, closer)
    start, end = now - _SLACK, now + timedelta(days=rules.horizon_days) + _SLACK
    uids = session.scalars(
        select(Appointment.uid).where(
            Appointment.closer_id == closer.id, Appointment.starts_at < end, Appointment.ends_at > start
        )
    )
    return _Plan(
        connection_id=connection.id,
        closer_id=closer.id,
        kind=connection.kind,
        url=connection.url,
        username=connection.username,
        password=unseal(connection.secret_sealed) if connection.secret_sealed else None,
        zone=closer.timezone,
        start=start,
        end=end,
        skip_uids=set(uids),
        sync_state=dict(connection.sync_state or {}),
        choices={c.url: (c.busy, c.write) for c in connection.calendars},
    )


def _read_ics(plan: _Plan, max_bytes: int) -> _Read:
    day = plan.start.date().isoformat()
    # The ETag of the last read, while the window starts the same day: a quiet feed answers 304.
    etag = plan.sync_state.get("etag") if plan.sync_state.get("day") == day else None
    body, new_etag = read_feed(plan.url, max_bytes=max_bytes, etag=etag)
    state = {"day": day, "etag": new_etag} if new_etag else {}
    if body is None:
        return _Read(None, state)
    return _Read(busy_spans([body], zone=plan.zone, start=plan.start, end=plan.end, skip_uids=plan.skip_uids), state)


def _read_caldav(plan: _Plan) -> _Read:
    day = plan.start.date().isoformat()
    with caldav_reader.client(plan.url, plan.username, plan.password) as dav:
        found = caldav_reader.discover(dav, plan.url)
        busy = [c for c in found if plan.choices.get(c.url, (True, False))[0]]
        ctags = {c.url: c.ctag for c in busy}
        state: dict[str, Any] = {"day": day, "ctags": ctags}
        # A quiet account: same calendars, same ctags, same window day -> nothing to fetch.
        if ctags and None not in ctags.values() and state == plan.sync_state:
            return _Read(None, state, found)
        documents: list[str] = []
        for calendar in busy:
            documents.extend(caldav_reader.events(dav, calendar.url, plan.start, plan.end))
    spans = busy_spans(documents, zone=plan.zone, start=plan.start, end=plan.end, skip_uids=plan.skip_uids)
    return _Read(spans, state, found)


def _read(plan: _Plan) -> _Read:
    if plan.kind == ConnectionKind.ICS:
        return _read_ics(plan, _config("CALENDAR_MAX_BYTES", 5 * 1024 * 1024))
    return _read_caldav(plan)


def _store_calendars(connection: CalendarConnection, found: list[caldav_reader.FoundCalendar]) -> None:
    """Keep the connection's calendar list as the server has it (new ones count as busy)."""
    by_url = {c.url: c for c in connection.calendars}
    seen = {c.url for c in found}
    for row in list(connection.calendars):
        if row.url not in seen:
            connection.calendars.remove(row)
    for calendar in found:
        known = by_url.get(calendar.url)
        if known is None:
            connection.calendars.append(CalendarSource(url=calendar.url, name=calendar.name, busy=True, write=False))
        elif calendar.name:
            known.name = calendar.name
    if connection.write_bookings and connection.calendars and not any(c.write for c in connection.calendars):
        connection.calendars[0].write = True  # bookings go somewhere; the closer can pick another


def sync_connection(session: Session, connection_id: int, now: datetime) -> CalendarConnection | None:
    """Read one connection now and store the result (commits); None if it no longer exists."""
    connection = session.get(CalendarConnection, connection_id)
    if connection is None:
        return None
    plan = _plan(session, connection, now)
    closer = session.get(User, connection.closer_id)
    language = closer.language if closer is not None else None
    session.commit()  # no lock is held while the calendar server answers
    try:
        with force_locale(language):  # the error is kept and shown to the closer, emailed too: in their language
            result: _Read | None = _read(plan)
        error = None
    except CalendarUnreadable as exc:
        result, error = None, str(exc)
    take_write_lock(session)
    connection = session.get(CalendarConnection, connection_id)
    if connection is None:  # deleted while we read
        session.commit()
        return None
    connection.last_synced_at = now
    if result is not None:
        _succeeded(session, connection, result, now)
    else:
        _failed(session, connection, error or "", now)
    refresh_summary(session, connection.closer_id, now)
    session.commit()
    return connection


def _succeeded(session: Session, connection: CalendarConnection, result: _Read, now: datetime) -> None:
    if connection.kind == ConnectionKind.CALDAV:
        _store_calendars(connection, result.calendars)
    if result.spans is not None:
        session.execute(delete(ExternalBusy).where(ExternalBusy.connection_id == connection.id))
        session.add_all(
            ExternalBusy(connection_id=connection.id, closer_id=connection.closer_id, starts_at=s, ends_at=e)
            for s, e in result.spans
        )
    connection.sync_state = result.sync_state
    connection.status = ConnectionStatus.OK
    connection.last_error = None
    connection.last_ok_at = now
    connection.fails_closed_at = None
    connection.failure_emailed_at = None


def _failed(session: Session, connection: CalendarConnection, error: str, now: datetime) -> None:
    connection.status = ConnectionStatus.ERROR
    connection.last_error = error
    if connection.fails_closed_at is None:
        connection.fails_closed_at = now + fail_closed_after()
    if connection.fails_closed_at <= now and connection.failure_emailed_at is None:
        connection.failure_emailed_at = now
        closer = session.get(User, connection.closer_id)
        assert closer is not None
        queue_email(
            session,
            to=closer.email,
            template="calendar_unreadable",
            language=closer.language,
            context={
                "recipient": closer,
                "connection": connection,
                "error": error,
                "minutes": int(fail_closed_after().total_seconds() // 60),
                "url": public_url("calendars.index"),
            },
            now=now,
        )


def sync_due(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Read every connection not read for ``CALENDAR_SYNC_MINUTES`` (the worker's job); returns how many.

    Each connection is claimed first (``last_synced_at`` moved to ``now`` by one UPDATE that
    only one worker can win), so two workers never read the same one twice.
    """
    cutoff = now - sync_interval()
    due = list(
        session.scalars(
            select(CalendarConnection.id)
            .where(or_(CalendarConnection.last_synced_at.is_(None), CalendarConnection.last_synced_at <= cutoff))
            .order_by(CalendarConnection.last_synced_at.is_not(None), CalendarConnection.last_synced_at)
            .limit(limit)
        )
    )
    session.commit()
    done = 0
    for connection_id in due:
        take_write_lock(session)
        claimed = session.execute(
            update(CalendarConnection)
            .where(
                CalendarConnection.id == connection_id,
                or_(CalendarConnection.last_synced_at.is_(None), CalendarConnection.last_synced_at <= cutoff),
            )
            .values(last_synced_at=now)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        if claimed and sync_connection(session, connection_id, now) is not None:
            done += 1
    return done
