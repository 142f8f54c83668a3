"""The booking page inside a cross-site iframe (host page on ``localhost``, app on ``127.0.0.1``: the
browser sends no session cookie into the frame), CSRF ON: the prospect switches to French, books, and
from the confirmation's manage link moves then cancels the call, all inside the frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from closerhub.booking.models import Appointment, AppointmentStatus
from closerhub.businesses.models import Business
from closerhub.extensions import db
from tests.e2e.test_browser_funnels import HostSite, cross_site, host_page
from tests.integration.booking_setup import frozen, setting

pytestmark = pytest.mark.browser
__all__ = ["cross_site", "frozen", "setting"]  # fixtures


def test_in_a_cross_site_iframe_the_prospect_switches_language_books_moves_and_cancels(
    page: Any, cross_site: str
) -> None:
    page.set_viewport_size({"width": 1200, "height": 1000})
    page.goto(f"{cross_site}/?name=Nora%20York&email=nora%40example.com")
    frame = page.frame_locator("iframe")
    # The page reloads once with the browser's zone (booking_tz.js): a click before that reload is lost.
    expect(frame.get_by_test_id("zone-note")).to_contain_text("your time zone, New York")
    frame.get_by_test_id("lang-fr").click()
    frame.locator('html[lang="fr"]').wait_for()
    assert frame.get_by_test_id("powered-by").inner_text() == "Propulsé par CloserHub"
    frame.locator('a[data-day="2026-06-02"]').click()
    frame.locator('a[data-slot-start="2026-06-02T13:00:00Z"]').click()
    frame.locator('html[lang="fr"]').wait_for()  # the language followed the links
    frame.locator('[name="answer_0"]').fill("Environ 20k")
    frame.locator('input[name="channel"][value="video"]').check()
    frame.locator('form[action*="/confirm"] button[type="submit"]').last.click()
    frame.get_by_test_id("done-page").wait_for()
    assert "mardi 2 juin" in frame.get_by_test_id("summary").inner_text()
    db.session.rollback()
    call = db.session.scalars(select(Appointment)).one()
    assert call.prospect_language == "fr"  # emails in the language the page was read in

    frame.get_by_test_id("manage-link").click()
    frame.get_by_test_id("manage-page").wait_for()
    assert frame.locator("html").get_attribute("lang") == "fr"
    frame.locator('#reschedule a[data-day="2026-06-03"]').click()
    frame.locator('#reschedule-form input[name="start"][value="2026-06-03T13:00:00Z"]').check()
    frame.locator('#reschedule-form textarea[name="reason"]').fill("Un empêchement")
    frame.locator("#reschedule-form button[type=submit]").click()
    frame.get_by_text("Votre appel a été déplacé").wait_for()
    db.session.rollback()
    assert db.session.get(Appointment, call.id).starts_at.isoformat().startswith("2026-06-03T13:00")

    frame.locator('#cancel textarea[name="reason"]').fill("Plus besoin")
    frame.locator("#cancel button[type=submit]").click()
    frame.get_by_text("Votre appel a été annulé").wait_for()
    db.session.rollback()
    assert db.session.get(Appointment, call.id).status == AppointmentStatus.CANCELLED
    frame.get_by_test_id("lang-en").click()
    frame.get_by_text("This call was cancelled.").wait_for()
    assert page.js_errors == []


def test_the_host_page_can_open_the_embed_in_french(
    page: Any, tmp_path: Path, live_server: Any, setting: dict[str, Any]
) -> None:
    html = host_page(live_server.url, setting["offer"].booking_key).replace(
        "data-closerhub-key=", 'data-closerhub-lang="fr" data-closerhub-key='
    )
    site = HostSite(tmp_path, html)
    origin = site.origin.replace("127.0.0.1", "localhost")
    db.session.get(Business, setting["owner"].business_id).embed_origins = [origin]
    db.session.commit()
    try:
        page.goto(f"{origin}/")
        frame = page.frame_locator("iframe")
        frame.locator('html[lang="fr"]').wait_for()
        assert frame.get_by_test_id("powered-by").inner_text() == "Propulsé par CloserHub"
    finally:
        site.stop()
