"""After a payout: signed ``transfer.reversed`` and ``payout.failed`` webhooks, and clawbacks of paid commissions."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

from flask import current_app
from flask.testing import FlaskClient

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.payouts.events import clawback_paid_commission
from closerhub.payments.payouts.models import PayoutNotice, PayoutStatus
from closerhub.payments.payouts.service import run_payouts
from closerhub.payments.stripe.gateway import sign_webhook_payload
from tests.fakes.servers import TEST_WEBHOOK_SECRET
from tests.fakes.stripe_connect import FakeStripeConnect
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal
from tests.integration.payouts_support import (
    LATER,
    RUN_AT,
    balance,
    count,
    emails,
    give_available,
    give_payout_details,
    onboard,
    payouts,
    stripe,
    transfers_made,
)

__all__ = ["stripe"]  # fixture


def post_event(client: FlaskClient, body: str, signature: str) -> Any:
    return client.post(
        "/stripe/webhook", data=body, headers={"Content-Type": "application/json", "Stripe-Signature": signature}
    )


def paid_closer(make_user: Any, fake: FakeStripeConnect, amount: int = 10000) -> tuple[Any, str]:
    closer = make_user("closer")
    acct = onboard(fake, closer)
    give_available(closer, amount)
    assert run_payouts(db.session, RUN_AT, triggered_by="cli").paid == 1
    return closer, acct


def test_a_reversed_transfer_marks_the_payout_reversed_and_owes_the_money_again_once(
    client: FlaskClient, make_user: Any, stripe: FakeStripeConnect
) -> None:
    closer, acct = paid_closer(make_user, stripe)
    [payout] = payouts()
    # Someone reverses the transfer on Stripe (the dashboard): the fake does it, then Stripe sends the event.
    stripe.create_reversal(payout.stripe_transfer_id, {})
    [transfer] = stripe.transfers_to(acct)
    body, sig = stripe.signed_event("transfer.reversed", transfer, TEST_WEBHOOK_SECRET)
    assert post_event(client, body, sig).get_json()["result"] == "processed"
    [payout] = payouts()
    assert payout.status is PayoutStatus.REVERSED and payout.amount_reversed == 10000
    assert balance(closer) == (0, 10000, 0)
    # The same event again (a replay) or another event with the same state: counted once.
    assert post_event(client, body, sig).get_json()["result"] == "duplicate"
    body2, sig2 = stripe.signed_event("transfer.reversed", transfer, TEST_WEBHOOK_SECRET)
    assert post_event(client, body2, sig2).get_json()["result"] == "processed"
    assert balance(closer) == (0, 10000, 0)
    # The next run pays it again.
    assert run_payouts(db.session, LATER, triggered_by="cli").paid == 1
    assert balance(closer) == (0, 0, 10000)


def test_a_failed_bank_payout_is_recorded_once_and_tells_the_closer_and_the_admins(
    client: FlaskClient, make_user: Any, stripe: FakeStripeConnect
) -> None:
    admin = make_user("admin")
    closer, acct = paid_closer(make_user, stripe)
    bank_payout = copy.deepcopy(stripe.state.fixtures["payout"])
    bank_payout.update(
        id="po_closer_1",
        amount=10000,
        currency="eur",
        status="failed",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
    )
    event = copy.deepcopy(stripe.state.fixtures["event"])
    event.update(
        id="evt_po_failed_1", type="payout.failed", account=acct, created=1_800_000_000, data={"object": bank_payout}
    )
    body = json.dumps(event)
    response = post_event(client, body, sign_webhook_payload(body, TEST_WEBHOOK_SECRET))
    assert response.status_code == 200 and response.get_json()["result"] == "processed"
    [to_closer] = emails(closer.email, "bank_payout_failed")
    [to_admin] = emails(admin.email, "bank_payout_failed")
    assert "update your bank details" in to_closer.text_body and "€100.00" in to_closer.text_body
    assert closer.name in to_admin.text_body and "account has been closed" in to_admin.text_body
    assert balance(closer) == (0, 0, 10000)  # Stripe keeps the money in the closer's balance: no ledger change
    # The same failure delivered again under another event id: still one record, no new emails.
    event["id"] = "evt_po_failed_2"
    body = json.dumps(event)
    post_event(client, body, sign_webhook_payload(body, TEST_WEBHOOK_SECRET))
    assert count(PayoutNotice) == 1 and len(emails(closer.email, "bank_payout_failed")) == 1
    # The closer sees it on their earnings page.
    from tests.conftest import _logged_in

    page = _logged_in(client.application, closer).get("/earnings").get_data(as_text=True)
    assert 'data-testid="bank-failure"' in page and "€100.00" in page
    closer.language = "fr"  # the amount is written for the reader, not as the worker wrote it
    db.session.commit()
    page = _logged_in(client.application, closer).get("/earnings").get_data(as_text=True)
    assert "100,00\u00a0€" in page and "€100.00" not in page


def _won_paid_outcome(make_user: Any, fake: FakeStripeConnect) -> Any:
    current_app.config["CLAWBACK_DAYS"] = 0  # a short story: released as soon as charged
    deal = make_deal(make_user)
    acct = onboard(fake, deal.closer)
    call = make_call(deal)
    with frozen_at(AFTER_CALL):
        outcome = service.record_outcome(
            db.session,
            deal.closer,
            call.id,
            OutcomeData(result="won", deal_value=Money(480000, "EUR")),
            now=clock.utcnow(),
        )
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    ledger.mark_charged(db.session, outcome, AFTER_CALL + timedelta(days=1))  # the business paid (idempotent)
    db.session.commit()
    ledger.release_available(db.session, RUN_AT - timedelta(hours=1))
    assert balance(deal.closer) == (0, 72000, 0)
    assert run_payouts(db.session, RUN_AT, triggered_by="cli").paid == 1
    return deal, outcome, acct


def test_a_refund_after_the_payout_reverses_the_transfer_and_the_ledger_shows_it(
    client: FlaskClient, make_user: Any, stripe: FakeStripeConnect
) -> None:
    deal, outcome, acct = _won_paid_outcome(make_user, stripe)
    now = LATER
    # What the charges code does on a refund: reverse the commission, then claw back what was paid.
    ledger.reverse_outcome(db.session, outcome, now, Memo("voided", {"outcome_id": outcome.id}))
    result = clawback_paid_commission(db.session, outcome, 72000, now)
    db.session.commit()
    assert (result.reversed, result.carried) == (72000, 0)
    [transfer] = stripe.transfers_to(acct)
    assert transfer["amount_reversed"] == 72000 and transfer["reversed"] is True
    [reversal] = transfer["reversals"]["data"]
    assert reversal["id"] == result.reversal_ids[0]
    [payout] = payouts()
    assert payout.status is PayoutStatus.REVERSED and payout.amount_reversed == 72000
    assert balance(deal.closer) == (0, 0, 0)  # nothing owed either way
    # Stripe's transfer.reversed event for our own reversal changes nothing more.
    body, sig = stripe.signed_event("transfer.reversed", transfer, TEST_WEBHOOK_SECRET)
    assert post_event(client, body, sig).get_json()["result"] == "processed"
    assert balance(deal.closer) == (0, 0, 0)
    kinds = [(e.kind.value, e.bucket.value, e.amount) for e in db.session.scalars(ledger.entries_query())]
    assert kinds[-3:] == [
        ("reversal", "available", -72000),
        ("reversal", "paid", -72000),
        ("reversal", "available", 72000),
    ]


def test_a_clawback_retried_after_a_rollback_sends_the_same_key_and_reverses_once(
    make_user: Any, stripe: FakeStripeConnect
) -> None:
    deal, outcome, acct = _won_paid_outcome(make_user, stripe)
    ledger.reverse_outcome(db.session, outcome, LATER, Memo("voided", {"outcome_id": outcome.id}))
    clawback_paid_commission(db.session, outcome, 30000, LATER)
    db.session.rollback()  # the caller's transaction failed after Stripe answered
    ledger.reverse_outcome(db.session, outcome, LATER, Memo("voided", {"outcome_id": outcome.id}))
    clawback_paid_commission(db.session, outcome, 30000, LATER)
    db.session.commit()
    [transfer] = stripe.transfers_to(acct)
    assert transfer["amount_reversed"] == 30000 and len(transfer["reversals"]["data"]) == 1
    assert balance(deal.closer) == (0, -42000, 42000)


def test_without_stripe_a_paid_commission_refunded_is_carried_into_the_next_payout(make_user: Any) -> None:
    current_app.config["CLAWBACK_DAYS"] = 0
    deal = make_deal(make_user)
    call = make_call(deal, CALL_AT)
    with frozen_at(AFTER_CALL):
        outcome = service.record_outcome(
            db.session,
            deal.closer,
            call.id,
            OutcomeData(result="won", deal_value=Money(480000, "EUR")),
            now=clock.utcnow(),
        )
    with frozen_at(AFTER_CALL + timedelta(days=1)):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    ledger.mark_charged(db.session, outcome, AFTER_CALL + timedelta(days=1))  # the business paid (idempotent)
    db.session.commit()
    give_payout_details(deal.closer)
    ledger.release_available(db.session, RUN_AT - timedelta(hours=1))
    run_payouts(db.session, RUN_AT, triggered_by="cli")  # manual mode
    ledger.reverse_outcome(db.session, outcome, LATER, Memo("voided", {"outcome_id": outcome.id}))
    result = clawback_paid_commission(db.session, outcome, 72000, LATER)
    db.session.commit()
    assert (result.reversed, result.carried) == (0, 72000)
    assert balance(deal.closer) == (0, -72000, 72000)
    give_available(deal.closer, 80000)  # the next earnings net it off
    run_payouts(db.session, LATER, triggered_by="cli")
    assert [p.amount for p in payouts()] == [72000, 8000]
    assert transfers_made is not None
