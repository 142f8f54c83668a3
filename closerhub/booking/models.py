"""Leads (the prospects a business hands over) and appointments (closing calls), with their history.

No double booking is the database's job, not only the service's:

- every appointment stores ``blocked_until`` = its end plus the closer's buffer at booking
  time, so two calls of one closer conflict exactly when ``[starts_at, blocked_until)``
  ranges overlap (the gap between calls is at least the buffer, as in ``core.slots``);
- PostgreSQL: ``EXCLUDE USING gist (closer_id WITH =, tstzrange(starts_at, blocked_until) WITH &&)
  WHERE (status = 'booked')`` (``btree_gist``);
- SQLite: the booking service takes the write lock first (``BEGIN IMMEDIATE``) and checks
  inside it, and a trigger refuses an overlapping insert or update as the last word.

Both are installed by the migration and, for ``create_all``, by the DDL listeners below.
Ranges are half-open: back-to-back calls are fine, a cancelled slot can be booked again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.businesses.models import Business, Offer
from closerhub.db import UTCDateTime, str_enum
from closerhub.engagements.models import Engagement
from closerhub.extensions import Model
from closerhub.leads.models import Lead


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"  # upcoming (a rescheduled call stays booked; its history says so)
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # the call took place (an outcome was recorded)
    NO_SHOW = "no_show"


class Channel(enum.StrEnum):
    PHONE = "phone"
    VIDEO = "video"


class BookedVia(enum.StrEnum):
    BOOKING_PAGE = "booking_page"  # the prospect, on the offer's public page
    BUSINESS = "business"  # a business user, for an existing lead
    CLOSER = "closer"  # a closer's follow-up with their own lead
    API = "api"


class Appointment(Model):
    """A closing call between one closer and one lead, for one offer, under one engagement."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across reschedules: the ICS UID (SEQUENCE counts the changes).
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id"), index=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # ends_at + the closer's buffer when booked: the range the database keeps exclusive.
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "appointment_channel"))
    # Video: the room link (generated once, kept across reschedules, or the closer's own URL).
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    # Phone: who dials whom, at which number (E.164).
    dial_from: Mapped[str | None] = mapped_column(String(20))  # "closer" or "prospect"
    dial_number: Mapped[str | None] = mapped_column(String(20))
    prospect_timezone: Mapped[str] = mapped_column(String(64))  # the zone the prospect booked in
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"question", "answer"}]
    # "The prospect said": what an anonymous caller (booking page, API with a booking key) typed,
    # keyed by ``Lead`` column (name, email, phone_e164, timezone, language, needs, ..., notes).
    # Kept here, never merged over the business's lead: a stranger who knows a lead's email
    # must neither read nor overwrite what the business holds. None for signed-in bookings.
    prospect_said: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # Guests the prospect invited (``booking.guests``): up to 5 ``{"name", "email"}``, each sent
    # the invite and told of reschedules and cancellations.
    guests: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    booked_via: Mapped[BookedVia] = mapped_column(str_enum(BookedVia, "booked_via"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    routing_reason: Mapped[str] = mapped_column(Text, default="")  # why this closer (round-robin log)
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # ICS SEQUENCE
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Worker claims: each is set once by a conditional UPDATE (… WHERE x IS NULL).
    reminder_24h_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_1h_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 48 h past the end, no outcome
    # Attendance (``booking.attendance``): the prospect's "I'll be there" from the 24 h reminder's link.
    prospect_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unconfirmed_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # told the closer, 2 h before
    # An admin confirmed a report that the closer did not come (``booking.no_shows``).
    closer_no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rebook_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # after a prospect no-show
    rebook_followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the next day's reminder
    # SMS reminder claims (``booking.sms_reminders``): set once, when queued or skipped (quiet hours).
    sms_24h_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_1h_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Call recording (the offer's ``calls_recorded``): the prospect's explicit consent on the booking page,
    # and the all-party-consent jurisdiction that asked for it (``core.recording_consent``), e.g. "US-CA".
    recording_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recording_jurisdiction: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    business: Mapped[Business] = relationship()
    offer: Mapped[Offer] = relationship()
    engagement: Mapped[Engagement] = relationship()
    closer: Mapped[User] = relationship(foreign_keys=[closer_id])
    lead: Mapped[Lead] = relationship()
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    events: Mapped[list[AppointmentEvent]] = relationship(
        back_populates="appointment", order_by="AppointmentEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("blocked_until >= ends_at", name="blocked_covers_call"),
        CheckConstraint(
            "(channel = 'video' AND meeting_url IS NOT NULL) OR (channel = 'phone' AND dial_number IS NOT NULL)",
            name="channel_has_details",
        ),
        CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"),
        Index("ix_appointments_closer_starts", "closer_id", "starts_at"),
        Index("ix_appointments_status_starts", "status", "starts_at"),
        Index("ix_appointments_starts_at", "starts_at"),  # the live edges of an analytics period
    )

    def can_view(self, user: User | None) -> bool:
        """The closer on the call, the business's team and admins; everyone else gets a 404."""
        if user is None:
            return False
        return user.is_admin or user.id == self.closer_id or user.business_id == self.business_id

    @property
    def is_upcoming(self) -> bool:
        return self.status == AppointmentStatus.BOOKED

    def _said(self, key: str) -> str | None:
        return (self.prospect_said or {}).get(key) or None

    @property
    def prospect_name(self) -> str:
        """The prospect's name as this call knows it: what they typed when they booked it
        themselves, else the business's lead. Everything the prospect reads uses these."""
        return self._said("name") or self.lead.name

    @property
    def prospect_language(self) -> str:
        """The language of the prospect's emails (the one they chose when booking, else the lead's)."""
        return self._said("language") or self.lead.language

    @property
    def prospect_zone(self) -> str:
        """The prospect's zone: the one they booked in when they booked themselves, else the lead's."""
        return self._said("timezone") or self.lead.timezone

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status.value} {self.starts_at.isoformat()}>"


class AppointmentEvent(Model):
    """One line of an appointment's history: what happened, who did it, when (append-only)."""

    __tablename__ = "appointment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # booked, rescheduled, cancelled, completed, no_show, ...
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(20))  # prospect, closer, business, admin, system
    from_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    to_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)

    appointment: Mapped[Appointment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


# --- the database's guard against double booking -----------------------------------------

PG_EXTENSION = "CREATE EXTENSION IF NOT EXISTS btree_gist"
PG_EXCLUSION = (
    "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_closer_no_overlap "
    "EXCLUDE USING gist (closer_id WITH =, tstzrange(starts_at, blocked_until) WITH &&) "
    "WHERE (status = 'booked')"
)
# SQLite compares the stored UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]"), which orders like the instants.
# ``+a.status`` keeps the planner off the (status, starts_at) index, which would scan every booked
# call of every closer; it uses (closer_id, starts_at) instead (bench/matching.py found it).
_SQLITE_OVERLAP = (
    "SELECT RAISE(ABORT, 'appointment_overlap') WHERE NEW.status = 'booked' AND EXISTS ("
    "SELECT 1 FROM appointments a WHERE a.closer_id = NEW.closer_id AND +a.status = 'booked' "
    "AND a.id IS NOT NEW.id AND a.starts_at < NEW.blocked_until AND NEW.starts_at < a.blocked_until);"
)
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER trg_appointments_no_overlap_insert BEFORE INSERT ON appointments BEGIN {_SQLITE_OVERLAP} END",
    "CREATE TRIGGER trg_appointments_no_overlap_update BEFORE UPDATE OF starts_at, blocked_until, status, closer_id "
    f"ON appointments BEGIN {_SQLITE_OVERLAP} END",
)
OVERLAP_CONSTRAINT_NAME = "ex_appointments_closer_no_overlap"  # PostgreSQL
OVERLAP_SQLITE_MESSAGE = "appointment_overlap"  # SQLite


def install_overlap_guard(connection: Any) -> None:
    """Create the exclusion constraint (PostgreSQL) or the triggers (SQLite) on ``appointments``."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_EXTENSION)
        connection.exec_driver_sql(PG_EXCLUSION)
    elif connection.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            connection.exec_driver_sql(statement)


@event.listens_for(Appointment.__table__, "after_create")
def _after_create(_table: Any, connection: Any, **_kw: Any) -> None:
    install_overlap_guard(connection)


__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "BookedVia",
    "Channel",
    "Lead",
]
