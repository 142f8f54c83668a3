"""The earnings ledger on the real database: append-only, release after the hold, reversals, balances."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.ledger.models import APPEND_ONLY_MESSAGES, Bucket, LedgerEntry
from tests.integration.outcome_support import AFTER_CALL, CALL_AT, make_call, make_deal

CONFIRMED_AT = AFTER_CALL + timedelta(days=1)
HOLD_OVER = CONFIRMED_AT + timedelta(days=14)


@pytest.fixture
def deal(make_user):
    return make_deal(make_user)


def won(deal, amount: int = 480000, starts_at=CALL_AT, currency: str = "EUR", confirm: bool = True):
    call = make_call(deal, starts_at)
    reason = "" if currency == deal.offer.price_currency else "Paid by the US entity"
    data = OutcomeData(result="won", deal_value=Money(amount, currency), currency_reason=reason)
    with frozen_at(starts_at + timedelta(minutes=50)):
        outcome = service.record_outcome(db.session, deal.closer, call.id, data, now=clock.utcnow())
    if confirm:
        with frozen_at(CONFIRMED_AT):
            settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
        ledger.mark_charged(db.session, outcome, CONFIRMED_AT)  # the business paid at once (the charges' job)
        db.session.commit()
    return outcome


def refused(exc: DBAPIError) -> bool:
    return any(m in str(exc.orig) for m in APPEND_ONLY_MESSAGES)


def test_the_database_refuses_to_update_a_ledger_entry(deal) -> None:
    won(deal)
    with pytest.raises(DBAPIError) as exc:
        db.session.execute(update(LedgerEntry).values(amount=1))
        db.session.flush()
    db.session.rollback()
    assert refused(exc.value)
    with pytest.raises(DBAPIError) as exc:
        db.session.execute(text("UPDATE ledger_entries SET memo = 'edited'"))
    db.session.rollback()
    assert refused(exc.value)
    assert [e.amount for e in db.session.scalars(ledger.entries_query())] == [72000]


@pytest.mark.postgres
def test_postgresql_refuses_to_delete_a_ledger_entry(deal) -> None:
    won(deal)
    with pytest.raises(DBAPIError) as exc:
        db.session.execute(delete(LedgerEntry))
    db.session.rollback()
    assert refused(exc.value)
    assert db.session.scalar(text("SELECT count(*) FROM ledger_entries")) == 1


def test_a_confirmed_commission_becomes_available_after_the_clawback_hold_once(deal) -> None:
    outcome = won(deal)
    assert ledger.release_available(db.session, HOLD_OVER - timedelta(seconds=1)) == 0
    assert ledger.release_available(db.session, HOLD_OVER) == 1
    assert ledger.release_available(db.session, HOLD_OVER + timedelta(days=1)) == 0  # a second run changes nothing
    [balance] = ledger.balances(db.session, deal.closer.id)
    assert (balance.pending, balance.available, balance.paid) == (0, 72000, 0)
    kinds = [(e.kind.value, e.bucket.value, e.amount) for e in db.session.scalars(ledger.entries_query())]
    assert kinds == [("earned", "pending", 72000), ("released", "pending", -72000), ("released", "available", 72000)]
    assert outcome.released_at == HOLD_OVER


def test_an_unconfirmed_or_disputed_commission_is_never_released(deal) -> None:
    recorded = won(deal, confirm=False)
    disputed = won(deal, starts_at=CALL_AT + timedelta(days=1), confirm=False)
    with frozen_at(CONFIRMED_AT):
        settlement.dispute(db.session, deal.owner, disputed.id, "Never paid", now=clock.utcnow())
    assert ledger.release_available(db.session, HOLD_OVER + timedelta(days=90)) == 0
    assert ledger.balances(db.session, deal.closer.id)[0].pending == 2 * 72000
    assert recorded.released_at is None


def test_a_reversal_after_a_payout_leaves_a_negative_available_balance(deal) -> None:
    outcome = won(deal)
    ledger.release_available(db.session, HOLD_OVER)
    ledger.record_payout(db.session, deal.closer.id, "EUR", 72000, payout_id=1, now=HOLD_OVER)
    db.session.commit()
    # A refund inside the hold is the payments issue's; after a payout it is a chargeback: reversed all the same.
    ledger.reverse_outcome(
        db.session, outcome, HOLD_OVER + timedelta(days=1), Memo("voided", {"outcome_id": outcome.id})
    )
    db.session.commit()
    [balance] = ledger.balances(db.session, deal.closer.id)
    assert (balance.pending, balance.available, balance.paid) == (0, -72000, 72000)
    assert balance.total == 0


def test_balances_are_per_closer_and_currency_in_one_query(deal, make_user) -> None:
    won(deal)
    won(deal, 100000, CALL_AT + timedelta(days=1), currency="USD")
    other = make_deal(make_user, owner=deal.owner, rate_bps=2000)
    won(other, 1001, CALL_AT + timedelta(days=2))
    ledger.release_available(db.session, HOLD_OVER)
    all_balances = {(b.closer_id, b.currency): (b.pending, b.available, b.paid) for b in ledger.balances(db.session)}
    assert all_balances == {
        (deal.closer.id, "EUR"): (0, 72000, 0),
        (deal.closer.id, "USD"): (0, 15000, 0),
        (other.closer.id, "EUR"): (0, 200, 0),  # 1001 × 20 % = 200.2 → 200
    }
    assert {b.currency for b in ledger.balances(db.session, other.closer.id)} == {"EUR"}
    assert Bucket.PENDING.value == "pending"
