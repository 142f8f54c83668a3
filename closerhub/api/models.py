"""Stored responses for ``Idempotency-Key`` replays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime
from closerhub.extensions import Model


class IdempotencyRecord(Model):
    """The first response to a write made with an ``Idempotency-Key``, per user and key.

    The same key with the same request body replays ``response_body``; the same key
    with another body is a 409.
    """

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)
