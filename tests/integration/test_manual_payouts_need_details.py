"""The rule of manual payouts: a run pays only closers with usable payout details.

A closer without details (none, or sealed with a key no longer configured) is skipped as
Stripe mode skips an account that cannot take payouts: nothing reserved, the balance stays
available, the closer is told once (email through the outbox, and on the earnings page), the
run page lists them as waiting. Marking a batch paid marks only payouts that were in the bank
file.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.payments.payouts import details as payout_details
from closerhub.payments.payouts.commands import BankDetails
from closerhub.payments.payouts.models import NoticeKind, PayoutNotice, PayoutRun, PayoutStatus, RunMode
from closerhub.payments.payouts.service import run_payouts
from tests.conftest import _logged_in
from tests.integration.payouts_support import (
    LATER,
    RUN_AT,
    balance,
    count,
    emails,
    give_available,
    give_payout_details,
    payouts,
)

IBAN = BankDetails(scheme="iban", holder="Alice Martin", iban="DE89370400440532013000", bic="COBADEFFXXX")
US = BankDetails(scheme="us", holder="Carol Jones", routing_number="021000021", account_number="987654321")


def test_a_manual_run_reserves_nothing_for_a_closer_without_details_and_their_balance_stays_available(
    admin_client: FlaskClient, make_user: Any
) -> None:
    paid = make_user("closer", email="paid@example.com")
    waiting = make_user("closer", name="Walt Waiting", email="walt@example.com")
    give_payout_details(paid)
    give_available(paid, 5000)
    give_available(waiting, 7300)

    with frozen_at(RUN_AT):
        page = admin_client.post("/admin/payouts/run", follow_redirects=True).get_data(as_text=True)

    assert "1 to pay by hand, 1 skipped (waiting for payout details)" in page
    [run] = db.session.scalars(select(PayoutRun)).all()
    assert run.mode is RunMode.MANUAL
    assert [p.closer_id for p in payouts()] == [paid.id]
    assert balance(waiting) == (0, 7300, 0)  # nothing moved to paid: still available
    listed = page.split('data-testid="waiting-for-details"', 1)[1].split("</ul>", 1)[0]
    assert f'data-testid="waiting-{waiting.id}-EUR"' in listed and "Walt Waiting" in listed
    assert "73.00" in listed and "waiting for payout details" in listed
    assert "paid@example.com" not in listed


def test_details_sealed_with_a_removed_key_count_as_no_details_for_a_run(app: Flask, make_user: Any) -> None:
    closer = make_user("closer")
    payout_details.save(db.session, closer, IBAN, RUN_AT)
    give_available(closer, 5000)
    app.config["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()  # the key that sealed them is gone

    report = run_payouts(db.session, RUN_AT, triggered_by="cli")

    assert (report.manual, report.skipped) == (0, 1)
    assert payouts() == [] and balance(closer) == (0, 5000, 0)


def test_once_the_closer_adds_details_the_next_run_pays_their_whole_balance(app: Flask, make_user: Any) -> None:
    closer = make_user("closer")
    give_available(closer, 5000)
    assert run_payouts(db.session, RUN_AT, triggered_by="cli").skipped == 1
    give_available(closer, 2500)  # more earnings while waiting
    payout_details.save(db.session, closer, IBAN, RUN_AT)

    report = run_payouts(db.session, LATER, triggered_by="cli")

    assert (report.manual, report.skipped) == (1, 0)
    [payout] = payouts(closer)
    assert (payout.amount, payout.status) == (7500, PayoutStatus.MANUAL_PENDING)
    assert balance(closer) == (0, 0, 7500)
    assert count(PayoutNotice) == 0  # paid again: a later problem is told anew
    earnings = _logged_in(app, closer).get("/earnings").get_data(as_text=True)
    assert 'data-testid="waiting-for-details"' not in earnings


def test_the_closer_is_emailed_once_and_the_earnings_page_says_a_payout_waits_for_their_details(
    app: Flask, make_user: Any
) -> None:
    closer = make_user("closer", email="walt@example.com")
    give_available(closer, 5000)
    run_payouts(db.session, RUN_AT, triggered_by="cli")
    run_payouts(db.session, LATER, triggered_by="cli")  # run again (a retry, or the next admin's click)
    give_available(closer, 100)
    run_payouts(db.session, LATER, triggered_by="cli")

    [email] = emails("walt@example.com", "payout_cannot_receive")
    assert "payout details" in email.subject and "/payouts/setup" in email.text_body
    assert "Stripe" not in email.text_body  # manual mode: nothing to finish at Stripe
    [notice] = db.session.scalars(select(PayoutNotice)).all()
    assert notice.kind is NoticeKind.CANNOT_RECEIVE and notice.closer_id == closer.id
    earnings = _logged_in(app, closer).get("/earnings").get_data(as_text=True)
    waiting = earnings.split('data-testid="waiting-for-details"', 1)[1].split("</p>", 1)[0]
    assert "A payout is waiting for your payout details" in waiting and 'href="/payouts/setup' in waiting


def test_marking_a_batch_paid_never_marks_a_payout_that_was_not_in_the_bank_file(
    app: Flask, admin_client: FlaskClient, admin_user: Any, make_user: Any
) -> None:
    alice = make_user("closer", name="Alice Martin", email="alice@example.com")
    carol = make_user("closer", name="Carol Jones", email="carol@example.com")
    payout_details.save(db.session, alice, IBAN, RUN_AT)
    payout_details.save(db.session, carol, US, RUN_AT)
    give_available(alice, 5000)
    give_available(carol, 6000, "USD")
    run_id = run_payouts(db.session, RUN_AT, triggered_by="cli").run_id
    # After the run the key is replaced; only Alice enters her details again: Carol's cannot be read.
    app.config["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    payout_details.save(db.session, alice, IBAN, LATER)

    exported = admin_client.get(f"/admin/payouts/runs/{run_id}/batch.csv").get_data(as_text=True)
    rows = {r["closer_email"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert rows["alice@example.com"]["blocked"] == "" and rows["carol@example.com"]["blocked"] != ""
    with frozen_at(LATER):
        done = admin_client.post(f"/admin/payouts/runs/{run_id}/mark-paid", follow_redirects=True)

    assert "1 payout marked paid." in done.get_data(as_text=True)
    status = {p.closer_id: p.status for p in payouts()}
    assert status == {alice.id: PayoutStatus.MANUAL_PAID, carol.id: PayoutStatus.MANUAL_PENDING}
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payouts.batch_marked_paid")).all()
    assert audit.after["totals"] == {"EUR": 5000} and audit.after["payout_ids"] == [payouts(alice)[0].id]
    again = admin_client.post(f"/admin/payouts/runs/{run_id}/mark-paid", follow_redirects=True)
    assert "nothing left to mark paid" in again.get_data(as_text=True)
    assert payouts(carol)[0].status is PayoutStatus.MANUAL_PENDING
