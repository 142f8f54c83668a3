"""Unit tests for closerhub.core.tz: IANA zone validation and DST-aware conversions.

Every expected value below was computed with zoneinfo (tzdata), not guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closerhub.core.errors import ValidationError
from closerhub.core.tz import (
    all_zones,
    day_bounds_utc,
    is_valid_zone,
    local_to_utc,
    require_aware,
    require_zone,
    to_local,
    utc_offset_label,
    wall_time_exists,
)

PARIS = ZoneInfo("Europe/Paris")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Santiago",
    "Asia/Kathmandu",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- validation -------------------------------------------------------------------------------


def test_accepts_an_iana_zone_name_and_returns_its_zoneinfo():
    assert require_zone("Europe/Paris") == PARIS
    assert is_valid_zone("Europe/Paris")
    assert is_valid_zone("UTC")


@pytest.mark.parametrize("name", ["Mars/Olympus", "", None, "europe/paris", " Europe/Paris", 42, "../etc/passwd"])
def test_refuses_unknown_or_malformed_zone_names_with_a_validation_error(name):
    assert not is_valid_zone(name)
    with pytest.raises(ValidationError) as exc:
        require_zone(name)
    assert exc.value.status == 422
    assert "timezone" in exc.value.field_errors


def test_validation_error_names_the_field_the_caller_gives():
    with pytest.raises(ValidationError) as exc:
        require_zone("Mars/Olympus", field="prospect_timezone")
    assert set(exc.value.field_errors) == {"prospect_timezone"}


def test_known_zones_include_the_common_ones_and_no_bare_abbreviations():
    zones = all_zones()
    assert {"Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"} <= zones
    assert "EST" not in zones


def test_refuses_naive_datetimes():
    with pytest.raises(ValidationError) as exc:
        require_aware(datetime(2026, 6, 1, 9, 0), field="starts_at")
    assert "starts_at" in exc.value.field_errors


def test_refuses_a_date_that_is_not_a_datetime():
    with pytest.raises(ValidationError):
        require_aware(date(2026, 6, 1))  # type: ignore[arg-type]


def test_require_aware_converts_any_offset_to_utc():
    paris_summer = datetime(2026, 6, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    result = require_aware(paris_summer)
    assert result == utc(2026, 6, 1, 9, 0)
    assert result.tzinfo is UTC


def test_to_local_gives_the_wall_time_with_the_zone_offset():
    local = to_local(utc(2026, 6, 1, 3, 30), "Asia/Kolkata")
    assert (local.hour, local.minute) == (9, 0)
    assert local.utcoffset() == timedelta(hours=5, minutes=30)


# --- wall time to UTC -------------------------------------------------------------------------


def test_skips_the_nonexistent_spring_forward_wall_time_in_paris():
    assert local_to_utc(date(2026, 3, 29), time(2, 30), "Europe/Paris") is None
    assert not wall_time_exists(date(2026, 3, 29), time(2, 30), PARIS)


def test_wall_times_around_the_paris_spring_forward_gap_exist():
    assert local_to_utc(date(2026, 3, 29), time(1, 59), PARIS) == utc(2026, 3, 29, 0, 59)
    assert local_to_utc(date(2026, 3, 29), time(3, 0), PARIS) == utc(2026, 3, 29, 1, 0)


def test_ambiguous_fall_back_wall_time_takes_its_first_occurrence_in_paris():
    assert local_to_utc(date(2026, 10, 25), time(2, 30), "Europe/Paris") == utc(2026, 10, 25, 0, 30)


def test_ambiguous_wall_time_ignores_a_fold_given_by_the_caller():
    assert local_to_utc(date(2026, 10, 25), time(2, 30, fold=1), PARIS) == utc(2026, 10, 25, 0, 30)


def test_skips_the_nonexistent_spring_forward_wall_time_in_new_york():
    assert local_to_utc(date(2026, 3, 8), time(2, 30), "America/New_York") is None


def test_ambiguous_fall_back_wall_time_takes_its_first_occurrence_in_new_york():
    assert local_to_utc(date(2026, 11, 1), time(1, 30), "America/New_York") == utc(2026, 11, 1, 5, 30)


def test_kolkata_is_five_and_a_half_hours_ahead_of_utc():
    assert local_to_utc(date(2026, 6, 1), time(9, 0), "Asia/Kolkata") == utc(2026, 6, 1, 3, 30)


def test_lord_howe_half_hour_spring_forward_skips_two_to_half_past_two():
    day = date(2026, 10, 4)
    assert local_to_utc(day, time(2, 15), LORD_HOWE) is None
    assert local_to_utc(day, time(2, 0), LORD_HOWE) is None
    assert local_to_utc(day, time(1, 59), LORD_HOWE) == utc(2026, 10, 3, 15, 29)
    assert local_to_utc(day, time(2, 30), LORD_HOWE) == utc(2026, 10, 3, 15, 30)


def test_lord_howe_half_hour_fall_back_takes_the_first_occurrence():
    # 01:45 happens at +11:00 (14:45 UTC) and again at +10:30 (15:15 UTC).
    assert local_to_utc(date(2027, 4, 4), time(1, 45), "Australia/Lord_Howe") == utc(2027, 4, 3, 14, 45)


def test_a_tzinfo_on_the_wall_time_is_ignored():
    wall = time(9, 0, tzinfo=UTC)
    assert local_to_utc(date(2026, 6, 1), wall, PARIS) == utc(2026, 6, 1, 7, 0)
    assert local_to_utc(date(2026, 3, 29), time(2, 30, tzinfo=UTC), PARIS) is None


def test_local_to_utc_refuses_an_unknown_zone():
    with pytest.raises(ValidationError):
        local_to_utc(date(2026, 6, 1), time(9, 0), "Mars/Olympus")


# --- day bounds and labels --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "zone", "start", "length"),
    [
        (date(2026, 6, 1), "Europe/Paris", utc(2026, 5, 31, 22, 0), timedelta(hours=24)),
        (date(2026, 3, 29), "Europe/Paris", utc(2026, 3, 28, 23, 0), timedelta(hours=23)),
        (date(2026, 10, 25), "Europe/Paris", utc(2026, 10, 24, 22, 0), timedelta(hours=25)),
        (date(2026, 3, 8), "America/New_York", utc(2026, 3, 8, 5, 0), timedelta(hours=23)),
        (date(2026, 11, 1), "America/New_York", utc(2026, 11, 1, 4, 0), timedelta(hours=25)),
        (date(2026, 10, 4), "Australia/Lord_Howe", utc(2026, 10, 3, 13, 30), timedelta(hours=23, minutes=30)),
        (date(2027, 4, 4), "Australia/Lord_Howe", utc(2027, 4, 3, 13, 0), timedelta(hours=24, minutes=30)),
    ],
)
def test_day_bounds_are_23_or_25_hours_on_dst_days(day, zone, start, length):
    begin, end = day_bounds_utc(day, zone)
    assert begin == start
    assert end - begin == length


def test_day_bounds_start_at_the_first_existing_instant_when_midnight_is_skipped():
    # Santiago springs forward at 24:00 on 2026-09-05: 2026-09-06 00:00 does not exist.
    zone = ZoneInfo("America/Santiago")
    assert not wall_time_exists(date(2026, 9, 6), time(0), zone)
    begin, end = day_bounds_utc(date(2026, 9, 6), zone)
    assert begin == utc(2026, 9, 6, 4, 0)
    assert begin.astimezone(zone).replace(tzinfo=None) == datetime(2026, 9, 6, 1, 0)
    assert (begin - timedelta(microseconds=1)).astimezone(zone).date() == date(2026, 9, 5)
    assert end - begin == timedelta(hours=23)


@pytest.mark.parametrize(
    ("zone", "instant", "label"),
    [
        ("Asia/Kolkata", utc(2026, 1, 15, 12), "UTC+05:30"),
        ("Europe/Paris", utc(2026, 1, 15, 12), "UTC+01:00"),
        ("Europe/Paris", utc(2026, 7, 15, 12), "UTC+02:00"),
        ("America/St_Johns", utc(2026, 1, 15, 12), "UTC-03:30"),
        ("Asia/Kathmandu", utc(2026, 1, 15, 12), "UTC+05:45"),
        ("UTC", utc(2026, 1, 15, 12), "UTC+00:00"),
        # New York's local mean time was -4:56:02; the label truncates, as for positive offsets.
        ("America/New_York", utc(1880, 1, 1), "UTC-04:56"),
    ],
)
def test_utc_offset_label_shows_hours_and_minutes(zone, instant, label):
    assert utc_offset_label(instant, zone) == label


# --- properties -------------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC))


@settings(deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES))
def test_local_to_utc_round_trips_every_unambiguous_local_time(instant, zone):
    local = to_local(instant, zone)
    result = local_to_utc(local.date(), local.time(), zone)
    if local.fold == 0:
        assert result == instant
    else:  # second occurrence of an ambiguous wall time: we resolve to the first, which is earlier
        assert result is not None and result < instant
        assert to_local(result, zone).replace(tzinfo=None) == local.replace(tzinfo=None)


@settings(deadline=None)
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)), zone=st.sampled_from(ZONES))
def test_day_bounds_cover_exactly_the_local_day(day, zone):
    begin, end = day_bounds_utc(day, zone)
    assert to_local(begin, zone).date() == day
    assert to_local(begin - timedelta(microseconds=1), zone).date() < day
    assert to_local(end - timedelta(microseconds=1), zone).date() == day
    assert to_local(end, zone).date() > day


def test_pickers_offer_canonical_zones_and_aliases_map_to_them() -> None:
    from closerhub.core.tz import all_zones, canonical_zone, canonical_zones

    zones = canonical_zones()
    assert {"Asia/Kolkata", "America/New_York", "Europe/Kyiv", "UTC"} <= zones <= all_zones()
    assert not {"Asia/Calcutta", "US/Eastern", "Etc/GMT+5", "Europe/Kiev"} & zones
    assert canonical_zone("Asia/Calcutta") == "Asia/Kolkata" and canonical_zone("US/Eastern") == "America/New_York"
    assert canonical_zone("Europe/Paris") == "Europe/Paris" and canonical_zone("UTC") == "UTC"
