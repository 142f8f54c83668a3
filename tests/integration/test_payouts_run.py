"""Payout runs against the Connect fake through the real SDK: who is paid, once, and what happens on faults."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskCliRunner

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.payments.payouts.models import Payout, PayoutRun, PayoutStatus, RunMode
from closerhub.payments.payouts.service import run_payouts, run_weekly_if_due
from closerhub.payments.stripe.gateway import get_gateway
from closerhub.platform_settings.commands import SettingsChange
from closerhub.platform_settings.service import update_settings
from tests.fakes.stripe_connect import FakeStripeConnect
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


def test_a_run_pays_each_closer_once_per_currency_with_the_payout_id_as_idempotency_key(
    make_user: Any, stripe: FakeStripeConnect
) -> None:
    claire, diego = make_user("closer"), make_user("closer")
    acct_c, acct_d = onboard(stripe, claire), onboard(stripe, diego)
    give_available(claire, 7000)
    give_available(claire, 3000)  # two releases, one payout
    give_available(claire, 9000, "USD")
    give_available(diego, 6000)

    report = run_payouts(db.session, RUN_AT, triggered_by="cli")

    assert (report.paid, report.failed, report.skipped, report.mode) == (3, 0, 0, RunMode.STRIPE)
    by_closer = {(p.closer_id, p.currency): p for p in payouts()}
    assert {k: (p.amount, p.status) for k, p in by_closer.items()} == {
        (claire.id, "EUR"): (10000, PayoutStatus.PAID),
        (claire.id, "USD"): (9000, PayoutStatus.PAID),
        (diego.id, "EUR"): (6000, PayoutStatus.PAID),
    }
    made = transfers_made(stripe)
    assert len(made) == 3
    keys = {r.idempotency_key for r in made}
    assert keys == {f"payout-{p.id}" for p in by_closer.values()}
    sent = {t["id"]: t for t in stripe.transfers_to(acct_c) + stripe.transfers_to(acct_d)}
    for p in by_closer.values():
        t = sent[p.stripe_transfer_id]
        assert (t["amount"], t["currency"].upper(), t["transfer_group"]) == (p.amount, p.currency, f"payout-{p.id}")
        assert t["metadata"]["closerhub_payout_id"] == str(p.id)
    assert balance(claire) == (0, 0, 10000) and balance(claire, "USD") == (0, 0, 9000)

    # A second run finds nothing left: no payout, no transfer.
    again = run_payouts(db.session, LATER, triggered_by="cli")
    assert again.paid == 0 and len(payouts()) == 3 and len(transfers_made(stripe)) == 3


def test_balances_under_the_minimum_wait_for_a_later_run(make_user: Any, stripe: FakeStripeConnect) -> None:
    closer = make_user("closer")
    onboard(stripe, closer)
    give_available(closer, 4999)  # PAYOUT_MINIMUM is 5000
    assert run_payouts(db.session, RUN_AT, triggered_by="cli").paid == 0
    assert payouts() == [] and transfers_made(stripe) == []

    admin = make_user("admin")
    update_settings(
        db.session, admin, SettingsChange(payout_minimum=4000), now=clock.utcnow()
    )  # the admin's setting wins over the config
    assert run_payouts(db.session, LATER, triggered_by="cli").paid == 1
    assert [p.amount for p in payouts()] == [4999]


def test_a_closer_who_cannot_receive_payouts_is_skipped_and_told_once(
    make_user: Any, stripe: FakeStripeConnect
) -> None:
    never_onboarded, blocked = make_user("closer"), make_user("closer")
    acct = onboard(stripe, blocked)
    stripe.set_account(acct, payouts_enabled=False, currently_due=["external_account"])
    from closerhub.payments.connect.service import refresh_account
    from closerhub.payments.stripe.gateway import get_gateway

    refresh_account(db.session, get_gateway(), blocked, RUN_AT)
    give_available(never_onboarded, 8000)
    give_available(blocked, 8000)

    report = run_payouts(db.session, RUN_AT, triggered_by="worker")
    run_payouts(db.session, LATER, triggered_by="worker")

    assert report.skipped == 2 and report.paid == 0
    assert payouts() == [] and transfers_made(stripe) == []
    assert balance(blocked) == (0, 8000, 0)  # nothing reserved: the money waits
    for closer in (never_onboarded, blocked):
        [told] = emails(closer.email, "payout_cannot_receive")  # once, over two runs
        assert "/payouts/setup" in told.text_body


class SimulatedCrash(RuntimeError):
    """The process 'dies' right after the Stripe call, before our commit."""


def test_a_crash_between_the_stripe_call_and_our_commit_is_repaired_without_a_second_transfer(
    make_user: Any, stripe: FakeStripeConnect
) -> None:
    closer = make_user("closer")
    acct = onboard(stripe, closer)
    give_available(closer, 12000)
    gateway = get_gateway()
    send = gateway.create_transfer

    def send_then_die(**params: Any) -> Any:
        send(**params)  # Stripe makes the transfer...
        raise SimulatedCrash("the process died before our commit")  # ...and we never hear back

    gateway.create_transfer = send_then_die  # type: ignore[method-assign]  # this call only
    try:
        with pytest.raises(SimulatedCrash):
            run_payouts(db.session, RUN_AT, triggered_by="worker", gateway=gateway)
    finally:
        del gateway.create_transfer  # the class's method again
    db.session.rollback()  # the process died: whatever was not committed is gone

    [payout] = payouts()
    assert payout.status is PayoutStatus.SENDING and payout.stripe_transfer_id is None
    assert len(stripe.transfers_to(acct)) == 1  # Stripe did make it
    assert balance(closer) == (0, 0, 12000)  # the money stayed reserved

    # A run inside the re-send delay leaves it alone (it might still be on its way) and pays nobody twice.
    soon = run_payouts(db.session, RUN_AT.replace(minute=5), triggered_by="cli")
    assert (soon.paid, soon.repaired) == (0, 0) and len(payouts()) == 1

    report = run_payouts(db.session, LATER, triggered_by="worker")
    assert report.repaired == 1 and report.paid == 0
    [payout] = payouts()
    [transfer] = stripe.transfers_to(acct)  # still exactly one
    assert payout.status is PayoutStatus.PAID and payout.stripe_transfer_id == transfer["id"]
    assert payout.attempts == 2
    sends = [r for r in stripe.state.requests if r.path == "/v1/transfers" and r.method == "POST"]
    assert [(r.idempotency_key, r.replayed) for r in sends] == [
        (f"payout-{payout.id}", False),
        (f"payout-{payout.id}", True),
    ]
    assert balance(closer) == (0, 0, 12000)


def test_when_stripe_stays_unreachable_the_payout_waits_and_the_next_run_sends_it_once(
    make_user: Any, stripe: FakeStripeConnect
) -> None:
    closer = make_user("closer")
    acct = onboard(stripe, closer)
    give_available(closer, 6000)
    stripe.fail_next("/v1/transfers", status=500, count=5)
    report = run_payouts(db.session, RUN_AT, triggered_by="worker")
    assert report.retrying == 1
    [payout] = payouts()
    assert payout.status is PayoutStatus.SENDING and "could not be reached" in (payout.error or "")
    assert stripe.transfers_to(acct) == []
    stripe.state.faults.clear()
    assert run_payouts(db.session, LATER, triggered_by="worker").repaired == 1
    assert [p.status for p in payouts()] == [PayoutStatus.PAID]
    assert len(stripe.transfers_to(acct)) == 1


def test_a_refused_transfer_returns_the_money_to_available_and_emails_the_closer(
    make_user: Any, stripe: FakeStripeConnect
) -> None:
    closer = make_user("closer")
    acct = onboard(stripe, closer)
    stripe.set_account(acct, transfers_capability="inactive")  # Stripe refuses transfers to it
    give_available(closer, 9000)

    report = run_payouts(db.session, RUN_AT, triggered_by="worker")

    assert report.failed == 1
    [payout] = payouts()
    assert payout.status is PayoutStatus.FAILED and "capabilities" in (payout.error or "")
    assert balance(closer) == (0, 9000, 0)  # back to available
    [mail] = emails(closer.email, "payout_failed")
    assert "back in your available balance" in mail.text_body
    # Fixed on Stripe's side: the next run pays it with a new payout (a new key).
    stripe.set_account(acct, transfers_capability="active")
    assert run_payouts(db.session, LATER, triggered_by="worker").paid == 1
    assert [p.status for p in payouts()] == [PayoutStatus.FAILED, PayoutStatus.PAID]
    assert balance(closer) == (0, 0, 9000)


def test_manual_mode_records_payouts_to_pay_by_bank(make_user: Any) -> None:
    closer = make_user("closer")  # no Stripe account at all: manual mode pays by bank
    give_payout_details(closer)
    give_available(closer, 5000)
    report = run_payouts(db.session, RUN_AT, triggered_by="cli")
    assert (report.mode, report.manual, report.paid) == (RunMode.MANUAL, 1, 0)
    [payout] = payouts()
    assert payout.status is PayoutStatus.MANUAL_PENDING and payout.stripe_transfer_id is None
    assert balance(closer) == (0, 0, 5000)  # reserved: a second run pays nothing more
    assert run_payouts(db.session, LATER, triggered_by="cli").manual == 0


def test_the_weekly_job_runs_on_the_payout_weekday_once(make_user: Any) -> None:
    closer = make_user("closer")
    give_payout_details(closer)
    give_available(closer, 5000)
    tuesday = RUN_AT.replace(day=8)
    assert run_weekly_if_due(db.session, tuesday) is None
    first = run_weekly_if_due(db.session, RUN_AT)
    assert first is not None and first.manual == 1
    give_available(closer, 5000)
    assert run_weekly_if_due(db.session, LATER) is None  # same Monday: already run
    assert count(PayoutRun) == 1
    run = db.session.get(PayoutRun, first.run_id)
    assert run is not None and run.triggered_by == "worker" and run.scheduled_for == RUN_AT.date()


def test_flask_payouts_run_reports_what_it_did(runner: FlaskCliRunner, make_user: Any) -> None:
    closer = make_user("closer")
    give_payout_details(closer)
    give_available(closer, 5000)
    give_available(make_user("closer", email="walt@example.com"), 7300)  # no payout details yet
    with frozen_at(RUN_AT):
        result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    assert "(manual): 0 paid, 1 to pay by hand" in result.output
    assert "1 skipped (waiting for payout details)" in result.output  # in manual mode there is no account
    assert count(Payout) == 1


def test_a_run_finishes_when_the_clock_handed_in_by_its_entry_point_says_after_the_transfers(
    make_user: Any, stripe: FakeStripeConnect
) -> None:
    closer = make_user("closer")
    onboard(stripe, closer)
    give_available(closer, 8000)
    reads: list[int] = []

    def read_clock() -> datetime:  # the entry point's clock (``clock.utcnow``), read once the transfers were sent
        reads.append(len(transfers_made(stripe)))
        return RUN_AT + timedelta(seconds=90)

    report = run_payouts(db.session, RUN_AT, triggered_by="cli", read_clock=read_clock)
    assert report.paid == 1 and reads == [1]
    run = db.session.get(PayoutRun, report.run_id)
    assert run is not None and (run.started_at, run.finished_at) == (RUN_AT, RUN_AT + timedelta(seconds=90))

    give_available(closer, 6000)  # without a clock (a test, the demo) the run is stamped at its ``now``
    bare = db.session.get(PayoutRun, run_payouts(db.session, LATER, triggered_by="cli").run_id)
    assert bare is not None and bare.finished_at == LATER


def test_the_weekly_job_hands_its_clock_to_the_run(make_user: Any) -> None:
    closer = make_user("closer")
    give_payout_details(closer)
    give_available(closer, 5000)
    report = run_weekly_if_due(db.session, RUN_AT, read_clock=lambda: RUN_AT + timedelta(minutes=2))
    assert report is not None and report.manual == 1
    run = db.session.get(PayoutRun, report.run_id)
    assert run is not None and run.finished_at == RUN_AT + timedelta(minutes=2)
