"""Charging businesses through the real SDK against localstripe (behind a proxy that honours idempotency keys)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes import settlement
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges import retries as charge_retries
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.stripe.gateway import get_gateway
from tests.fakes.servers import stripe_settings
from tests.integration.charges_support import (
    CONFIRMED_AT,
    DECLINED_CARD,
    IdempotentProxy,
    add_card,
    charge_of,
    confirm,
    won_outcome,
)
from tests.integration.outcome_support import AFTER_CALL, make_deal

WON_3000 = OutcomeData(result="won", deal_value=Money(300000, "EUR"))


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


def charge_emails(to: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.template == "charge_notice").order_by(OutboxMessage.id)
    if to:
        stmt = stmt.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(stmt))


def test_confirming_a_won_deal_charges_the_saved_card_and_starts_the_clawback_hold(deal, proxy) -> None:
    add_card(deal.owner)
    outcome = won_outcome(deal)
    charge = confirm(deal, outcome)
    assert charge.status == ChargeStatus.SUCCEEDED, (charge.last_error, charge.failure_message)
    assert (charge.amount, charge.commission, charge.platform_fee, charge.currency) == (79200, 72000, 7200, "EUR")
    assert charge.attempts == 1 and charge.paid_at == CONFIRMED_AT and charge.next_attempt_at is None
    assert charge.stripe_payment_intent_id.startswith("pi_") and charge.stripe_charge_id.startswith("ch_")
    assert charge.transfer_group == f"outcome-{outcome.id}"
    # Read back from Stripe: the amount, and metadata linking our ids (localstripe: transfer_group rides there).
    pi = get_gateway().client.v1.payment_intents.retrieve(charge.stripe_payment_intent_id)
    assert (pi.status, pi.amount, pi.currency) == ("succeeded", 79200, "eur")
    assert pi.metadata.to_dict() == {
        "outcome_id": str(outcome.id),
        "charge_id": str(charge.id),
        "business_id": str(deal.offer.business_id),
        "closer_id": str(deal.closer.id),
        "transfer_group": f"outcome-{outcome.id}",
    }
    assert proxy.state.keys() == [f"charge-{charge.id}-attempt-1"]
    db.session.expire_all()
    outcome = db.session.get(Outcome, outcome.id)
    assert outcome.status == OutcomeStatus.CONFIRMED
    assert outcome.charged_at == CONFIRMED_AT and outcome.release_after == CONFIRMED_AT + timedelta(days=14)
    assert ledger.release_available(db.session, CONFIRMED_AT + timedelta(days=14)) == 1
    [balance] = ledger.balances(db.session, deal.closer.id)
    assert (balance.pending, balance.available) == (0, 72000)
    assert charge_emails() == []  # nothing to fix
    # Confirming is once: a second charge for the same outcome is impossible (unique outcome_id).
    assert charges.charge_for_outcome(db.session, outcome, CONFIRMED_AT).id == charge.id
    assert db.session.scalar(select(func.count(Charge.id))) == 1


def test_a_declined_card_fails_the_charge_emails_the_business_and_schedules_retries(deal, proxy) -> None:
    add_card(deal.owner, DECLINED_CARD)
    outcome = won_outcome(deal)
    charge = confirm(deal, outcome)
    assert charge.status == ChargeStatus.FAILED
    assert charge.attempts == 1 and charge.next_attempt_at == CONFIRMED_AT + timedelta(hours=1)
    assert charge.last_error and charge.failure_message and charge.paid_at is None
    assert db.session.get(Outcome, outcome.id).status == OutcomeStatus.CONFIRMED  # confirmed all the same
    assert db.session.get(Outcome, outcome.id).charged_at is None  # no hold: not paid
    [mail] = charge_emails(deal.owner.email)
    assert "Payment failed" in mail.subject
    assert "/billing" in mail.text_body and "/billing/charges" in mail.text_body
    assert "try again automatically" in mail.text_body

    # Not due yet: nothing happens. Due: a new attempt with a new key, declined again, next in 6 h.
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(minutes=59)) == 0
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(hours=1)) == 1
    charge = charge_of(outcome)
    assert charge.status == ChargeStatus.FAILED and charge.attempts == 2
    assert charge.next_attempt_at == CONFIRMED_AT + timedelta(hours=7)
    # Never twice in a window.
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(hours=2)) == 0

    # The owner replaces the card; the next scheduled attempt succeeds and starts the hold.
    add_card(deal.owner)
    paid_at = CONFIRMED_AT + timedelta(hours=7)
    assert charge_retries.retry_due_charges(db.session, paid_at) == 1
    charge = charge_of(outcome)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.attempts == 3 and charge.paid_at == paid_at
    assert db.session.get(Outcome, outcome.id).charged_at == paid_at
    keys = [f"charge-{charge.id}-attempt-{n}" for n in (1, 2, 3)]
    assert proxy.state.keys() == keys  # each decline → a new attempt, a new key
    assert charge_retries.retry_due_charges(db.session, paid_at + timedelta(days=10)) == 0


def test_after_the_last_scheduled_retry_the_charge_stays_failed_and_admins_see_it(deal, proxy) -> None:
    add_card(deal.owner, DECLINED_CARD)
    charge = confirm(deal, won_outcome(deal))
    at = CONFIRMED_AT
    for delay in (1, 6, 24, 72):
        at += timedelta(hours=delay)
        assert charge_retries.retry_due_charges(db.session, at) == 1
    charge = db.session.get(Charge, charge.id)
    db.session.refresh(charge)
    assert charge.attempts == 5 and charge.status == ChargeStatus.FAILED and charge.next_attempt_at is None
    assert charge_retries.retry_due_charges(db.session, at + timedelta(days=30)) == 0
    last = charge_emails(deal.owner.email)[-1]
    assert "will not try again automatically" in last.text_body
    overdue, _manual = charge_queries.desk_query(at)
    assert [c.id for c in db.session.scalars(overdue)] == [charge.id]


def test_the_failure_message_is_written_in_the_businesss_language_whoever_ran_into_it(deal, proxy) -> None:
    deal.owner.language = "fr"
    db.session.commit()
    charge = confirm(deal, won_outcome(deal))  # no request, as the worker's auto-confirmation: English around
    assert charge.failure_message.startswith("Aucune carte n’est enregistrée")
    assert charge.failure_message in charge_emails(deal.owner.email)[0].text_body  # the French owner's email


def test_a_business_without_a_card_gets_a_failed_charge_with_a_clear_message(deal, proxy) -> None:
    charge = confirm(deal, won_outcome(deal))
    assert charge.status == ChargeStatus.FAILED and charge.last_error == "no_payment_method"
    assert "No card is saved" in charge.failure_message
    assert proxy.state.keys() == []  # nothing sent to Stripe
    assert "No card is saved" in charge_emails(deal.owner.email)[0].text_body
    # Once a card is saved, the scheduled retry charges it.
    add_card(deal.owner)
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(hours=1)) == 1
    assert db.session.get(Charge, charge.id).status == ChargeStatus.SUCCEEDED


def test_a_lost_answer_is_retried_by_the_sdk_with_the_same_key_and_charges_once(app, deal, proxy) -> None:
    add_card(deal.owner)
    proxy.state.drop_next = 1  # Stripe charges, the connection drops before the answer
    charge = confirm(deal, won_outcome(deal))
    assert charge.status == ChargeStatus.SUCCEEDED
    key = f"charge-{charge.id}-attempt-1"
    assert proxy.state.keys() == [key, key]  # the SDK re-sent the same key...
    assert proxy.state.created() == 1  # ...and Stripe answered from the first request: one PaymentIntent


def test_a_network_failure_leaves_the_attempt_processing_and_the_job_repairs_it_with_the_same_key(
    app, deal, proxy
) -> None:
    add_card(deal.owner)
    app.config["STRIPE_MAX_NETWORK_RETRIES"] = 0
    proxy.state.drop_next = 1
    charge = confirm(deal, won_outcome(deal))
    assert charge.status == ChargeStatus.PROCESSING and charge.attempts == 1
    assert charge.stripe_payment_intent_id is None and "gateway_unavailable" in charge.last_error
    assert charge.next_attempt_at == CONFIRMED_AT + timedelta(minutes=10)
    assert proxy.state.created() == 1  # Stripe did charge; we do not know it yet
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(minutes=9)) == 0
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(minutes=10)) == 1
    charge = db.session.get(Charge, charge.id)
    db.session.refresh(charge)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.attempts == 1
    assert proxy.state.keys() == [f"charge-{charge.id}-attempt-1"] * 2
    assert proxy.state.created() == 1  # the same PaymentIntent: charged exactly once


def test_a_crash_between_the_stripe_call_and_our_commit_is_repaired_without_a_second_charge(deal, proxy) -> None:
    """The process died after Stripe charged: the row is left ``processing`` with no result."""
    add_card(deal.owner)
    outcome = won_outcome(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    charge = charge_of(outcome)
    # Rebuild that state: the committed "processing" row of attempt 1, and Stripe holding its PaymentIntent.
    first_pi = charge.stripe_payment_intent_id
    charge.status, charge.stripe_payment_intent_id, charge.stripe_charge_id = ChargeStatus.PROCESSING, None, None
    charge.paid_at, charge.next_attempt_at, charge.updated_at = None, None, CONFIRMED_AT
    db.session.commit()
    # Not stale yet: a request may still be in flight, so the job leaves it alone.
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(minutes=5)) == 0
    assert charge_retries.retry_due_charges(db.session, CONFIRMED_AT + timedelta(minutes=15)) == 1
    charge = charge_of(outcome)
    assert charge.status == ChargeStatus.SUCCEEDED and charge.stripe_payment_intent_id == first_pi
    assert proxy.state.created() == 1 and len(proxy.state.keys()) == 2


def test_two_workers_retrying_at_once_send_each_attempt_once(app, deal, proxy) -> None:
    add_card(deal.owner, DECLINED_CARD)
    charge = confirm(deal, won_outcome(deal))
    due = CONFIRMED_AT + timedelta(hours=1)
    assert charge_retries.retry_due_charges(db.session, due) == 1
    assert charge_retries.retry_due_charges(db.session, due) == 0  # the second run finds it claimed and rescheduled
    assert proxy.state.keys() == [f"charge-{charge.id}-attempt-1", f"charge-{charge.id}-attempt-2"]


def test_auto_confirmation_and_an_admins_resolution_charge_too(deal, proxy, admin_user) -> None:
    add_card(deal.owner)
    silent = won_outcome(deal)
    assert settlement.auto_confirm_due(db.session, silent.confirm_deadline) == 1
    assert charge_of(silent).status == ChargeStatus.SUCCEEDED
    disputed = won_outcome(deal, AFTER_CALL + timedelta(days=2))
    with frozen_at(AFTER_CALL + timedelta(days=3)):
        settlement.dispute(db.session, deal.owner, disputed.id, "The client paid 3,000 EUR.", now=clock.utcnow())
        settlement.resolve_dispute(
            db.session,
            admin_user,
            disputed.id,
            note="Invoice says 3,000.",
            deal_value=WON_3000.deal_value,
            now=clock.utcnow(),
        )
    charge = charge_of(disputed)
    assert charge.status == ChargeStatus.SUCCEEDED
    assert (charge.commission, charge.platform_fee, charge.amount) == (45000, 4500, 49500)  # the adjusted value
