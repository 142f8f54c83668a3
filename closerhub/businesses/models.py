"""A business (the organisation that books closers), its team, its invitations and its offers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.core.money import Money
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class Business(Model):
    """The organisation a business user belongs to; it owns offers, leads and engagements."""

    __tablename__ = "businesses"
    __table_args__ = (
        CheckConstraint("change_notice_minutes BETWEEN 0 AND 20160", name="change_notice_minutes"),
        CheckConstraint("max_reschedules BETWEEN 0 AND 10", name="max_reschedules"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # What the business sells (a slug of ``closers.taxonomy.INDUSTRIES``) and who its prospects
    # are: the languages they speak (ISO 639-1) and the zones they live in (IANA). Search uses
    # them as default filters; closers see them before accepting an engagement.
    industry: Mapped[str | None] = mapped_column(String(40))
    prospect_languages: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    prospect_timezones: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Change policy for booked calls (reschedule / cancel), applied to prospects, closers and
    # the team alike (admins excepted): no change within ``change_notice_minutes`` of the
    # start, a reason when ``change_reason_required``, at most ``max_reschedules`` moves.
    change_notice_minutes: Mapped[int] = mapped_column(Integer, default=240, server_default="240")
    change_reason_required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    max_reschedules: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # The brand the prospect sees on the booking pages (``businesses.brand``): a ``#rrggbb``
    # colour and an https logo URL, both optional.
    brand_color: Mapped[str | None] = mapped_column(String(7))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    # Exact origins (``https://www.example.com``) whose pages may frame the booking page.
    embed_origins: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    members: Mapped[list[BusinessMember]] = relationship(back_populates="business", order_by="BusinessMember.id")

    def can_view(self, user: User | None) -> bool:
        """Members of the business and admins; everyone else gets a 404."""
        if user is None:
            return False
        return user.is_admin or user.business_id == self.id

    def can_edit(self, user: User | None) -> bool:
        """Only the owner edits the organisation (and admins)."""
        if user is None:
            return False
        if user.is_admin:
            return True
        return self.is_owner(user)

    def is_owner(self, user: User | None) -> bool:
        """True for the business's owner (not for admins: they do not manage the team)."""
        return user is not None and any(m.user_id == user.id and m.role == MemberRole.OWNER for m in self.members)

    def is_member(self, user: User | None) -> bool:
        """True for anyone on the team, the owner included."""
        return user is not None and user.business_id == self.id

    @property
    def owner(self) -> User | None:
        return next((m.user for m in self.members if m.role == MemberRole.OWNER), None)


class BusinessMember(Model):
    """A user's seat in a business. A user belongs to at most one business."""

    __tablename__ = "business_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, "member_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    business: Mapped[Business] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="membership")


class InvitationStatus(enum.StrEnum):
    """Derived, never stored: a row is pending until accepted, revoked or past ``expires_at``."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class TeamInvitation(Model):
    """An owner's invitation for a colleague to join the business as a member.

    The link carries a random secret; only its SHA-256 is stored (``token_hash``), so the
    table cannot be used to join. It works until ``expires_at``, and once: accepting sets
    ``accepted_at`` with a conditional UPDATE, so two clicks cannot create two accounts.
    """

    __tablename__ = "team_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the email, and the new account's default
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    business: Mapped[Business] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def status(self, now: datetime) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def can_view(self, user: User | None) -> bool:
        return self.business.can_view(user)


BOOKING_QUESTIONS_MAX = 10


class Offer(Model):
    """What a business sells through closers: the price, the pitch and how to run the call.

    ``booking_key`` is the public, unguessable key of the offer's booking page (prospects
    book without an account); rotating it retires old links.
    """

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    price_amount: Mapped[int] = mapped_column(BigInteger)  # minor units of price_currency
    price_currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="")
    sales_cycle_days: Mapped[int | None] = mapped_column(Integer)  # typical days from first call to signature
    closing_script: Mapped[str] = mapped_column(Text, default="")  # the call guide the closer follows
    qualification_notes: Mapped[str] = mapped_column(Text, default="")  # who is a fit, who is not
    booking_questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # asked on the booking page
    # The call the offer books, whichever closer takes it: its length and the minutes between
    # the starts offered (cut out of each closer's availability windows by ``core.slots``).
    call_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    start_increment_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "Calls are recorded": the booking page says so, and asks for consent where every party must agree.
    calls_recorded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    booking_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    business: Mapped[Business] = relationship()

    __table_args__ = (
        CheckConstraint("price_amount > 0", name="price_positive"),
        CheckConstraint("sales_cycle_days IS NULL OR sales_cycle_days BETWEEN 0 AND 3650", name="sales_cycle_days"),
        CheckConstraint("call_minutes BETWEEN 15 AND 240", name="call_minutes"),
        CheckConstraint("start_increment_minutes IN (5, 10, 15, 20, 30, 60)", name="start_increment_minutes"),
    )

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)

    @property
    def call(self) -> tuple[int, int]:
        """``(call_minutes, start_increment_minutes)``: the calls the offer books (``AvailabilityRules.for_call``)."""
        return self.call_minutes or 60, self.start_increment_minutes or 60

    def can_view(self, user: User | None) -> bool:
        """The business's team and admins. Closers see an offer through their engagement."""
        return user is not None and (user.is_admin or user.business_id == self.business_id)

    def can_edit(self, user: User | None) -> bool:
        """Every member of the business (owner or member) manages its offers."""
        return user is not None and user.business_id == self.business_id

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.name!r}>"
