"""Each demo role's main pages in a real Chromium, at phone (390×844) and desktop size, in English and
French: no raw code, no seconds in times, no "minor units", no 404 from a menu link; the menu fits one
line on a desktop and opens on a phone. Saves each dashboard to ``screenshots-tmp/`` (not committed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.demo import DEMO_PASSWORD
from closerhub.extensions import db
from tests.integration.demo_reading import problems, text_nodes

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "screenshots-tmp"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ROLES = {
    "admin": "admin@demo.closerhub.dev",
    "business": "owner@acme-coaching.demo",
    "closer": "claire@closers.demo",
}
LOGIN = {"en": ("Email", "Password", "Log in"), "fr": ("E-mail", "Mot de passe", "Se connecter")}


@pytest.fixture(params=[(size, lang) for size in SIZES for lang in ("en", "fr")], ids=lambda p: f"{p[0]}-{p[1]}")
def sized_page(request: Any, _browser: Any, live_server: Any) -> Iterator[Any]:
    size, lang = request.param
    context = _browser.new_context(
        base_url=live_server.url,
        viewport=SIZES[size],
        locale="fr-FR" if lang == "fr" else "en-US",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.size, page.lang = size, lang
    yield page
    context.close()


def _log_in(page: Any, email: str) -> None:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    user.language = page.lang
    db.session.commit()
    email_label, password_label, button = LOGIN[page.lang]
    page.goto("/login")
    page.get_by_label(email_label, exact=True).fill(email)
    page.get_by_label(password_label, exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/dashboard")


def _check_reading(page: Any, where: str) -> None:
    html = page.content()
    found = problems(text_nodes(html), french=page.lang == "fr")
    assert not found, (where, found[:8])


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_reads_its_pages_at_phone_and_desktop_size(sized_page: Any, demo: str, role: str) -> None:
    page = sized_page
    _log_in(page, ROLES[role])
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{role}-{page.size}-{page.lang}.png"), full_page=True)
    _check_reading(page, "/dashboard")

    nav = page.locator("nav.nav")
    top = nav.locator("ul.nav-items > li")
    assert 1 <= top.count() <= 7
    if page.size == "desktop":  # one line: every top item on the same row
        rows = {round(box["y"]) for i in range(top.count()) if (box := top.nth(i).bounding_box())}
        assert len(rows) == 1, rows
    else:  # the phone menu is closed, then opens
        assert not nav.is_visible()
        page.locator("label.nav-toggle-label").click()
        assert nav.is_visible()
    assert nav.locator('[aria-current="page"]').count() == 1

    links = [h for h in nav.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))") if h]
    for href in dict.fromkeys(links):
        response = page.goto(href)
        assert response is not None and response.status == 200, (href, response and response.status)
        _check_reading(page, href)
        assert re.search(r'aria-current="page"', page.content()), href


@pytest.mark.parametrize("sized_page", [("phone", "fr")], indirect=True, ids=["phone-fr"])
def test_the_closer_records_the_outcome_of_a_call_waiting_for_it(sized_page: Any, demo: str) -> None:
    page = sized_page  # once, on a phone in French
    _log_in(page, ROLES["closer"])
    waiting = page.get_by_test_id("awaiting-outcome")
    waiting.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/appointments/\d+/outcome"))
    _check_reading(page, page.url)
    page.locator('input[name="result"][value="no_show"]').check()
    with page.expect_navigation():
        page.get_by_test_id("save-outcome").click()
    _check_reading(page, page.url)
    assert page.get_by_test_id("outcome-status").count() >= 1  # recorded: the page shows its status
