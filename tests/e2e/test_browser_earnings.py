"""Issue 5's acceptance path in a real Chromium: a won deal of 4,800.00 EUR at 15 % → confirmed → 720.00 EUR
pending on the closer's earnings page → after the clawback hold and the release job, available."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from closerhub import clock, jobs
from closerhub.extensions import db
from closerhub.outcomes.models import Outcome, OutcomeStatus
from tests.conftest import PASSWORD
from tests.integration.outcome_support import AFTER_CALL, make_call, make_deal

pytestmark = pytest.mark.browser


def log_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


def test_a_confirmed_won_deal_shows_pending_then_available_after_the_clawback_hold(page, app, make_user) -> None:
    with time_machine.travel(AFTER_CALL, tick=True):
        owner = make_user("business", email="omar@acme.example", name="Omar", business_name="Acme Coaching")
        closer = make_user("closer", email="claire@example.com", name="Claire Martin", timezone="Europe/Paris")
        deal = make_deal(make_user, owner=owner, closer=closer, rate_bps=1500)
        call = make_call(deal)

        log_in(page, "claire@example.com")
        page.goto(f"/appointments/{call.id}/outcome")
        page.get_by_label("Won: the prospect bought").check()
        page.get_by_label("Deal value").fill("4,800.00")
        page.get_by_label("Objections heard (one per line)").fill("Price\nNeeds to ask the spouse")
        page.get_by_label("Closing technique used").select_option("summary")
        with page.expect_navigation():
            page.get_by_test_id("save-outcome").click()
        assert "Outcome recorded" in page.content()
        db.session.commit()
        outcome = db.session.scalar(select(Outcome))
        assert outcome is not None and outcome.commission_amount == 72000

        log_in(page, "omar@acme.example")
        page.goto("/outcomes/pending")
        card = page.get_by_test_id(f"outcome-{outcome.id}")
        assert "€4,800.00" in card.inner_text() and "€720.00" in card.inner_text()
        with page.expect_navigation():
            page.get_by_test_id(f"confirm-{outcome.id}").click()
        db.session.commit()
        assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.CONFIRMED

        log_in(page, "claire@example.com")
        page.goto("/earnings")
        assert page.get_by_test_id("pending-EUR").inner_text() == "€720.00"
        assert page.get_by_test_id("available-EUR").inner_text() == "€0.00"
        assert "Paris" in page.content()

        # Manual mode: the business pays by bank transfer; an admin marks the charge paid on the money desk.
        db.session.commit()  # end the read snapshot before writing (SQLite)
        make_user("admin", email="ada@closerhub.example", name="Ada Admin")
        log_in(page, "ada@closerhub.example")
        page.goto("/admin/money")
        with page.expect_navigation():
            page.get_by_role("link", name="Mark paid…").click()
        page.get_by_label("Bank transfer reference (optional)").fill("SEPA 4411")
        with page.expect_navigation():
            page.get_by_test_id("confirm").click()
        assert "marked paid" in page.content()
        db.session.commit()
        paid_at = db.session.get(Outcome, outcome.id).charged_at
        assert paid_at is not None

    # The clawback hold (CLAWBACK_DAYS = 14) runs from the payment.
    with time_machine.travel(paid_at + timedelta(days=14, minutes=1), tick=True):
        assert jobs.release_commissions(app) == 1
        assert clock.utcnow() > paid_at + timedelta(days=14)
        log_in(page, "claire@example.com")
        page.goto("/earnings")
        assert page.get_by_test_id("pending-EUR").inner_text() == "€0.00"
        assert page.get_by_test_id("available-EUR").inner_text() == "€720.00"
        assert page.locator("[data-testid=entry-released]").count() == 2
        assert page.js_errors == []
