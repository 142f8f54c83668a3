"""What we keep of Stripe: received webhook events, closers' Connect accounts, businesses' cards.

Stripe stays the source of truth for money; these rows are our durable memory of it:
event ids (so each webhook is processed once), the last known state of each connected
account (so payouts can be refused without a network call) and the card a business saved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.db import UTCDateTime
from closerhub.extensions import Model


class StripeEvent(Model):
    """One webhook event, stored once: the primary key is Stripe's event id.

    ``processed_at`` is set in the same transaction as the handler's changes, so an event
    is either fully applied or not at all; a replay finds it processed and does nothing.
    """

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_…
    type: Mapped[str] = mapped_column(String(100), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime())  # the event's own time, for ordering
    livemode: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # True when no handler existed for the type at processing time (stored for later, not acted on).
    ignored: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)  # the last handler failure, if any


class ConnectAccount(Model):
    """A closer's Stripe Express account and its last known state.

    The row exists before the Stripe account does: its id is the idempotency key of the
    creation call, so a retry after a crash finds the same account instead of a second one.
    """

    __tablename__ = "connect_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    stripe_account_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    requirements_due: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    # The instant the stored state describes: an ``account.updated`` event's ``created`` time,
    # or the time of a live read. Older events are ignored (they arrive out of order).
    updated_from_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    closer: Mapped[User] = relationship()

    def can_view(self, user: User | None) -> bool:
        """The closer and admins."""
        return user is not None and (user.is_admin or user.id == self.closer_id)


class BusinessBilling(Model):
    """A business's Stripe customer and the card charged off-session (brand/last4/expiry only)."""

    __tablename__ = "business_billing"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    default_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_exp_month: Mapped[int | None] = mapped_column(Integer)
    card_exp_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    business: Mapped[Business] = relationship()

    @property
    def has_card(self) -> bool:
        return self.default_payment_method_id is not None

    def can_view(self, user: User | None) -> bool:
        """Members of the business and admins."""
        return user is not None and (user.is_admin or user.business_id == self.business_id)
