"""User accounts and API tokens."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import Any, Protocol

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class Membership(Protocol):
    """A user's seat in a business, as accounts sees it: ``businesses.models.BusinessMember``
    (businesses sits above accounts, so the relationship names it instead of importing it)."""

    id: int
    business_id: int
    business: Any
    role: Any


class Role(enum.StrEnum):
    """What a user is on the platform; fixed at sign-up (admins are made by the CLI)."""

    CLOSER = "closer"
    BUSINESS = "business"
    ADMIN = "admin"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class User(UserMixin, Model):
    """A person who logs in: a closer, a member of a business, or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus, "account_status"), default=AccountStatus.ACTIVE
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    membership: Mapped[Membership | None] = relationship("BusinessMember", back_populates="user", uselist=False)

    __table_args__ = (CheckConstraint("language IN ('en', 'fr')", name="language_supported"),)

    @property
    def is_active(self) -> bool:  # Flask-Login: suspended users cannot log in
        return self.status == AccountStatus.ACTIVE

    @property
    def session_fingerprint(self) -> str:
        """Changes whenever the password does (every hash has a fresh salt)."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        """Flask-Login's session id: a password change or reset invalidates old sessions."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_closer(self) -> bool:
        return self.role == Role.CLOSER

    @property
    def is_business(self) -> bool:
        return self.role == Role.BUSINESS

    @property
    def business_id(self) -> int | None:
        """The business this user works for, if any."""
        return self.membership.business_id if self.membership else None

    def can_view(self, user: User | None) -> bool:
        """A user sees their own account; admins see everyone's."""
        return user is not None and (user.id == self.id or user.is_admin)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class ApiToken(Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return ApiToken.usable(expires_at=self.expires_at, revoked_at=self.revoked_at, now=now)

    @staticmethod
    def usable(*, expires_at: datetime, revoked_at: datetime | None, now: datetime) -> bool:
        """``is_usable`` from the two columns (the API's token check reads them, not the row)."""
        return revoked_at is None and now < expires_at

    def can_view(self, user: User | None) -> bool:
        return user is not None and user.id == self.user_id
