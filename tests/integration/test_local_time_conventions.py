"""``local_time(x, zone)`` converts to ``zone`` but writes the time the reader's way (their language,
their own zone's country or browser region), never in the shown zone's country style."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_login import login_user

from closerhub.i18n import local_time, reading_in_zone
from tests.conftest import UserFactory

NINE_PARIS = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 09:00 in Paris, 03:00 in New York, 08:00 in London


def test_a_british_reader_sees_new_york_time_written_the_british_way(app: Flask, make_user: UserFactory) -> None:
    user = make_user("closer", language="en", timezone="Europe/London")
    with app.test_request_context("/"):
        login_user(user)
        assert local_time(NINE_PARIS, "America/New_York", "time") == "03:00"  # converted, 24-hour
        assert local_time(NINE_PARIS, fmt="time") == "08:00"
    american = make_user("closer", language="en", timezone="America/Chicago")
    with app.test_request_context("/"):
        login_user(american)
        assert local_time(NINE_PARIS, "Europe/Paris", "time") == "9:00\u202fAM"  # Paris's time, US style


def test_a_french_reader_keeps_french_conventions_in_any_zone(app: Flask, make_user: UserFactory) -> None:
    user = make_user("closer", language="fr", timezone="Europe/Paris")
    with app.test_request_context("/"):
        login_user(user)
        assert local_time(NINE_PARIS, "America/New_York") == "ven. 4 déc. 2026, 03:00"
        assert local_time(NINE_PARIS, "America/Toronto", "time") == "03:00"  # not Canada's "03 h 00"


def test_a_visitor_is_read_by_their_browser_region_before_the_shown_zone(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en-GB,en;q=0.8"}):
        assert local_time(NINE_PARIS, "America/New_York", "time") == "03:00"
    with app.test_request_context("/", headers={"Accept-Language": "en-US"}):
        assert local_time(NINE_PARIS, "Europe/Paris", "time") == "9:00\u202fAM"
    # without a region, the zone they chose on the booking page is the best guess of where they are
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert local_time(NINE_PARIS, "America/New_York", "time") == "3:00\u202fAM"
        assert local_time(NINE_PARIS, "Europe/London", "time") == "08:00"


def test_an_email_reader_zone_decides_the_conventions(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en-US"}), reading_in_zone("Europe/London"):
        assert local_time(NINE_PARIS, "America/New_York", "time") == "03:00"
