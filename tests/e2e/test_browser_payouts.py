"""Manual mode in a real Chromium (no Stripe keys, as after `make run`): an admin runs the payouts, downloads the
batch CSV, pays it by bank and marks it paid after a confirmation; the closer sees the payout paid."""

from __future__ import annotations

from pathlib import Path

import pytest

from closerhub.extensions import db
from closerhub.payments.payouts.models import PayoutStatus
from tests.e2e.test_browser_vetting import log_in
from tests.integration.payouts_support import give_available, give_payout_details, payouts

pytestmark = pytest.mark.browser


def test_an_admin_exports_the_manual_batch_and_marks_it_paid(page, make_user) -> None:
    make_user("admin", email="ada@example.com")
    closer = make_user("closer", email="claire@example.com", name="Claire Martin")
    give_payout_details(closer)  # a manual run pays only closers with usable payout details
    give_available(closer, 64000)

    log_in(page, "ada@example.com")
    page.goto("/admin/payouts")
    assert "Manual mode" in page.get_by_test_id("manual-mode").inner_text()
    page.get_by_test_id("run-payouts").click()
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    assert "1 to pay by hand" in page.content()
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Claire Martin,claire@example.com,640.00,EUR" in csv_text

    page.get_by_test_id("mark-paid").click()
    assert "Claire Martin" in page.content()
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    assert "1 payout marked paid." in page.content()
    assert page.get_by_test_id("batch-paid").is_visible()
    db.session.commit()
    assert [p.status for p in payouts()] == [PayoutStatus.MANUAL_PAID]

    log_in(page, "claire@example.com")
    page.goto("/earnings")
    assert "Paid by bank" in page.get_by_test_id("payouts").inner_text()
