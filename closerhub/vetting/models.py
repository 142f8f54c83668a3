"""``CloserVetting``: where a closer stands in review, one row per closer.

A table of its own rather than columns on ``closer_profiles``: the profile is what the
closer edits and what the API serialises to everyone, while vetting is admin-owned state
with internal notes that must never leak through a profile serialiser; keeping it apart
also keeps ``update_profile`` (which replaces the profile) unable to touch it. Search
joins it on the primary key, so filtering on the status costs nothing. A closer without
a row counts as ``in_review`` (fail closed: nobody appears in search unreviewed).

The history (who approved, who asked for changes, when, why) is the audit trail; the
row holds the current state and the latest review.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class VettingStatus(enum.StrEnum):
    IN_REVIEW = "in_review"  # waiting for an admin (every new closer starts here)
    APPROVED = "approved"  # visible in search, carries the "Verified" badge, can be engaged
    CHANGES_REQUESTED = "changes_requested"  # the closer fixes their profile and asks again
    REJECTED = "rejected"  # final: not admitted to the marketplace


CHECKLIST = ("stripe_onboarded", "languages_checked", "intro_call_held")


class CloserVetting(Model):
    """The review state of one closer, with the checklist an admin ticks before approving."""

    __tablename__ = "closer_vettings"

    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[VettingStatus] = mapped_column(
        str_enum(VettingStatus, "vetting_status"),
        default=VettingStatus.IN_REVIEW,
        index=True,
    )
    # The checklist: identity/payout onboarding done, languages plausible, a short intro call held.
    stripe_onboarded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    languages_checked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    intro_call_held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reason: Mapped[str | None] = mapped_column(Text)  # what the closer reads (changes requested, rejection)
    notes: Mapped[str | None] = mapped_column(Text)  # internal, admins only
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())  # entered (or re-entered) the queue

    closer: Mapped[User] = relationship(foreign_keys=[closer_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])

    @property
    def is_approved(self) -> bool:
        return self.status == VettingStatus.APPROVED

    @property
    def checklist_complete(self) -> bool:
        return all(getattr(self, item) for item in CHECKLIST)

    def can_view(self, user: User | None) -> bool:
        """The closer sees their own status; admins see everyone's."""
        return user is not None and (user.is_admin or user.id == self.closer_id)


def new_vetting(closer: User, now: datetime) -> CloserVetting:
    """The review row of a new closer: in review (sign-up adds it in its own transaction)."""
    return CloserVetting(
        closer=closer,
        status=VettingStatus.IN_REVIEW,
        stripe_onboarded=False,
        languages_checked=False,
        intro_call_held=False,
        submitted_at=now,
    )
