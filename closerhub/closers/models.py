"""A closer's public profile, languages and industries (availability models live beside them)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closerhub.accounts.models import User
from closerhub.core.availability import (
    HORIZON_DAYS_RANGE,
    MAX_BUFFER_MINUTES,
    MAX_NOTICE_MINUTES,
    MAX_PER_DAY_RANGE,
    SLOT_MINUTES_RANGE,
)
from closerhub.db import UTCDateTime, str_enum
from closerhub.extensions import Model

RATE_MIN_BPS = 1000  # 10 %
RATE_MAX_BPS = 2000  # 20 %


class LanguageLevel(enum.StrEnum):
    NATIVE = "native"
    FLUENT = "fluent"
    WORKING = "working"


class MeetingMode(enum.StrEnum):
    GENERATED_ROOM = "generated_room"  # a unique video room per appointment
    OWN_URL = "own_url"  # the closer's own meeting link


class CloserProfile(Model):
    """What businesses see when they look for a closer. One per closer user."""

    __tablename__ = "closer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    headline: Mapped[str] = mapped_column(String(140), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    years_experience: Mapped[int] = mapped_column(Integer, default=0)
    min_rate_bps: Mapped[int] = mapped_column(Integer, default=RATE_MIN_BPS)
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    meeting_mode: Mapped[MeetingMode] = mapped_column(
        str_enum(MeetingMode, "meeting_mode"), default=MeetingMode.GENERATED_ROOM
    )
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    photo_url: Mapped[str | None] = mapped_column(String(500))  # https; shown to prospects on booking pages
    # The secret in the closer's private ICS feed URL (/calendar/<key>.ics); None = no feed.
    # Kept readable (like Google Calendar's secret address) so the closer can copy it again;
    # it only grants read access to their schedule, and regenerating it retires the old URL.
    calendar_feed_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    languages: Mapped[list[CloserLanguage]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="CloserLanguage.code"
    )
    industries: Mapped[list[CloserIndustry]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="CloserIndustry.industry"
    )

    __table_args__ = (
        CheckConstraint(f"min_rate_bps BETWEEN {RATE_MIN_BPS} AND {RATE_MAX_BPS}", name="min_rate_in_range"),
        CheckConstraint("years_experience BETWEEN 0 AND 80", name="years_experience_plausible"),
    )

    def can_view(self, user: User | None) -> bool:
        """Closer profiles are public to every logged-in user (businesses search them)."""
        return user is not None


class CloserLanguage(Model):
    """A language the closer sells in (ISO 639-1) and how well."""

    __tablename__ = "closer_languages"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("closer_profiles.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(2), index=True)
    level: Mapped[LanguageLevel] = mapped_column(str_enum(LanguageLevel, "language_level"))

    profile: Mapped[CloserProfile] = relationship(back_populates="languages")

    __table_args__ = (UniqueConstraint("profile_id", "code", name="uq_closer_language"),)


class CloserIndustry(Model):
    """An industry or offer type the closer closes (slug from ``closers.taxonomy.INDUSTRIES``)."""

    __tablename__ = "closer_industries"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("closer_profiles.id", ondelete="CASCADE"))
    industry: Mapped[str] = mapped_column(String(40), index=True)

    profile: Mapped[CloserProfile] = relationship(back_populates="industries")

    __table_args__ = (UniqueConstraint("profile_id", "industry", name="uq_closer_industry"),)


# --- availability ------------------------------------------------------------------------
#
# Weekly hours and date overrides are wall-clock times in the closer's zone
# (``users.timezone``), stored as minutes since local midnight (0–1440, so an interval may
# end at 24:00). Time off is a pair of UTC instants. ``core.availability.build_rules``
# validates the whole set; the CHECK constraints below are the database's last word.

DAY_MINUTES = 24 * 60


def new_rules_etag() -> str:
    """A fresh ``rules_etag``: random, so no two saves (of any closer, in any database) share one."""
    return uuid.uuid4().hex


class AvailabilitySettings(Model):
    """A closer's booking rules. One row per closer, created on their first save."""

    __tablename__ = "closer_availability_settings"

    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=240)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    max_per_day: Mapped[int | None] = mapped_column(Integer)  # None: no daily cap
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A new random value on every save (``replace_availability``): the key under which a
    # process may keep these rules in memory (``closers.rules``). '' (rows saved before the
    # column existed) is never cached.
    rules_etag: Mapped[str] = mapped_column(String(32), default=new_rules_etag, server_default="")

    weekly: Mapped[list[WeeklyRule]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: (WeeklyRule.weekday, WeeklyRule.start_minute)
    )
    overrides: Mapped[list[DateOverrideRow]] = relationship(
        cascade="all, delete-orphan", order_by="DateOverrideRow.day"
    )
    time_off: Mapped[list[TimeOffRow]] = relationship(cascade="all, delete-orphan", order_by="TimeOffRow.starts_at")

    __table_args__ = (
        CheckConstraint("slot_minutes BETWEEN {} AND {}".format(*SLOT_MINUTES_RANGE), name="slot_minutes_in_range"),
        CheckConstraint(f"buffer_minutes BETWEEN 0 AND {MAX_BUFFER_MINUTES}", name="buffer_minutes_in_range"),
        CheckConstraint(f"min_notice_minutes BETWEEN 0 AND {MAX_NOTICE_MINUTES}", name="min_notice_in_range"),
        CheckConstraint("horizon_days BETWEEN {} AND {}".format(*HORIZON_DAYS_RANGE), name="horizon_days_in_range"),
        CheckConstraint(
            "max_per_day IS NULL OR max_per_day BETWEEN {} AND {}".format(*MAX_PER_DAY_RANGE),
            name="max_per_day_in_range",
        ),
    )


class WeeklyRule(Model):
    """One interval of weekly hours: ``weekday`` (0 = Monday) from ``start_minute`` to ``end_minute``."""

    __tablename__ = "closer_weekly_intervals"

    id: Mapped[int] = mapped_column(primary_key=True)
    closer_id: Mapped[int] = mapped_column(
        ForeignKey("closer_availability_settings.closer_id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_range"),
        CheckConstraint(
            f"start_minute >= 0 AND end_minute <= {DAY_MINUTES} AND start_minute < end_minute",
            name="interval_in_day",
        ),
    )


class DateOverrideRow(Model):
    """A date whose hours replace the weekly ones: its intervals, or none at all (a day off)."""

    __tablename__ = "closer_date_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    closer_id: Mapped[int] = mapped_column(ForeignKey("closer_availability_settings.closer_id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)

    intervals: Mapped[list[OverrideInterval]] = relationship(
        cascade="all, delete-orphan", order_by="OverrideInterval.start_minute"
    )

    __table_args__ = (UniqueConstraint("closer_id", "day", name="uq_closer_override_day"),)

    @property
    def is_day_off(self) -> bool:
        return not self.intervals


class OverrideInterval(Model):
    """One interval of an override date, in the closer's wall-clock time."""

    __tablename__ = "closer_override_intervals"

    id: Mapped[int] = mapped_column(primary_key=True)
    override_id: Mapped[int] = mapped_column(ForeignKey("closer_date_overrides.id", ondelete="CASCADE"), index=True)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint(
            f"start_minute >= 0 AND end_minute <= {DAY_MINUTES} AND start_minute < end_minute",
            name="interval_in_day",
        ),
    )


class TimeOffRow(Model):
    """A range of instants ``[starts_at, ends_at)`` when the closer takes no calls (holidays, travel)."""

    __tablename__ = "closer_time_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    closer_id: Mapped[int] = mapped_column(
        ForeignKey("closer_availability_settings.closer_id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (CheckConstraint("starts_at < ends_at", name="time_off_ordered"),)


class AvailabilitySummary(Model):
    """Precomputed availability per closer, so search never computes slots per closer per request.

    Written by ``availability_service.refresh_summary`` whenever a closer's availability,
    zone or bookings change (same transaction), and by the ``refresh_availability_summaries``
    job every 15 minutes (counts shift as time passes).

    - ``next_available_at``: start of the first free slot within the booking horizon (UTC), or NULL.
    - ``free_slots_7d`` / ``free_slots_14d``: free slots starting in ``[refreshed_at, +7 d)`` /
      ``[refreshed_at, +14 d)``, after notice, horizon, daily cap, time off and busy time.
    - ``weekly_minutes``: JSON list of 168 ints; item ``h`` = minutes of weekly hours (no
      overrides, time off or bookings: the closer's usual week) falling in hour ``h`` of the
      UTC reference week (``core.matching.reference_week_start``: Monday 00:00 UTC of the
      week of ``refreshed_at``), so DST is the real one for that week.
    - ``weekly_hours_mask``: the same as a 168-bit mask (bit ``h`` set when ``weekly_minutes[h] > 0``),
      42 hex digits (``core.matching.mask_to_hex``), for overlap with a prospect's daytime.
    - ``refreshed_at``: the ``now`` the row was computed for.
    """

    __tablename__ = "closer_availability_summary"

    closer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    next_available_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    free_slots_7d: Mapped[int] = mapped_column(Integer, default=0, index=True)
    free_slots_14d: Mapped[int] = mapped_column(Integer, default=0)
    weekly_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)
    weekly_hours_mask: Mapped[str] = mapped_column(String(42), default="0" * 42)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
