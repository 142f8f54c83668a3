"""The payout pages and API: admin runs list, run button, manual batch CSV and mark-paid; the closer's earnings;
``GET /api/v1/payouts`` and ``POST /api/v1/payouts/run`` with their permissions."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.payments.payouts.models import Payout, PayoutRun, PayoutStatus
from closerhub.payments.payouts.service import run_payouts
from tests.fakes.stripe_connect import FakeStripeConnect
from tests.integration.payouts_support import (
    RUN_AT,
    balance,
    count,
    give_available,
    give_payout_details,
    onboard,
    payouts,
    stripe,
)
from tests.integration.test_api_accounts import bearer

__all__ = ["stripe"]  # fixture


def test_an_admin_runs_payouts_in_manual_mode_exports_the_batch_and_marks_it_paid(
    admin_client: FlaskClient, admin_user: Any, make_user: Any
) -> None:
    alice = make_user("closer", name='=HYPERLINK("evil")', email="alice@example.com")
    bob = make_user("closer", name="Bob Builder", email="bob@example.com")
    give_payout_details(alice)
    give_payout_details(bob)
    give_available(alice, 5000)
    give_available(bob, 123456, "USD")

    page = admin_client.get("/admin/payouts").get_data(as_text=True)
    assert 'data-testid="manual-mode"' in page and "No payout run yet." in page
    confirm = admin_client.get("/admin/payouts/run").get_data(as_text=True)
    assert "Run payouts now?" in confirm and "Manual mode" in confirm
    assert count(PayoutRun) == 0  # the confirmation page changes nothing

    with frozen_at(RUN_AT):
        response = admin_client.post("/admin/payouts/run", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "2 to pay by hand" in text
    [run] = db.session.scalars(select(PayoutRun)).all()
    assert run.triggered_by == "admin" and run.triggered_by_id == admin_user.id
    assert "To pay by bank" in text and not re.search(r"\d{1,2}:\d{2}:\d{2}", text)  # times without seconds

    exported = admin_client.get(f"/admin/payouts/runs/{run.id}/batch.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert f"payout-batch-{run.id}.csv" in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    by_email = {r["closer_email"]: r for r in rows}
    assert by_email["bob@example.com"]["amount"] == "1234.56" and by_email["bob@example.com"]["currency"] == "USD"
    assert by_email["alice@example.com"]["closer_name"].startswith("'=")  # no formula in a spreadsheet
    assert {r["payout_id"] for r in rows} == {str(p.id) for p in payouts()}

    confirm = admin_client.get(f"/admin/payouts/runs/{run.id}/mark-paid").get_data(as_text=True)
    assert "Mark batch" in confirm and "Bob Builder" in confirm
    assert {p.status for p in payouts()} == {PayoutStatus.MANUAL_PENDING}
    with frozen_at(RUN_AT):
        done = admin_client.post(f"/admin/payouts/runs/{run.id}/mark-paid", follow_redirects=True)
    assert "2 payouts marked paid." in done.get_data(as_text=True)
    assert {p.status for p in payouts()} == {PayoutStatus.MANUAL_PAID}
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payouts.batch_marked_paid")).all()
    assert audit.actor_id == admin_user.id and audit.after["totals"] == {"EUR": 5000, "USD": 123456}
    # Marking again: a clear message, nothing changes.
    again = admin_client.post(f"/admin/payouts/runs/{run.id}/mark-paid", follow_redirects=True)
    assert "nothing left to mark paid" in again.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("payouts."))).all()
    # No second batch entry; the CSV download is recorded (it carries the payees' bank details).
    assert sorted(actions) == ["payouts.bank_file_downloaded", "payouts.batch_marked_paid", "payouts.run_started"]


def test_the_payout_buttons_need_the_csrf_token(admin_client: FlaskClient, make_user: Any, csrf_enabled: None) -> None:
    closer = make_user("closer")
    give_payout_details(closer)
    give_available(closer, 5000)
    assert admin_client.post("/admin/payouts/run").status_code == 400
    assert count(PayoutRun) == 0 and balance(closer) == (0, 5000, 0)
    run_payouts(db.session, RUN_AT, triggered_by="cli")
    run_id = payouts()[0].run_id
    assert admin_client.post(f"/admin/payouts/runs/{run_id}/mark-paid").status_code == 400
    assert [p.status for p in payouts()] == [PayoutStatus.MANUAL_PENDING]


def test_payout_pages_are_for_admins_and_an_unknown_run_is_404(
    closer_client: FlaskClient, business_client: FlaskClient, admin_client: FlaskClient
) -> None:
    for c in (closer_client, business_client):
        assert c.get("/admin/payouts").status_code == 403
        assert c.post("/admin/payouts/run").status_code == 403
    assert count(PayoutRun) == 0
    assert admin_client.get("/admin/payouts/runs/999").status_code == 404
    assert admin_client.get("/admin/payouts/runs/999/batch.csv").status_code == 404
    assert admin_client.post("/admin/payouts/runs/999/mark-paid").status_code == 404


def test_the_admin_sees_failed_payouts_and_the_closer_sees_theirs_on_the_earnings_page(
    admin_client: FlaskClient, closer_client: FlaskClient, closer: Any, stripe: FakeStripeConnect
) -> None:
    acct = onboard(stripe, closer)
    stripe.set_account(acct, transfers_capability="inactive")
    give_available(closer, 7500)
    run_payouts(db.session, RUN_AT, triggered_by="worker")
    [payout] = payouts()
    page = admin_client.get("/admin/payouts").get_data(as_text=True)
    assert 'data-testid="attention"' in page and f"#{payout.id}" in page and "Failed" in page
    run_page = admin_client.get(f"/admin/payouts/runs/{payout.run_id}").get_data(as_text=True)
    assert "capabilities" in run_page and "Export the batch" not in run_page
    earnings = closer_client.get("/earnings").get_data(as_text=True)
    assert f'data-testid="payout-{payout.id}"' in earnings and "Failed" in earnings
    assert "The money is back in your available balance." in earnings
    assert "Created (Paris)" in earnings  # times state their zone


def test_the_api_lists_a_closers_own_payouts_and_everything_for_admins(
    client: FlaskClient, make_user: Any, admin_user: Any
) -> None:
    ann, ben = make_user("closer"), make_user("closer")
    give_payout_details(ann)
    give_payout_details(ben)
    give_available(ann, 5000)
    give_available(ben, 6000)
    give_available(ben, 7000, "USD")
    run_payouts(db.session, RUN_AT, triggered_by="cli")

    mine = client.get("/api/v1/payouts", headers=bearer(ann)).get_json()
    assert [(p["closer_id"], p["amount"], p["status"]) for p in mine["data"]] == [(ann.id, 5000, "manual_pending")]
    assert client.get(f"/api/v1/payouts?closer_id={ben.id}", headers=bearer(ann)).status_code == 403
    every = client.get("/api/v1/payouts?limit=2", headers=bearer(admin_user)).get_json()
    assert len(every["data"]) == 2 and every["next_cursor"]
    rest = client.get(f"/api/v1/payouts?limit=2&cursor={every['next_cursor']}", headers=bearer(admin_user)).get_json()
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None
    usd = client.get(f"/api/v1/payouts?closer_id={ben.id}&currency=usd", headers=bearer(admin_user)).get_json()
    assert [p["amount"] for p in usd["data"]] == [7000]
    bad = client.get("/api/v1/payouts?status=lost", headers=bearer(admin_user))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert client.get("/api/v1/payouts").status_code == 401
    assert client.get("/api/v1/payouts", headers=bearer(make_user("business"))).status_code == 403


def test_only_admins_can_start_a_run_through_the_api(
    client: FlaskClient, make_user: Any, admin_user: Any, stripe: FakeStripeConnect
) -> None:
    closer = make_user("closer")
    onboard(stripe, closer)
    give_available(closer, 9000)
    for who in (closer, make_user("business")):
        refused = client.post("/api/v1/payouts/run", headers=bearer(who))
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert count(PayoutRun) == 0 and count(Payout) == 0
    response = client.post("/api/v1/payouts/run", headers={**bearer(admin_user), "Idempotency-Key": "run-1"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["mode"], body["paid"], body["skipped"]) == ("stripe", 1, 0)
    replay = client.post("/api/v1/payouts/run", headers={**bearer(admin_user), "Idempotency-Key": "run-1"})
    assert replay.get_json() == body and count(PayoutRun) == 1  # the same key replays, no second run
    assert len(stripe.transfers_to(payouts()[0].destination or "")) == 1
