"""The issue's acceptance test, in a real Chromium whose zone is America/New_York.

A prospect opens an offer's booking link (the page detects their zone), books a video
call with a closer in Europe/Paris on a phone-sized screen; the closer's schedule shows
it at the right local time for both; the ICS attached to the confirmation email parses
and holds the right UTC instant; rescheduling from the email's manage link sends an
invite with the same UID and a higher SEQUENCE.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.extensions import db
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.integration.booking_setup import frozen, setting

pytestmark = pytest.mark.browser
__all__ = ["frozen", "setting"]  # fixtures

PROSPECT_EMAIL = "nora@example.com"
TUESDAY_15_PARIS = datetime(2026, 6, 2, 13, 0, tzinfo=UTC)  # 09:00 in New York
WEDNESDAY_15_PARIS = datetime(2026, 6, 3, 13, 0, tzinfo=UTC)


def prospect_invites() -> list[tuple[OutboxMessage, icalendar.Event, icalendar.Calendar]]:
    """Every email to the prospect carrying an ICS invite, oldest first, with the parsed event."""
    db.session.rollback()
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == PROSPECT_EMAIL).order_by(OutboxMessage.id)
    ).all()
    found = []
    for message in rows:
        for data in message.attachments or []:
            attachment = Attachment.from_json(data)
            if attachment.content_type.startswith("text/calendar") or attachment.filename.endswith(".ics"):
                raw = attachment.content if isinstance(attachment.content, bytes) else attachment.content.encode()
                calendar = icalendar.Calendar.from_ical(raw)
                events = [c for c in calendar.walk() if c.name == "VEVENT"]
                assert len(events) == 1
                found.append((message, events[0], calendar))
    return found


def test_a_new_york_prospect_books_a_paris_closer_and_reschedules_from_the_email(
    page: Any, live_server: Any, setting: dict[str, Any]
) -> None:
    closer: User = setting["closer"]
    assert closer.timezone == "Europe/Paris"
    key = setting["offer"].booking_key

    # 1. The booking link, on a phone-sized screen: the page reloads itself in the browser's zone.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"/book/{key}")
    page.wait_for_url(re.compile(r"tz=America%2FNew_York"))
    assert "Times are shown in your time zone, New York." in page.get_by_test_id("zone-note").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    page.locator('a[data-day="2026-06-02"]').click()  # the month calendar: Tuesday's times
    page.wait_for_url(re.compile(r"day=2026-06-02"))
    slot = page.locator('a[data-slot-start="2026-06-02T13:00:00Z"]')
    assert slot.inner_text() == "9:00\u202fAM"  # 15:00 in Paris, in an en-US prospect's 12-hour clock
    assert "Tuesday, June 2" in slot.locator("xpath=ancestor::section[1]").inner_text()
    slot.click()

    # 2. The prospect's details, the offer's question, the channel; the summary in their zone.
    page.wait_for_url("**/confirm?**")
    assert page.get_by_test_id("summary").inner_text() == "Tuesday, June 2, 9:00\u202fAM–10:00\u202fAM (New York)"
    assert page.get_by_label("Your time zone").input_value() == "America/New_York"
    page.get_by_label("Your name").fill("Nora York")
    page.get_by_label("Email", exact=True).fill(PROSPECT_EMAIL)
    page.get_by_label("What is your monthly revenue?").fill("About 20k")
    page.get_by_label("Video call").check()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Book Tuesday, June 2, 9:00\WAM")).click()

    # 3. The confirmation.
    page.wait_for_url("**/done/**")
    assert page.get_by_test_id("summary").inner_text() == "Tuesday, June 2, 9:00\u202fAM–10:00\u202fAM (New York)"
    assert page.get_by_test_id("closer-name").inner_text() == closer.name
    meeting_url = page.get_by_test_id("meeting-url").inner_text()
    db.session.rollback()
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.starts_at == TUESDAY_15_PARIS and appointment.meeting_url == meeting_url
    assert appointment.prospect_timezone == "America/New_York"

    # 4. The ICS of the confirmation email: the right UTC instant, the stable UID, SEQUENCE 0.
    invites = prospect_invites()
    assert len(invites) == 1
    message, event, calendar = invites[0]
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART").astimezone(UTC) == TUESDAY_15_PARIS
    assert str(event["UID"]) == appointment.uid and int(event["SEQUENCE"]) == 0
    manage = re.search(r"https?://[^/\s]+(/appointments/manage/[A-Za-z0-9._\-]+)", message.text_body)
    assert manage, message.text_body

    # 5. The closer's schedule: 15:00 their time, 09:00 for the prospect.
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/login")
    page.get_by_label("Email").fill(closer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Calls").click()
    nav.get_by_role("link", name="My week").click()
    page.wait_for_url("**/schedule")
    call = page.locator(f'li[data-appointment-id="{appointment.id}"]')
    assert call.locator(".call-time").inner_text() == "15:00 your time"
    assert call.locator(".prospect-time").inner_text() == "09:00 for the prospect in New York"
    assert "Tue 2 Jun" in call.locator("xpath=ancestor::section[1]").inner_text()
    page.context.clear_cookies()

    # 6. The prospect reschedules from the email's link; the new invite has a higher SEQUENCE.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(manage.group(1))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_test_id("summary").inner_text() == "Tuesday, June 2, 9:00\u202fAM–10:00\u202fAM (New York)"
    # The same picker as the booking page: the month calendar, opened on the call's day.
    assert page.get_by_test_id("month-grid").locator("[aria-current]").get_attribute("data-day") == "2026-06-02"
    page.get_by_role("link", name=re.compile(r"^Wednesday, June 3: \d+ free times")).click()
    page.wait_for_url(re.compile(r"day=2026-06-03"))
    assert page.get_by_role("heading", name="Wednesday, June 3").is_visible()
    page.get_by_label("9:00\u202fAM").check()
    page.get_by_label("Reason for the change").fill("A meeting came up")
    with page.expect_navigation():
        page.get_by_role("button", name="Move the call").click()
    assert page.get_by_test_id("summary").inner_text() == "Wednesday, June 3, 9:00\u202fAM–10:00\u202fAM (New York)"
    db.session.rollback()
    moved = db.session.get(Appointment, appointment.id)
    assert moved.starts_at == WEDNESDAY_15_PARIS and moved.sequence == 1 and moved.meeting_url == meeting_url
    invites = prospect_invites()
    assert len(invites) == 2
    _message, new_event, new_calendar = invites[-1]
    assert str(new_calendar["METHOD"]) == "REQUEST"
    assert str(new_event["UID"]) == appointment.uid
    assert int(new_event["SEQUENCE"]) == 1 > int(event["SEQUENCE"])
    assert new_event.decoded("DTSTART").astimezone(UTC) == WEDNESDAY_15_PARIS
    assert page.js_errors == []
