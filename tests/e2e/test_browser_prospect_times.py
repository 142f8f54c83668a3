"""Times in the prospect's conventions, in a real Chromium: 12-hour for an en-US prospect (English,
New York), 24-hour for a French one (French, Paris), on the booking, confirm and done pages and in
their emails and invites alike (the outbox rows as sent)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import icalendar
import pytest
from sqlalchemy import select

from closerhub.extensions import db
from closerhub.notifications.mailer import Attachment
from closerhub.notifications.models import OutboxMessage
from tests.integration.booking_setup import frozen, setting

pytestmark = pytest.mark.browser
__all__ = ["frozen", "setting"]  # fixtures

START = "2026-06-02T13:00:00Z"  # 09:00 in New York, 15:00 in Paris

PROSPECTS = {
    "en-US": {
        "zone": "America/New_York",
        "email": "nora@example.com",
        "slot": "9:00\u202fAM",
        "summary": "9:00\u202fAM–10:00\u202fAM",
        "email_time": "9:00 AM",
        "not": "09:00",
        "book": r"^Book ",
    },
    "fr-FR": {
        "zone": "Europe/Paris",
        "email": "camille@example.fr",
        "slot": "15:00",
        "summary": "15:00–16:00",
        "email_time": "15:00",
        "not": "PM",
        "book": r"^Réserver ",
    },
}


@pytest.fixture(params=sorted(PROSPECTS))
def prospect(request: Any, _browser: Any, live_server: Any) -> Iterator[tuple[Any, dict[str, str]]]:
    wanted = PROSPECTS[request.param]
    context = _browser.new_context(
        base_url=live_server.url,
        timezone_id=wanted["zone"],
        locale=request.param,
        viewport={"width": 390, "height": 844},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page, wanted
    context.close()


def test_times_follow_the_prospects_conventions_on_the_pages_and_in_the_emails(
    prospect: tuple[Any, dict[str, str]], setting: dict[str, Any]
) -> None:
    page, wanted = prospect
    page.goto(f"/book/{setting['offer'].booking_key}?tz={wanted['zone']}")
    page.locator('a[data-day="2026-06-02"]').click()
    slot = page.locator(f'a[data-slot-start="{START}"]')
    assert slot.inner_text() == wanted["slot"]
    slot.click()
    page.wait_for_url("**/confirm?**")
    assert wanted["summary"] in page.get_by_test_id("summary").inner_text()
    page.locator("#name").fill("Pat Prospect")
    page.locator("#email").fill(wanted["email"])
    page.locator("#phone").fill("+33 6 12 34 56 78")
    page.locator("#answer_0").fill("About 20k")
    page.locator("input[name=channel][value=video]").check()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(wanted["book"])).click()
    page.wait_for_url("**/done/**")
    assert wanted["summary"] in page.get_by_test_id("summary").inner_text()

    db.session.rollback()
    (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == wanted["email"])).all()
    assert wanted["email_time"] in email.text_body and wanted["email_time"] in (email.subject or "")
    assert wanted["not"] not in email.text_body.split("http")[0]
    invites = [Attachment.from_json(a) for a in email.attachments or []]
    (invite,) = [a for a in invites if a.filename.endswith(".ics")]
    raw = invite.content if isinstance(invite.content, bytes) else invite.content.encode()
    (event,) = [c for c in icalendar.Calendar.from_ical(raw).walk() if c.name == "VEVENT"]
    assert wanted["email_time"] in str(event["DESCRIPTION"])
    assert page.js_errors == []
