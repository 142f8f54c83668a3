"""Availability settings: parsing raw input and refusing bad rules with field-level messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from closerhub.core.availability import (
    AvailabilityRules,
    DateOverride,
    TimeOff,
    WeeklyInterval,
    build_rules,
    format_hhmm,
    parse_hhmm,
    time_off_for_dates,
)
from closerhub.core.errors import ValidationError


def rules(**overrides: object) -> AvailabilityRules:
    settings: dict[str, object] = {"timezone": "Europe/Paris", "slot_minutes": 60}
    settings.update(overrides)
    return build_rules(**settings)  # type: ignore[arg-type]


def errors_of(**overrides: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as exc:
        rules(**overrides)
    assert exc.value.status == 422
    return exc.value.field_errors


# --- HH:MM ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("09:00", time(9)), ("9:05", time(9, 5)), ("23:59", time(23, 59))])
def test_parses_hours_and_minutes(text, expected):
    assert parse_hhmm(text) == expected


def test_24_00_is_accepted_only_as_an_end_and_means_end_of_day():
    assert parse_hhmm("24:00", end=True) == time(0)
    assert format_hhmm(time(0), end=True) == "24:00"
    assert format_hhmm(time(0)) == "00:00"
    with pytest.raises(ValidationError):
        parse_hhmm("24:00")


@pytest.mark.parametrize("text", ["", "9", "09:60", "25:00", "24:01", "09:00:00", "9h00", None, 900])
def test_refuses_malformed_times_naming_the_field(text):
    with pytest.raises(ValidationError) as exc:
        parse_hhmm(text, field="weekly[0].start", end=True)
    assert set(exc.value.field_errors) == {"weekly[0].start"}


# --- building valid rules -------------------------------------------------------------------------


def test_builds_rules_from_api_shaped_input():
    built = rules(
        buffer_minutes=10,
        min_notice_minutes=120,
        horizon_days=30,
        max_per_day=4,
        weekly=[{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "14:00", "end": "24:00"}],
        overrides=[
            {"date": "2026-12-24", "intervals": [{"start": "09:00", "end": "11:00"}]},
            {"date": "2026-12-25", "intervals": []},
        ],
        time_off=[{"start": "2026-08-01T00:00:00+02:00", "end": "2026-08-16T00:00:00Z"}],
    )
    assert built.weekly == (WeeklyInterval(0, time(9), time(12)), WeeklyInterval(0, time(14), time(0)))
    assert built.overrides == (
        DateOverride(date(2026, 12, 24), ((time(9), time(11)),)),
        DateOverride(date(2026, 12, 25), ()),
    )
    assert built.time_off == (TimeOff(datetime(2026, 7, 31, 22, tzinfo=UTC), datetime(2026, 8, 16, tzinfo=UTC)),)
    assert built.time_off[0].start.tzinfo is UTC
    assert (built.buffer_minutes, built.min_notice_minutes, built.horizon_days, built.max_per_day) == (10, 120, 30, 4)
    assert built.zone == ZoneInfo("Europe/Paris")


def test_accepts_the_dataclasses_and_interval_pairs_as_input():
    built = rules(
        weekly=[WeeklyInterval(2, time(9), time(17))],
        overrides=[DateOverride(date(2026, 5, 1), ()), {"date": date(2026, 5, 8), "intervals": [["10:00", "12:00"]]}],
        time_off=[TimeOff(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))],
    )
    assert built.overrides[1] == DateOverride(date(2026, 5, 8), ((time(10), time(12)),))


def test_an_override_replaces_the_weekly_rules_of_its_date_and_an_empty_one_is_a_day_off():
    built = rules(
        weekly=[{"weekday": 3, "start": "09:00", "end": "17:00"}],
        overrides=[
            {"date": "2026-12-24", "intervals": [{"start": "14:00", "end": "16:00"}]},  # a Thursday
            {"date": "2026-12-31", "intervals": []},  # a Thursday
            {"date": "2026-12-26", "intervals": [{"start": "10:00", "end": "12:00"}]},  # a Saturday
        ],
    )
    assert built.intervals_on(date(2026, 12, 17)) == ((540, 1020),)
    assert built.intervals_on(date(2026, 12, 24)) == ((840, 960),)
    assert built.intervals_on(date(2026, 12, 31)) == ()
    assert built.intervals_on(date(2026, 12, 26)) == ((600, 720),)
    assert built.weekly_on(3) == ((540, 1020),)


def test_several_intervals_on_a_weekday_come_back_sorted_and_back_to_back_ones_are_allowed():
    built = rules(
        weekly=[
            {"weekday": 1, "start": "14:00", "end": "18:00"},
            {"weekday": 1, "start": "09:00", "end": "12:00"},
            {"weekday": 1, "start": "12:00", "end": "14:00"},
        ]
    )
    assert built.weekly_on(1) == ((540, 720), (720, 840), (840, 1080))


def test_max_per_day_none_means_unlimited():
    assert rules(max_per_day=None).max_per_day is None


def test_validate_accepts_well_formed_rules_and_returns_them():
    built = rules(weekly=[{"weekday": 0, "start": "09:00", "end": "17:00"}])
    assert built.validate() is built


def test_validate_refuses_rules_built_by_hand_with_the_same_field_names():
    bad = AvailabilityRules(
        timezone="Europe/Paris",
        slot_minutes=60,
        weekly=(WeeklyInterval(0, time(9), time(17)), WeeklyInterval(7, time(9), time(10))),
    )
    with pytest.raises(ValidationError) as exc:
        bad.validate()
    assert set(exc.value.field_errors) == {"weekly[1].weekday"}


# --- refusals -------------------------------------------------------------------------------------


def test_refuses_an_unknown_time_zone():
    assert set(errors_of(timezone="Mars/Olympus")) == {"timezone"}


@pytest.mark.parametrize("value", [14, 241, 0, -30, "60", 60.0, True, None])
def test_refuses_a_slot_length_outside_15_to_240_minutes_or_not_an_integer(value):
    assert set(errors_of(slot_minutes=value)) == {"slot_minutes"}


@pytest.mark.parametrize("value", [15, 240])
def test_accepts_the_slot_length_bounds(value):
    assert rules(slot_minutes=value).slot_minutes == value


@pytest.mark.parametrize("field", ["buffer_minutes", "min_notice_minutes"])
def test_refuses_a_negative_buffer_or_notice(field):
    assert set(errors_of(**{field: -1})) == {field}


@pytest.mark.parametrize("value", [0, 366])
def test_refuses_a_horizon_outside_1_to_365_days(value):
    assert set(errors_of(horizon_days=value)) == {"horizon_days"}


@pytest.mark.parametrize("value", [0, 49, -1])
def test_refuses_max_per_day_outside_1_to_48(value):
    assert set(errors_of(max_per_day=value)) == {"max_per_day"}


@pytest.mark.parametrize("weekday", [-1, 7, "1", None])
def test_refuses_a_weekday_outside_0_to_6(weekday):
    errors = errors_of(weekly=[{"weekday": weekday, "start": "09:00", "end": "12:00"}])
    assert set(errors) == {"weekly[0].weekday"}


@pytest.mark.parametrize(("start", "end"), [("12:00", "09:00"), ("09:00", "09:00"), ("10:00", "09:59")])
def test_refuses_an_interval_that_ends_at_or_before_its_start_naming_its_end(start, end):
    errors = errors_of(weekly=[{"weekday": 2, "start": start, "end": end}])
    assert set(errors) == {"weekly[0].end"}
    assert "after start" in errors["weekly[0].end"]


def test_an_interval_may_end_at_24_00_or_00_00_both_meaning_midnight_at_the_end_of_the_day():
    built = rules(
        weekly=[{"weekday": 2, "start": "18:00", "end": "24:00"}, {"weekday": 3, "start": "18:00", "end": "00:00"}]
    )
    assert built.weekly_on(2) == built.weekly_on(3) == ((1080, 1440),)


def test_00_00_to_24_00_is_the_whole_day():
    assert rules(weekly=[{"weekday": 6, "start": "00:00", "end": "24:00"}]).weekly_on(6) == ((0, 1440),)


def test_field_names_use_the_position_in_the_input_list():
    errors = errors_of(
        weekly=[
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 1, "start": "09:00", "end": "12:00"},
            {"weekday": 2, "start": "13:00", "end": "12:00"},
        ]
    )
    assert set(errors) == {"weekly[2].end"}


def test_refuses_overlapping_intervals_on_the_same_weekday_naming_the_later_one():
    errors = errors_of(
        weekly=[
            {"weekday": 4, "start": "09:00", "end": "17:00"},
            {"weekday": 3, "start": "10:00", "end": "11:00"},  # another day: fine
            {"weekday": 4, "start": "12:00", "end": "13:00"},
            {"weekday": 4, "start": "15:00", "end": "16:00"},
        ]
    )
    assert set(errors) == {"weekly[2].start", "weekly[3].start"}
    assert errors["weekly[3].start"] == "Overlaps 09:00–17:00 on Friday."


def test_refuses_an_interval_too_short_for_one_slot():
    errors = errors_of(slot_minutes=60, weekly=[{"weekday": 0, "start": "09:00", "end": "09:45"}])
    assert errors == {"weekly[0].end": "Shorter than one 60-minute slot."}


def test_reports_every_problem_at_once_in_one_error():
    with pytest.raises(ValidationError) as exc:
        rules(
            timezone="Nowhere/Land",
            slot_minutes=5,
            buffer_minutes=-5,
            weekly=[{"weekday": 0, "start": "9am", "end": "12:00"}],
            overrides=[{"date": "2026-02-30", "intervals": []}],
        )
    assert set(exc.value.field_errors) == {
        "timezone",
        "slot_minutes",
        "buffer_minutes",
        "weekly[0].start",
        "overrides[0].date",
    }
    assert "and 4 more" in exc.value.message


def test_refuses_duplicated_override_dates():
    errors = errors_of(
        overrides=[
            {"date": "2026-12-24", "intervals": []},
            {"date": "2026-12-25", "intervals": []},
            {"date": "2026-12-24", "intervals": [{"start": "09:00", "end": "10:00"}]},
        ]
    )
    assert set(errors) == {"overrides[2].date"}
    assert "overrides[0]" in errors["overrides[2].date"]


def test_refuses_overlapping_or_inverted_intervals_on_an_override_date():
    errors = errors_of(
        overrides=[
            {
                "date": "2026-12-24",
                "intervals": [
                    {"start": "09:00", "end": "12:00"},
                    {"start": "11:00", "end": "13:00"},
                    {"start": "15:00", "end": "14:00"},
                ],
            }
        ]
    )
    assert set(errors) == {"overrides[0].intervals[1].start", "overrides[0].intervals[2].end"}
    assert errors["overrides[0].intervals[1].start"] == "Overlaps 09:00–12:00 on 2026-12-24."


@pytest.mark.parametrize("value", ["24/12/2026", "", None, datetime(2026, 12, 24, tzinfo=UTC)])
def test_refuses_an_override_date_that_is_not_a_plain_date(value):
    assert set(errors_of(overrides=[{"date": value, "intervals": []}])) == {"overrides[0].date"}


def test_refuses_override_intervals_that_are_not_a_list():
    assert set(errors_of(overrides=[{"date": "2026-12-24", "intervals": "09:00-12:00"}])) == {"overrides[0].intervals"}


def test_refuses_a_time_with_seconds():
    errors = errors_of(weekly=[WeeklyInterval(0, time(9, 0, 30), time(12))])
    assert set(errors) == {"weekly[0].start"}


def test_refuses_naive_or_inverted_time_off():
    errors = errors_of(
        time_off=[
            {"start": "2026-08-01T00:00:00", "end": "2026-08-02T00:00:00Z"},
            {"start": "2026-08-05T00:00:00Z", "end": "2026-08-04T00:00:00Z"},
            {"start": "not a date", "end": "2026-08-04T00:00:00Z"},
        ]
    )
    assert set(errors) == {"time_off[0].start", "time_off[1].end", "time_off[2].start"}


def test_time_off_is_stored_in_utc_whatever_offset_it_was_given_in():
    plus_two = timezone(timedelta(hours=2))
    built = rules(time_off=[TimeOff(datetime(2026, 8, 1, tzinfo=plus_two), datetime(2026, 8, 2, tzinfo=plus_two))])
    assert built.time_off[0] == TimeOff(datetime(2026, 7, 31, 22, tzinfo=UTC), datetime(2026, 8, 1, 22, tzinfo=UTC))


def test_time_off_for_local_dates_covers_whole_days_in_the_closer_zone_across_dst():
    off = time_off_for_dates("Europe/Paris", date(2026, 3, 28), date(2026, 3, 29))
    paris = ZoneInfo("Europe/Paris")
    assert off.start == datetime(2026, 3, 28, tzinfo=paris).astimezone(UTC)
    assert off.end == datetime(2026, 3, 30, tzinfo=paris).astimezone(UTC)
    assert off.end - off.start == timedelta(hours=47)  # the spring-forward day has 23 hours


def test_time_off_for_dates_refuses_an_inverted_range():
    with pytest.raises(ValidationError):
        time_off_for_dates("Europe/Paris", date(2026, 3, 29), date(2026, 3, 28))
