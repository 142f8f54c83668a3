"""A Paris closer sets Monday 09:00–12:00 in a real Chromium and sees what a prospect in New York sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.closers.models import WeeklyRule
from closerhub.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NOW = datetime(2026, 1, 4, 12, 0, tzinfo=UTC)  # Sunday 4 January 2026: Paris is UTC+1, New York UTC-5


@pytest.fixture
def frozen() -> Iterator[None]:
    # Pins the app's clock seam; the live server runs in this process, so it sees the same "now".
    with clock.frozen_at(NOW):
        yield


def test_a_paris_closer_sets_monday_mornings_and_sees_new_york_times(page, closer: User, frozen: None) -> None:
    assert closer.timezone == "Europe/Paris"
    page.goto("/login")
    page.get_by_label("Email").fill(closer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")

    page.locator("nav summary", has_text="Availability").click()  # the menu group opens
    page.get_by_role("link", name="Hours").click()
    page.wait_for_url("**/closers/me/availability")
    assert page.get_by_test_id("preview-empty").is_visible()

    page.get_by_label("Monday interval 1 start").fill("09:00")
    page.get_by_label("Monday interval 1 end").fill("12:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save availability").first.click()
    assert "Availability saved." in page.content()

    preview = page.get_by_test_id("preview")
    header = preview.locator("thead").text_content() or ""  # inner_text would be upper-cased by the CSS
    assert "Your time (Paris, UTC+01:00)" in header and "A prospect in New York sees" in header
    first = preview.locator("tr[data-slot-start]").first
    assert first.get_attribute("data-slot-start") == "2026-01-05T08:00:00Z"
    assert first.locator("td.mine").inner_text() == "09:00–10:00"
    assert first.locator("td.theirs").inner_text().startswith("Mon 5 Jan 03:00")
    theirs = preview.locator("td.theirs").all_inner_texts()
    assert [t.split(" (")[0] for t in theirs[:3]] == ["Mon 5 Jan 03:00", "Mon 5 Jan 04:00", "Mon 5 Jan 05:00"]
    assert len(theirs) == 6  # two Mondays in the next two weeks

    # "+ interval" adds a row without JavaScript and without saving.
    with page.expect_navigation():
        page.get_by_role("button", name="Add an interval on Monday").click()
    assert page.get_by_label("Monday interval 2 start").is_visible()

    # Another prospect zone, picked on the page.
    page.get_by_label("Also show the times of a prospect in").fill("Asia/Tokyo")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "Mon 5 Jan 17:00" in page.get_by_test_id("preview").inner_text()
    assert page.js_errors == []

    db.session.rollback()  # end the test's read transaction: the server wrote after it began
    stored = db.session.scalars(select(WeeklyRule)).all()
    assert [(w.weekday, w.start_minute, w.end_minute) for w in stored] == [(0, 540, 720)]
