"""A closer connects a calendar in a real Chromium, and the public booking page stops offering its busy time."""

from __future__ import annotations

import re
from typing import Any

import pytest

from closerhub.accounts.models import User
from tests.conftest import PASSWORD
from tests.fakes.radicale import IcsServer
from tests.integration.booking_setup import frozen, setting
from tests.integration.calendar_support import event, vcalendar

pytestmark = pytest.mark.browser

__all__ = ["frozen", "setting"]  # fixtures

BUSY = 'a[data-slot-start="2026-06-02T13:00:00Z"]'  # Tuesday 15:00 in Paris
NEXT = 'a[data-slot-start="2026-06-02T14:00:00Z"]'


def test_a_closer_connects_a_calendar_and_the_booking_page_stops_offering_the_busy_time(
    page: Any, live_server: Any, setting: dict[str, Any], ics_server: IcsServer
) -> None:
    closer: User = setting["closer"]
    key = setting["offer"].booking_key
    ics_server.body = vcalendar(event("client-lunch", "DTSTART:20260602T130000Z", "DTEND:20260602T140000Z")).encode()

    page.goto(f"/book/{key}?day=2026-06-02")  # the month calendar opened on Tuesday
    page.wait_for_url(re.compile(r"tz="))
    assert page.locator(BUSY).count() == 1

    page.goto("/login")
    page.get_by_label("Email").fill(closer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    page.goto("/closers/me/availability")
    page.get_by_role("link", name="Your calendars").click()
    page.wait_for_url("**/calendars/")
    page.get_by_label("Kind").select_option("ics")
    page.get_by_label("Address (URL)").fill(ics_server.url)
    with page.expect_navigation():
        page.get_by_role("button", name="Connect", exact=True).click()
    assert "Calendar connected: its busy times now block your slots." in page.content()
    assert page.get_by_test_id("connection").get_attribute("data-status") == "ok"

    page.goto(f"/book/{key}?day=2026-06-02")  # the month calendar opened on Tuesday
    page.wait_for_url(re.compile(r"tz="))
    assert page.locator(BUSY).count() == 0
    assert page.locator(NEXT).count() == 1
    assert page.js_errors == []
