"""Webhook endpoints, events (the outbox), deliveries (one per endpoint and event) and attempts.

An event and its deliveries are written by the transaction that made the change
(``webhooks.emit``), so a rolled-back change has no event and a committed one always has.
Endpoint secrets are sealed with ``closerhub.secrets_box``; during a rotation the previous
secret stays (sealed) until ``previous_secret_expires_at`` so both sign.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model

EVENT_TYPES = (
    "appointment.booked",
    "appointment.rescheduled",
    "appointment.cancelled",
    "outcome.recorded",
    "outcome.confirmed",
    "outcome.disputed",
    "outcome.resolved",
    "instalment.collected",
    "engagement.accepted",
    "engagement.declined",
    "lead.created",
)


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands: waiting (or retrying), delivered, or given up."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEndpoint(Model):
    """A business's receiver URL, the event types it wants, and its (sealed) signing secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(300), default="")
    events: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_sealed: Mapped[str] = mapped_column(Text)
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEvent(Model):
    """One business event, as sent: ``{"type", "timestamp", "data"}``; ``msg_id`` is the ``webhook-id``."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WebhookDelivery(Model):
    """One event for one endpoint; the worker claims it by moving ``next_attempt_at`` (UPDATE … WHERE)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "webhook_delivery_status"),
        default=DeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    event: Mapped[WebhookEvent] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()

    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )


class WebhookAttempt(Model):
    """One HTTP try of a delivery: status code (None: no response), duration and a truncated body."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(String(300))
