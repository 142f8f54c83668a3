"""Quiet hours (21:00-08:00 on the recipient's wall clock) and the all-party recording-consent table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from closerhub.core.quiet_hours import is_quiet, sms_send_time
from closerhub.core.recording_consent import jurisdiction_of, needs_explicit_consent

EARLY = timedelta(hours=12)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_daytime_message_goes_when_due() -> None:
    due = datetime(2027, 6, 1, 14, 0, tzinfo=UTC)  # 16:00 in Paris
    assert sms_send_time(due, "Europe/Paris", not_before=LONG_AGO, max_early=EARLY) == due


def test_the_boundaries_are_21_00_inclusive_and_08_00_exclusive() -> None:
    assert is_quiet(datetime(2027, 6, 1, 19, 0, tzinfo=UTC), "Europe/Paris")  # 21:00
    assert not is_quiet(datetime(2027, 6, 1, 18, 59, tzinfo=UTC), "Europe/Paris")  # 20:59
    assert is_quiet(datetime(2027, 6, 1, 5, 59, tzinfo=UTC), "Europe/Paris")  # 07:59
    assert not is_quiet(datetime(2027, 6, 1, 6, 0, tzinfo=UTC), "Europe/Paris")  # 08:00


def test_a_night_message_moves_to_20_45_the_evening_before_across_the_autumn_change() -> None:
    # Paris falls back on Sunday 31 October 2027 (03:00 CEST -> 02:00 CET). Due Sunday 07:30 CET (06:30 UTC):
    # the evening before is Saturday 20:45 CEST = 18:45 UTC (a constant CET offset would say 19:45 UTC).
    due = datetime(2027, 10, 31, 6, 30, tzinfo=UTC)
    assert sms_send_time(due, "Europe/Paris", not_before=LONG_AGO, max_early=EARLY) == datetime(
        2027, 10, 30, 18, 45, tzinfo=UTC
    )


def test_a_late_evening_message_moves_to_20_45_the_same_evening() -> None:
    due = datetime(2027, 6, 1, 21, 30, tzinfo=UTC)  # 23:30 in Paris
    moved = sms_send_time(due, "Europe/Paris", not_before=LONG_AGO, max_early=timedelta(hours=3))
    assert moved == datetime(2027, 6, 1, 18, 45, tzinfo=UTC)


def test_too_early_or_before_the_booking_is_skipped() -> None:
    due = datetime(2027, 6, 2, 5, 0, tzinfo=UTC)  # 07:00 in Paris: 20:45 the day before is 10 h 15 earlier
    assert sms_send_time(due, "Europe/Paris", not_before=LONG_AGO, max_early=timedelta(hours=2)) is None
    booked = datetime(2027, 6, 1, 20, 0, tzinfo=UTC)  # booked at 22:00, after 20:45
    assert sms_send_time(due, "Europe/Paris", not_before=booked, max_early=EARLY) is None


def test_recording_consent_is_explicit_in_all_party_and_unknown_jurisdictions() -> None:
    assert jurisdiction_of("+14155550100") == "US-CA" and needs_explicit_consent("US-CA")
    assert jurisdiction_of("+12125550123") == "US-NY" and not needs_explicit_consent("US-NY")
    assert jurisdiction_of("+33612345678") == "FR" and needs_explicit_consent("FR")
    assert jurisdiction_of("+442071234567") == "GB" and not needs_explicit_consent("GB")
    assert jurisdiction_of(None) is None and needs_explicit_consent(None)
    assert jurisdiction_of("not a number") is None
