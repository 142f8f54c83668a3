"""API schemas of calendar connections (``/api/v1/closers/me/calendars``) and busy time."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from closerhub.api.schemas import AwareInstant, InModel, OutModel, QueryModel, UTCInstant


class CalendarConnectionIn(InModel):
    """CalDAV: ``url``, ``username``, ``password`` (an app password), ``write_bookings``; ICS: ``url`` only."""

    kind: Literal["caldav", "ics"]
    url: str = Field(
        max_length=4000,
        pattern=r"^\s*(https?|webcal)://\S+\s*$",
        description=(
            "CalDAV server root, principal or calendar; or the ICS address (https://, http:// or webcal://). "
            "Its server name must resolve, to a public address in production."
        ),
    )
    username: str = Field("", max_length=1000)
    password: str = Field("", max_length=1000, description="Stored encrypted, never returned")
    write_bookings: bool = False


class CalendarOut(OutModel):
    id: int
    url: str
    name: str
    busy: bool = Field(description="Its events block your slots")
    write: bool = Field(description="Your booked calls are written into it")


class CalendarConnectionOut(OutModel):
    id: int
    kind: Literal["caldav", "ics"]
    url: str
    username: str | None
    status: Literal["pending", "ok", "error"]
    last_synced_at: UTCInstant | None
    last_ok_at: UTCInstant | None
    last_error: str | None
    write_bookings: bool
    fails_closed: bool = Field(
        description="Unreadable past the threshold: your slots are hidden (unless you keep offering)"
    )
    calendars: list[CalendarOut]


class CalendarConnectionList(OutModel):
    data: list[CalendarConnectionOut]
    next_cursor: None = None


class BusyQuery(QueryModel):
    from_: AwareInstant | None = Field(None, alias="from", description="ISO 8601 with offset (default: now)")
    to: AwareInstant | None = Field(None, description="ISO 8601 with offset (default: from + 14 days; at most 62 days)")


class BusyOut(OutModel):
    start: UTCInstant
    end: UTCInstant
    source: Literal["calendar", "appointment"]


class BusyList(OutModel):
    busy: list[BusyOut]
