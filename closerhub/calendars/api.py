"""API v1: a closer's calendar connections and busy time (``../shared/API.md`` "Calendar connections").

Same services as the Calendars page. Credentials are never returned; a connection that
cannot be read is a 200 with ``status: "error"`` and ``last_error``, never a 5xx.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from closerhub import clock
from closerhub.api.auth import current_api_user
from closerhub.api.routing import api_route
from closerhub.calendars import service, sync
from closerhub.calendars.commands import NewConnection
from closerhub.calendars.models import CalendarConnection
from closerhub.calendars.schemas import (
    BusyList,
    BusyOut,
    BusyQuery,
    CalendarConnectionIn,
    CalendarConnectionList,
    CalendarConnectionOut,
    CalendarOut,
)
from closerhub.commands import errors_for
from closerhub.core.errors import ValidationError
from closerhub.core.i18n import _
from closerhub.core.slots import MAX_RANGE_DAYS
from closerhub.extensions import db


def connection_out(connection: CalendarConnection, now: datetime) -> CalendarConnectionOut:
    """The API shape of a connection (no password, ever)."""
    return CalendarConnectionOut(
        id=connection.id,
        kind=connection.kind.value,
        url=connection.url,
        username=connection.username,
        status=connection.status.value,
        last_synced_at=connection.last_synced_at,
        last_ok_at=connection.last_ok_at,
        last_error=connection.last_error,
        write_bookings=connection.write_bookings,
        fails_closed=connection.fails_closed_at is not None and connection.fails_closed_at <= now,
        calendars=[
            CalendarOut(id=c.id, url=c.url, name=c.name, busy=c.busy, write=c.write) for c in connection.calendars
        ],
    )


@api_route(
    "GET",
    "/closers/me/calendars",
    summary="Your calendar connections",
    auth=("closer",),
    response=CalendarConnectionList,
    tags=("calendars",),
)
def list_calendars() -> CalendarConnectionList:
    now = clock.utcnow()
    return CalendarConnectionList(
        data=[connection_out(c, now) for c in service.list_connections(db.session, current_api_user())]
    )


@api_route(
    "POST",
    "/closers/me/calendars",
    summary="Connect a calendar (CalDAV or an ICS subscription)",
    auth=("closer",),
    body=CalendarConnectionIn,
    response=CalendarConnectionOut,
    status=201,
    tags=("calendars",),
)
def add_calendar(body: CalendarConnectionIn) -> CalendarConnectionOut:
    """The connection starts `pending`; the worker reads it within minutes, or call `/sync`.
    A private or loopback address is a 422 in production."""
    now = clock.utcnow()
    data = NewConnection(
        kind=body.kind, url=body.url, username=body.username, password=body.password, write_bookings=body.write_bookings
    )
    with errors_for(NewConnection, "api"):
        connection = service.add_connection(db.session, current_api_user(), data, now=now)
    return connection_out(connection, now)


@api_route(
    "POST",
    "/closers/me/calendars/<int:connection_id>/sync",
    summary="Read a calendar connection now",
    auth=("closer",),
    response=CalendarConnectionOut,
    tags=("calendars",),
)
def sync_calendar(connection_id: int) -> CalendarConnectionOut:
    """Runs a read now (not queued) and answers with the connection: `status` `ok` or `error` with `last_error`."""
    now = clock.utcnow()
    connection = service.get_connection(db.session, current_api_user(), connection_id)
    synced = sync.sync_connection(db.session, connection.id, now)
    return connection_out(synced or connection, now)


@api_route(
    "DELETE",
    "/closers/me/calendars/<int:connection_id>",
    summary="Remove a calendar connection, its password and its busy time",
    auth=("closer",),
    status=204,
    tags=("calendars",),
)
def delete_calendar(connection_id: int) -> None:
    service.delete_connection(db.session, current_api_user(), connection_id, now=clock.utcnow())


@api_route(
    "GET",
    "/closers/me/busy",
    summary="Your busy time: booked calls and your calendars' events",
    auth=("closer",),
    query=BusyQuery,
    response=BusyList,
    tags=("calendars",),
)
def my_busy(query: BusyQuery) -> BusyList:
    """`from`/`to` are instants with an offset (default: now and 14 days later; at most 62 days).
    A calendar that fails closed shows as one `calendar` span over the whole range."""
    now = clock.utcnow()
    start = query.from_ or now
    end = query.to or start + timedelta(days=14)
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        message = _("At most %(num)d days at a time.", num=MAX_RANGE_DAYS)
        raise ValidationError(message, field_errors={"to": message})
    return BusyList(
        busy=[BusyOut(**b) for b in service.busy_times(db.session, current_api_user(), start, end, now=now)]
    )
