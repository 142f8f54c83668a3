"""The booking page's month calendar: which days of a month have free times, and the chosen day.

Pure date arithmetic over the slots the page already computed (``display.DaySlots``): the view
fetches one month's free slots in one call, this module lays them out as weeks of day cells and
picks the day whose times show beside the calendar. Every cell is a plain link
(``?day=YYYY-MM-DD``), so the picker works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import format_date

from closerhub.booking.pages.display import DaySlots, long_day_label, month_label

WEEK_DAYS = 7


@dataclass(frozen=True)
class DayCell:
    """One cell of the month grid: a date of the month (``None`` pads the first and last weeks)."""

    day: date | None
    free: int  # how many free times that day (0: not bookable)
    chosen: bool
    today: bool


@dataclass(frozen=True)
class MonthPicker:
    """A month's grid, the chosen day and its times, and the months the pager may go to."""

    first: date
    weeks: list[list[DayCell]]
    weekdays: list[date]  # one date per column, for the column headers
    chosen: DaySlots | None
    chosen_day: date | None
    prev: date | None
    next: date | None


def month_of(requested: date | None, today: date, last_bookable: date) -> date:
    """The first of the month to show: the requested day's (default today's), kept inside today..the horizon."""
    anchor = min(max(requested or today, today), max(today, last_bookable))
    return anchor.replace(day=1)


def month_last(first: date) -> date:
    """The last date of the month starting on ``first``."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_picker(
    first: date,
    days: list[DaySlots],
    *,
    requested: date | None,
    today: date,
    last_bookable: date,
    first_weekday: int = 0,
) -> MonthPicker:
    """Lay out the month from ``first`` with ``days`` (its free times), choosing ``requested`` when it is in
    the month, else the month's first day with free times."""
    last = month_last(first)
    by_day = {d.day: d for d in days if first <= d.day <= last}
    if requested is not None and first <= requested <= last:
        chosen_day: date | None = requested
    else:
        chosen_day = min(by_day) if by_day else None
    lead = (first.weekday() - first_weekday) % WEEK_DAYS
    cells = [DayCell(None, 0, False, False)] * lead
    day = first
    while day <= last:
        free = len(by_day[day].slots) if day in by_day else 0
        cells.append(DayCell(day, free, day == chosen_day, day == today))
        day += timedelta(days=1)
    cells += [DayCell(None, 0, False, False)] * (-len(cells) % WEEK_DAYS)
    weeks = [cells[i : i + WEEK_DAYS] for i in range(0, len(cells), WEEK_DAYS)]
    column_start = first - timedelta(days=lead)
    next_first = last + timedelta(days=1)
    return MonthPicker(
        first=first,
        weeks=weeks,
        weekdays=[column_start + timedelta(days=i) for i in range(WEEK_DAYS)],
        chosen=by_day.get(chosen_day) if chosen_day else None,
        chosen_day=chosen_day,
        prev=(first - timedelta(days=1)).replace(day=1) if first > today.replace(day=1) else None,
        next=next_first if next_first <= last_bookable else None,
    )


def picker_labels(picker: MonthPicker, zone: str | None = None) -> dict[str, Any]:
    """What the month grid template (``booking/_month_grid.html``) writes: the month's name, a day's
    long name (for the cells' labels) and each column's weekday (narrow, and in full for ``<abbr>``)."""
    return {
        "month_name": month_label(picker.first),
        "day_name": lambda day: long_day_label(day, zone),
        "weekday_names": [(format_date(d, "EEEEE"), format_date(d, "EEEE")) for d in picker.weekdays],
    }
