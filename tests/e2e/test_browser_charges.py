"""A business's charges and a printable receipt in a real Chromium (manual mode: paid by bank transfer)."""

from __future__ import annotations

import os

import pytest

from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.payments.charges import service as charges
from tests.e2e.test_browser_vetting import log_in
from tests.integration.charges_support import CONFIRMED_AT, confirm, won_outcome
from tests.integration.outcome_support import make_deal

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    """Screenshots for a person to look at, when CHARGES_SCREENSHOTS names a folder."""
    folder = os.environ.get("CHARGES_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_a_business_sees_what_it_owes_then_prints_the_receipt_once_paid(page, make_user) -> None:
    owner = make_user("business", email="omar@acme.example", name="Omar", business_name="Acme Coaching")
    admin = make_user("admin", email="ada@closerhub.example")
    deal = make_deal(make_user, owner=owner)
    charge = confirm(deal, won_outcome(deal))

    log_in(page, "omar@acme.example")
    page.goto("/billing/charges")
    row = page.get_by_test_id(f"charge-{charge.id}")
    assert "€792.00" in row.inner_text() and "Due (bank transfer)" in row.inner_text()
    assert f'quoting "charge {charge.id}"' in row.inner_text()
    shot(page, "charges_due")

    db.session.commit()  # end the read snapshot before writing (SQLite)
    with frozen_at(CONFIRMED_AT):
        charges.mark_manual_paid(db.session, admin, charge.id, "SEPA 4411", CONFIRMED_AT)
    page.goto("/billing/charges")
    assert "Paid (bank transfer)" in page.get_by_test_id(f"charge-{charge.id}").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Receipt").click()
    receipt = page.get_by_test_id("receipt").inner_text()
    for needle in ("Receipt", "Acme Coaching", "€720.00", "€72.00", "€792.00", "Paid on", "SEPA 4411"):
        assert needle in receipt, needle
    shot(page, "receipt_screen")
    page.emulate_media(media="print")
    assert not page.locator(".no-print").is_visible()  # the back link is not printed
    shot(page, "receipt_print")
    assert page.js_errors == []
