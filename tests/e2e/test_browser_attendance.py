"""In a real Chromium: the prospect confirms attendance from the 24 h reminder's link, and the closer's
schedule shows the call as confirmed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from closerhub import clock
from closerhub.booking.reminders.email import send_due_reminders
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.e2e.test_browser_vetting import log_in
from tests.integration.booking_setup import NOW, TUESDAY_9, book, frozen, setting

__all__ = ["frozen", "setting"]  # fixtures

pytestmark = pytest.mark.browser


def test_a_prospect_confirms_from_the_reminder_link_and_the_closers_schedule_shows_it(
    page: Any, setting: dict[str, Any]
) -> None:
    call = book(setting["offer"], start=TUESDAY_9 + timedelta(hours=2))  # Tuesday 11:00 Paris, 27 h ahead
    with clock.frozen_at(NOW + timedelta(hours=4)):
        assert send_due_reminders(db.session, NOW + timedelta(hours=4)) == 1
    reminder = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.template == "appointment_reminder", OutboxMessage.to_address == call.lead.email
        )
    )
    assert reminder is not None
    link = re.search(r"/appointments/attend/[^\s\"<]+", reminder.text_body)
    assert link, reminder.text_body

    closer = setting["closer"]
    log_in(page, closer.email)
    page.goto("/schedule?week=2026-06-01")
    assert page.get_by_test_id("not-confirmed").count() == 1
    assert page.get_by_test_id("confirmed").count() == 0

    page.context.clear_cookies()
    page.goto(link.group(0))
    with page.expect_navigation():
        page.get_by_test_id("confirm-attendance").click()
    assert page.get_by_test_id("confirmed").is_visible()

    log_in(page, closer.email)
    page.goto("/schedule?week=2026-06-01")
    assert page.get_by_test_id("confirmed").count() == 1
    assert page.get_by_test_id("not-confirmed").count() == 0
    assert page.js_errors == []
