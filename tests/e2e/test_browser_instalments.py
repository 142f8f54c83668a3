"""Issue 19 in a real Chromium: a business marks an instalment of a cash-collected deal collected, and the
closer's earnings page shows the accrual beside what the instalments still due are expected to earn."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from closerhub.extensions import db
from closerhub.outcomes import settlement
from closerhub.outcomes.instalments import instalments_of
from tests.e2e.test_browser_earnings import log_in
from tests.integration.charges_support import CONFIRMED_AT
from tests.integration.instalment_support import cash_deal, won_with_plan

pytestmark = pytest.mark.browser


def test_a_business_marks_an_instalment_collected_and_the_closer_sees_the_accrual(page, app, make_user) -> None:
    with time_machine.travel(CONFIRMED_AT, tick=True):
        owner = make_user("business", email="omar@acme.example", name="Omar", business_name="Acme Coaching")
        closer = make_user("closer", email="claire@example.com", name="Claire Martin", timezone="Europe/Paris")
        deal = cash_deal(make_user, owner=owner, closer=closer)
        outcome = won_with_plan(deal)  # 3 × €333.35 at 15 %
        settlement.confirm(db.session, deal.owner, outcome.id, now=CONFIRMED_AT)
        first = instalments_of(db.session, outcome.id)[0]

    with time_machine.travel(CONFIRMED_AT + timedelta(days=14), tick=True):
        log_in(page, deal.owner.email)
        page.goto(f"/outcomes/{outcome.id}/instalments")
        assert "on cash collected" in page.get_by_test_id("terms").inner_text()
        row = page.get_by_test_id("instalment-1")
        assert "Overdue" in row.inner_text()  # due on Dec 15, read two weeks after the confirmation
        with page.expect_navigation():
            page.get_by_test_id("collect-1").click()
        assert "Instalment marked collected." in page.content()
        assert "Collected" in page.get_by_test_id("instalment-1").inner_text()
        assert page.get_by_test_id("instalment-commission-1").inner_text() == "€50.00"
        db.session.commit()
        db.session.refresh(first)
        assert first.commission_accrued == 5_000

        log_in(page, "claire@example.com")
        page.goto("/earnings")
        assert page.get_by_test_id("pending-EUR").inner_text() == "€50.00"
        assert page.get_by_test_id(f"earned-{outcome.id}").inner_text() == "€50.00"
        # The two instalments still due: 15 % of €1,000.05 = €150.01 in all, so €100.01 more.
        assert page.get_by_test_id(f"expected-{outcome.id}").inner_text() == "€100.01"
        assert "Collected" in page.get_by_test_id(f"plan-{outcome.id}-1").inner_text()
        assert "Due" in page.get_by_test_id(f"plan-{outcome.id}-2").inner_text()
