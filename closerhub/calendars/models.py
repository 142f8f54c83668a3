"""Calendar connections, the calendars found on them, and the busy time read from them.

A connection is one URL of the closer's (a CalDAV server, principal or calendar with a
username and an app password, or an ICS "secret address"). Its password is sealed with
``closerhub.secrets_box`` and never leaves the server. Each sync replaces the connection's
``ExternalBusy`` rows, which the slot seam (``closers.rules.busy_intervals``) reads with the
closer's booked calls.

Fail closed: ``fails_closed_at`` is when a connection that cannot be read starts to hide
all of its closer's slots (the threshold after its last good read, or after it was added);
it is empty while the connection reads fine.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class ConnectionKind(enum.StrEnum):
    """How a connection is read."""

    CALDAV = "caldav"
    ICS = "ics"


class ConnectionStatus(enum.StrEnum):
    """The outcome of the connection's last read."""

    PENDING = "pending"  # added, not read yet
    OK = "ok"
    ERROR = "error"


class CalendarConnection(Model):
    """One of a closer's calendar accounts or subscriptions."""

    __tablename__ = "calendar_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ConnectionKind] = mapped_column(str_enum(ConnectionKind, "calendar_connection_kind"))
    url: Mapped[str] = mapped_column(String(2000))
    username: Mapped[str | None] = mapped_column(String(254))
    # The password (CalDAV) sealed by secrets_box; never returned, never logged.
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    write_bookings: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ConnectionStatus] = mapped_column(str_enum(ConnectionStatus, "calendar_connection_status"))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last attempt
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last good read
    fails_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The one email about a failure is sent once per unreadable period (cleared by a good read).
    failure_emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the server said last time (ctag / ETag per calendar URL): a quiet calendar costs one request.
    sync_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    calendars: Mapped[list[CalendarSource]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="CalendarSource.id"
    )

    def __repr__(self) -> str:
        return f"<CalendarConnection {self.id} {self.kind.value} {self.status.value}>"


class CalendarSource(Model):
    """One calendar of a CalDAV connection: whether it counts as busy, whether bookings are written into it."""

    __tablename__ = "calendar_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(200), default="")
    busy: Mapped[bool] = mapped_column(Boolean, default=True)
    write: Mapped[bool] = mapped_column(Boolean, default=False)

    connection: Mapped[CalendarConnection] = relationship(back_populates="calendars")


class ExternalBusy(Model):
    """A busy span read from a connection (UTC, half-open), replaced on each sync of it."""

    __tablename__ = "calendar_busy"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # The slot seam's query: one closer's spans touching a window.
    __table_args__ = (Index("ix_calendar_busy_closer_id_starts_at", "closer_id", "starts_at"),)


class CalendarPreference(Model):
    """A closer's calendar setting: keep offering slots while a calendar cannot be read (default: no)."""

    __tablename__ = "calendar_preferences"

    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    keep_offering_when_unreadable: Mapped[bool] = mapped_column(Boolean, default=False)


class WriteStatus(enum.StrEnum):
    """Where a write-back of one call into one calendar stands."""

    PENDING = "pending"  # to do (first try, or a retry after next_attempt_at)
    DONE = "done"  # the calendar holds the call as it is now (or no longer holds it, once cancelled)
    FAILED = "failed"  # gave up after the last attempt; shown to the closer, retried on the next change


class CalendarWrite(Model):
    """The outbox row of one call in one write calendar: the worker makes the calendar match the call.

    One row per (appointment, connection). ``target_sequence`` / ``target_status`` are the
    call's state this row was last queued for: the worker's scan (``writeback.queue_changed``)
    finds every committed call whose state differs (booked, rescheduled: a new ICS sequence,
    cancelled) and sets its row back to ``pending``; a rolled-back change is never seen, a
    committed one never missed, and the booking itself runs no extra statement. The worker
    always writes the call's *current* state (an older change is never replayed).
    """

    __tablename__ = "calendar_writes"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True)
    calendar_url: Mapped[str] = mapped_column(String(2000))
    target_sequence: Mapped[int] = mapped_column(default=0)
    target_status: Mapped[str] = mapped_column(String(20))
    status: Mapped[WriteStatus] = mapped_column(str_enum(WriteStatus, "calendar_write_status"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("appointment_id", "connection_id", name="uq_calendar_writes_appointment_connection"),
        Index("ix_calendar_writes_status_next_attempt_at", "status", "next_attempt_at"),
    )
