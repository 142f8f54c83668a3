"""A new closer signs up, logs out, logs back in and sees the dashboard — in a real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.extensions import db

pytestmark = pytest.mark.browser


def test_a_closer_signs_up_logs_out_logs_back_in_and_sees_the_dashboard(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="I am a closer").click()
    assert page.get_by_label("a closer looking for work").is_checked()
    # The browser's zone (America/New_York in this context) is filled in by JavaScript, which may
    # run a moment after the click returns: expect() waits for it (an assert raced it under load).
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    page.get_by_label("Your name").fill("Zoé Closer")
    page.get_by_label("Email").fill("zoe@example.com")
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")
    assert "Hello Zoé Closer" in page.content()
    assert "Times shown in New York" in page.content()

    page.locator(".nav-account summary").click()  # the account menu holds Log out
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert "You are logged out." in page.content()
    page.goto("/dashboard")
    assert "/login" in page.url

    page.get_by_label("Email").fill("zoe@example.com")
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_role("heading", name="Hello Zoé Closer").is_visible()
    assert page.js_errors == []

    user = db.session.scalar(select(User).where(User.email == "zoe@example.com"))
    assert user is not None and user.timezone == "America/New_York" and user.last_login_at is not None


def test_a_wrong_password_shows_the_form_again_with_a_message(page, closer) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(closer.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().strip() == "Email or password is incorrect."
    assert page.get_by_label("Email").input_value() == closer.email


def test_the_layout_fits_a_phone_screen(page) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways on a phone ({width}px)"
    page.locator("label.nav-toggle-label").click()
    assert page.get_by_role("link", name="Log in").is_visible()
