"""The email outbox: every message is stored first, then delivered (or kept, without SMTP)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime
from closerhub.extensions import db


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for delivery
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # gave up after retries
    STORED = "stored"  # no mail server configured: kept here for admins to read


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, name="outbox_status", native_enum=False, create_constraint=True, length=20,
             values_callable=lambda e: [m.value for m in e]), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
