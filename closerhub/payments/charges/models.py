"""Charges: what a business is billed for one confirmed won outcome (commission + platform fee).

One row per contract-value outcome (unique where ``instalment_id`` is NULL), or per collected
instalment of a cash-collected outcome (``instalment_id`` unique), created when the outcome is confirmed, in
the same transaction. The row's id builds the Stripe idempotency key of each attempt
(``charge-<id>-attempt-<n>``): a retry after a network failure re-sends the same key (Stripe
answers with the same PaymentIntent), a retry after a decline is a new attempt.

Status::

    pending ──▶ processing ──▶ succeeded ──▶ partially_refunded ──▶ refunded
                    │  ▲            └──────▶ disputed (won: back to succeeded)
                    ▼  │ (retry job)
          failed | requires_action
    manual_due ──(an admin marks it paid)──▶ manual_paid        (manual mode: no Stripe keys)
    pending | failed | requires_action | manual_due ──(its instalment refunded in full)──▶ cancelled

An instalment refunded before its charge is paid reduces the open charge to what is still due
(``reduced_from`` keeps the amount first billed); from then on each attempt's key also names
the amount (``charge-<id>-attempt-<n>-amount-<amount>``), so Stripe never replays an answer
given for another amount.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.core.money import Money
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.models_instalments import Instalment  # noqa: F401  (the table instalment_id refers to)


class ChargeStatus(enum.StrEnum):
    PENDING = "pending"  # created, no attempt yet
    PROCESSING = "processing"  # an attempt was committed before the Stripe call, or Stripe is still processing
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # the bank wants the cardholder to authenticate
    FAILED = "failed"  # declined, or no card: retried on a schedule while attempts remain
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    DISPUTED = "disputed"  # the business's bank opened a chargeback
    MANUAL_DUE = "manual_due"  # manual mode: the business pays by bank transfer
    MANUAL_PAID = "manual_paid"  # an admin recorded the transfer
    CANCELLED = "cancelled"  # credited in full before it was paid (an instalment refunded): nothing is due


# The business owes money and has not paid it (the money desk lists these).
UNPAID_STATUSES = (
    ChargeStatus.PENDING,
    ChargeStatus.PROCESSING,
    ChargeStatus.REQUIRES_ACTION,
    ChargeStatus.FAILED,
    ChargeStatus.MANUAL_DUE,
)
# The money arrived at some point (a receipt can be printed).
PAID_STATUSES = (
    ChargeStatus.SUCCEEDED,
    ChargeStatus.PARTIALLY_REFUNDED,
    ChargeStatus.REFUNDED,
    ChargeStatus.DISPUTED,
    ChargeStatus.MANUAL_PAID,
)


class Charge(Model):
    """The business's payment for one outcome: commission + platform fee, in the deal's currency."""

    __tablename__ = "charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"), index=True)
    # Cash-collected outcomes: one charge per collected instalment; contract value: none (one per outcome).
    instalment_id: Mapped[int | None] = mapped_column(ForeignKey("instalments.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # commission + platform fee, minor units
    commission: Mapped[int] = mapped_column(BigInteger)
    platform_fee: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[ChargeStatus] = mapped_column(
        str_enum(ChargeStatus, "charge_status"),
        default=ChargeStatus.PENDING,
    )
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    transfer_group: Mapped[str] = mapped_column(String(64))  # "outcome-<id>": links the charge to its transfers
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # Stripe attempts started
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)  # technical: decline code, gateway error
    failure_message: Mapped[str | None] = mapped_column(Text)  # for the business: what went wrong
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The amount first billed, once a refund before payment reduced ``amount`` (None: never reduced).
    reduced_from: Mapped[int | None] = mapped_column(BigInteger)
    # Commission taken back from the closer so far (refunds, disputes), and the part a dispute took.
    clawed_back: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    dispute_clawback: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    stripe_dispute_id: Mapped[str | None] = mapped_column(String(255))
    dispute_status: Mapped[str | None] = mapped_column(String(40))
    manual_reference: Mapped[str | None] = mapped_column(Text)  # manual mode: the bank transfer's reference
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    outcome: Mapped[Outcome] = relationship()
    business: Mapped[Business] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0 AND commission >= 0 AND platform_fee >= 0", name="amounts_positive"),
        CheckConstraint("amount = commission + platform_fee", name="amount_is_sum"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
        # One contract-value charge per outcome (instalment charges are unique by instalment).
        Index(
            "uq_charges_outcome_contract",
            "outcome_id",
            unique=True,
            sqlite_where=text("instalment_id IS NULL"),
            postgresql_where=text("instalment_id IS NULL"),
        ),
        # The retry job: failed/requires_action rows whose next attempt is due.
        Index("ix_charges_status_next_attempt", "status", "next_attempt_at"),
    )

    @property
    def total(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def commission_money(self) -> Money:
        return Money(self.commission, self.currency)

    @property
    def fee_money(self) -> Money:
        return Money(self.platform_fee, self.currency)

    @property
    def refunded_money(self) -> Money:
        return Money(self.refunded_amount, self.currency)

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES

    @property
    def needs_business_action(self) -> bool:
        """Declined, no card, or authentication needed: the business has to fix its card."""
        return self.status in (ChargeStatus.FAILED, ChargeStatus.REQUIRES_ACTION)

    def idempotency_key(self, attempt: int | None = None) -> str:
        """Stripe's idempotency key of an attempt (by default the current one); a reduced charge's names its amount."""
        key = f"charge-{self.id}-attempt-{attempt if attempt is not None else self.attempts}"
        return key if self.reduced_from is None else f"{key}-amount-{self.amount}"

    def can_view(self, user: User | None) -> bool:
        """Members of the business and admins; everyone else (closers too) gets a 404."""
        return user is not None and (
            user.is_admin or (user.business_id is not None and user.business_id == self.business_id)
        )

    def __repr__(self) -> str:
        return f"<Charge {self.id} outcome={self.outcome_id} {self.status.value} {self.amount} {self.currency}>"
