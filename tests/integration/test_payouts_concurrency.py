"""Two payout runs at once (two threads, each its own session and connection) pay every closer once.

Runs on the test database of the run (SQLite by default, PostgreSQL with ``CLOSERHUB_TEST_DB_URL``).
A barrier after the balance scan (``payouts._scan``, wrapped) makes both runs scan before
either reserves, every time. The last test removes the guard (``_lock_closer`` and
``_still_payable`` patched out: no lock, no re-read, and the one-in-flight index dropped) and
shows the same race then pays twice, so the guarded test would catch a broken guard.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from closerhub.extensions import db
from closerhub.payments.payouts import service as payouts_module
from closerhub.payments.payouts.models import ONE_IN_FLIGHT_INDEX, Payout, PayoutRun, PayoutStatus, RunMode
from closerhub.payments.payouts.service import RunReport, run_payouts
from tests.fakes.stripe_connect import FakeStripeConnect
from tests.integration.payouts_support import RUN_AT, balance, give_available, onboard, payouts, stripe, transfers_made

__all__ = ["stripe"]  # fixture

CLOSERS = 3


def overlapping_runs(app: Flask, n: int = 2) -> list[RunReport]:
    """Start ``n`` runs together, each in its own thread and app context; their reports."""
    db.session.commit()
    gate = threading.Barrier(n)
    reports: list[RunReport] = []
    errors: list[BaseException] = []

    def one() -> None:
        with app.app_context():
            try:
                gate.wait(timeout=30)
                reports.append(run_payouts(db.session, RUN_AT, triggered_by="worker"))
            except BaseException as exc:  # reported to the test below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return reports


@pytest.fixture
def closers(make_user: Any, stripe: FakeStripeConnect) -> list[Any]:
    people = [make_user("closer") for _ in range(CLOSERS)]
    for person in people:
        onboard(stripe, person)
        give_available(person, 10000)
    return people


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each run after its balance scan until the other has scanned too (no timing involved)."""
    scanned, scan = threading.Barrier(2), payouts_module._scan

    def held(session: Any, minimum: int) -> list[tuple[int, str, int]]:
        found = scan(session, minimum)
        scanned.wait(timeout=30)
        return found

    monkeypatch.setattr(payouts_module, "_scan", held)


def test_two_overlapping_runs_pay_every_closer_exactly_once(
    app: Flask, closers: list[Any], stripe: FakeStripeConnect, race: None
) -> None:
    reports = overlapping_runs(app)
    assert sum(r.paid for r in reports) == CLOSERS  # split between the runs, in whatever way the race went
    assert len(transfers_made(stripe)) == CLOSERS
    all_payouts = payouts()
    assert len(all_payouts) == CLOSERS and {p.status for p in all_payouts} == {PayoutStatus.PAID}
    for person in closers:
        assert balance(person) == (0, 0, 10000)


def test_the_database_refuses_a_second_payout_in_flight_for_the_same_closer_and_currency(
    app: Flask, closers: list[Any]
) -> None:
    runs = [PayoutRun(started_at=RUN_AT, mode=RunMode.STRIPE, triggered_by="cli") for _ in range(2)]
    db.session.add_all(runs)
    db.session.flush()
    for run in runs:  # two runs, each sending to the same closer in the same currency
        db.session.add(
            Payout(
                run_id=run.id,
                closer_id=closers[0].id,
                currency="EUR",
                amount=10000,
                status=PayoutStatus.SENDING,
                created_at=RUN_AT,
            )
        )
    with pytest.raises(IntegrityError) as exc:
        db.session.flush()
    db.session.rollback()
    assert ONE_IN_FLIGHT_INDEX in str(exc.value) or "UNIQUE" in str(exc.value)


def test_without_the_guard_the_same_race_pays_twice(
    app: Flask, closers: list[Any], stripe: FakeStripeConnect, race: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.session.commit()
    monkeypatch.setattr(payouts_module, "_lock_closer", lambda session, closer_id, currency: None)  # no lock
    monkeypatch.setattr(  # and no re-read under it: trust the scan, as a naive run would
        payouts_module, "_still_payable", lambda session, closer_id, currency, scanned, minimum: scanned
    )
    with db.engine.begin() as conn:  # and no one-in-flight index
        conn.execute(text(f"DROP INDEX {ONE_IN_FLIGHT_INDEX}"))
    try:
        overlapping_runs(app)
    finally:
        db.session.rollback()
        index = next(i for i in Payout.__table__.indexes if i.name == ONE_IN_FLIGHT_INDEX)
        index.create(bind=db.engine)  # the double payouts are 'paid', not in flight: it fits
    assert len(transfers_made(stripe)) == 2 * CLOSERS  # every closer paid twice: the race is real
    for person in closers:
        assert balance(person) == (0, -10000, 20000)
