"""Typed commands of calendar connections: connecting one, choosing a CalDAV connection's calendars."""

from __future__ import annotations

from dataclasses import dataclass

from closerhub.commands import Command


@dataclass(frozen=True)
class NewConnection(Command):
    """What a closer types to connect a calendar (checked by ``calendars.service.add_connection``)."""

    kind: str
    url: str
    username: str = ""
    password: str = ""
    write_bookings: bool = False


@dataclass(frozen=True)
class CalendarChoice(Command):
    """Which of a connection's calendars count as busy, and the one bookings are written into (or none)."""

    busy_ids: frozenset[int]
    write_id: int | None = None
