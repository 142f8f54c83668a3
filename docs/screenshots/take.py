"""Retake the booking pages' screenshots: phone (390x844) and desktop (1280x800), from the demo data.

    .venv/bin/python docs/screenshots/take.py

Builds a throwaway SQLite database with the real migrations, loads the demo (``seed_demo``) with the
clock pinned to a fixed Monday so every run shows the same days, serves the app on a free loopback
port, and drives Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM_PATH``; never a downloaded
browser) through Playwright as a prospect of Acme Coaching in New York: the booking page, the confirm
step, the confirmation (after a real booking) and the manage page. PNGs land beside this script.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # a Monday: the demo's calls and free days around it
SIZES: dict[str, Any] = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ZONE = "America/New_York"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def build_app(workdir: Path) -> Any:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'shots.sqlite'}"
    from flask_migrate import upgrade

    from closerhub import create_app
    from closerhub.demo import seed_demo
    from closerhub.extensions import db

    app = create_app({"PROFILE": "development", "RATELIMIT_ENABLED": False, "EMAIL_RENDER_INLINE": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo(db.session, NOW)
    return app


def acme_key(app: Any) -> str:
    from sqlalchemy import select

    from closerhub.businesses.models import Business, Offer
    from closerhub.extensions import db

    with app.app_context():
        offer = db.session.scalars(
            select(Offer).join(Business).where(Business.name == "Acme Coaching").order_by(Offer.id)
        ).first()
        assert offer is not None
        return offer.booking_key


def shoot(page: Any, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def book_through(page: Any, base: str, key: str, size: str) -> None:
    """Booking page → confirm → confirmation → manage page, a screenshot of each."""
    page.goto(f"{base}/book/{key}?tz={ZONE}")
    shoot(page, f"booking-{size}")
    page.locator("a.day-free").nth(1).click()
    page.locator("a[data-slot-start]").first.click()
    page.wait_for_url("**/confirm?**")
    page.get_by_label("Your name").fill("Nora York")
    page.get_by_label("Email", exact=True).fill(f"nora.{size}@example.com")
    for i, box in enumerate(page.locator("[name^=answer_]").all()):
        box.fill(["A team of about 40", "My company"][i % 2])
    page.locator('input[name="channel"][value="video"]').check()
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    shoot(page, f"confirm-{size}")
    page.locator('form[action*="/confirm"] button[type="submit"]').last.click()
    page.get_by_test_id("done-page").wait_for()
    shoot(page, f"confirmation-{size}")
    page.get_by_test_id("manage-link").click()
    page.get_by_test_id("manage-page").wait_for()
    shoot(page, f"manage-{size}")


def main() -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from closerhub import clock

    with tempfile.TemporaryDirectory() as tmp, clock.frozen_at(NOW):
        app = build_app(Path(tmp))
        key = acme_key(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for size, viewport in SIZES.items():
                    context = browser.new_context(
                        viewport=viewport, locale="en-US", timezone_id=ZONE, device_scale_factor=1
                    )
                    book_through(context.new_page(), base, key, size)
                    context.close()
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
