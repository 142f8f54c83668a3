"""In a real Chromium: an admin suspends a closer; the business's booking page stops offering their slots,
and the call already booked with them stays, flagged on the business's appointment page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from closerhub.accounts.models import AccountStatus, User
from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.extensions import db
from tests.e2e.test_browser_vetting import log_in
from tests.integration.booking_setup import TUESDAY_9, book, frozen, setting

__all__ = ["frozen", "setting"]  # fixtures

pytestmark = pytest.mark.browser


def test_an_admin_suspends_a_closer_their_calls_are_cancelled_and_the_booking_page_no_longer_offers_their_slots(
    page: Any, setting: dict[str, Any], make_user: Any
) -> None:
    make_user("admin", email="ada@example.com")
    offer, closer = setting["offer"], setting["closer"]
    call = book(offer, start=TUESDAY_9 + timedelta(hours=2))  # Tuesday 11:00 Paris
    booking_page = f"/book/{offer.booking_key}?tz=Europe/Paris&day=2026-06-02"

    page.goto(booking_page)
    assert page.locator('[data-slot-start="2026-06-02T07:00:00Z"]').count() == 1

    log_in(page, "ada@example.com")
    page.goto(f"/admin/users/{closer.id}")
    page.get_by_test_id("suspend-link").click()
    page.get_by_label("Reason (kept in the audit trail)").fill("Prospects complained about pressure tactics.")
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    # The result page says what became of each upcoming call: no other engaged closer is free, so
    # the call is cancelled and the prospect gets a link to book again.
    assert page.get_by_test_id("call-results").locator("li").count() == 1
    assert page.get_by_test_id("cancelled").is_visible()
    page.goto(f"/admin/users/{closer.id}")
    assert page.get_by_test_id("account-status").inner_text() == "suspended"
    db.session.commit()
    assert db.session.get(User, closer.id).status == AccountStatus.SUSPENDED

    page.context.clear_cookies()
    page.goto(booking_page)
    assert page.locator("[data-slot-start]").count() == 0
    assert page.get_by_test_id("no-slots").is_visible()

    log_in(page, setting["owner"].email)
    page.goto(f"/appointments/{call.id}")
    db.session.commit()
    assert db.session.get(Appointment, call.id).status == AppointmentStatus.CANCELLED
    assert page.get_by_test_id("status").inner_text() == "Cancelled"
    assert page.js_errors == []
