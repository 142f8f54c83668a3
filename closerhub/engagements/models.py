"""An engagement: a closer agrees to close one offer of a business at a fixed commission rate.

Life cycle (``service`` enforces it; every transition stamps when and who)::

    proposed ──accept (closer)──▶ active ──end (either side)──▶ ended
       │
       ├──decline (closer, with a reason)──▶ declined
       └──withdraw (business)─────────────▶ withdrawn

The rate and the commission basis (``contract_value`` or ``cash_collected``) never change
in place: new terms are a new engagement (``previous_id`` points
at the one it replaces), so history is kept and every commission can be traced to the
rate agreed at the time. At most one engagement per (closer, offer) is open (proposed
or active): a partial unique index says so on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.businesses.models import Business, Offer
from closerhub.closers.models import RATE_MAX_BPS, RATE_MIN_BPS
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class EngagementStatus(enum.StrEnum):
    PROPOSED = "proposed"  # the business asked; the closer has not answered
    ACTIVE = "active"  # the closer accepted: the only status that allows booking
    DECLINED = "declined"  # the closer said no (with a reason)
    WITHDRAWN = "withdrawn"  # the business took its proposal back before an answer
    ENDED = "ended"  # either side ended an active engagement


class CommissionBasis(enum.StrEnum):
    CONTRACT_VALUE = "contract_value"  # commission on the whole deal value, once, at confirmation
    CASH_COLLECTED = "cash_collected"  # commission accrues as each instalment is collected


OPEN_STATUSES = (EngagementStatus.PROPOSED, EngagementStatus.ACTIVE)
_OPEN_SQL = "status IN ('proposed', 'active')"


class Engagement(Model):
    """One closer working one offer of one business at ``commission_rate_bps``."""

    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    commission_rate_bps: Mapped[int] = mapped_column(Integer)
    # Part of the terms the closer accepts: like the rate, a change is a new engagement.
    commission_basis: Mapped[CommissionBasis] = mapped_column(
        str_enum(CommissionBasis, "commission_basis"),
        default=CommissionBasis.CONTRACT_VALUE,
        server_default=CommissionBasis.CONTRACT_VALUE.value,
    )
    status: Mapped[EngagementStatus] = mapped_column(
        str_enum(EngagementStatus, "engagement_status"),
        default=EngagementStatus.PROPOSED,
    )
    # The engagement this one replaces (a rate change), for the history.
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("engagements.id"))

    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by the closer
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by the closer
    decline_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: Mapped[str | None] = mapped_column(Text)

    business: Mapped[Business] = relationship()
    offer: Mapped[Offer] = relationship()
    closer: Mapped[User] = relationship(foreign_keys=[closer_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])
    previous: Mapped[Engagement | None] = relationship(remote_side=[id])

    __table_args__ = (
        CheckConstraint(
            f"commission_rate_bps BETWEEN {RATE_MIN_BPS} AND {RATE_MAX_BPS}", name="commission_rate_in_range"
        ),
        CheckConstraint(
            "status <> 'declined' OR (declined_at IS NOT NULL AND decline_reason IS NOT NULL)",
            name="declined_has_reason",
        ),
        CheckConstraint("status <> 'active' OR accepted_at IS NOT NULL", name="active_was_accepted"),
        # At most one open engagement per (closer, offer): the database settles a race the
        # service's check cannot see. Both dialects support partial indexes.
        Index(
            "uq_engagements_open_closer_offer",
            "closer_id",
            "offer_id",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status == EngagementStatus.ACTIVE

    @property
    def changed_at(self) -> datetime:
        """When the engagement last changed status."""
        return self.ended_at or self.withdrawn_at or self.declined_at or self.accepted_at or self.proposed_at

    def can_view(self, user: User | None) -> bool:
        """The closer, the business's team and admins; everyone else gets a 404."""
        if user is None:
            return False
        return user.is_admin or user.id == self.closer_id or user.business_id == self.business_id

    def __repr__(self) -> str:
        return f"<Engagement {self.id} {self.status.value} {self.commission_rate_bps}bps>"
