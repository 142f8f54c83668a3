"""Booking pages for funnels, in a real Chromium.

* The offer sets the call: its length is on the page before booking, and two prospects booking the
  same start (routed to two closers whose own slots are 60 and 45 minutes) both get the offer's 45.
* The embed: a host page served from another local origin (``http.server`` on another port) places
  the booking page with ``embed.js``, the prospect books inside the iframe (prefilled from the host
  page's URL) and the host page receives ``closerhub:booked``; a page from an unlisted origin
  cannot frame it.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.booking.models import Appointment
from closerhub.businesses.models import Business
from closerhub.extensions import db
from tests.conftest import UserFactory
from tests.fakes import POLL
from tests.integration.booking_setup import TUESDAY_9, engage, frozen, set_hours, setting

pytestmark = pytest.mark.browser
__all__ = ["frozen", "setting"]


class HostSite:
    """A static site on its own local origin (another port), serving ``index.html``."""

    def __init__(self, root: Path, html: str) -> None:
        (root / "index.html").write_text(html, encoding="utf-8")
        handler = functools.partial(QuietHandler, directory=str(root))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=POLL, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's name
        pass


def host_page(app_url: str, key: str) -> str:
    return f"""<!doctype html><html lang="en"><head><title>Acme webinar</title></head><body>
<h1>Book your strategy call</h1>
<script>
  window.bookedMessages = [];
  window.addEventListener('message', function (e) {{
    if (e.data && e.data.type === 'closerhub:booked') window.bookedMessages.push(e.data);
  }});
</script>
<script src="{app_url}/embed.js" data-closerhub-key="{key}"></script>
</body></html>"""


@pytest.fixture
def sites(tmp_path: Path, live_server: Any, setting: dict[str, Any]) -> Iterator[dict[str, HostSite]]:
    key = setting["offer"].booking_key
    listed_root, unlisted_root = tmp_path / "listed", tmp_path / "unlisted"
    listed_root.mkdir()
    unlisted_root.mkdir()
    found = {
        "listed": HostSite(listed_root, host_page(live_server.url, key)),
        "unlisted": HostSite(unlisted_root, host_page(live_server.url, key)),
    }
    business = db.session.get(Business, setting["owner"].business_id)
    business.embed_origins = [found["listed"].origin]
    db.session.commit()
    yield found
    for site in found.values():
        site.stop()


def test_an_embed_on_a_listed_origin_books_and_tells_the_host_page(page: Any, sites: dict[str, HostSite]) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{sites['listed'].origin}/?name=Nora%20York&email=nora%40example.com&utm_source=webinar")
    frame = page.frame_locator("iframe")
    # The page reloads once with the browser's zone (booking_tz.js): a click before that reload is lost.
    expect(frame.get_by_test_id("zone-note")).to_contain_text("your time zone, New York")
    frame.locator('a[data-day="2026-06-02"]').click()
    slot = frame.locator('a[data-slot-start="2026-06-02T13:00:00Z"]')  # 09:00 New York, 15:00 Paris
    slot.click()
    assert frame.get_by_label("Your name").input_value() == "Nora York"  # prefilled from the host page's URL
    frame.get_by_label("What is your monthly revenue?").fill("About 20k")
    frame.get_by_label("Video call").check()
    frame.get_by_role("button", name="Book Tuesday, June 2").click()
    frame.get_by_test_id("done-page").wait_for()
    page.wait_for_function("window.bookedMessages.length > 0")
    message = page.evaluate("window.bookedMessages[0]")
    assert message["type"] == "closerhub:booked" and message["appointment"]["start"] == "2026-06-02T13:00:00Z"
    height = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
    assert height > 300  # resized by the page's own postMessage
    db.session.rollback()
    call = db.session.scalars(select(Appointment)).one()
    assert call.lead.source == "booking page (utm_source=webinar)" and call.lead.email == "nora@example.com"
    assert page.js_errors == []


def test_a_page_from_an_unlisted_origin_cannot_frame_the_booking_page(page: Any, sites: dict[str, HostSite]) -> None:
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if "/book/" in r.url else None)
    page.goto(f"{sites['unlisted'].origin}/")
    page.wait_for_function("document.querySelector('iframe') !== null")
    page.wait_for_function("() => window.frames.length > 0")
    frame = page.frames[1]
    frame.wait_for_load_state("load")
    assert responses and "frame-ancestors " + sites["listed"].origin in responses[0].headers["content-security-policy"]
    assert frame.locator("[data-testid=booking-page]").count() == 0  # Chromium refused to show it
    assert frame.url.startswith("chrome-error://") or frame.url == "about:blank"


@pytest.fixture
def two_lengths(setting: dict[str, Any], make_user: UserFactory) -> dict[str, Any]:
    """The offer books 45-minute calls every 15 minutes; its closers' own slots are 60 and 45 minutes."""
    set_hours(setting["closer"], slot_minutes=60)
    other: User = make_user("closer", email="bruno@example.com", name="Bruno Second", timezone="Europe/Paris")
    set_hours(other, slot_minutes=45)
    engage(setting["owner"], other, setting["offer"])
    setting["offer"].call_minutes, setting["offer"].start_increment_minutes = 45, 15
    db.session.commit()
    return setting


def book_at(page: Any, key: str, start: datetime, name: str, email: str) -> None:
    page.goto(f"/book/{key}?tz=Europe/Paris&day=2026-06-02")
    assert page.get_by_test_id("call-length").inner_text() == "45-minute call"  # before booking
    page.locator(f'a[data-slot-start="{start:%Y-%m-%dT%H:%M:%SZ}"]').click()
    page.wait_for_url("**/confirm?**")
    # an en-US browser: its conventions, in the zone the prospect chose (named by its city)
    assert page.get_by_test_id("summary").inner_text().startswith("Tuesday, June 2, 9:15\u202fAM–10:00\u202fAM (Paris)")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("What is your monthly revenue?").fill("About 20k")
    page.get_by_label("Video call").check()
    page.get_by_role("button", name="Book Tuesday, June 2").click()
    page.get_by_test_id("done-page").wait_for()
    assert "9:15\u202fAM–10:00\u202fAM (Paris)" in page.get_by_test_id("summary").inner_text()


def test_the_offers_length_is_shown_before_booking_and_booked_whichever_closer_routing_picks(
    page: Any, two_lengths: dict[str, Any]
) -> None:
    key, start = two_lengths["offer"].booking_key, TUESDAY_9 + timedelta(minutes=15)  # 09:15 Paris
    book_at(page, key, start, "Nora York", "nora@example.com")
    book_at(page, key, start, "Omar Other", "omar@example.com")
    db.session.rollback()
    calls = db.session.scalars(select(Appointment).order_by(Appointment.id)).all()
    assert len({c.closer_id for c in calls}) == 2  # routed to both closers
    assert [c.ends_at - c.starts_at for c in calls] == [timedelta(minutes=45)] * 2


def test_the_zone_picker_is_searchable_by_city(page: Any, setting: dict[str, Any]) -> None:
    page.goto(f"/book/{setting['offer'].booking_key}?tz=Europe/Paris")
    assert page.locator("#tz option").count() == 1  # the list loads on demand
    page.get_by_label("Search a city or time zone").fill("kolk")
    expect(page.locator("#tz")).to_have_value("Asia/Kolkata")  # (no wait_for_function: the page's CSP forbids eval)
    assert page.locator("#tz option").count() > 300
    # The label, then the zone's current local time drawn by the browser (12-hour: an en-US reader).
    kolkata = page.locator("#tz option[value='Asia/Kolkata']").inner_text()
    assert re.fullmatch(r"\(UTC\+05:30\) Kolkata, India · \d{1,2}:\d\d\s?[AP]M", kolkata), kolkata
    page.get_by_label("Search a city or time zone").fill("sao paulo")  # the label, accents aside
    expect(page.locator("#tz")).to_have_value("America/Sao_Paulo")
    page.get_by_label("Search a city or time zone").fill("kolk")
    expect(page.locator("#tz")).to_have_value("Asia/Kolkata")
    page.get_by_role("button", name="Show times").click()
    page.wait_for_url("**tz=Asia%2FKolkata**")
    assert page.js_errors == []


@pytest.fixture
def cross_site(tmp_path: Path, app: Any, live_server: Any, setting: dict[str, Any]) -> Iterator[str]:
    """A host page on ``http://localhost:<port>`` (another *site* than the app's ``127.0.0.1``: the
    browser sends no ``SameSite=Lax`` cookie into the frame), listed, with CSRF protection ON."""
    site = HostSite(tmp_path, host_page(live_server.url, setting["offer"].booking_key))
    origin = site.origin.replace("127.0.0.1", "localhost")
    business = db.session.get(Business, setting["owner"].business_id)
    business.embed_origins = [origin]
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    yield origin
    app.config["WTF_CSRF_ENABLED"] = False
    site.stop()


def test_an_embed_on_another_site_books_without_the_session_cookie(page: Any, cross_site: str) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{cross_site}/?name=Nora%20York&email=nora%40example.com")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_test_id("zone-note")).to_contain_text("your time zone, New York")  # after the zone reload
    frame.locator('a[data-day="2026-06-02"]').click()
    frame.locator('a[data-slot-start="2026-06-02T13:00:00Z"]').click()
    frame.get_by_label("What is your monthly revenue?").fill("About 20k")
    frame.get_by_label("Video call").check()
    frame.get_by_role("button", name="Book Tuesday, June 2").click()
    frame.get_by_test_id("done-page").wait_for()
    page.wait_for_function("window.bookedMessages.length > 0")
    assert page.evaluate("window.bookedMessages[0].appointment.start") == "2026-06-02T13:00:00Z"
    db.session.rollback()
    assert db.session.scalars(select(Appointment)).one().lead.email == "nora@example.com"
    assert page.js_errors == []
