"""In a real Chromium: a business proposes an engagement at 15 %, the closer reads the script and accepts,
and both dashboards show the active engagement."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import select

from closerhub.accounts.models import User
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.extensions import db
from tests.conftest import PASSWORD
from tests.integration.test_engagements import make_offer

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("CLOSERHUB_SCREENSHOTS")  # a directory: save what the test saw, for review


def shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def log_in(page: Any, user: User) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


def log_out(page: Any) -> None:
    page.locator(".nav-account summary").click()  # the account menu holds Log out
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: url.endswith("/"))


def test_a_business_proposes_at_15_percent_the_closer_accepts_and_both_dashboards_show_it(
    page: Any, business_user: User, closer: User
) -> None:
    offer = make_offer(business_user, "Founder coaching")
    log_in(page, business_user)
    page.goto(f"/engagements/new?closer_id={closer.id}")
    page.get_by_label("Offer").select_option(label="Founder coaching")
    page.get_by_label("Commission (%)").fill("15")
    shot(page, "1-propose")
    page.get_by_role("button", name="Send proposal").click()
    page.wait_for_url("**/engagements/*")
    assert "Waiting for Claire Closer" in page.content()
    db.session.rollback()  # end this session's snapshot: the browser's request wrote the row
    engagement = db.session.scalar(select(Engagement))
    assert (engagement.commission_rate_bps, engagement.offer_id) == (1500, offer.id)
    log_out(page)

    log_in(page, closer)
    page.goto(f"/engagements/{engagement.id}")
    assert page.get_by_test_id("script").inner_text().startswith("1. Rapport")
    shot(page, "2-closer-reviews")
    page.get_by_test_id("accept").click()
    page.wait_for_url(f"**/engagements/{engagement.id}")
    assert "Engagement accepted" in page.content()
    page.goto("/dashboard")
    card = page.get_by_test_id("engagements-card")
    assert "Founder coaching" in card.inner_text() and "Acme Coaching" in card.inner_text()
    shot(page, "3-closer-dashboard")
    log_out(page)

    log_in(page, business_user)
    card = page.get_by_test_id("engagements-card")
    assert "Founder coaching" in card.inner_text() and "Claire Closer" in card.inner_text()
    assert "Active" in card.inner_text()  # the status as a label
    shot(page, "4-business-dashboard")
    db.session.rollback()
    assert db.session.get(Engagement, engagement.id).status == EngagementStatus.ACTIVE
    assert page.js_errors == []
