"""Instalments: the payment plan of a won deal, and what the business has collected of it.

Every won outcome has one or more instalments summing to its deal value (no plan: one
instalment due on the call's date). On a ``cash_collected`` engagement the closer's
commission accrues as instalments are collected (``core.commission.accrue``, running total
over the outcome); a contract-value outcome keeps its one commission at confirmation and its
instalments only track the cash.

Status::

    due ──collect (business, a date)──▶ collected ──refund (business, part or all)──▶ refunded
     │                                                  (refunded: more refunds until nothing is left)
     └──miss (business)──▶ missed ──collect (late payment)──▶ collected
                             └── the closer may dispute the marking (an admin decides)
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.core.money import Money
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model
from closerhub.outcomes.models import Outcome


class InstalmentStatus(enum.StrEnum):
    DUE = "due"
    COLLECTED = "collected"
    MISSED = "missed"
    REFUNDED = "refunded"  # fully or partly: ``refunded_amount`` says how much


class Instalment(Model):
    """One payment of a won deal's plan: its amount, due date and what happened to it."""

    __tablename__ = "instalments"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… in the plan
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[InstalmentStatus] = mapped_column(
        str_enum(InstalmentStatus, "instalment_status"), default=InstalmentStatus.DUE
    )
    collected_on: Mapped[date | None] = mapped_column(Date)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Net of this instalment's accruals so far (cash_collected only; signed deltas of core.commission.accrue).
    commission_accrued: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    fee_accrued: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Its own clawback hold: charged (paid by the business) → release_after → released to available.
    charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The closer contests a "missed" marking; an admin clears it (``miss_dispute_resolved_at``).
    miss_disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    miss_dispute_reason: Mapped[str | None] = mapped_column(Text)
    miss_dispute_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The worker's asks: once when it falls due, once when it is overdue (claimed with ``IS NULL``).
    due_notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    outcome: Mapped[Outcome] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
        CheckConstraint("status NOT IN ('collected', 'refunded') OR collected_on IS NOT NULL", name="collected_dated"),
        Index("ix_instalments_status_due_on", "status", "due_on"),
    )

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def refunded_money(self) -> Money:
        return Money(self.refunded_amount, self.currency)

    @property
    def collected_net(self) -> int:
        """What the business holds of this instalment: its amount once collected, less refunds."""
        if self.status in (InstalmentStatus.COLLECTED, InstalmentStatus.REFUNDED):
            return self.amount - self.refunded_amount
        return 0

    @property
    def commission_money(self) -> Money:
        return Money(self.commission_accrued, self.currency)

    def can_view(self, user: object) -> bool:
        """Whoever may see the outcome: its closer, the business's team, admins."""
        return self.outcome.can_view(user)  # type: ignore[arg-type]

    @property
    def miss_dispute_open(self) -> bool:
        return self.miss_disputed_at is not None and self.miss_dispute_resolved_at is None

    def __repr__(self) -> str:
        return f"<Instalment {self.id} of outcome {self.outcome_id} {self.status.value} {self.amount} {self.currency}>"
