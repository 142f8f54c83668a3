"""Payout runs and payouts: the money the platform sends to closers, each payout exactly once.

A ``Payout`` row is written, with the ledger movement available → paid (the money is
reserved), in the transaction that decides to pay; only then is the Stripe Transfer sent,
with the idempotency key ``payout-<id>``. A crash between the Stripe call and our commit
leaves the row in ``sending``: the next run re-sends the same key and Stripe answers with
the same transfer. ``uq_payouts_one_in_flight`` lets at most one payout per closer and
currency be on its way at a time (the database's last word if two runs overlap).

Manual mode (no Stripe keys): payouts are ``manual_pending`` until an admin has paid the
exported batch by bank and marks it paid (``manual_paid``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.core.money import Money
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"


class RunMode(enum.StrEnum):
    STRIPE = "stripe"
    MANUAL = "manual"


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"  # reserved in the ledger, not sent yet
    SENDING = "sending"  # the transfer was (maybe) sent; the result is not known yet
    PAID = "paid"  # Stripe created the transfer
    FAILED = "failed"  # Stripe refused it: the money went back to available
    MANUAL_PENDING = "manual_pending"  # manual mode: to be paid by bank from the exported batch
    MANUAL_PAID = "manual_paid"  # an admin marked it paid
    REVERSED = "reversed"  # the transfer was reversed in full


IN_FLIGHT = (PayoutStatus.PENDING, PayoutStatus.SENDING)
ONE_IN_FLIGHT_INDEX = "uq_payouts_one_in_flight"
_IN_FLIGHT_SQL = "status IN ('pending', 'sending')"


class PayoutRun(Model):
    """One run of the payout job (worker, ``flask payouts run`` or an admin's button)."""

    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "payout_run_status"), default=RunStatus.RUNNING)
    mode: Mapped[RunMode] = mapped_column(str_enum(RunMode, "payout_run_mode"))
    triggered_by: Mapped[str] = mapped_column(String(20))  # "worker", "cli" or "admin"
    triggered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the admin who clicked
    # The worker's weekly run claims its day: a second worker's insert for the same day fails.
    scheduled_for: Mapped[date | None] = mapped_column(Date, unique=True)
    # Manual mode: when an admin marked the batch paid (after paying it by bank).
    marked_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    marked_paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    triggered_by_user: Mapped[User | None] = relationship(foreign_keys=[triggered_by_id])
    payouts: Mapped[list[Payout]] = relationship(back_populates="run", order_by="Payout.id")

    def __repr__(self) -> str:
        return f"<PayoutRun {self.id} {self.mode.value} {self.status.value}>"


class Payout(Model):
    """One closer's payout in one currency within one run."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus, "payout_status"))
    # The connected account at reservation: a re-send must repeat the exact parameters of the first call.
    destination: Mapped[str | None] = mapped_column(String(255))
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    transfer_group: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    # What Stripe took back from the transfer so far (clawbacks and reversals); the ledger follows it.
    amount_reversed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    run: Mapped[PayoutRun] = relationship(back_populates="payouts")
    closer: Mapped[User] = relationship(foreign_keys=[closer_id])

    __table_args__ = (
        UniqueConstraint("run_id", "closer_id", "currency", name="uq_payouts_run_closer_currency"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("amount_reversed >= 0 AND amount_reversed <= amount", name="amount_reversed_range"),
        # At most one payout per closer and currency on its way: two overlapping runs cannot both send.
        Index(
            ONE_IN_FLIGHT_INDEX,
            "closer_id",
            "currency",
            unique=True,
            postgresql_where=text(_IN_FLIGHT_SQL),
            sqlite_where=text(_IN_FLIGHT_SQL),
        ),
    )

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def idempotency_key(self) -> str:
        """The Stripe idempotency key of this payout's transfer: the same on every re-send."""
        return f"payout-{self.id}"

    def can_view(self, user: User | None) -> bool:
        """The closer paid and admins."""
        return user is not None and (user.is_admin or user.id == self.closer_id)

    def __repr__(self) -> str:
        return f"<Payout {self.id} {self.closer_id} {self.amount} {self.currency} {self.status.value}>"


class NoticeKind(enum.StrEnum):
    CANNOT_RECEIVE = "cannot_receive"  # skipped by a run: the payout account is not ready
    BANK_PAYOUT_FAILED = "bank_payout_failed"  # Stripe could not pay the closer's bank (``payout.failed``)


class PayoutNotice(Model):
    """Something a closer was told about their payouts, kept so they are told once.

    ``cannot_receive`` (reference ""): removed when the closer is paid again, so a later
    problem is told anew. ``bank_payout_failed`` (reference = Stripe's payout id): kept as the record.
    """

    __tablename__ = "payout_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, "payout_notice_kind"))
    reference: Mapped[str] = mapped_column(String(255), default="", server_default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("closer_id", "kind", "reference", name="uq_payout_notices_once"),)

    @property
    def amount(self) -> Money | None:
        """A failed bank payout's amount (``details``), for pages to write in the reader's locale
        (``details["amount_text"]`` is the worker's English, kept for the record)."""
        if "amount" not in self.details:
            return None
        return Money(int(self.details["amount"]), str(self.details.get("currency") or "EUR").upper())
