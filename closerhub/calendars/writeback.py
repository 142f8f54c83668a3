"""Writing booked calls into the closer's chosen CalDAV calendar, through an outbox.

When a call is booked, rescheduled (its ICS sequence moves) or cancelled, the worker's scan
(``queue_changed``, one query every run) sets a ``CalendarWrite`` row per write calendar of
its closer back to ``pending``: only committed changes are seen, none is missed, and the
booking path runs no extra statement (its statement budget is a test). The worker
(``deliver_due``) then makes the calendar match the call as it is *now*: a PUT of
the event (same UID as our email invites, the prospect's name, the link or the dial
plan) while it is booked, a DELETE once it is not. Failures are retried with backoff and,
after the last attempt, left ``failed`` and shown on the closer's Calendars page.

The stored event carries no ORGANIZER or ATTENDEE: a server doing scheduling (RFC 6638)
would otherwise email the prospect a second invite.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from closerhub.booking.calendar_files import ics
from closerhub.booking.guard import take_write_lock
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.calendars import caldav_reader
from closerhub.calendars.ics_reader import CalendarUnreadable
from closerhub.calendars.models import CalendarConnection, CalendarSource, CalendarWrite, WriteStatus
from closerhub.core.retry import RetrySchedule
from closerhub.secrets_box import unseal

#: Minutes to wait after the 1st, 2nd, … failed attempt; after the last, the write is ``failed``.
RETRIES = RetrySchedule(tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360)))
MAX_ATTEMPTS = RETRIES.max_attempts
#: A claimed row is left alone by other workers this long (longer than any bounded request).
LEASE = timedelta(minutes=5)
#: Calls that ended longer ago than this are not written any more.
PAST = timedelta(days=1)


def queue_changed(session: Session, now: datetime) -> int:
    """Queue the write-back of every call whose state differs from what its calendar was last sent; commits.

    One query finds them: calls (not long over) of closers with a write calendar, with no row
    yet while booked, or whose row targets another ICS sequence or status. Also writes the
    calls already booked when a calendar is connected. Returns how many rows were queued.
    """
    take_write_lock(session)
    write = aliased(CalendarWrite)
    found = session.execute(
        select(
            Appointment.id, Appointment.sequence, Appointment.status, CalendarConnection.id, CalendarSource.url, write
        )
        .join(CalendarConnection, CalendarConnection.closer_id == Appointment.closer_id)
        .join(CalendarSource, CalendarSource.connection_id == CalendarConnection.id)
        .outerjoin(write, (write.appointment_id == Appointment.id) & (write.connection_id == CalendarConnection.id))
        .where(
            CalendarConnection.write_bookings.is_(True),
            CalendarSource.write.is_(True),
            Appointment.ends_at > now - PAST,
            or_(
                (write.id.is_(None)) & (Appointment.status == AppointmentStatus.BOOKED),
                write.target_sequence != Appointment.sequence,
                write.target_status != Appointment.status,
            ),
        )
    ).all()
    for appointment_id, sequence, status, connection_id, calendar_url, row in found:
        if row is None:
            row = CalendarWrite(appointment_id=appointment_id, connection_id=connection_id, calendar_url=calendar_url)
            session.add(row)
        row.target_sequence, row.target_status = sequence, str(getattr(status, "value", status))
        row.status, row.attempts, row.next_attempt_at, row.last_error = WriteStatus.PENDING, 0, None, None
        row.updated_at = now
    session.commit()
    return len(found)


def event_ics(appointment: Appointment, language: str | None, *, now: datetime) -> bytes:
    """The call as a calendar object resource: our feed's event, without iTIP parties or feed headers."""
    calendar = Calendar.from_ical(ics.feed([appointment], name="CloserHub", language=language, now=now))
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
    """Queue the changed calls, then attempt every due write-back (the worker's job); returns how many succeeded now."""
    queue_changed(session, now)
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
        ).rowcount  # type: ignore[attr-defined]
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
    body = event_ics(appointment, appointment.closer.language, now=now) if booked else b""
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
        row.next_attempt_at = RETRIES.next_attempt_at(row.attempts, now)
        if row.next_attempt_at is None:
            row.status = WriteStatus.FAILED
    session.commit()
    return error is None
