"""The closer's "My week" (``/schedule``): weeks start on the locale's first week day (Monday for
English and French), and on the week's last day — a Sunday evening — it shows the coming week."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient

from closerhub.clock import frozen_at
from closerhub.extensions import db
from tests.integration.booking_setup import book, frozen, setting

__all__ = ["frozen", "setting"]  # fixtures

SUNDAY_EVENING = datetime(2026, 5, 31, 18, 0, tzinfo=UTC)  # 20:00 in Paris, the closer's zone
SATURDAY = datetime(2026, 5, 30, 10, 0, tzinfo=UTC)


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_on_a_sunday_evening_my_week_shows_the_coming_week_with_its_calls(
    closer_client: FlaskClient, setting: dict
) -> None:
    book(setting["offer"])  # Tuesday 2 June, 09:00 in Paris
    with frozen_at(SUNDAY_EVENING):
        body = text(closer_client.get("/schedule"))
    assert "Mon 1 Jun – Sun 7 Jun" in body and "09:00 your time" in body
    assert 'data-testid="coming-week"' in body
    assert "/schedule?week=2026-05-25" in body  # the ending week stays one click away


def test_on_a_saturday_my_week_is_still_the_current_week(closer_client: FlaskClient, setting: dict) -> None:
    with frozen_at(SATURDAY):
        body = text(closer_client.get("/schedule"))
    assert "Mon 25 May – Sun 31 May" in body and 'data-testid="coming-week"' not in body


def test_a_requested_week_is_shown_as_asked_even_on_a_sunday(closer_client: FlaskClient, setting: dict) -> None:
    with frozen_at(SUNDAY_EVENING):
        body = text(closer_client.get("/schedule?week=2026-05-31"))
    assert "Mon 25 May – Sun 31 May" in body and 'data-testid="coming-week"' not in body


def test_a_french_closer_on_a_sunday_also_sees_the_coming_week_from_monday(
    closer_client: FlaskClient, setting: dict
) -> None:
    setting["closer"].language = "fr"
    db.session.commit()
    with frozen_at(SUNDAY_EVENING):
        body = text(closer_client.get("/schedule"))
    assert "lun. 1 juin – dim. 7 juin" in body
