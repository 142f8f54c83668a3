"""Email verification in a real Chromium: the unverified user's banner folds away but comes back,
its "Resend the email" button sends a fresh link, and following the link makes the banner go."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def verify_emails(address: str) -> list[str]:
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMessage.text_body)
            .where(OutboxMessage.to_address == address, OutboxMessage.text_body.contains("/verify-email/"))
            .order_by(OutboxMessage.id)
        )
    )


def test_the_banner_resends_the_link_and_disappears_once_the_email_is_verified(page, make_user) -> None:
    make_user("business", email="omar@acme.example", business_name="Acme Coaching", verified=False)
    page.goto("/login")
    page.get_by_label("Email").fill("omar@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")

    banner = page.get_by_test_id("verify-banner")
    assert banner.is_visible() and "omar@acme.example" in banner.inner_text()
    banner.locator("summary").click()  # folds away...
    assert not page.get_by_test_id("resend-verification").is_visible()
    page.reload()  # ...but comes back until the email is verified
    assert page.get_by_test_id("resend-verification").is_visible()

    with page.expect_navigation():
        page.get_by_test_id("resend-verification").click()
    assert "We have sent a new verification link" in page.content()
    assert page.url.endswith("/dashboard")
    links = verify_emails("omar@acme.example")
    assert len(links) == 2

    path = re.search(r"https?://[^/\s]+(/verify-email/\S+)", links[-1]).group(1)
    page.goto(path)
    assert page.get_by_test_id("verify-result").get_attribute("data-outcome") == "verified"
    page.goto("/dashboard")
    assert page.get_by_test_id("verify-banner").count() == 0
    page.goto("/account")
    assert page.get_by_test_id("email-verified").inner_text() == "verified"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2  # welcome (with a link), resend
    assert page.js_errors == []
