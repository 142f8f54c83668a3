"""``CloserNoShowReport``: the business or the prospect says the closer did not come to a call.

One report per appointment (the first one counts; a second is refused). An admin reviews it:
``confirmed`` reports count in the closer's public stats (``closers.stats``) and, repeated,
put the closer back in the vetting queue; ``rejected`` ones count nowhere. The decision is
audited (``no_show_report.confirmed`` / ``.rejected``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model


class ReportStatus(enum.StrEnum):
    PENDING = "pending"  # waits in the admin's queue
    CONFIRMED = "confirmed"  # counts in the closer's stats
    REJECTED = "rejected"


class CloserNoShowReport(Model):
    """A report that the closer missed ``appointment``, and the admin's review of it."""

    __tablename__ = "closer_no_show_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the closer of the call, then
    reported_by: Mapped[str] = mapped_column(String(20))  # "business" or "prospect"
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "no_show_report_status"), default=ReportStatus.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_note: Mapped[str | None] = mapped_column(Text)
    rebook_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the prospect's email

    appointment: Mapped[Appointment] = relationship()
    closer: Mapped[User] = relationship(foreign_keys=[closer_id])
