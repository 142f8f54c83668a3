"""Two instalments of one plan marked collected at the same moment (two threads, two sessions) accrue on the
running total exactly once: the second waits for the first and reads what it committed.

A barrier after each marking has read its instalment (``instalments.find_instalment``, wrapped) makes both
read before either locks, every time. The last test (PostgreSQL) removes the guard (``lock_plan`` patched
out) and shows the same race then accrues on a stale total: a cent short of the oracle.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.outcomes import instalments, settlement
from tests.integration.charges_support import CONFIRMED_AT
from tests.integration.instalment_support import cash_deal, ledger_total, oracle, plan_of, won_with_plan

LATER = CONFIRMED_AT + timedelta(days=10)


def collect_together(app: Flask, owner_id: int, instalment_ids: list[int]) -> list[BaseException]:
    db.session.commit()
    errors: list[BaseException] = []

    def one(instalment_id: int) -> None:
        with app.app_context():  # the clock is pinned once, around both threads (it is global)
            try:
                owner = db.session.get(User, owner_id)
                instalments.collect(db.session, owner, instalment_id, LATER.date(), now=clock.utcnow())
            except BaseException as exc:  # reported to the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(i,)) for i in instalment_ids]
    with frozen_at(LATER):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    return errors


@pytest.fixture
def plan(make_user: Any) -> tuple[Any, int, list[int]]:
    deal = cash_deal(make_user)
    outcome = won_with_plan(deal)
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    return deal, outcome.id, [i.id for i in plan_of(outcome.id)]


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each marking after it has read its instalment until the other has read too."""
    read, find = threading.Barrier(2), instalments.find_instalment

    def held(session: Any, instalment_id: object, viewer: Any) -> Any:
        found = find(session, instalment_id, viewer)
        read.wait(timeout=30)
        return found

    monkeypatch.setattr(instalments, "find_instalment", held)


def test_two_collections_at_once_accrue_on_the_running_total(app: Flask, plan, race: None) -> None:
    deal, outcome_id, (first, second, _third) = plan
    assert collect_together(app, deal.owner.id, [first, second]) == []
    db.session.expire_all()
    assert ledger_total(outcome_id) == oracle(66_670)[0] == 10_001


@pytest.mark.postgres  # SQLite serialises writers by itself (a second writer waits or fails): no drift to show
def test_without_the_lock_the_same_race_accrues_on_a_stale_total(
    app: Flask, plan, race: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(instalments, "lock_plan", lambda session, instalment: None)
    deal, outcome_id, (first, second, _third) = plan
    assert collect_together(app, deal.owner.id, [first, second]) == []
    db.session.expire_all()
    assert ledger_total(outcome_id) == 10_000  # 2 × €50.00, each on a total that missed the other: the race is real
