"""Stripe events about charges, as real signed deliveries to POST /stripe/webhook: success, failure,
refunds (partial, full), disputes (created, won, lost), replays and out-of-order arrivals."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes.models import Outcome
from closerhub.payments.charges import retries as charge_retries
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger import service as ledger
from tests.fakes.servers import TEST_WEBHOOK_SECRET, stripe_settings
from tests.fakes.stripe_connect import FIXTURES, FakeStripeConnect
from tests.integration.charges_support import CONFIRMED_AT, IdempotentProxy, add_card, confirm, won_outcome
from tests.integration.outcome_support import make_deal


@pytest.fixture
def stripe_on(app: Flask, localstripe: str) -> Iterator[IdempotentProxy]:
    proxy = IdempotentProxy(localstripe).start()
    app.config.update(stripe_settings(proxy.url, STRIPE_PI_TRANSFER_GROUP=False))
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def signer() -> FakeStripeConnect:
    if not FIXTURES.exists():
        pytest.fail(f"Stripe's fixtures are missing at {FIXTURES}")
    return FakeStripeConnect()  # not started: builds Stripe-shaped events signed as Stripe signs them


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


@pytest.fixture
def paid(deal, stripe_on) -> Charge:
    """A charge that succeeded on localstripe."""
    add_card(deal.owner)
    charge = confirm(deal, won_outcome(deal))
    assert charge.status == ChargeStatus.SUCCEEDED
    return charge


def deliver(client: FlaskClient, signer: FakeStripeConnect, kind: str, obj: dict[str, Any], **kw: Any) -> str:
    body, sig = signer.signed_event(kind, obj, TEST_WEBHOOK_SECRET, **kw)
    response = client.post(
        "/stripe/webhook", data=body, headers={"Stripe-Signature": sig, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["result"]


def redeliver(client: FlaskClient, body: str) -> str:
    from closerhub.payments.stripe.gateway import sign_webhook_payload

    sig = sign_webhook_payload(body, TEST_WEBHOOK_SECRET)
    return client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": sig}).get_json()["result"]


def intent(signer: FakeStripeConnect, charge: Charge, status: str, **extra: Any) -> dict[str, Any]:
    pi = copy.deepcopy(signer.state.fixtures["payment_intent"])
    pi.update(
        id=charge.stripe_payment_intent_id or "pi_unknown_to_us",
        amount=charge.amount,
        currency=charge.currency.lower(),
        status=status,
        metadata={"charge_id": str(charge.id), "outcome_id": str(charge.outcome_id)},
        latest_charge=charge.stripe_charge_id or "ch_from_webhook",
    )
    pi.update(extra)
    if status == "succeeded":
        pi["last_payment_error"] = None
    return pi


def stripe_charge(signer: FakeStripeConnect, charge: Charge, refunded: int) -> dict[str, Any]:
    ch = copy.deepcopy(signer.state.fixtures["charge"])
    ch.update(
        id=charge.stripe_charge_id,
        payment_intent=charge.stripe_payment_intent_id,
        amount=charge.amount,
        amount_refunded=refunded,
        refunded=refunded >= charge.amount,
        currency=charge.currency.lower(),
    )
    return ch


def dispute(signer: FakeStripeConnect, charge: Charge, status: str, dispute_id: str = "dp_test_1") -> dict[str, Any]:
    dp = copy.deepcopy(signer.state.fixtures["dispute"])
    dp.update(
        id=dispute_id, charge=charge.stripe_charge_id, payment_intent=charge.stripe_payment_intent_id, status=status
    )
    dp["amount"] = charge.amount
    return dp


def fresh(charge: Charge) -> Charge:
    db.session.expire_all()
    return db.session.get(Charge, charge.id)


def position(charge: Charge) -> tuple[int, int]:
    p = ledger.outcome_position(db.session, charge.outcome_id)
    return p[ledger.Bucket.PENDING], p[ledger.Bucket.AVAILABLE]


def test_payment_intent_succeeded_completes_an_attempt_whose_answer_was_lost_and_a_replay_changes_nothing(
    app, client, signer, deal, stripe_on
) -> None:
    add_card(deal.owner)
    app.config["STRIPE_MAX_NETWORK_RETRIES"] = 0
    stripe_on.state.drop_next = 1
    charge = confirm(deal, won_outcome(deal))
    assert charge.status == ChargeStatus.PROCESSING and charge.stripe_payment_intent_id is None
    obj = intent(signer, charge, "succeeded", id="pi_lost_answer")
    body, _sig = signer.signed_event("payment_intent.succeeded", obj, TEST_WEBHOOK_SECRET)
    assert redeliver(client, body) == "processed"
    charge = fresh(charge)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.stripe_payment_intent_id == "pi_lost_answer"
    charged_at = db.session.get(Outcome, charge.outcome_id).charged_at
    assert charged_at is not None
    assert redeliver(client, body) == "duplicate"
    assert fresh(charge).updated_at == charge.updated_at
    # The retry job has nothing left to do: the charge is paid.
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(hours=1)) == 0


def test_a_late_payment_failed_never_moves_a_succeeded_charge_back(client, signer, paid) -> None:
    failed = intent(signer, paid, "requires_payment_method")
    failed["last_payment_error"] = {"code": "card_declined", "decline_code": "generic_decline", "message": "Declined"}
    assert deliver(client, signer, "payment_intent.payment_failed", failed) == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.next_attempt_at is None
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "charge_notice")) is None


def test_payment_failed_for_an_attempt_in_flight_fails_it_schedules_a_retry_and_emails(
    app, client, signer, deal, stripe_on
) -> None:
    add_card(deal.owner)
    app.config["STRIPE_MAX_NETWORK_RETRIES"] = 0
    stripe_on.state.drop_next = 1
    charge = confirm(deal, won_outcome(deal))
    failed = intent(signer, charge, "requires_payment_method", id="pi_in_flight")
    failed["last_payment_error"] = {"code": "authentication_required", "message": "Authentication required"}
    assert deliver(client, signer, "payment_intent.payment_failed", failed) == "processed"
    charge = fresh(charge)
    assert charge.status == ChargeStatus.REQUIRES_ACTION and charge.stripe_payment_intent_id == "pi_in_flight"
    assert charge.next_attempt_at is not None
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "charge_notice"))
    assert mail.to_address == deal.owner.email and "Action needed" in mail.subject and "/billing" in mail.text_body
    # Then the success of that same PaymentIntent (the business authenticated) wins.
    assert deliver(client, signer, "payment_intent.succeeded", intent(signer, charge, "succeeded")) == "processed"
    assert fresh(charge).status == ChargeStatus.SUCCEEDED


def test_a_partial_then_full_refund_reverses_the_refunded_share_of_the_commission(client, signer, paid) -> None:
    assert position(paid) == (72000, 0)
    t = int(time.time())
    half = stripe_charge(signer, paid, 39600)  # half of 792.00 EUR
    body_half, _ = signer.signed_event("charge.refunded", half, TEST_WEBHOOK_SECRET, created=t)
    assert redeliver(client, body_half) == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.PARTIALLY_REFUNDED and charge.refunded_amount == 39600
    assert charge.clawed_back == 36000 and position(paid) == (36000, 0)
    assert redeliver(client, body_half) == "duplicate"
    assert deliver(client, signer, "charge.refunded", stripe_charge(signer, paid, 79200), created=t + 5) == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.REFUNDED and charge.clawed_back == 72000 and position(paid) == (0, 0)
    # An older event (another id, the smaller running total) arriving late moves nothing.
    assert deliver(client, signer, "charge.refunded", stripe_charge(signer, paid, 39600), created=t - 5) == "processed"
    assert fresh(paid).refunded_amount == 79200 and position(paid) == (0, 0)
    kinds = [(e.kind.value, e.amount) for e in db.session.scalars(ledger.entries_query(paid.outcome.closer_id))]
    assert kinds == [("earned", 72000), ("reversal", -36000), ("reversal", -36000)]


def test_a_refund_after_the_commission_was_released_and_paid_out_leaves_a_negative_balance(
    client, signer, paid
) -> None:
    outcome = paid.outcome
    ledger.release_available(db.session, CONFIRMED_AT + timedelta(days=14))
    ledger.record_payout(
        db.session, outcome.closer_id, "EUR", 72000, payout_id=1, now=CONFIRMED_AT + timedelta(days=15)
    )
    db.session.commit()
    assert deliver(client, signer, "charge.refunded", stripe_charge(signer, paid, 79200)) == "processed"
    [balance] = ledger.balances(db.session, outcome.closer_id)
    assert (balance.pending, balance.available, balance.paid) == (0, -72000, 72000)  # the payouts work nets it off


def test_a_dispute_reverses_the_commission_and_winning_it_restores_it(client, signer, paid) -> None:
    created = dispute(signer, paid, "needs_response")
    body, _ = signer.signed_event("charge.dispute.created", created, TEST_WEBHOOK_SECRET)
    assert redeliver(client, body) == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.DISPUTED and charge.stripe_dispute_id == "dp_test_1"
    assert position(paid) == (0, 0) and charge.dispute_clawback == 72000
    assert redeliver(client, body) == "duplicate"
    assert deliver(client, signer, "charge.dispute.closed", dispute(signer, paid, "won")) == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.dispute_status == "won"
    assert position(paid) == (72000, 0) and charge.clawed_back == 0
    # The restored commission is released after the hold like any other.
    assert ledger.release_available(db.session, CONFIRMED_AT + timedelta(days=14)) == 1
    assert position(paid) == (0, 72000)


def test_a_lost_dispute_keeps_the_commission_reversed_even_when_it_arrives_before_created(client, signer, paid) -> None:
    t = int(time.time())
    assert deliver(client, signer, "charge.dispute.closed", dispute(signer, paid, "lost"), created=t) == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.DISPUTED and charge.dispute_status == "lost" and position(paid) == (0, 0)
    late = deliver(client, signer, "charge.dispute.created", dispute(signer, paid, "needs_response"), created=t - 60)
    assert late == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.DISPUTED and charge.dispute_status == "lost"
    entries = [e.amount for e in db.session.scalars(ledger.entries_query(paid.outcome.closer_id))]
    assert entries == [72000, -72000]  # reversed once, never twice


def test_a_dispute_after_the_release_takes_the_commission_from_available(client, signer, paid) -> None:
    ledger.release_available(db.session, CONFIRMED_AT + timedelta(days=14))
    assert deliver(client, signer, "charge.dispute.created", dispute(signer, paid, "needs_response")) == "processed"
    assert position(paid) == (0, 0)
    assert deliver(client, signer, "charge.dispute.closed", dispute(signer, paid, "won")) == "processed"
    assert position(paid) == (0, 72000)  # restored where it was: available


def test_events_about_charges_that_are_not_ours_are_processed_without_effect(client, signer, paid) -> None:
    stranger = copy.deepcopy(signer.state.fixtures["charge"])
    stranger.update(id="ch_someone_else", payment_intent="pi_someone_else", amount_refunded=100, metadata={})
    assert deliver(client, signer, "charge.refunded", stranger) == "processed"
    pi = copy.deepcopy(signer.state.fixtures["payment_intent"])
    pi.update(id="pi_someone_else", status="succeeded", metadata={"charge_id": "not-a-number"})
    assert deliver(client, signer, "payment_intent.succeeded", pi) == "processed"
    charge = fresh(paid)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.refunded_amount == 0 and position(paid) == (72000, 0)
