"""Commission on cash collected: a 3-instalment plan at 1500 bps collects, misses and refunds.

At each step the closer's ledger and the business's charges match a Decimal oracle: the
commission (and fee) on the net collected total, half-up once. Manual mode (no Stripe keys).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.errors import Conflict, PermissionDenied, ValidationError
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import instalments, settlement
from closerhub.outcomes.commands import PlannedInstalment
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.models_instalments import InstalmentStatus
from closerhub.payments.charges import instalments as instalment_money
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import ChargeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import Bucket
from tests.integration.charges_support import CONFIRMED_AT
from tests.integration.instalment_support import (
    cash_deal,
    charges_of,
    ledger_total,
    oracle,
    plan_of,
    won_with_plan,
)
from tests.integration.outcome_support import CALL_AT, make_deal

COLLECT_1 = CONFIRMED_AT + timedelta(days=14)
COLLECT_3 = CONFIRMED_AT + timedelta(days=75)


def assert_matches_oracle(outcome_id: int, net_collected: int) -> None:
    """The ledger holds the oracle's commission; the charges net of credits bill commission + fee."""
    commission, fee = oracle(net_collected)
    assert ledger_total(outcome_id) == commission
    rows = charges_of(outcome_id)
    assert sum(c.commission for c in rows) - sum(c.clawed_back for c in rows) >= 0
    assert sum(c.amount - c.refunded_amount for c in rows) == commission + fee
    accrued = plan_of(outcome_id)
    assert sum(i.commission_accrued for i in accrued) == commission
    assert sum(i.fee_accrued for i in accrued) == fee


def collect(deal, instalment_id: int, at, on: date | None = None):
    with frozen_at(at):
        return instalments.collect(
            db.session, deal.owner, instalment_id, on or clock.utcnow().date(), now=clock.utcnow()
        )


def test_a_three_instalment_plan_collects_misses_and_refunds_matching_the_oracle_at_each_step(make_user) -> None:
    deal = cash_deal(make_user)
    outcome = won_with_plan(deal)
    first, second, third = (i.id for i in plan_of(outcome.id))
    # Recorded: nothing earned yet, nothing billed; the whole plan would earn €150.01.
    assert outcome.commission_amount == 15_001 and outcome.on_cash_collected
    assert_matches_oracle(outcome.id, 0)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    assert charges_of(outcome.id) == []  # confirmation bills nothing on cash collected

    collect(deal, first, COLLECT_1)  # €333.35 in: €50.00 + €5.00 fee
    assert_matches_oracle(outcome.id, 33_335)
    (charge_1,) = charges_of(outcome.id)
    assert (charge_1.instalment_id, charge_1.amount, charge_1.status) == (first, 5_500, ChargeStatus.MANUAL_DUE)
    assert ledger_total(outcome.id, Bucket.PENDING) == 5_000

    with frozen_at(COLLECT_1 + timedelta(days=20)):
        instalments.miss(db.session, deal.owner, second, now=clock.utcnow())
    assert plan_of(outcome.id)[1].status == InstalmentStatus.MISSED
    assert_matches_oracle(outcome.id, 33_335)  # a miss changes no money

    collect(deal, third, COLLECT_3)  # €666.70 in: the running total gives €50.01 (per part: €50.00)
    assert_matches_oracle(outcome.id, 66_670)
    charge_3 = charges_of(outcome.id)[1]
    assert (charge_3.instalment_id, charge_3.commission, charge_3.platform_fee) == (third, 5_001, 500)

    # The third instalment's charge is paid by bank transfer: its own hold starts, and ends.
    admin = make_user("admin")
    with frozen_at(COLLECT_3 + timedelta(days=1)):
        charges.mark_manual_paid(db.session, admin, charge_3.id, "SEPA", clock.utcnow())
    assert instalment_money.release_instalments(db.session, COLLECT_3 + timedelta(days=14)) == 0  # hold not over
    assert instalment_money.release_instalments(db.session, COLLECT_3 + timedelta(days=16)) == 1
    assert instalment_money.release_instalments(db.session, COLLECT_3 + timedelta(days=17)) == 0  # once
    assert ledger_total(outcome.id, Bucket.AVAILABLE) == 5_001
    assert ledger_total(outcome.id, Bucket.PENDING) == 5_000  # the first one's charge is unpaid: held
    assert ledger.release_available(db.session, COLLECT_3 + timedelta(days=90)) == 0  # no outcome-level release

    # €100.00 of the first instalment refunded: net €566.70 → €85.01 (−€15.00), fee €8.50 (−€1.50).
    with frozen_at(COLLECT_3 + timedelta(days=20)):
        instalments.refund(db.session, deal.owner, first, Money(10_000, "EUR"), now=clock.utcnow())
    assert_matches_oracle(outcome.id, 56_670)
    assert ledger_total(outcome.id, Bucket.PENDING) == 3_500  # taken from the first instalment's pending part
    charge_1 = charges_of(outcome.id)[0]  # not paid yet (bank transfer due): it now asks for what is still due
    assert (charge_1.amount, charge_1.reduced_from, charge_1.refunded_amount) == (3_850, 5_500, 0)

    # The third refunded in full after its release: taken from available, its paid charge refunded.
    with frozen_at(COLLECT_3 + timedelta(days=21)):
        instalments.refund(db.session, deal.owner, third, Money(33_335, "EUR"), now=clock.utcnow())
    assert_matches_oracle(outcome.id, 23_335)
    assert ledger_total(outcome.id, Bucket.AVAILABLE) == 0
    charge_3 = charges_of(outcome.id)[1]
    assert charge_3.status == ChargeStatus.REFUNDED and charge_3.refunded_amount == charge_3.amount
    assert [i.status for i in plan_of(outcome.id)] == [
        InstalmentStatus.REFUNDED,
        InstalmentStatus.MISSED,
        InstalmentStatus.REFUNDED,
    ]

    # The missed one arrives late after all: it accrues like any collection.
    collect(deal, second, COLLECT_3 + timedelta(days=30))
    assert_matches_oracle(outcome.id, 56_670)


def test_a_contract_value_deal_behaves_as_before_and_its_instalments_only_track_cash(make_user) -> None:
    deal = make_deal(make_user, rate_bps=1500)
    outcome = won_with_plan(deal)
    assert not outcome.on_cash_collected
    assert ledger_total(outcome.id) == 15_001  # the whole commission, pending at recording
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    (charge,) = charges_of(outcome.id)
    assert (charge.instalment_id, charge.amount) == (None, 15_001 + 1_500)
    first = plan_of(outcome.id)[0]
    collect(deal, first.id, COLLECT_1)
    with frozen_at(COLLECT_1):
        instalments.refund(db.session, deal.owner, first.id, Money(33_335, "EUR"), now=clock.utcnow())
    assert ledger_total(outcome.id) == 15_001 and len(charges_of(outcome.id)) == 1


def test_no_plan_means_one_instalment_of_the_deal_value_due_on_the_call_date(make_user) -> None:
    deal = cash_deal(make_user)
    outcome = won_with_plan(deal, plan=None)
    (only,) = plan_of(outcome.id)
    assert (only.amount, only.due_on, only.status) == (100_005, date(2026, 12, 1), InstalmentStatus.DUE)


def test_bad_plans_and_bad_markings_are_refused_and_change_nothing(make_user) -> None:
    deal = cash_deal(make_user)
    with pytest.raises(ValidationError):
        won_with_plan(deal, plan=(PlannedInstalment(date(2027, 1, 1), Money(-5, "EUR")),))
    db.session.rollback()
    assert db.session.scalar(select(func.count(Outcome.id))) == 0
    outcome = won_with_plan(deal, starts_at=CALL_AT + timedelta(days=1))
    first = plan_of(outcome.id)[0].id
    with pytest.raises(Conflict):  # not confirmed yet
        collect(deal, first, CONFIRMED_AT)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    with pytest.raises(PermissionDenied), frozen_at(COLLECT_1):  # the closer does not record collections
        instalments.collect(db.session, deal.closer, first, date(2026, 12, 10), now=clock.utcnow())
    with pytest.raises(ValidationError):  # in the future
        collect(deal, first, COLLECT_1, on=COLLECT_1.date() + timedelta(days=1))
    with pytest.raises(Conflict), frozen_at(COLLECT_1):  # refund before collection
        instalments.refund(db.session, deal.owner, first, Money(1, "EUR"), now=clock.utcnow())
    collect(deal, first, COLLECT_1)
    for bad in (Money(0, "EUR"), Money(33_336, "EUR"), Money(100, "USD")):
        with pytest.raises(ValidationError), frozen_at(COLLECT_1):
            instalments.refund(db.session, deal.owner, first, bad, now=clock.utcnow())
    with pytest.raises(Conflict):  # collected twice
        collect(deal, first, COLLECT_1)
    db.session.rollback()
    assert plan_of(outcome.id)[0].refunded_amount == 0
    assert_matches_oracle(outcome.id, 33_335)


def test_a_manual_refund_of_an_instalment_charge_takes_that_instalments_commission_not_another(make_user) -> None:
    from closerhub.payments.charges.commands import ManualReturn, ReturnKind
    from closerhub.payments.charges.instalments import instalment_position
    from closerhub.payments.charges.refunds import record_manual_return

    deal = cash_deal(make_user)
    outcome = won_with_plan(deal)
    first, second, _third = (i.id for i in plan_of(outcome.id))
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    collect(deal, first, COLLECT_1)
    collect(deal, second, COLLECT_1)
    charge_1, charge_2 = charges_of(outcome.id)
    admin = make_user("admin")
    with frozen_at(COLLECT_1 + timedelta(days=1)):
        for charge in (charge_1, charge_2):
            charges.mark_manual_paid(db.session, admin, charge.id, "SEPA", clock.utcnow())
        record_manual_return(
            db.session,
            admin,
            charge_2.id,
            ManualReturn(
                kind=ReturnKind.REFUND,
                amount=Money(charge_2.amount, "EUR"),
                reason="Refunded by bank",
                expected_returned=0,
            ),
            now=clock.utcnow(),
        )
    assert instalment_position(db.session, second)[Bucket.PENDING] == 0
    assert instalment_position(db.session, first)[Bucket.PENDING] == 5_000
    assert instalment_money.release_instalments(db.session, COLLECT_1 + timedelta(days=30)) == 2
    assert ledger_total(outcome.id, Bucket.AVAILABLE) == 5_000 and ledger_total(outcome.id, Bucket.PENDING) == 0
