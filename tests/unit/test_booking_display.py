"""The booking pages' night-time rule: a slot is "night" by its start on the prospect's wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from closerhub.booking.pages.display import DAYTIME_HOURS, calendar_week, daytime_only, group_by_local_date, is_night


@pytest.mark.parametrize(
    ("utc", "zone", "night"),
    [
        (datetime(2026, 6, 2, 10, 59, tzinfo=UTC), "America/New_York", True),  # 06:59 EDT
        (datetime(2026, 6, 2, 11, 0, tzinfo=UTC), "America/New_York", False),  # 07:00
        (datetime(2026, 6, 3, 1, 59, tzinfo=UTC), "America/New_York", False),  # 21:59
        (datetime(2026, 6, 3, 2, 0, tzinfo=UTC), "America/New_York", True),  # 22:00
        (datetime(2026, 1, 5, 12, 0, tzinfo=UTC), "America/New_York", False),  # 07:00 EST: DST is applied
        (datetime(2026, 1, 5, 11, 59, tzinfo=UTC), "America/New_York", True),  # 06:59 EST
        (datetime(2026, 6, 2, 1, 15, tzinfo=UTC), "Asia/Kathmandu", False),  # 07:00 at +05:45
        (datetime(2026, 6, 2, 1, 14, tzinfo=UTC), "Asia/Kathmandu", True),
    ],
)
def test_night_is_read_on_the_wall_clock_of_the_zone(utc: datetime, zone: str, night: bool) -> None:
    assert DAYTIME_HOURS == (7, 22)
    assert is_night(utc, zone) is night


def test_daytime_only_drops_night_slots_and_emptied_days_and_counts_them(app: Flask) -> None:
    starts = [
        datetime(2026, 6, 2, 7, 0, tzinfo=UTC),  # Tue 03:00 in New York
        datetime(2026, 6, 2, 11, 0, tzinfo=UTC),  # Tue 07:00
        datetime(2026, 6, 3, 7, 0, tzinfo=UTC),  # Wed 03:00
        datetime(2026, 6, 4, 1, 30, tzinfo=UTC),  # Wed 21:30
        datetime(2026, 6, 5, 3, 0, tzinfo=UTC),  # Thu 23:00
    ]
    with app.test_request_context():
        days = group_by_local_date(((s, None) for s in starts), "America/New_York")
        kept, hidden = daytime_only(days)
    assert [d.day for d in days] == [date(2026, 6, 2), date(2026, 6, 3), date(2026, 6, 4)]
    assert [[s["night"] for s in d.slots] for d in days] == [[True, False], [True, False], [True]]
    assert hidden == 3
    assert [(d.day, [s["time"] for s in d.slots]) for d in kept] == [
        (date(2026, 6, 2), ["7:00\u202fAM"]),  # English in New York: en-US's 12-hour clock
        (date(2026, 6, 3), ["9:30\u202fPM"]),
    ]


def test_the_calendar_week_rolls_to_the_coming_week_only_on_its_last_day() -> None:
    sunday, saturday = date(2026, 12, 6), date(2026, 12, 5)
    assert calendar_week(None, sunday).first == date(2026, 12, 7)  # Monday-start: Sunday shows the coming week
    assert calendar_week(None, saturday).first == date(2026, 11, 30)
    assert calendar_week(date(2026, 12, 6), sunday).first == date(2026, 11, 30)  # asked for: as asked
    # Where weeks start on Sunday (en_US), Sunday opens its own week and Saturday shows the coming one.
    assert calendar_week(None, sunday, first_weekday=6).first == sunday
    assert calendar_week(None, saturday, first_weekday=6).first == sunday
