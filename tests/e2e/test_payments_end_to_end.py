"""The whole money flow in Stripe mode, over real HTTP, read back from the Stripe test servers.

A closer onboards on Stripe Connect, a business saves a card, a booked call ends in a won
deal that the business confirms, the card is charged, the clawback hold passes, the payout
run transfers the commission, and a refund of the charge takes it back from the closer's
connected account with a Transfer Reversal. Every step is read back from the servers that
play Stripe, and the closer's ledger is checked after each one.

Stripe is played by two servers behind one API base (``tests/fakes/stripe_router.py``):
localstripe (customers, payment methods, setup and payment intents, charges, refunds; behind
``IdempotentProxy``, which honours idempotency keys as Stripe does) and our Connect fake
(accounts, account links, transfers, reversals). Webhooks are signed as Stripe signs them.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.outcomes import service
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.payments.charges.billing import billing_of
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.connect.service import account_of, can_receive_payouts
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.payouts.models import Payout, PayoutStatus
from closerhub.payments.payouts.service import run_payouts
from closerhub.payments.stripe.gateway import Gateway, get_gateway, sign_webhook_payload
from tests.fakes.servers import TEST_WEBHOOK_SECRET, stripe_settings
from tests.fakes.stripe_connect import FakeStripeConnect
from tests.fakes.stripe_router import StripeRouter
from tests.integration.charges_support import GOOD_CARD, WON, IdempotentProxy, charge_of
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal

ONBOARDED_AT = CALL_AT - timedelta(days=20)
CARD_SAVED_AT = CALL_AT - timedelta(days=10)
CONFIRMED_AT = AFTER_CALL + timedelta(days=1)
HOLD_ENDS = CONFIRMED_AT + timedelta(days=14)  # CLAWBACK_DAYS, the default
PAYOUT_AT = HOLD_ENDS + timedelta(days=5)
REFUNDED_AT = PAYOUT_AT + timedelta(days=3)

COMMISSION, FEE = 72000, 7200  # 15 % of 4,800.00 EUR, and the platform's 10 % of it


@dataclass
class StripeHosts:
    connect: FakeStripeConnect
    localstripe: IdempotentProxy
    router: StripeRouter
    gateway: Gateway


@pytest.fixture
def stripe_hosts(app: Flask, localstripe: str, connect_fake: FakeStripeConnect) -> Iterator[StripeHosts]:
    """Stripe mode against both test servers through one API base."""
    proxy = IdempotentProxy(localstripe).start()
    router = StripeRouter(connect_fake.url, proxy.url).start()
    app.config.update(stripe_settings(router.url, STRIPE_PI_TRANSFER_GROUP=False))
    try:
        yield StripeHosts(connect_fake, proxy, router, get_gateway(app))
    finally:
        router.stop()
        proxy.stop()


def deliver(client: FlaskClient, event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> str:
    """POST a Stripe event to our webhook, signed as Stripe signs it; returns what we answered."""
    event = {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }
    body = json.dumps(event)
    response = client.post(
        "/stripe/webhook",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign_webhook_payload(body, TEST_WEBHOOK_SECRET),
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["result"])


def position(closer: User) -> tuple[int, int, int]:
    """(pending, available, paid) of the closer in EUR, fresh from the database."""
    db.session.rollback()
    for balance in ledger.balances(db.session, closer.id):
        if balance.currency == "EUR":
            return balance.pending, balance.available, balance.paid
    return 0, 0, 0


def assert_ledger_balances(closer: User, outcome: Outcome, expected: tuple[int, int, int]) -> None:
    """The buckets are as expected, and they add up to what the closer has earned net of clawbacks."""
    pending, available, paid = position(closer)
    assert (pending, available, paid) == expected
    charge = db.session.scalar(select(Charge).where(Charge.outcome_id == outcome.id))
    clawed = charge.clawed_back if charge is not None else 0
    assert pending + available + paid == COMMISSION - clawed
    # Append-only: every entry of the closer is still there and they sum to the same total.
    entries = db.session.scalars(ledger.entries_query(closer.id, "EUR")).all()
    assert sum(e.amount for e in entries) == pending + available + paid


def test_a_deal_goes_from_onboarding_and_a_saved_card_to_a_payout_and_a_refund_takes_it_back(
    app: Flask,
    client: FlaskClient,
    closer: User,
    business_user: User,
    closer_client: FlaskClient,
    business_client: FlaskClient,
    make_user: Any,
    stripe_hosts: StripeHosts,
) -> None:
    fake, gw = stripe_hosts.connect, stripe_hosts.gateway

    # 1. The closer onboards: an Express account on Stripe, then Stripe says payouts are enabled.
    with frozen_at(ONBOARDED_AT):
        response = closer_client.post("/payouts/setup/start")
    assert response.status_code == 302
    row = account_of(db.session, closer.id)
    assert row is not None and row.stripe_account_id
    acct = row.stripe_account_id
    assert response.headers["Location"].startswith(f"{fake.url}/setup/s/{acct}")
    assert fake.account(acct)["type"] == "express" and not fake.account(acct)["payouts_enabled"]
    assert not can_receive_payouts(db.session, closer.id)
    fake.complete_onboarding(acct)
    with frozen_at(ONBOARDED_AT + timedelta(minutes=10)):
        assert deliver(client, "account.updated", fake.account(acct)) == "processed"
    db.session.expire_all()
    assert can_receive_payouts(db.session, closer.id)
    assert gw.retrieve_account(acct).payouts_enabled  # and Stripe agrees

    # 2. The business saves a card: the page makes a SetupIntent, Stripe.js confirms it, we keep the card.
    with frozen_at(CARD_SAVED_AT):
        page = business_client.get("/billing").get_data(as_text=True)
    match = re.search(r"(seti_\w+?)_secret_\w+", page)
    assert match, "the billing page carries the SetupIntent's client secret for Stripe.js"
    setup_intent_id = match.group(1)
    card = gw.client.v1.payment_methods.create(
        {"type": "card", "card": {"number": GOOD_CARD, "exp_month": 8, "exp_year": 2031, "cvc": "123"}}
    )
    confirmed = gw.client.v1.setup_intents.confirm(setup_intent_id, {"payment_method": card.id})
    assert confirmed.status == "succeeded"
    with frozen_at(CARD_SAVED_AT + timedelta(minutes=1)):
        assert business_client.post("/billing/payment-method", data={"payment_method": card.id}).status_code == 302
    billing = billing_of(db.session, business_user.business_id)
    assert billing is not None and billing.stripe_customer_id and billing.card_last4 == "4242"
    saved = gw.retrieve_default_payment_method(billing.stripe_customer_id)
    assert saved is not None
    assert (saved.id, saved.customer, saved.last4) == (card.id, billing.stripe_customer_id, "4242")

    # 3. A booked call happens; the closer records a won deal: the commission is pending.
    deal = make_deal(make_user, closer=closer, owner=business_user)
    call = make_call(deal)
    with frozen_at(AFTER_CALL):
        outcome = service.record_outcome(db.session, closer, call.id, WON, now=clock.utcnow())
    assert outcome.commission_amount == COMMISSION and outcome.platform_fee_amount == FEE
    assert_ledger_balances(closer, outcome, (COMMISSION, 0, 0))

    # 4. The business confirms: its card is charged off-session, and the clawback hold starts.
    with frozen_at(CONFIRMED_AT):
        assert business_client.post(f"/outcomes/{outcome.id}/confirm").status_code == 302
    charge = charge_of(outcome)
    assert charge.status == ChargeStatus.SUCCEEDED, (charge.last_error, charge.failure_message)
    assert (charge.amount, charge.commission, charge.platform_fee) == (COMMISSION + FEE, COMMISSION, FEE)
    pi = gw.client.v1.payment_intents.retrieve(charge.stripe_payment_intent_id)
    assert (pi.status, pi.amount, pi.currency, pi.customer, pi.payment_method) == (
        "succeeded",
        COMMISSION + FEE,
        "eur",
        billing.stripe_customer_id,
        card.id,
    )
    assert pi.metadata["charge_id"] == str(charge.id) and pi.metadata["transfer_group"] == f"outcome-{outcome.id}"
    latest = pi.latest_charge if isinstance(pi.latest_charge, str) else pi.latest_charge.id  # localstripe expands it
    assert latest == charge.stripe_charge_id
    assert stripe_hosts.localstripe.state.keys() == [f"charge-{charge.id}-attempt-1"]
    outcome = db.session.get(Outcome, outcome.id)
    assert outcome.status == OutcomeStatus.CONFIRMED and outcome.charged_at == CONFIRMED_AT
    assert outcome.release_after == HOLD_ENDS
    # Stripe's own payment_intent.succeeded arrives after we recorded the answer: nothing moves.
    with frozen_at(CONFIRMED_AT + timedelta(minutes=1)):
        deliver(client, "payment_intent.succeeded", pi.to_dict())
    assert charge_of(outcome).paid_at == CONFIRMED_AT
    assert_ledger_balances(closer, outcome, (COMMISSION, 0, 0))

    # 5. The clawback hold: nothing is released a minute early; at its end the release job makes it available.
    assert ledger.release_available(db.session, HOLD_ENDS - timedelta(minutes=1)) == 0
    assert_ledger_balances(closer, outcome, (COMMISSION, 0, 0))
    assert ledger.release_available(db.session, HOLD_ENDS) == 1
    assert_ledger_balances(closer, outcome, (0, COMMISSION, 0))

    # 6. The payout run: one Transfer of the commission to the closer's account, keyed by our payout id.
    report = run_payouts(db.session, PAYOUT_AT, triggered_by="cli")
    assert (report.paid, report.failed, report.skipped) == (1, 0, 0)
    [payout] = db.session.scalars(select(Payout)).all()
    assert (payout.closer_id, payout.amount, payout.currency, payout.status) == (
        closer.id,
        COMMISSION,
        "EUR",
        PayoutStatus.PAID,
    )
    [transfer] = fake.transfers_to(acct)
    assert transfer["id"] == payout.stripe_transfer_id
    assert (transfer["amount"], transfer["currency"], transfer["destination"]) == (COMMISSION, "eur", acct)
    assert transfer["metadata"]["closerhub_payout_id"] == str(payout.id)
    [sent] = fake.created("POST", "/v1/transfers")
    assert sent.idempotency_key == f"payout-{payout.id}"
    read_back = gw.retrieve_transfer(payout.stripe_transfer_id)
    assert (read_back.amount, read_back.destination, read_back.amount_reversed) == (COMMISSION, acct, 0)
    assert_ledger_balances(closer, outcome, (0, 0, COMMISSION))
    # A second run finds nothing to pay: still one transfer.
    assert run_payouts(db.session, PAYOUT_AT + timedelta(hours=1), triggered_by="cli").paid == 0
    assert len(fake.transfers_to(acct)) == 1

    # 7. The business is refunded in full (from Stripe's dashboard); Stripe tells us with charge.refunded.
    refund = gw.create_refund(charge.stripe_payment_intent_id, idempotency_key="dashboard-refund-1")
    assert (refund.amount, refund.status) == (COMMISSION + FEE, "succeeded")
    refunded_charge = gw.client.v1.charges.retrieve(charge.stripe_charge_id).to_dict()
    assert refunded_charge["amount_refunded"] == COMMISSION + FEE and refunded_charge["refunded"]
    event_id = f"evt_{secrets.token_hex(8)}"
    with frozen_at(REFUNDED_AT):
        assert deliver(client, "charge.refunded", refunded_charge, event_id=event_id) == "processed"
    charge = charge_of(outcome)
    assert charge.status == ChargeStatus.REFUNDED
    assert (charge.refunded_amount, charge.clawed_back) == (COMMISSION + FEE, COMMISSION)

    # The commission was already paid out: a Transfer Reversal takes it back from the closer's account.
    [transfer] = fake.transfers_to(acct)
    assert transfer["reversed"] and transfer["amount_reversed"] == COMMISSION
    [reversal] = transfer["reversals"]["data"]
    assert (reversal["amount"], reversal["transfer"]) == (COMMISSION, payout.stripe_transfer_id)
    assert reversal["metadata"] == {"closerhub_payout_id": str(payout.id), "closerhub_outcome_id": str(outcome.id)}
    [reversal_call] = fake.created("POST", f"/v1/transfers/{payout.stripe_transfer_id}/reversals")
    assert reversal_call.idempotency_key == f"payout-{payout.id}-clawback-{outcome.id}-1"
    payout = db.session.get(Payout, payout.id)
    assert (payout.amount_reversed, payout.status) == (COMMISSION, PayoutStatus.REVERSED)
    # The ledger shows it all: the reversal of the commission and the payout coming back; nothing is owed.
    assert_ledger_balances(closer, outcome, (0, 0, 0))
    reversals = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.closer_id == closer.id, LedgerEntry.kind == EntryKind.REVERSAL)
    ).all()
    assert sorted((e.bucket, e.amount) for e in reversals) == sorted(
        [(Bucket.AVAILABLE, -COMMISSION), (Bucket.PAID, -COMMISSION), (Bucket.AVAILABLE, COMMISSION)]
    )
    assert all(e.created_at == REFUNDED_AT for e in reversals)

    # Replays change nothing: the same charge.refunded again, and Stripe's transfer.reversed for our reversal.
    with frozen_at(REFUNDED_AT + timedelta(minutes=5)):
        assert deliver(client, "charge.refunded", refunded_charge, event_id=event_id) != "processed"
        deliver(client, "charge.refunded", refunded_charge)  # the same state under a new event id
        deliver(client, "transfer.reversed", transfer)
    assert len(fake.transfers_to(acct)[0]["reversals"]["data"]) == 1
    assert_ledger_balances(closer, outcome, (0, 0, 0))
    assert charge_of(outcome).clawed_back == COMMISSION
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "charge.duplicate_refunded")) is None
