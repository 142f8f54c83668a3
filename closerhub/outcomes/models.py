"""Outcomes of calls, their revision history, and the business's reviews of closers.

One outcome per appointment (a unique constraint, so two racing submissions cannot both
land). A won outcome carries its deal value and a commission snapshot computed once by
``core.commission`` when it is recorded, and again on a correction or an admin's
adjustment; the ledger (``payments.ledger``) holds what the closer is owed.

Status::

    recorded ──confirm (business, or silence past confirm_deadline)──▶ confirmed
       │
       └──dispute (business, with a reason)──▶ disputed ──resolve (admin, with a note)──▶ resolved | voided

Corrections are allowed while ``recorded``; each one keeps the previous version in
``outcome_revisions``. Confirmed, resolved and voided outcomes are locked.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.core.money import Money
from closerhub.db import UTCDateTime, str_enum
from closerhub.engagements.models import CommissionBasis
from closerhub.extensions import Model


class OutcomeResult(enum.StrEnum):
    WON = "won"
    LOST = "lost"
    NO_SHOW = "no_show"
    FOLLOW_UP = "follow_up"
    NOT_A_FIT = "not_a_fit"  # the closer declined to sell


class LostReason(enum.StrEnum):
    PRICE = "price"
    TIMING = "timing"
    AUTHORITY = "authority"
    NEED = "need"
    COMPETITOR = "competitor"
    TRUST = "trust"
    OTHER = "other"


class Technique(enum.StrEnum):
    ASSUMPTIVE = "assumptive"
    ALTERNATIVE_CHOICE = "alternative_choice"
    SUMMARY = "summary"
    DIRECT_ASK = "direct_ask"
    TRIAL_CLOSE = "trial_close"
    OTHER = "other"


class OutcomeStatus(enum.StrEnum):
    RECORDED = "recorded"  # waiting for the business (correctable by the closer)
    CONFIRMED = "confirmed"  # by the business, or by silence past the deadline
    DISPUTED = "disputed"  # the business contests it; an admin decides
    RESOLVED = "resolved"  # an admin confirmed it, possibly at another value
    VOIDED = "voided"  # an admin voided it: no commission


LOCKED_STATUSES = (OutcomeStatus.CONFIRMED, OutcomeStatus.RESOLVED, OutcomeStatus.VOIDED)
# Statuses in which the commission is owed (the business is charged, the hold can start).
SETTLED_STATUSES = (OutcomeStatus.CONFIRMED, OutcomeStatus.RESOLVED)


class Outcome(Model):
    """What happened on one call, as the closer reports it, and where the business's confirmation stands."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    # Denormalised from the appointment: lists and the worker filter on them without joins.
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id"))
    result: Mapped[OutcomeResult] = mapped_column(str_enum(OutcomeResult, "outcome_result"))
    status: Mapped[OutcomeStatus] = mapped_column(
        str_enum(OutcomeStatus, "outcome_status"), default=OutcomeStatus.RECORDED
    )
    # Won: the deal value (minor units). Another currency than the offer's needs a reason.
    deal_amount: Mapped[int | None] = mapped_column(BigInteger)
    deal_currency: Mapped[str | None] = mapped_column(String(3))
    currency_reason: Mapped[str | None] = mapped_column(Text)
    lost_reason: Mapped[LostReason | None] = mapped_column(str_enum(LostReason, "lost_reason"))
    lost_reason_text: Mapped[str] = mapped_column(Text, default="")
    objections: Mapped[list[str]] = mapped_column(JSON, default=list)
    technique: Mapped[Technique | None] = mapped_column(str_enum(Technique, "closing_technique"))
    buying_signals: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_step: Mapped[str] = mapped_column(Text, default="")
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(Text, default="")  # for the business
    # Commission snapshot (won only): the engagement's rate and the fee at the time, computed by core.commission.
    rate_bps: Mapped[int | None] = mapped_column(Integer)
    fee_bps: Mapped[int | None] = mapped_column(Integer)
    # The engagement's basis at the time: contract_value (the commission above, once) or
    # cash_collected (the commission above is what the whole plan would earn; it accrues per instalment).
    commission_basis: Mapped[CommissionBasis] = mapped_column(
        str_enum(CommissionBasis, "commission_basis"),
        default=CommissionBasis.CONTRACT_VALUE,
        server_default=CommissionBasis.CONTRACT_VALUE.value,
    )
    commission_amount: Mapped[int | None] = mapped_column(BigInteger)
    platform_fee_amount: Mapped[int | None] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirm_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: auto
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disputed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # Money flow: when the business was charged (manual mode: when the outcome was settled),
    # when the clawback hold ends, and when the release job moved the commission to available.
    charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    appointment: Mapped[Appointment] = relationship()
    closer: Mapped[User] = relationship(foreign_keys=[closer_id])
    revisions: Mapped[list[OutcomeRevision]] = relationship(
        back_populates="outcome", order_by="OutcomeRevision.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("deal_amount IS NULL OR deal_amount > 0", name="deal_amount_positive"),
        CheckConstraint(
            "result <> 'won' OR (deal_amount IS NOT NULL AND deal_currency IS NOT NULL "
            "AND commission_amount IS NOT NULL AND rate_bps IS NOT NULL)",
            name="won_has_value",
        ),
        CheckConstraint("status <> 'disputed' OR dispute_reason IS NOT NULL", name="disputed_has_reason"),
        Index("ix_outcomes_status_deadline", "status", "confirm_deadline"),
        Index("ix_outcomes_release", "released_at", "release_after"),
    )

    @property
    def deal_value(self) -> Money | None:
        if self.deal_amount is None or self.deal_currency is None:
            return None
        return Money(self.deal_amount, self.deal_currency)

    @property
    def commission(self) -> Money | None:
        if self.commission_amount is None or self.deal_currency is None:
            return None
        return Money(self.commission_amount, self.deal_currency)

    @property
    def platform_fee(self) -> Money | None:
        if self.platform_fee_amount is None or self.deal_currency is None:
            return None
        return Money(self.platform_fee_amount, self.deal_currency)

    @property
    def on_cash_collected(self) -> bool:
        """Commission accrues per collected instalment instead of once on the deal value."""
        return self.commission_basis == CommissionBasis.CASH_COLLECTED

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @property
    def owes_commission(self) -> bool:
        """A won outcome that is not voided: the closer is owed its commission."""
        return self.result == OutcomeResult.WON and self.status != OutcomeStatus.VOIDED

    def can_view(self, user: User | None) -> bool:
        """The closer, the business's team and admins; everyone else gets a 404."""
        if user is None:
            return False
        return user.is_admin or user.id == self.closer_id or user.business_id == self.business_id

    def snapshot(self) -> dict[str, Any]:
        """The reported fields and the commission, as JSON (kept in a revision before a change)."""
        return {
            "revision": self.revision,
            "result": self.result.value,
            "status": self.status.value,
            "deal_amount": self.deal_amount,
            "deal_currency": self.deal_currency,
            "currency_reason": self.currency_reason,
            "lost_reason": self.lost_reason.value if self.lost_reason else None,
            "lost_reason_text": self.lost_reason_text,
            "objections": list(self.objections or []),
            "technique": self.technique.value if self.technique else None,
            "buying_signals": list(self.buying_signals or []),
            "next_step": self.next_step,
            "next_step_at": self.next_step_at.isoformat() if self.next_step_at else None,
            "notes": self.notes,
            "rate_bps": self.rate_bps,
            "fee_bps": self.fee_bps,
            "commission_amount": self.commission_amount,
            "platform_fee_amount": self.platform_fee_amount,
        }

    def __repr__(self) -> str:
        return f"<Outcome {self.id} {self.result.value} {self.status.value}>"


def outcome_list_loads(via: Any = None) -> tuple[Any, ...]:
    """Loader options of an outcome list: each row's call (its lead, offer, business) and closer in the same query.

    ``via`` is the relationship that leads to the outcome when the list is of other rows
    (``Charge.outcome``); without it the list is of outcomes.
    """
    call = joinedload(via).joinedload(Outcome.appointment) if via is not None else joinedload(Outcome.appointment)
    closer = joinedload(via).joinedload(Outcome.closer) if via is not None else joinedload(Outcome.closer)
    return (
        call.joinedload(Appointment.lead),
        call.joinedload(Appointment.offer),
        call.joinedload(Appointment.business),
        closer,
    )


class OutcomeRevision(Model):
    """The outcome as it was before one change (a correction or an admin's resolution); append-only."""

    __tablename__ = "outcome_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)  # the revision number this snapshot had
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    change: Mapped[str] = mapped_column(String(20))  # corrected, adjusted, voided, confirmed_by_admin
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    outcome: Mapped[Outcome] = relationship(back_populates="revisions")
    changed_by: Mapped[User | None] = relationship()


class Review(Model):
    """A business's rating (1–5) of the closer after a won or lost call; the closer may answer once."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"))
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),)

    def can_view(self, user: User | None) -> bool:
        if user is None:
            return False
        return user.is_admin or user.id == self.closer_id or user.business_id == self.business_id
