"""The values of a closer's availability settings: wall-clock intervals, date overrides, time off,
the limits they are checked against, and ``"HH:MM"`` reading and writing (pure).

``core.availability`` builds the whole settings (``AvailabilityRules``) from them and documents
the decisions; it re-exports every name here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from closerhub.core.errors import ValidationError
from closerhub.core.i18n import N_, _

MINUTES_PER_DAY = 24 * 60
SLOT_MINUTES_RANGE = (15, 240)
#: The start increments an offer may choose (minutes).
START_INCREMENTS = (5, 10, 15, 20, 30, 60)
HORIZON_DAYS_RANGE = (1, 365)
MAX_PER_DAY_RANGE = (1, 48)
MAX_BUFFER_MINUTES = MINUTES_PER_DAY
MAX_NOTICE_MINUTES = 365 * MINUTES_PER_DAY
#: Marked only: translate where shown (``_(WEEKDAY_NAMES[i])``).
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str, *, field: str = "time", end: bool = False) -> time:
    """Parse ``"HH:MM"`` (24-hour clock) into a ``time``; with ``end=True`` ``"24:00"`` gives ``time(0)``."""
    if isinstance(text, str):
        value = text.strip()
        if end and value == "24:00":
            return time(0)
        match = _HHMM.match(value)
        if match:
            return time(int(match.group(1)), int(match.group(2)))
    hint = "00:00–24:00" if end else "00:00–23:59"
    raise ValidationError(
        _("%(field)s: use HH:MM (%(range)s).", field=field, range=hint),
        field_errors={field: _("Use HH:MM (%(range)s).", range=hint)},
    )


def format_hhmm(value: time, *, end: bool = False) -> str:
    """``time`` back to ``"HH:MM"``; an end of ``time(0)`` is written ``"24:00"``."""
    return "24:00" if end and value == time(0) else f"{value.hour:02d}:{value.minute:02d}"


def start_minute(value: time) -> int:
    """Minutes after midnight of an interval start."""
    return value.hour * 60 + value.minute


def end_minute(value: time) -> int:
    """Minutes after midnight of an interval end (``time(0)`` = 24:00 = 1440)."""
    return start_minute(value) or MINUTES_PER_DAY


@dataclass(frozen=True)
class WeeklyInterval:
    """Every ``weekday`` (0 = Monday), the closer works ``[start, end)`` wall-clock (end ``time(0)`` = 24:00)."""

    weekday: int
    start: time
    end: time

    @property
    def minutes(self) -> tuple[int, int]:
        return start_minute(self.start), end_minute(self.end)


@dataclass(frozen=True)
class DateOverride:
    """On ``day`` these intervals replace the weekly rules; none at all = a day off."""

    day: date
    intervals: tuple[tuple[time, time], ...] = ()

    @property
    def minutes(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted((start_minute(s), end_minute(e)) for s, e in self.intervals))


@dataclass(frozen=True)
class TimeOff:
    """A UTC half-open range ``[start, end)`` when the closer takes no calls (holiday, sick day)."""

    start: datetime
    end: datetime
