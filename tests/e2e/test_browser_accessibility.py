"""axe-core (from npm, injected by Playwright) finds no serious or critical violation on the prospect's
booking, confirm and manage pages, in English and French, at phone and desktop sizes.

``axe.min.js`` comes from ``$AXE_CORE_JS``, ``./node_modules`` or ``/tmp/axe/node_modules`` (CI:
``npm install --no-save --prefix /tmp/axe axe-core@4`` in ``.ci/run``); absent, the tests skip
locally and fail under CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from closerhub.booking import service
from closerhub.extensions import db
from tests.conftest import skip_or_fail
from tests.integration.booking_setup import book, frozen, setting

pytestmark = pytest.mark.browser
__all__ = ["frozen", "setting"]  # fixtures

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LANGUAGES = {"en": ("en-US", "America/New_York"), "fr": ("fr-FR", "Europe/Paris")}


@pytest.fixture(scope="session")
def axe_js() -> Path:
    candidates = [
        os.environ.get("AXE_CORE_JS", ""),
        ROOT / "node_modules/axe-core/axe.min.js",
        "/tmp/axe/node_modules/axe-core/axe.min.js",  # noqa: S108  (where .ci/run installs it)
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    skip_or_fail("axe-core not found (npm install --no-save --prefix /tmp/axe axe-core@4)")
    raise AssertionError("unreachable")


@pytest.fixture(params=[(lang, size) for lang in LANGUAGES for size in SIZES], ids=lambda p: f"{p[0]}-{p[1]}")
def reader(request: Any, _browser: Any, live_server: Any) -> Iterator[Any]:
    lang, size = request.param
    locale, zone = LANGUAGES[lang]
    context = _browser.new_context(
        base_url=live_server.url, locale=locale, timezone_id=zone, viewport=SIZES[size], bypass_csp=True
    )  # bypass_csp: the pages' CSP (rightly) refuses the injected axe script
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page, zone
    context.close()


def serious_violations(page: Any, axe_js: Path) -> list[str]:
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run()")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_prospect_pages_have_no_serious_or_critical_violation(
    reader: tuple[Any, str], axe_js: Path, setting: dict[str, Any]
) -> None:
    page, zone = reader
    offer = setting["offer"]
    token = service.manage_token(book(offer))  # Tuesday 09:00 Paris
    tz = f"tz={zone}"
    pages = {
        "booking": f"/book/{offer.booking_key}?{tz}&day=2026-06-03",
        "confirm": f"/book/{offer.booking_key}/confirm?start=2026-06-03T08:00:00Z&{tz}",
        "manage": f"/appointments/manage/{token}",
    }
    found = {}
    for name, url in pages.items():
        page.goto(url)
        found[name] = serious_violations(page, axe_js)
    assert found == {name: [] for name in pages}


def _contrast_failures(page: Any, axe_js: Path) -> list[str]:
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("axe.run(document, {runOnly: ['color-contrast']})")
    return [str(n["target"]) for v in result["violations"] for n in v["nodes"]]


def test_a_stored_light_brand_colour_reaches_prospects_as_a_passing_shade(
    _browser: Any, live_server: Any, axe_js: Path, setting: dict[str, Any]
) -> None:
    """Older data: a brand colour saved before the check (#ffcc00, 1.4:1 with white) is drawn as its
    nearest passing shade, so axe's colour-contrast rule passes; the raw colour would not."""
    offer = setting["offer"]
    offer.business.brand_color = "#ffcc00"
    db.session.commit()
    token = service.manage_token(book(offer))
    context = _browser.new_context(
        base_url=live_server.url, locale="en-US", timezone_id="Europe/Paris", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        pages = {
            "booking": f"/book/{offer.booking_key}?tz=Europe/Paris&day=2026-06-03",
            "confirm": f"/book/{offer.booking_key}/confirm?start=2026-06-03T08:00:00Z&tz=Europe/Paris",
            "manage": f"/appointments/manage/{token}",
        }
        found = {}
        for name, url in pages.items():
            page.goto(url)
            assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand')").strip() == (
                "#8a6f00"
            )
            found[name] = _contrast_failures(page, axe_js)
        assert found == {name: [] for name in pages}
        page.goto(pages["booking"])
        page.add_style_tag(content=":root { --brand: #ffcc00 !important; }")  # the colour as stored
        assert _contrast_failures(page, axe_js)  # the check does catch it
    finally:
        context.close()
