"""The SMS outbox and the numbers that replied STOP.

``SmsMessage`` rows are written in the transaction that decided to send them (like emails):
``stored`` without provider keys (kept, readable by admins, never sent), else ``pending`` until
a worker claims one (``sending``, with a lease) and hands it to the provider (``sent``); the
provider's status callbacks then move it to ``delivered``, ``undelivered`` or ``failed``.
``SmsOptOut`` holds a number from its STOP until its START: nothing is queued or sent to it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class SmsStatus(enum.StrEnum):
    STORED = "stored"  # no provider configured: kept in the outbox
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker (lease in ``lease_until``)
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the number opted out before it left


class SmsMessage(Model):
    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_number: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))  # reminder_24h, reminder_1h
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"), index=True)
    status: Mapped[SmsStatus] = mapped_column(str_enum(SmsStatus, "sms_status"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    provider_status: Mapped[str | None] = mapped_column(String(30))  # the provider's last word, as it said it
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SmsOptOut(Model):
    __tablename__ = "sms_opt_outs"

    phone_e164: Mapped[str] = mapped_column(String(20), primary_key=True)
    stopped_at: Mapped[datetime] = mapped_column(UTCDateTime())
