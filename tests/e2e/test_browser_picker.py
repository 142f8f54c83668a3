"""The booking picker in a real Chromium: a month calendar whose free days are links, the chosen day's
times beside it; usable with the keyboard alone (focus visible, the chosen day marked for assistive
technology) and, without JavaScript, it still books."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from closerhub.booking.models import Appointment
from closerhub.extensions import db
from tests.integration.booking_setup import frozen, setting

pytestmark = pytest.mark.browser
__all__ = ["frozen", "setting"]  # fixtures

FOCUSED_DAY = "document.activeElement && document.activeElement.dataset.day"


def test_the_picker_is_usable_with_the_keyboard_alone(page: Any, setting: dict[str, Any]) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"/book/{setting['offer'].booking_key}?tz=America/New_York")
    grid = page.get_by_test_id("month-grid")
    assert grid.locator("[aria-current]").get_attribute("data-day") == "2026-06-01"  # the first free day
    for _ in range(40):  # Tab from the top of the page to the calendar's first free day
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_DAY):
            break
    assert page.evaluate(FOCUSED_DAY) == "2026-06-01"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # the focus is visible
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_DAY) == "2026-06-02"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "day=2026-06-02" in page.url
    chosen = page.get_by_role("link", name="Tuesday, June 2: 4 free times")
    assert chosen.get_attribute("aria-current") == "date"
    assert page.get_by_role("heading", name="Tuesday, June 2").is_visible()
    times = page.get_by_test_id("slots").locator("a")
    assert times.all_inner_texts() == ["7:00\u202fAM", "8:00\u202fAM", "9:00\u202fAM", "10:00\u202fAM"]
    # Beside the calendar on a desktop screen, below it on a phone.
    calendar_box, times_box = grid.bounding_box(), page.get_by_test_id("slots").bounding_box()
    assert times_box["x"] > calendar_box["x"] + calendar_box["width"] - 1
    page.set_viewport_size({"width": 390, "height": 844})
    calendar_box, times_box = grid.bounding_box(), page.get_by_test_id("slots").bounding_box()
    assert times_box["y"] > calendar_box["y"] + calendar_box["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The month pager, by keyboard too.
    next_month = page.get_by_role("link", name="Next month")
    next_month.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="July 2026").is_visible()
    assert page.js_errors == []


def test_without_javascript_the_picker_still_books(_browser: Any, live_server: Any, setting: dict[str, Any]) -> None:
    context = _browser.new_context(
        base_url=live_server.url, java_script_enabled=False, timezone_id="America/New_York", locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"/book/{setting['offer'].booking_key}")  # no zone detection: the business's zone
        page.locator('a[data-day="2026-06-03"]').click()
        page.wait_for_url(re.compile(r"day=2026-06-03"))
        page.locator('a[data-slot-start="2026-06-03T08:00:00Z"]').click()  # 10:00 in Paris
        page.wait_for_url("**/confirm?**")
        page.locator("#name").fill("Nora York")
        page.locator("#email").fill("nora@example.com")
        page.locator("#answer_0").fill("About 20k")
        page.locator("input[name=channel][value=video]").check()
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile(r"^Book Wednesday, June 3")).click()
        page.get_by_test_id("done-page").wait_for()
    finally:
        context.close()
    db.session.rollback()
    (call,) = db.session.scalars(select(Appointment)).all()
    assert call.starts_at.isoformat().startswith("2026-06-03T08:00")
