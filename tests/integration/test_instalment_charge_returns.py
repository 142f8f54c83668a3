"""A Stripe refund or a chargeback of one instalment's charge (signed deliveries to POST /stripe/webhook)
lowers that instalment's accrued totals, so the plan's later accruals by running total start from what
the closer and the platform still hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import instalments, settlement
from closerhub.payments.charges.models import Charge, ChargeStatus
from tests.fakes.servers import stripe_settings
from tests.fakes.stripe_connect import FIXTURES, FakeStripeConnect
from tests.integration.charges_support import CONFIRMED_AT, IdempotentProxy, add_card
from tests.integration.instalment_support import cash_deal, charges_of, ledger_total, oracle, plan_of, won_with_plan
from tests.integration.test_charges_webhooks import deliver, dispute, stripe_charge

AT = CONFIRMED_AT + timedelta(days=10)


@pytest.fixture
def proxy(app: Flask, localstripe: str) -> Iterator[IdempotentProxy]:
    p = IdempotentProxy(localstripe).start()
    app.config.update(stripe_settings(p.url, STRIPE_PI_TRANSFER_GROUP=False))
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def signer() -> FakeStripeConnect:
    if not FIXTURES.exists():
        pytest.fail(f"Stripe's fixtures are missing at {FIXTURES}")
    return FakeStripeConnect()


@pytest.fixture
def first_paid(make_user, proxy):
    """A cash-collected deal of 3 × €333.35 at 15 %: the first instalment collected, its €55.00 charge paid."""
    deal = cash_deal(make_user)
    add_card(deal.owner)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    with frozen_at(AT):
        instalments.collect(db.session, deal.owner, plan_of(outcome.id)[0].id, AT.date(), now=clock.utcnow())
    (charge,) = charges_of(outcome.id)
    assert (charge.status, charge.amount) == (ChargeStatus.SUCCEEDED, 5_500)
    return deal, outcome, charge


def accrued(outcome_id: int) -> list[tuple[int, int]]:
    return [(i.commission_accrued, i.fee_accrued) for i in plan_of(outcome_id)]


def test_a_stripe_refund_of_an_instalment_charge_lowers_that_instalments_accrued_totals(
    client, signer, first_paid
) -> None:
    deal, outcome, charge = first_paid
    assert deliver(client, signer, "charge.refunded", stripe_charge(signer, charge, 2_750)) == "processed"
    assert accrued(outcome.id) == [(2_500, 250), (0, 0), (0, 0)]  # half of €50.00 + €5.00 returned
    assert deliver(client, signer, "charge.refunded", stripe_charge(signer, charge, 5_500)) == "processed"
    assert accrued(outcome.id) == [(0, 0), (0, 0), (0, 0)] and ledger_total(outcome.id) == 0
    # The customer then gets the instalment back: nothing is left to take from the closer or to credit twice.
    with frozen_at(AT + timedelta(days=1)):
        instalments.refund(db.session, deal.owner, plan_of(outcome.id)[0].id, Money(33_335, "EUR"), now=clock.utcnow())
    assert ledger_total(outcome.id) == 0 and accrued(outcome.id) == [(0, 0), (0, 0), (0, 0)]
    assert db.session.get(Charge, charge.id).refunded_amount == 5_500


def test_a_chargeback_lowers_the_accrued_totals_and_winning_it_puts_them_back(client, signer, first_paid) -> None:
    deal, outcome, charge = first_paid
    assert deliver(client, signer, "charge.dispute.created", dispute(signer, charge, "needs_response")) == "processed"
    assert accrued(outcome.id)[0] == (0, 0) and ledger_total(outcome.id) == 0
    assert deliver(client, signer, "charge.dispute.closed", dispute(signer, charge, "won")) == "processed"
    assert accrued(outcome.id)[0] == (5_000, 500) and ledger_total(outcome.id) == 5_000
    # The next collection accrues by running total over the whole plan: €100.01 in all, this part €50.01.
    with frozen_at(AT + timedelta(days=2)):
        instalments.collect(db.session, deal.owner, plan_of(outcome.id)[1].id, AT.date(), now=clock.utcnow())
    commission, fee = oracle(66_670)
    assert sum(c for c, _f in accrued(outcome.id)) == commission and ledger_total(outcome.id) == commission
    assert sum(f for _c, f in accrued(outcome.id)) == fee
