"""How booking pages read their query parameters and show times: parsing and formatting only, no rules.

Every time a page shows carries its zone. Slots travel in URLs as UTC instants
(``2026-12-08T15:00:00Z``) so a link means the same instant whatever zone the reader picks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _

from closerhub.core.tz import is_valid_zone, to_local
from closerhub.i18n import local_time, reader_locale, zone_city

WEEK_DAYS = 7
YEAR_RANGE = (2000, 2200)
# A prospect's waking hours: the booking page offers calls starting from 07:00 to 21:59 in the
# prospect's zone first, and the rest (a Paris closer's morning is a Californian's night) on demand.
DAYTIME_HOURS = (7, 22)


def iso_z(instant: datetime) -> str:
    """``2026-12-08T15:00:00Z``: the form an instant takes in links and hidden fields."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: What a slot's start is written as in the one ``url_for`` a page builds its slot links from (``slot_links``).
START_MARK = "START"


def slot_links(key: str, query: dict[str, Any]) -> Callable[[str], str]:
    """The confirm step's link of a slot for each start (``iso_z``) of the offer ``key``, from one ``url_for``
    (``start=START_MARK`` first): the same text ``url_for`` gives, without its cost per slot."""
    url = url_for("booking_public.confirm", key=key, start=START_MARK, **query)
    head, mark, tail = url.partition(f"?start={START_MARK}")
    if not mark:
        raise ValueError(f"{url!r}: start={START_MARK} must be the first query argument")
    return lambda start: f"{head}?start={quote(start, safe=':')}{tail}"


def parse_start(raw: str | None) -> datetime | None:
    """An aware UTC instant from ``raw`` (ISO 8601 with offset or ``Z``); None if missing, naive, malformed, absurd."""
    if not isinstance(raw, str) or not 0 < len(raw) <= 40:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+"))  # "+" arrives as a space when not encoded
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    # Far-off years are no bookable time, and date arithmetic around them would overflow.
    return value if YEAR_RANGE[0] <= value.year <= YEAR_RANGE[1] else None


def parse_zone(raw: str | None, default: str) -> tuple[str, str | None]:
    """The zone asked for (``?tz=``), or ``default`` and a message saying why it was not used."""
    if raw is None or raw == "":
        return default, None
    zone = str(raw).strip()
    if is_valid_zone(zone):
        return zone, None
    return default, _("Unknown time zone “%(zone)s”; times are shown in %(default)s.", zone=zone[:64], default=default)


def parse_day(raw: str | None) -> date | None:
    """A ``YYYY-MM-DD`` date, or None."""
    if not isinstance(raw, str) or len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_id(raw: str | None) -> int | None:
    """A positive database id from a query parameter, or None."""
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
        value = int(raw)
        return value if value > 0 else None
    return None


def day_label(day: date) -> str:
    """``Mon 7 Dec`` in the page's language."""
    return format_date(day, "EEE d MMM")


def long_day_label(day: date, zone: str | None = None) -> str:
    """A day in full, in the reader's conventions: ``Tuesday, December 8`` (en-US), ``Tuesday 8 December``
    (en-GB), ``mardi 8 décembre`` (``zone``: the zone shown, standing in for a reader with no zone of their own)."""
    locale = reader_locale(zone)
    return babel_format_date(day, _day_pattern(str(locale)), locale=locale)


@lru_cache(maxsize=16)
def _day_pattern(locale: str) -> str:
    """The locale's full date pattern without its year (``EEEE, MMMM d`` for en-US, ``EEEE d MMMM`` for fr)."""
    return re.sub(r"[,\s]*y+\s*$", "", Locale.parse(locale).date_formats["full"].pattern)


def clock_hours(zone: str) -> int:
    """12 or 24: how the reader's clock reads (for the zone picker's current times, drawn by the browser)."""
    return 12 if "h" in reader_locale(zone).time_formats["short"].pattern else 24


def first_weekday(zone: str) -> int:
    """The weekday a calendar's weeks start on for the reader in ``zone`` (0 = Monday; Sunday in the US)."""
    return int(reader_locale(zone).first_week_day)


def month_label(first: date) -> str:
    """``June 2026`` in the page's language (``juin 2026``)."""
    return format_date(first, "LLLL yyyy")


def _night(local: datetime) -> bool:
    return not DAYTIME_HOURS[0] <= local.hour < DAYTIME_HOURS[1]


def is_night(instant: datetime, zone: str) -> bool:
    """Whether ``instant`` starts outside ``DAYTIME_HOURS`` on the wall clock of ``zone``."""
    return _night(to_local(instant, zone))


def daytime_label(zone: str) -> str:
    """``7:00 AM–10:00 PM`` (en-US) or ``07:00–22:00`` (fr, en-GB): ``DAYTIME_HOURS`` as read in ``zone``."""
    locale = reader_locale(zone)
    first, last = (format_time(time(h), "short", locale=locale) for h in DAYTIME_HOURS)
    return f"{first}–{last}"


def hhmm(instant: datetime, zone: str) -> str:
    """The wall-clock time of an instant in ``zone`` in the reader's conventions (``9:00 AM``, ``09:00``)."""
    return local_time(instant, zone, "time")


def when_label(start: datetime, end: datetime | None, zone: str) -> str:
    """``Tuesday, December 8, 10:00 AM–11:00 AM (New York)``; without ``end``: ``…, 10:00 AM (New York)``.

    The day and times follow the reader's conventions (12-hour for en-US, 24-hour for fr and en-GB); the
    zone is named by its city, in the reader's language.
    """
    local = to_local(start, zone)
    times = f"{hhmm(start, zone)}–{hhmm(end, zone)}" if end is not None else hhmm(start, zone)
    return f"{long_day_label(local.date(), zone)}, {times} ({zone_city(zone)})"


@dataclass(frozen=True)
class DaySlots:
    """One local date of a slot picker and its slots' start times."""

    day: date
    label: str
    slots: list[dict[str, Any]]


def group_by_local_date(
    starts: Iterable[tuple[datetime, datetime | None]], zone: str, *, other_zone: str | None = None
) -> list[DaySlots]:
    """Slots ``(start, end)`` grouped by their start's local date in ``zone``, in order.

    Each slot is ``{"start": iso, "time": "10:00", "end_time": "11:00" | None, "night": False, "other": "16:00"}``;
    ``night``: it starts outside ``DAYTIME_HOURS`` in ``zone``; ``other`` is the same start in
    ``other_zone`` (the closer's schedule shows both), ``other_night`` the same test there.
    """
    days: dict[date, DaySlots] = {}
    labels: dict[tuple[str, time], str] = {}  # a wall time reads the same all month: formatted once

    def label(instant: datetime, in_zone: str, local: datetime | None = None) -> str:
        wall = (local or to_local(instant, in_zone)).time()
        text = labels.get((in_zone, wall))
        if text is None:
            text = labels[(in_zone, wall)] = hhmm(instant, in_zone)
        return text

    for start, end in sorted(starts, key=lambda s: s[0]):
        local = to_local(start, zone)
        day = days.get(local.date())
        if day is None:
            day = days[local.date()] = DaySlots(local.date(), day_label(local.date()), [])
        item: dict[str, Any] = {
            "start": iso_z(start),
            "time": label(start, zone, local),
            "end_time": label(end, zone) if end is not None else None,
            "night": _night(local),
        }
        if other_zone:
            other = to_local(start, other_zone)
            item["other"] = label(start, other_zone, other)
            item["other_night"] = _night(other)
            item["other_day"] = day_label(other.date()) if other.date() != local.date() else ""
        day.slots.append(item)
    return list(days.values())


def daytime_only(days: list[DaySlots]) -> tuple[list[DaySlots], int]:
    """``days`` without their night-time slots (days left empty are dropped), and how many slots were left out."""
    kept: list[DaySlots] = []
    hidden = 0
    for day in days:
        slots = [s for s in day.slots if not s["night"]]
        hidden += len(day.slots) - len(slots)
        if slots:
            kept.append(DaySlots(day.day, day.label, slots))
    return kept, hidden


@dataclass(frozen=True)
class Week:
    """A 7-day window of local dates and where the pager may go from it."""

    first: date
    last: date
    prev: date | None
    next: date | None

    @property
    def label(self) -> str:
        return f"{day_label(self.first)} – {day_label(self.last)}"


def booking_week(requested: date | None, today: date, last_bookable: date) -> Week:
    """The 7 days from ``requested`` (default today), kept inside ``today``..``last_bookable`` (the horizon)."""
    first = max(requested or today, today)
    if first > last_bookable:
        first = max(today, last_bookable - timedelta(days=WEEK_DAYS - 1))
    last = first + timedelta(days=WEEK_DAYS - 1)
    prev = max(today, first - timedelta(days=WEEK_DAYS)) if first > today else None
    nxt = last + timedelta(days=1)
    return Week(first, last, prev, nxt if nxt <= last_bookable else None)


def calendar_week(requested: date | None, today: date, first_weekday: int = 0) -> Week:
    """The week starting on ``first_weekday`` (0 = Monday) that holds ``requested``; the pager goes anywhere.

    Without ``requested`` it is the week holding today, except on the week's last day (Sunday
    where weeks start on Monday): then it is the coming week, because that evening a closer
    plans the week ahead; the ending week is one "Previous week" away.
    """
    anchor = requested
    if anchor is None:
        last_day = (today.weekday() - first_weekday) % WEEK_DAYS == WEEK_DAYS - 1
        anchor = today + timedelta(days=1) if last_day else today
    first = anchor - timedelta(days=(anchor.weekday() - first_weekday) % WEEK_DAYS)
    last = first + timedelta(days=WEEK_DAYS - 1)
    return Week(first, last, first - timedelta(days=WEEK_DAYS), last + timedelta(days=1))
