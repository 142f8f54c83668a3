"""Writing booked calls into the closer's chosen CalDAV calendar, through an outbox.

When a call is booked, rescheduled or cancelled (any change of its time, status or joining
details), the same transaction sets a ``CalendarWrite`` row per write calendar of its
closer back to ``pending`` (a ``before_flush`` hook: the booking code stays unaware). The
worker (``deliver_due``) then makes the calendar match the call as it is *now*: a PUT of
the event (same UID as our email invites, the prospect's name, the link or the dial
plan) while it is booked, a DELETE once it is not. Failures are retried with backoff and,
after the last attempt, left ``failed`` and shown on the closer's Calendars page.

The stored event carries no ORGANIZER or ATTENDEE: a server doing scheduling (RFC 6638)
would otherwise email the prospect a second invite.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from icalendar import Calendar
from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session

from closerhub import clock
from closerhub.booking import ics
from closerhub.booking.guard import take_write_lock
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.calendars import caldav_reader
from closerhub.calendars.ics_reader import CalendarUnreadable
from closerhub.calendars.models import CalendarConnection, CalendarSource, CalendarWrite, WriteStatus
from closerhub.secrets_box import unseal

#: A change of any of these rewrites the event.
TRACKED = ("starts_at", "ends_at", "status", "channel", "meeting_url", "dial_from", "dial_number")
#: Minutes to wait after the 1st, 2nd, … failed attempt; after the last, the write is ``failed``.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
#: A claimed row is left alone by other workers this long (longer than any bounded request).
LEASE = timedelta(minutes=5)


def _changed(session: Session) -> list[Appointment]:
    found = [o for o in session.new if isinstance(o, Appointment)]
    for obj in session.dirty:
        if isinstance(obj, Appointment):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in TRACKED):
                found.append(obj)
    return found


def queue_writes(session: Session, _flush_context: Any, _instances: Any) -> None:
    """``before_flush``: mark the write-back of each changed call pending (one query, only when calls changed)."""
    changed = _changed(session)
    if not changed:
        return
    with session.no_autoflush:
        targets = session.execute(
            select(CalendarConnection.closer_id, CalendarConnection.id, CalendarSource.url)
            .join(CalendarSource, CalendarSource.connection_id == CalendarConnection.id)
            .where(
                CalendarConnection.closer_id.in_({a.closer_id for a in changed}),
                CalendarConnection.write_bookings.is_(True),
                CalendarSource.write.is_(True),
            )
        ).all()
        if not targets:
            return
        known = [a.id for a in changed if a.id is not None]
        existing = {
            (w.appointment_id, w.connection_id): w
            for w in (
                session.scalars(select(CalendarWrite).where(CalendarWrite.appointment_id.in_(known))) if known else []
            )
        }
    now = clock.utcnow()
    for appointment in changed:
        for closer_id, connection_id, calendar_url in targets:
            if closer_id != appointment.closer_id:
                continue
            row = existing.get((appointment.id, connection_id)) if appointment.id is not None else None
            if row is None:
                if appointment.status != AppointmentStatus.BOOKED:
                    continue  # never written: nothing to remove
                row = CalendarWrite(connection_id=connection_id, calendar_url=calendar_url, attempts=0)
                row.appointment = appointment  # type: ignore[attr-defined]
                session.add(row)
            row.status = WriteStatus.PENDING
            row.attempts = 0
            row.next_attempt_at = None
            row.last_error = None
            row.updated_at = now


def init_app(app: Flask) -> None:
    """Register the hook on every session (once per process)."""
    if not event.contains(Session, "before_flush", queue_writes):
        event.listen(Session, "before_flush", queue_writes)


def event_ics(appointment: Appointment, language: str | None) -> bytes:
    """The call as a calendar object resource: our feed's event, without iTIP parties or feed headers."""
    calendar = Calendar.from_ical(ics.feed([appointment], name="CloserHub", language=language))
    stored = Calendar()
    for key in ("PRODID", "VERSION", "CALSCALE"):
        stored.add(key.lower(), calendar[key])
    for component in calendar.walk("VEVENT"):
        for key in ("ATTENDEE", "ORGANIZER"):
            component.pop(key, None)
        stored.add_component(component)
    return stored.to_ical()


def _due(session: Session, now: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(CalendarWrite.id)
            .where(
                CalendarWrite.status == WriteStatus.PENDING,
                or_(CalendarWrite.next_attempt_at.is_(None), CalendarWrite.next_attempt_at <= now),
            )
            .order_by(CalendarWrite.id)
            .limit(limit)
        )
    )


def deliver_due(session: Session, now: datetime, *, limit: int = 100) -> int:
    """Attempt every due write-back (the worker's job); returns how many succeeded now."""
    ids = _due(session, now, limit)
    session.commit()
    done = 0
    for write_id in ids:
        take_write_lock(session)
        claimed = session.execute(
            update(CalendarWrite)
            .where(
                CalendarWrite.id == write_id,
                CalendarWrite.status == WriteStatus.PENDING,
                or_(CalendarWrite.next_attempt_at.is_(None), CalendarWrite.next_attempt_at <= now),
            )
            .values(next_attempt_at=now + LEASE)
        ).rowcount
        session.commit()
        if claimed and deliver_one(session, write_id, now):
            done += 1
    return done


def deliver_one(session: Session, write_id: int, now: datetime) -> bool:
    """Make one calendar match one call now (PUT or DELETE); record the outcome; commits. True on success."""
    row = session.get(CalendarWrite, write_id)
    if row is None:
        return False
    appointment = session.get(Appointment, row.appointment_id)
    connection = session.get(CalendarConnection, row.connection_id)
    if appointment is None or connection is None:
        return False
    booked = appointment.status == AppointmentStatus.BOOKED
    body = event_ics(appointment, appointment.closer.language) if booked else b""
    target = (
        connection.url,
        connection.username,
        unseal(connection.secret_sealed) if connection.secret_sealed else None,
        row.calendar_url,
        appointment.uid,
    )
    session.commit()  # no lock while the calendar server answers
    error = None
    try:
        with caldav_reader.client(target[0], target[1], target[2]) as dav:
            if booked:
                caldav_reader.put_event(dav, target[3], target[4], body)
            else:
                caldav_reader.delete_event(dav, target[3], target[4])
    except CalendarUnreadable as exc:
        error = str(exc)
    take_write_lock(session)
    row = session.get(CalendarWrite, write_id)
    if row is None:
        session.commit()
        return False
    row.attempts += 1
    row.updated_at = now
    if error is None:
        row.status, row.last_error, row.next_attempt_at = WriteStatus.DONE, None, None
    else:
        row.last_error = error
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = WriteStatus.FAILED, None
        else:
            row.next_attempt_at = now + timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
    session.commit()
    return error is None
