"""Stripe mode (localstripe behind the idempotency proxy): each collected instalment of a cash-collected deal
is charged off-session once, with the charge's own idempotency key; a paid charge starts that instalment's hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import instalments, service
from closerhub.payments import instalment_money
from closerhub.payments.gateway import get_gateway
from closerhub.payments.models import Bucket
from closerhub.payments.models_charges import ChargeStatus
from tests.fakes.servers import stripe_settings
from tests.integration.charges_support import CONFIRMED_AT, IdempotentProxy, add_card
from tests.integration.instalment_support import cash_deal, charges_of, ledger_total, plan_of, won_with_plan


@pytest.fixture
def proxy(app: Flask, localstripe: str) -> Iterator[IdempotentProxy]:
    p = IdempotentProxy(localstripe).start()
    app.config.update(stripe_settings(p.url, STRIPE_PI_TRANSFER_GROUP=False))
    try:
        yield p
    finally:
        p.stop()


def test_each_collected_instalment_is_charged_once_to_the_saved_card(make_user, proxy) -> None:
    deal = cash_deal(make_user)
    add_card(deal.owner)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        service.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    assert charges_of(outcome.id) == [] and proxy.state.created() == 0
    first, second, _third = (i.id for i in plan_of(outcome.id))
    paid_at = CONFIRMED_AT + timedelta(days=10)
    with frozen_at(paid_at):
        instalments.collect(db.session, deal.owner, first, paid_at.date(), now=clock.utcnow())
        instalments.collect(db.session, deal.owner, second, paid_at.date(), now=clock.utcnow())
    one, two = charges_of(outcome.id)
    assert (one.status, one.amount, one.instalment_id) == (ChargeStatus.SUCCEEDED, 5_500, first)
    assert (two.status, two.amount, two.instalment_id) == (ChargeStatus.SUCCEEDED, 5_501, second)
    assert proxy.state.keys() == [f"charge-{one.id}-attempt-1", f"charge-{two.id}-attempt-1"]
    pi = get_gateway().client.v1.payment_intents.retrieve(two.stripe_payment_intent_id)
    assert (pi.amount, pi.metadata["instalment_id"], pi.metadata["transfer_group"]) == (
        5_501,
        str(second),
        f"outcome-{outcome.id}",
    )
    plan = plan_of(outcome.id)
    assert plan[0].charged_at == paid_at and plan[0].release_after == paid_at + timedelta(days=14)
    assert instalment_money.release_instalments(db.session, paid_at + timedelta(days=14)) == 2
    assert ledger_total(outcome.id, Bucket.AVAILABLE) == 10_001


def test_a_customer_refund_gives_the_business_its_commission_and_fee_back_on_the_card(make_user, proxy) -> None:
    deal = cash_deal(make_user)
    add_card(deal.owner)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        service.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    first = plan_of(outcome.id)[0].id
    at = CONFIRMED_AT + timedelta(days=10)
    with frozen_at(at):
        instalments.collect(db.session, deal.owner, first, at.date(), now=clock.utcnow())
        instalments.refund(db.session, deal.owner, first, Money(33_335, "EUR"), now=clock.utcnow())
    (charge,) = charges_of(outcome.id)
    assert (charge.status, charge.refunded_amount, charge.clawed_back) == (ChargeStatus.REFUNDED, 5_500, 5_000)
    assert proxy.state.keys("/v1/refunds") == [f"charge-{charge.id}-credit-5500"] and charge.last_error is None
    pi = get_gateway().client.v1.payment_intents.retrieve(charge.stripe_payment_intent_id)
    refunds = get_gateway().client.v1.refunds.list({"payment_intent": pi.id}).data
    assert [r.amount for r in refunds] == [5_500]
    assert ledger_total(outcome.id) == 0
