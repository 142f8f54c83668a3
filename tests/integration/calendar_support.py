"""Helpers of the calendar-sync tests: iCalendar bodies and the closer's slots as UTC starts."""

from __future__ import annotations

from datetime import date, datetime

from closerhub.accounts.models import User
from closerhub.closers.availability_service import slots_for_dates
from closerhub.extensions import db
from tests.integration.booking_setup import NOW


def vcalendar(*events: str) -> str:
    """A VCALENDAR around ``events`` (each a VEVENT body without BEGIN/END)."""
    body = "".join(f"BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CloserHub tests//EN\r\n{body}END:VCALENDAR\r\n".replace(
        "\n\r\n", "\r\n"
    )


def event(uid: str, start: str, end: str, *extra: str) -> str:
    """One VEVENT body: ``start``/``end`` are full property values (``DTSTART:...`` lines)."""
    lines = [f"UID:{uid}", start, end, "SUMMARY:Busy", *extra]
    return "\r\n".join(lines)


def starts(closer: User, day: date, now: datetime = NOW) -> list[datetime]:
    """The UTC starts of the closer's free slots on ``day`` (in the closer's zone)."""
    db.session.expire_all()
    return [
        s.start
        for s in slots_for_dates(db.session, closer, viewer_zone=closer.timezone, from_date=day, to_date=day, now=now)
    ]
