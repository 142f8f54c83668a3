"""No double charge from a PaymentIntent left waiting for authentication (against localstripe, real SDK).

An off-session charge on a card that needs 3-D Secure leaves a ``requires_action``
PaymentIntent that the cardholder can still complete later. Before the retry job sends a
new attempt it cancels that intent (key ``charge-<id>-attempt-<n>-cancel``, n = the
attempt before the new one, so a re-sent cancel reuses its key); if Stripe refuses
because the business already paid it, that payment is recorded and no new attempt is
sent. A superseded intent that succeeds all the same is refunded at once by the
``payment_intent.succeeded`` webhook.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from closerhub.audit.models import AuditEntry
from closerhub.extensions import db
from closerhub.payments.charges import retries as charge_retries
from closerhub.payments.charges.billing import billing_of
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.stripe.gateway import get_gateway, sign_webhook_payload
from tests.fakes.servers import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, stripe_settings
from tests.integration.charges_support import CONFIRMED_AT, IdempotentProxy, add_card, charge_of, confirm, won_outcome
from tests.integration.outcome_support import make_deal

AUTH_CARD = "4000002760003184"  # localstripe (like Stripe): every charge asks the cardholder to authenticate
RETRY_AT = CONFIRMED_AT + timedelta(hours=1)


@pytest.fixture
def proxy(app: Flask, localstripe: str) -> Iterator[IdempotentProxy]:
    """Stripe mode: the app talks to localstripe through the idempotency proxy."""
    p = IdempotentProxy(localstripe).start()
    app.config.update(stripe_settings(p.url, STRIPE_PI_TRANSFER_GROUP=False))
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


def pi_status(pi_id: str) -> str:
    return str(get_gateway().client.v1.payment_intents.retrieve(pi_id).status)


def authenticate(localstripe: str, pi_id: str) -> requests.Response:
    """The cardholder completes 3-D Secure for ``pi_id`` (localstripe's stand-in for the bank's page)."""
    secret = get_gateway().client.v1.payment_intents.retrieve(pi_id).client_secret
    return requests.post(
        f"{localstripe}/v1/payment_intents/{pi_id}/_authenticate",
        data={"client_secret": secret, "success": "true"},
        auth=(TEST_SECRET_KEY, ""),
        timeout=10,
    )


def awaiting_authentication(deal: Any) -> Charge:
    add_card(deal.owner, AUTH_CARD)
    charge = confirm(deal, won_outcome(deal))
    assert charge.status == ChargeStatus.REQUIRES_ACTION and charge.attempts == 1
    assert charge.next_attempt_at == RETRY_AT
    assert pi_status(charge.stripe_payment_intent_id) == "requires_action"
    return charge


def test_a_retry_cancels_the_intent_left_waiting_for_authentication_so_it_can_never_be_paid_too(
    deal, proxy, localstripe
) -> None:
    charge = awaiting_authentication(deal)
    first_pi = charge.stripe_payment_intent_id
    add_card(deal.owner)  # the business puts in a card that needs no authentication

    assert charge_retries.retry_due_charges(db.session, RETRY_AT) == 1
    charge = charge_of(charge.outcome)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.attempts == 2
    assert charge.stripe_payment_intent_id != first_pi
    assert pi_status(first_pi) == "canceled" and pi_status(charge.stripe_payment_intent_id) == "succeeded"
    assert proxy.state.keys() == [
        f"charge-{charge.id}-attempt-1",
        f"charge-{charge.id}-attempt-1-cancel",  # sent BEFORE the new attempt
        f"charge-{charge.id}-attempt-2",
    ]
    # The business authenticates the old payment late: Stripe refuses, nothing is charged twice.
    assert authenticate(localstripe, first_pi).status_code == 400
    assert pi_status(first_pi) == "canceled"


def test_when_the_business_already_authenticated_the_earlier_intent_the_retry_records_it_and_charges_nothing_more(
    deal, proxy, localstripe
) -> None:
    charge = awaiting_authentication(deal)
    first_pi = charge.stripe_payment_intent_id
    assert authenticate(localstripe, first_pi).status_code == 200  # paid; its webhook has not reached us
    assert pi_status(first_pi) == "succeeded"

    assert charge_retries.retry_due_charges(db.session, RETRY_AT) == 1
    charge = charge_of(charge.outcome)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.stripe_payment_intent_id == first_pi
    assert charge.attempts == 1 and charge.paid_at == RETRY_AT
    # Stripe refused the cancel (the intent had succeeded): no second PaymentIntent was created.
    assert proxy.state.keys() == [f"charge-{charge.id}-attempt-1", f"charge-{charge.id}-attempt-1-cancel"]
    assert charge.outcome.charged_at == RETRY_AT  # the clawback hold starts from the payment we know of


def test_when_the_cancel_cannot_reach_stripe_no_new_attempt_is_sent_and_the_retry_comes_back_soon(
    app, deal, proxy
) -> None:
    charge = awaiting_authentication(deal)
    first_pi = charge.stripe_payment_intent_id
    app.config["STRIPE_MAX_NETWORK_RETRIES"] = 0
    proxy.state.drop_next = 1  # the cancel reaches Stripe, its answer is lost

    assert charge_retries.retry_due_charges(db.session, RETRY_AT) == 1
    charge = charge_of(charge.outcome)
    assert charge.status == ChargeStatus.REQUIRES_ACTION and charge.attempts == 1
    assert charge.stripe_payment_intent_id == first_pi and charge.last_error.startswith("cancel_failed")
    assert charge.next_attempt_at == RETRY_AT + timedelta(minutes=10)
    assert proxy.state.keys() == [f"charge-{charge.id}-attempt-1", f"charge-{charge.id}-attempt-1-cancel"]

    # Ten minutes later the same cancel key is answered from Stripe's record; then attempt 2 goes out.
    app.config["STRIPE_MAX_NETWORK_RETRIES"] = 2
    add_card(deal.owner)
    assert charge_retries.retry_due_charges(db.session, RETRY_AT + timedelta(minutes=10)) == 1
    charge = charge_of(charge.outcome)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.attempts == 2
    assert pi_status(first_pi) == "canceled"
    assert proxy.state.keys()[-2:] == [f"charge-{charge.id}-attempt-1-cancel", f"charge-{charge.id}-attempt-2"]


def test_a_crash_before_the_cancel_is_repaired_by_reading_the_open_intent_never_by_sending_a_new_one(
    deal, proxy
) -> None:
    """The worker died after committing attempt 2 as ``processing`` and before cancelling attempt 1's intent."""
    charge = awaiting_authentication(deal)
    first_pi = charge.stripe_payment_intent_id
    charge.status, charge.attempts, charge.next_attempt_at, charge.updated_at = (
        ChargeStatus.PROCESSING,
        2,
        None,
        RETRY_AT,
    )
    db.session.commit()

    assert charge_retries.retry_due_charges(db.session, RETRY_AT + timedelta(minutes=15)) == 1  # stale: repaired
    charge = charge_of(charge.outcome)
    assert charge.status == ChargeStatus.REQUIRES_ACTION and charge.stripe_payment_intent_id == first_pi
    assert proxy.state.keys() == [f"charge-{charge.id}-attempt-1"]  # no attempt 2 sent without the cancel
    # Its next scheduled retry cancels the intent first, as usual.
    add_card(deal.owner)
    assert charge_retries.retry_due_charges(db.session, charge.next_attempt_at) == 1
    assert pi_status(first_pi) == "canceled" and charge_of(charge.outcome).status == ChargeStatus.SUCCEEDED
    assert proxy.state.keys()[1:] == [f"charge-{charge.id}-attempt-2-cancel", f"charge-{charge.id}-attempt-3"]


def deliver(client: FlaskClient, event_type: str, obj: dict[str, Any]) -> str:
    event = {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }
    body = json.dumps(event)
    headers = {"Content-Type": "application/json", "Stripe-Signature": sign_webhook_payload(body, TEST_WEBHOOK_SECRET)}
    response = client.post("/stripe/webhook", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["result"])


def test_a_superseded_intent_that_succeeds_anyway_is_refunded_at_once_and_the_closer_keeps_the_commission(
    client, deal, proxy
) -> None:
    add_card(deal.owner)
    outcome = won_outcome(deal)
    charge = confirm(deal, outcome)
    assert charge.status == ChargeStatus.SUCCEEDED
    # An earlier attempt of this charge that Stripe let through (e.g. authenticated before our cancel existed).
    billing = billing_of(db.session, charge.business_id)
    duplicate = get_gateway().client.v1.payment_intents.create(
        {
            "amount": charge.amount,
            "currency": "eur",
            "customer": billing.stripe_customer_id,
            "payment_method": billing.default_payment_method_id,
            "off_session": True,
            "confirm": True,
            "metadata": {"charge_id": str(charge.id), "outcome_id": str(outcome.id)},
        }
    )
    assert duplicate.status == "succeeded"
    before = [(b.pending, b.available) for b in ledger.balances(db.session, deal.closer.id)]

    assert deliver(client, "payment_intent.succeeded", duplicate.to_dict()) == "processed"
    refunds = get_gateway().client.v1.refunds.list({"payment_intent": duplicate.id}).data
    assert [(r.amount, r.status) for r in refunds] == [(charge.amount, "succeeded")]
    assert proxy.state.keys("/v1/refunds") == [f"charge-{charge.id}-duplicate-{duplicate.id}-refund"]
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "charge.duplicate_refunded"))
    assert audit is not None and audit.object_id == str(charge.id)
    # The refund's own charge.refunded names the duplicate's intent: the real charge and the closer are untouched.
    refunded = get_gateway().client.v1.charges.retrieve(refunds[0].charge).to_dict()
    deliver(client, "charge.refunded", refunded)
    charge = charge_of(outcome)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.refunded_amount == 0 and charge.clawed_back == 0
    assert [(b.pending, b.available) for b in ledger.balances(db.session, deal.closer.id)] == before
    # A replay of the duplicate's success refunds nothing more (same idempotency key).
    deliver(client, "payment_intent.succeeded", duplicate.to_dict())
    assert len(get_gateway().client.v1.refunds.list({"payment_intent": duplicate.id}).data) == 1
