"""A business (the organisation that books closers) and its team members."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.db import UTCDateTime
from closerhub.extensions import db


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class Business(db.Model):
    """The organisation a business user belongs to; it owns offers, leads and engagements."""

    __tablename__ = "businesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    members: Mapped[list[BusinessMember]] = relationship(back_populates="business")

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
        return any(m.user_id == user.id and m.role == MemberRole.OWNER for m in self.members)


class BusinessMember(db.Model):
    """A user's seat in a business. A user belongs to at most one business."""

    __tablename__ = "business_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    role: Mapped[MemberRole] = mapped_column(
        Enum(
            MemberRole,
            name="member_role",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    business: Mapped[Business] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="membership")
