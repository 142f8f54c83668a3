"""A lead: a prospect a business hands to its closers (unique per business and email)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    column,
    exists,
    select,
    table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.db import UTCDateTime
from closerhub.extensions import Model, db

#: The calls' table, named rather than imported (booking sits above leads): a closer sees a
#: lead they have a call with.
_CALLS = table("appointments", column("lead_id"), column("closer_id"))


class Lead(Model):
    """A prospect a business hands to its closers, with the context the closer needs on the call.

    One row per (business, email): booking again with the same email updates the lead.
    """

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))  # stored lower-cased
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the emails the prospect gets
    # The context the closer reads before the call.
    needs: Mapped[str] = mapped_column(Text, default="")
    motivations: Mapped[str] = mapped_column(Text, default="")
    blockers: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[str] = mapped_column(String(200), default="")
    decision_makers: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")  # from the setter
    source: Mapped[str] = mapped_column(String(120), default="")  # e.g. "webinar", "booking page", "csv"
    # SMS consent (the booking page's box, unticked by default): when, and the words the prospect agreed to,
    # for ``phone_e164`` as it was then (a changed number needs a new consent: ``booking.sms_consent``).
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_consent_text: Mapped[str | None] = mapped_column(Text)
    sms_consent_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    business: Mapped[Business] = relationship()

    __table_args__ = (UniqueConstraint("business_id", "email", name="uq_leads_business_email"),)

    def can_view(self, user: User | None) -> bool:
        """The business's team, admins, and closers who have a call with this lead."""
        if user is None:
            return False
        if user.is_admin or user.business_id == self.business_id:
            return True
        if not user.is_closer:
            return False
        has_call = exists().where(_CALLS.c.lead_id == self.id, _CALLS.c.closer_id == user.id)
        return bool(db.session.scalar(select(has_call)))

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.email}>"
