"""Calendar connections, the closer's use cases: list, add, choose calendars, delete, keep offering, busy time.

The HTML page (``calendars.views``) and the API (``calendars.api``) call these; reading a
connection is ``calendars.sync.sync_connection``. Passwords are sealed here
(``secrets_box.seal``) and never leave: callers get rows whose ``secret_sealed`` they never
show. Every add, delete and setting change is audited (without the secret).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from closerhub import outbound
from closerhub.accounts.models import Role, User
from closerhub.audit.service import record
from closerhub.calendars.commands import CalendarChoice
from closerhub.calendars.commands import NewConnection as NewConnection  # re-exported: callers build it here
from closerhub.calendars.models import (
    CalendarConnection,
    CalendarPreference,
    CalendarWrite,
    ConnectionKind,
    ConnectionStatus,
)
from closerhub.calendars.sync import fail_closed_after
from closerhub.closers.rules import busy_intervals
from closerhub.closers.summary import refresh_summary
from closerhub.core.errors import NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.db import get_by_id
from closerhub.secrets_box import seal

MAX_CONNECTIONS = 10
MAX_URL = 2000
MAX_USERNAME = 254
MAX_PASSWORD = 500


def _require_closer(user: User) -> None:
    if user.role != Role.CLOSER:
        raise PermissionDenied(_("Only closers connect calendars."))


def list_connections(session: Session, closer: User) -> list[CalendarConnection]:
    """The closer's connections with their calendars, oldest first (two queries)."""
    return list(
        session.scalars(
            select(CalendarConnection)
            .where(CalendarConnection.closer_id == closer.id)
            .options(selectinload(CalendarConnection.calendars))
            .order_by(CalendarConnection.id)
        )
    )


def get_connection(session: Session, closer: User, connection_id: int) -> CalendarConnection:
    """One of the closer's connections; another closer's, or none, is a 404."""
    connection = get_by_id(session, CalendarConnection, connection_id)
    if connection is None or connection.closer_id != closer.id:
        raise NotFound(_("No such calendar connection."))
    return connection


def _check(data: NewConnection) -> tuple[ConnectionKind, str, str | None, str | None]:
    errors: dict[str, str] = {}
    try:
        kind = ConnectionKind((data.kind or "").strip().lower())
    except ValueError:
        errors["kind"] = _("Choose CalDAV or an ICS subscription.")
        kind = ConnectionKind.ICS
    url = (data.url or "").strip()
    if url.startswith("webcal://"):  # what calendar apps publish for subscriptions
        url = "https://" + url[len("webcal://") :]
    if not url:
        errors["url"] = _("Enter the calendar's address.")
    elif len(url) > MAX_URL:
        errors["url"] = _("At most %(limit)d characters.", limit=MAX_URL)
    else:
        try:
            url = outbound.check_url(url)
        except outbound.OutboundError as exc:
            errors["url"] = str(exc)
    username, password = (data.username or "").strip(), data.password or ""
    if kind == ConnectionKind.CALDAV:
        if not username:
            errors["username"] = _("Enter the user name of the calendar account.")
        elif len(username) > MAX_USERNAME or "\x00" in username:
            errors["username"] = _("At most %(limit)d characters of plain text.", limit=MAX_USERNAME)
        if not password:
            errors["password"] = _("Enter the (app) password of the calendar account.")
        elif len(password) > MAX_PASSWORD or "\x00" in password:
            errors["password"] = _("At most %(limit)d characters of plain text.", limit=MAX_PASSWORD)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), field_errors=errors)
    if kind == ConnectionKind.ICS:
        return kind, url, None, None
    return kind, url, username, password


def add_connection(session: Session, closer: User, data: NewConnection, *, now: datetime) -> CalendarConnection:
    """Check and store a new connection (status ``pending``; read it with ``sync_connection``); commits."""
    _require_closer(closer)
    kind, url, username, password = _check(data)
    count = session.scalar(select(func.count()).where(CalendarConnection.closer_id == closer.id)) or 0
    if count >= MAX_CONNECTIONS:
        raise ValidationError(
            _("At most %(limit)d calendar connections.", limit=MAX_CONNECTIONS),
            field_errors={"url": _("At most %(limit)d calendar connections.", limit=MAX_CONNECTIONS)},
        )
    connection = CalendarConnection(
        closer_id=closer.id,
        kind=kind,
        url=url,
        username=username,
        secret_sealed=seal(password) if password else None,
        write_bookings=bool(data.write_bookings) and kind == ConnectionKind.CALDAV,
        status=ConnectionStatus.PENDING,
        sync_state={},
        created_at=now,
        # Never read within the threshold (the worker is down, the server never answers): fail closed too.
        fails_closed_at=now + fail_closed_after(),
    )
    session.add(connection)
    record(session, actor=closer, action="calendar_connection.added", obj=connection, after=_audit(connection), now=now)
    session.commit()
    return connection


def _audit(connection: CalendarConnection) -> dict[str, Any]:
    return {
        "kind": connection.kind.value,
        "url": connection.url,
        "username": connection.username,
        "write_bookings": connection.write_bookings,
    }


def delete_connection(session: Session, closer: User, connection_id: int, *, now: datetime) -> None:
    """Remove a connection with its sealed password, calendars and busy time; commits."""
    connection = get_connection(session, closer, connection_id)
    record(
        session, actor=closer, action="calendar_connection.deleted", obj=connection, before=_audit(connection), now=now
    )
    session.delete(connection)
    session.flush()
    refresh_summary(session, closer.id, now)
    session.commit()


def choose_calendars(
    session: Session, closer: User, connection_id: int, choice: CalendarChoice, *, now: datetime
) -> CalendarConnection:
    """Which of a CalDAV connection's calendars count as busy, and the one bookings are written into; commits.

    The busy time takes effect at the next read (the page runs one right after).
    """
    connection = get_connection(session, closer, connection_id)
    ids = {c.id for c in connection.calendars}
    busy_ids, write_id = choice.busy_ids, choice.write_id
    if not busy_ids <= ids or (write_id is not None and write_id not in ids):
        raise ValidationError(
            _("Choose among this connection's calendars."),
            field_errors={"calendars": _("Choose among this connection's calendars.")},
        )
    before = {c.url: (c.busy, c.write) for c in connection.calendars}
    for calendar in connection.calendars:
        calendar.busy = calendar.id in busy_ids
        calendar.write = calendar.id == write_id
    connection.write_bookings = write_id is not None
    connection.sync_state = {}  # the next read fetches again
    record(
        session,
        actor=closer,
        action="calendar_connection.calendars_chosen",
        obj=connection,
        before={"calendars": {u: list(v) for u, v in before.items()}},
        after={"calendars": {c.url: [c.busy, c.write] for c in connection.calendars}},
        now=now,
    )
    session.commit()
    return connection


def keeps_offering(session: Session, closer: User) -> bool:
    """Whether the closer keeps offering slots while a calendar cannot be read (default: no)."""
    pref = session.get(CalendarPreference, closer.id)
    return bool(pref and pref.keep_offering_when_unreadable)


def set_keep_offering(session: Session, closer: User, keep: bool, *, now: datetime) -> None:
    """Change the fail-closed setting (audited); the search summary follows at once; commits."""
    _require_closer(closer)
    pref = session.get(CalendarPreference, closer.id)
    before = bool(pref and pref.keep_offering_when_unreadable)
    if pref is None:
        pref = CalendarPreference(closer_id=closer.id, keep_offering_when_unreadable=keep)
        session.add(pref)
    pref.keep_offering_when_unreadable = keep
    record(
        session,
        actor=closer,
        action="calendar_preference.changed",
        obj=("calendar_preference", closer.id),
        before={"keep_offering_when_unreadable": before},
        after={"keep_offering_when_unreadable": keep},
        now=now,
    )
    session.flush()
    refresh_summary(session, closer.id, now)
    session.commit()


def fails_closed(connections: list[CalendarConnection], now: datetime) -> list[CalendarConnection]:
    """The connections that currently hide their closer's slots (before the keep-offering setting)."""
    return [c for c in connections if c.fails_closed_at is not None and c.fails_closed_at <= now]


def busy_times(
    session: Session, closer: User, start: datetime, end: datetime, *, now: datetime
) -> list[dict[str, Any]]:
    """The closer's busy time in ``[start, end)``: ``{"start", "end", "source": "calendar"|"appointment"}``."""
    if end <= start:
        raise ValidationError(_("The end is before the start."), field_errors={"to": _("Before 'from'.")})
    return [
        {"start": max(b.start, start), "end": min(b.end, end), "source": "calendar" if b.external else "appointment"}
        for b in busy_intervals(session, closer.id, start, end, now=now)
    ]


@dataclass(frozen=True)
class CalendarAlert:
    """A connection that needs attention, as the dashboards show it."""

    connection: CalendarConnection
    closer: User
    fails_closed: bool


def alerts(session: Session, now: datetime, *, closer: User | None = None, limit: int = 200) -> list[CalendarAlert]:
    """Connections in error (all closers', or one closer's), those hiding slots first; one query.

    ``fails_closed``: past the threshold and the closer did not choose to keep offering.
    """
    stmt = (
        select(CalendarConnection, User, CalendarPreference.keep_offering_when_unreadable)
        .join(User, User.id == CalendarConnection.closer_id)
        .outerjoin(CalendarPreference, CalendarPreference.closer_id == CalendarConnection.closer_id)
        .where(CalendarConnection.status == ConnectionStatus.ERROR)
        .order_by(CalendarConnection.fails_closed_at, CalendarConnection.id)
        .limit(limit)
    )
    if closer is not None:
        stmt = stmt.where(CalendarConnection.closer_id == closer.id)
    found = [
        CalendarAlert(c, u, not keep and c.fails_closed_at is not None and c.fails_closed_at <= now)
        for c, u, keep in session.execute(stmt).all()
    ]
    return sorted(found, key=lambda a: not a.fails_closed)


def write_problems(session: Session, connection_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Per connection: how many write-backs failed or are being retried, and the latest error (one query)."""
    if not connection_ids:
        return {}
    rows = session.execute(
        select(CalendarWrite.connection_id, CalendarWrite.last_error)
        .where(CalendarWrite.connection_id.in_(connection_ids), CalendarWrite.last_error.is_not(None))
        .order_by(CalendarWrite.updated_at)
    ).all()
    found: dict[int, tuple[int, str]] = {}
    for connection_id, error in rows:
        count = found.get(connection_id, (0, ""))[0]
        found[connection_id] = (count + 1, error or "")
    return found
