"""Pre-aggregated call counts for the analytics pages (issue 18), kept by the worker.

- ``analytics_slots``: per 15-minute UTC bucket and business, the call counts and the show-up
  counts. Every zone's week starts on a quarter hour, so any viewer's weeks are exact sums of buckets.
- ``analytics_closer_days``: per UTC day, closer, business and offer, the call counts (the
  per-closer tables read whole days from here and the partial days at the period's edges live).
- ``analytics_closer_weeks``: the same per UTC week (Monday), summed from the days.
- ``analytics_dirty``: the UTC days whose calls changed since they were summed. Database
  triggers (migration ``b7a4c2e9d051``) add a row in the same transaction as every change of
  an appointment, an outcome or a text message that can move a figure, whoever writes it;
  the worker sums those days again and deletes the rows it read.
- ``analytics_refreshes``: when the worker last brought the sums up to date (one row).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from closerhub.db import UTCDateTime
from closerhub.extensions import Model

PERFORMANCE = ("appointments", "completed", "no_show", "cancelled", "held", "won")
CONFIRMATIONS = ("confirmed", "not_confirmed")
CHANNELS = ("sms", "email", "none")
# Show-up counts: the completed ("shows") and no-show ("misses") calls per confirmation and channel.
SHOW_UP = tuple(f"{kind}_{c}_{ch}" for c in CONFIRMATIONS for ch in CHANNELS for kind in ("shows", "misses"))


def _count() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0", nullable=False)


class AnalyticsSlot(Model):
    __tablename__ = "analytics_slots"

    bucket: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)  # start of the quarter hour
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # the bucket's UTC day (what a refresh replaces)
    appointments: Mapped[int] = _count()
    completed: Mapped[int] = _count()
    no_show: Mapped[int] = _count()
    cancelled: Mapped[int] = _count()
    held: Mapped[int] = _count()
    won: Mapped[int] = _count()
    shows_confirmed_sms: Mapped[int] = _count()
    misses_confirmed_sms: Mapped[int] = _count()
    shows_confirmed_email: Mapped[int] = _count()
    misses_confirmed_email: Mapped[int] = _count()
    shows_confirmed_none: Mapped[int] = _count()
    misses_confirmed_none: Mapped[int] = _count()
    shows_not_confirmed_sms: Mapped[int] = _count()
    misses_not_confirmed_sms: Mapped[int] = _count()
    shows_not_confirmed_email: Mapped[int] = _count()
    misses_not_confirmed_email: Mapped[int] = _count()
    shows_not_confirmed_none: Mapped[int] = _count()
    misses_not_confirmed_none: Mapped[int] = _count()


class AnalyticsCloserDay(Model):
    __tablename__ = "analytics_closer_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    appointments: Mapped[int] = _count()
    completed: Mapped[int] = _count()
    no_show: Mapped[int] = _count()
    cancelled: Mapped[int] = _count()
    held: Mapped[int] = _count()
    won: Mapped[int] = _count()

    __table_args__ = (Index("ix_analytics_closer_days_business_day", "business_id", "day"),)


class AnalyticsCloserWeek(Model):
    """The days of ``analytics_closer_days`` summed per UTC week (Monday to Monday): a long period
    reads a seventh of the rows."""

    __tablename__ = "analytics_closer_weeks"

    week: Mapped[date] = mapped_column(Date, primary_key=True)  # its Monday (UTC)
    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    appointments: Mapped[int] = _count()
    completed: Mapped[int] = _count()
    no_show: Mapped[int] = _count()
    cancelled: Mapped[int] = _count()
    held: Mapped[int] = _count()
    won: Mapped[int] = _count()

    __table_args__ = (Index("ix_analytics_closer_weeks_business_week", "business_id", "week"),)


class AnalyticsDirty(Model):
    __tablename__ = "analytics_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)


class AnalyticsRefresh(Model):
    __tablename__ = "analytics_refreshes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
