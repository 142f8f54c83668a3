"""The email outbox: every message is stored first, then delivered (or kept, without SMTP).

A row's life: (``to_render`` →) ``pending`` → ``sending`` (claimed by one deliverer, with a lease) → ``sent``;
a failed attempt puts it back to ``pending`` with a later ``next_attempt_at`` (exponential
backoff) until the last attempt, which leaves it ``failed`` for an admin to retry. Without a
mail server the row is ``stored``: never sent, readable on the admin outbox page.

A message queued from a busy request (the booking notices) may start as ``to_render``: the
recipient, template and language are fixed, ``render_context`` holds what the renderer
needs (ids and a snapshot of the event, no bodies), and the worker renders it into a
``pending`` / ``stored`` row (``notifications.service.render_pending``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class OutboxStatus(enum.StrEnum):
    """Where a message is in its delivery."""

    PENDING = "pending"  # waiting for delivery (first try or a retry after next_attempt_at)
    SENDING = "sending"  # claimed by one deliverer; next_attempt_at is when the claim lapses
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # gave up after the last attempt (an admin may retry it)
    STORED = "stored"  # no mail server configured: kept here for admins to read
    TO_RENDER = "to_render"  # queued as an intent (render_context); the worker renders it, then it is pending/stored


class OutboxMessage(Model):
    """One email as it was rendered for its recipient, with its delivery state."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    # Extra visible recipients (a list of addresses); they get the same message.
    cc: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # Files sent along (ICS invites, ...): [{filename, content_type, encoding: "utf-8"|"base64", content}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Which template and language rendered it: admins can tell messages apart at a glance.
    template: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))
    # Fixed when queued, so every retry carries the same Message-ID (receivers can de-duplicate).
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # pending: not before this instant; sending: when the claim lapses; otherwise empty.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # to_render rows: {"renderer": name, "params": {...}} (JSON-safe ids and values), kept once rendered.
    render_context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The deliverer's one query: due rows by status and time.
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    @property
    def recipients(self) -> list[str]:
        """Every envelope recipient: the To address, then the Cc addresses."""
        return [self.to_address, *(self.cc or [])]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.template} {self.status.value}>"


class EventStatus(enum.StrEnum):
    """Where an outbox event is in its handling."""

    PENDING = "pending"  # waiting for the worker (first try, or a retry after next_attempt_at)
    DONE = "done"  # expanded: what it fans out to was written in the same transaction as this status
    FAILED = "failed"  # its handler failed on the last attempt (last_error says why; an admin may retry)


class OutboxEvent(Model):
    """One thing that happened, queued in its request's transaction for the worker to expand.

    A booking writes one ``appointment.booked`` row instead of its emails (one per recipient,
    which needs the business's members read) and its search-summary update: the worker's outbox
    job claims the row and writes what it fans out to in one transaction
    (``notifications.events``), so a row is handled exactly once and nothing is lost while no
    worker runs (the row waits).
    """

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    # What it is about ("appointment:42"): a later change of that object expands it first (in order).
    ref: Mapped[str | None] = mapped_column(String(80), index=True)
    # JSON-safe ids and values the handler needs (e.g. the appointment id and a snapshot of the call).
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus, "outbox_event_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The worker's one query: due pending rows.
    __table_args__ = (Index("ix_outbox_events_status_next_attempt_at", "status", "next_attempt_at"),)

    def __repr__(self) -> str:
        return f"<OutboxEvent {self.id} {self.kind} {self.status.value}>"
