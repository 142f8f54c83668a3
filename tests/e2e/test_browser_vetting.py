"""Issue 7's acceptance path in a real Chromium: a closer signs up and is invisible in search; an admin
approves them; they appear with the "Verified" badge; the admin suspends them and they are gone again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from closerhub.accounts.models import AccountStatus, User
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.vetting.models import CloserVetting, VettingStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


def verify_link(address: str) -> str:
    """The path of the verification link emailed to ``address`` (read from the outbox)."""
    db.session.commit()
    body = db.session.scalar(
        select(OutboxMessage.text_body)
        .where(OutboxMessage.to_address == address, OutboxMessage.text_body.contains("/verify-email/"))
        .order_by(OutboxMessage.id.desc())
    )
    return re.search(r"https?://[^/\s]+(/verify-email/\S+)", body).group(1)


def search_for(page, name: str):
    page.goto("/closers?q=" + name.split()[0])
    return page.locator("article.result", has_text=name)


def test_a_new_closer_is_vetted_then_found_with_a_badge_then_suspended(page, make_user) -> None:
    make_user("business", email="omar@acme.example", name="Omar", business_name="Acme Coaching")
    make_user("admin", email="ada@example.com")

    page.goto("/signup?role=closer")
    page.get_by_label("Your name").fill("Vera Vetted")
    page.get_by_label("Email").fill("vera@example.com")
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")
    assert "in review" in page.get_by_test_id("vetting-card").inner_text()
    assert page.get_by_test_id("verify-banner").is_visible()
    page.goto(verify_link("vera@example.com"))  # the link of the verification email: approval needs it
    assert page.get_by_test_id("verify-result").get_attribute("data-outcome") == "verified"

    log_in(page, "omar@acme.example")
    assert search_for(page, "Vera Vetted").count() == 0

    log_in(page, "ada@example.com")
    page.goto("/admin/vetting")
    page.get_by_role("link", name="Vera Vetted").click()
    page.get_by_label("Identity and Stripe onboarding done").check()
    page.get_by_label("Languages plausible (checked on the intro call)").check()
    page.get_by_label("Short intro call held").check()
    with page.expect_navigation():
        page.get_by_test_id("approve").click()
    assert "They have been emailed." in page.content()
    db.session.commit()
    vera = db.session.scalar(select(User).where(User.email == "vera@example.com"))
    assert db.session.get(CloserVetting, vera.id).status == VettingStatus.APPROVED

    log_in(page, "omar@acme.example")
    result = search_for(page, "Vera Vetted")
    assert result.count() == 1
    assert result.get_by_test_id("verified").is_visible()
    result.get_by_role("link", name="Vera Vetted").click()
    assert page.get_by_test_id("verified").is_visible()

    log_in(page, "ada@example.com")
    page.goto(f"/admin/users/{vera.id}")
    page.get_by_test_id("suspend-link").click()
    page.get_by_label("Reason (kept in the audit trail)").fill("Identity documents turned out to be forged.")
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    assert page.get_by_test_id("account-status").inner_text() == "suspended"
    db.session.commit()
    assert db.session.get(User, vera.id).status == AccountStatus.SUSPENDED

    log_in(page, "omar@acme.example")
    assert search_for(page, "Vera Vetted").count() == 0
    assert page.js_errors == []
