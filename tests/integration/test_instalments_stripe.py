"""Stripe mode (localstripe behind the idempotency proxy): each collected instalment of a cash-collected deal
is charged off-session once, with the charge's own idempotency key; a paid charge starts that instalment's hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from closerhub import clock
from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import instalments, settlement
from closerhub.payments.charges import instalments as instalment_money
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import retries as charge_retries
from closerhub.payments.charges.models import ChargeStatus
from closerhub.payments.ledger.models import Bucket
from closerhub.payments.stripe.gateway import get_gateway
from tests.fakes.servers import stripe_settings
from tests.integration.charges_support import CONFIRMED_AT, DECLINED_CARD, IdempotentProxy, add_card
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
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
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
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
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


def test_a_refund_before_the_charge_is_paid_reduces_it_and_the_retry_charges_what_is_still_due(
    make_user, proxy
) -> None:
    deal = cash_deal(make_user)
    add_card(deal.owner, DECLINED_CARD)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    first = plan_of(outcome.id)[0].id
    at = CONFIRMED_AT + timedelta(days=10)
    with frozen_at(at):
        instalments.collect(db.session, deal.owner, first, at.date(), now=clock.utcnow())
    (charge,) = charges_of(outcome.id)
    assert (charge.status, charge.amount) == (ChargeStatus.FAILED, 5_500)
    # €133.35 of the €333.35 refunded: €200.00 kept, commission €30.00 + fee €3.00 still due.
    with frozen_at(at + timedelta(minutes=5)):
        instalments.refund(db.session, deal.owner, first, Money(13_335, "EUR"), now=clock.utcnow())
    (charge,) = charges_of(outcome.id)
    assert (charge.status, charge.amount, charge.commission, charge.platform_fee) == (
        ChargeStatus.FAILED,
        3_300,
        3_000,
        300,
    )
    assert (charge.reduced_from, charge.refunded_amount, charge.clawed_back) == (5_500, 0, 0)
    assert proxy.state.keys("/v1/refunds") == []  # nothing was paid, nothing to give back
    assert db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "charge.reduced", AuditEntry.object_id == str(charge.id))
    )
    add_card(deal.owner)
    assert charge_retries.retry_due_charges(db.session, at + timedelta(hours=1)) == 1
    (charge,) = charges_of(outcome.id)
    assert (charge.status, charge.attempts) == (ChargeStatus.SUCCEEDED, 2)
    assert proxy.state.keys()[-1] == f"charge-{charge.id}-attempt-2-amount-3300"
    pi = get_gateway().client.v1.payment_intents.retrieve(charge.stripe_payment_intent_id)
    assert pi.amount == 3_300
    assert ledger_total(outcome.id) == 3_000  # the closer's commission on the €200.00 kept


def test_a_full_refund_before_the_charge_is_paid_cancels_it_and_nothing_is_retried(make_user, proxy) -> None:
    deal = cash_deal(make_user)
    add_card(deal.owner, DECLINED_CARD)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    first = plan_of(outcome.id)[0].id
    at = CONFIRMED_AT + timedelta(days=10)
    with frozen_at(at):
        instalments.collect(db.session, deal.owner, first, at.date(), now=clock.utcnow())
        instalments.refund(db.session, deal.owner, first, Money(33_335, "EUR"), now=clock.utcnow())
    (charge,) = charges_of(outcome.id)
    assert (charge.status, charge.next_attempt_at, charge.refunded_amount) == (ChargeStatus.CANCELLED, None, 5_500)
    assert db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "charge.cancelled", AuditEntry.object_id == str(charge.id))
    )
    add_card(deal.owner)
    sent = len(proxy.state.keys())
    assert charge_retries.retry_due_charges(db.session, at + timedelta(days=5)) == 0
    assert len(proxy.state.keys()) == sent and proxy.state.keys("/v1/refunds") == []
    assert ledger_total(outcome.id) == 0
    overdue, _manual = charge_queries.desk_query(at + timedelta(days=5))
    assert charge.id not in [c.id for c in db.session.scalars(overdue)]
