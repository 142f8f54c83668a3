"""CalDAV through the caldav library: find a connection's calendars, read their events, write ours.

A connection URL may be a server root, a principal or one calendar: a calendar URL gives
that calendar only, anything else is resolved to the user's principal and all its
calendars. Every client gets the outbound rules (``closerhub.outbound``): the address is
checked before each use, redirects elsewhere are refused, the timeout is bounded, and the
library neither sleeps on 429/503 nor follows RFC 6764 DNS discovery to other hosts.

Quiet calendars cost one request: each calendar's ``getctag`` is read first, and the events
are fetched only when it changed since the last sync (``sync_state``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import niquests
from caldav.collection import Calendar
from caldav.davclient import DAVClient
from caldav.elements import dav
from caldav.elements.base import ValuedBaseElement
from caldav.lib import error as caldav_error

from closerhub import outbound
from closerhub.calendars.ics_reader import CalendarUnreadable
from closerhub.core.i18n import _

_CALDAV_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"


class GetCtag(ValuedBaseElement):
    """CalendarServer's collection tag: changes whenever anything in the calendar does."""

    tag: ClassVar[str] = "{http://calendarserver.org/ns/}getctag"


@dataclass(frozen=True)
class FoundCalendar:
    """A calendar of the connection: its URL, display name and current ctag (if the server has one)."""

    url: str
    name: str
    ctag: str | None = None


def _message(exc: BaseException) -> str:
    if isinstance(exc, caldav_error.AuthorizationError):
        return _("The server refused the user name or password (use an app password if your provider has them).")
    if isinstance(exc, caldav_error.NotFoundError):
        return _("Nothing was found at this address (HTTP 404); check the CalDAV URL.")
    if isinstance(exc, caldav_error.DAVError):
        return _("The CalDAV server answered with an error; check the address.")
    if isinstance(exc, outbound.OutboundError | niquests.exceptions.RequestException):
        return outbound.describe(exc)
    return _("The calendar could not be read: the server's answer was not understood.")


@contextmanager
def client(url: str, username: str | None, password: str | None) -> Iterator[DAVClient]:
    """A guarded caldav client; every failure inside leaves as ``CalendarUnreadable`` with a clear message."""
    try:
        outbound.check_url(url)
        with DAVClient(
            url=url,
            username=username or None,
            password=password or None,
            timeout=int(outbound.timeout_seconds()),
            enable_rfc6764=False,
            rate_limit_handle=False,
        ) as dav_client:
            outbound.guard_session(dav_client.session)
            yield dav_client
    except CalendarUnreadable:
        raise
    except Exception as exc:  # the library raises many kinds (DAV, HTTP, XML): all are "unreadable"
        raise CalendarUnreadable(_message(exc)) from None


def _props(calendar: Calendar) -> dict[str, Any]:
    props: dict[str, Any] = calendar.get_properties([dav.ResourceType(), dav.DisplayName(), GetCtag()])  # type: ignore[assignment]
    return props


def discover(dav_client: DAVClient, url: str) -> list[FoundCalendar]:
    """The calendars behind ``url``: that calendar, or every calendar of the user's principal."""
    own = dav_client.calendar(url=url)
    props = _props(own)
    if _CALDAV_CALENDAR in (props.get("{DAV:}resourcetype") or []):
        return [_found(own, props)]
    return [_found(c, _props(c)) for c in dav_client.principal().calendars()]


def _found(calendar: Calendar, props: dict[str, Any]) -> FoundCalendar:
    ctag = props.get(GetCtag.tag)
    return FoundCalendar(str(calendar.url), str(props.get("{DAV:}displayname") or ""), str(ctag) if ctag else None)


def events(dav_client: DAVClient, calendar_url: str, start: datetime, end: datetime) -> list[str]:
    """The iCalendar documents of the calendar's events touching ``[start, end)`` (recurring ones unexpanded)."""
    calendar = dav_client.calendar(url=calendar_url)
    found = calendar.search(start=start, end=end, event=True)
    return [str(item.data) for item in found]


def put_event(dav_client: DAVClient, calendar_url: str, uid: str, ics: bytes) -> None:
    """Create or replace our event ``uid`` in the calendar (``PUT {calendar}{uid}.ics``)."""
    response = dav_client.request(
        _event_url(calendar_url, uid), "PUT", ics.decode(), {"Content-Type": "text/calendar; charset=utf-8"}
    )
    if response.status not in (200, 201, 204):
        raise CalendarUnreadable(_("The CalDAV server refused the event (HTTP %(status)d).", status=response.status))


def delete_event(dav_client: DAVClient, calendar_url: str, uid: str) -> None:
    """Remove our event ``uid`` from the calendar; already gone is fine."""
    response = dav_client.request(_event_url(calendar_url, uid), "DELETE")
    if response.status not in (200, 204, 404):
        raise CalendarUnreadable(
            _("The CalDAV server refused to delete the event (HTTP %(status)d).", status=response.status)
        )


def _event_url(calendar_url: str, uid: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in uid)  # "@" is a valid path character
    return calendar_url.rstrip("/") + "/" + safe + ".ics"
