"""The booking page stays light: its HTML with the CSS and JavaScript it loads is under 100 KB (the
zone list loads on demand, not counted), measured in a real Chromium from the bytes it received."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.booking_setup import frozen, setting

pytestmark = pytest.mark.browser
__all__ = ["frozen", "setting"]  # fixtures

BUDGET = 100 * 1024


def test_the_booking_page_weighs_under_100_kb(page: Any, setting: dict[str, Any]) -> None:
    loaded: dict[str, int] = {}

    def measure(response: Any) -> None:
        if response.request.resource_type in ("document", "stylesheet", "script"):
            loaded[response.url] = len(response.body())

    page.on("response", measure)
    page.goto(f"/book/{setting['offer'].booking_key}?tz=America/New_York")
    page.wait_for_load_state("networkidle")
    total = sum(loaded.values())
    assert any("/static/css/" in url for url in loaded) and any(url.endswith(".js") for url in loaded)
    assert total < BUDGET, loaded
    assert not any("booking-zones.json" in url for url in loaded)  # not loaded until the prospect asks
