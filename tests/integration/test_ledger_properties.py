"""Property test: random sequences of outcome and money events never break the ledger's invariants.

Each example gets its own business and closer (tables are only reset between tests, so
the checks look at that closer alone) and runs up to 12 steps: record a won (or lost)
call, correct it, confirm, dispute, resolve (confirm / adjust / void), let time pass,
run the auto-confirm and release jobs, pay out. After every step:

- balances (the GROUP BY query) equal the plain sums of the closer's entries;
- pending is never negative, for the closer and for each outcome;
- every won deal is counted exactly once: an outcome's entries net to its current
  commission while it is owed, and to zero otherwise (lost, voided);
- a released outcome has nothing left in pending; an unreleased one has nothing available.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from closerhub import clock
from closerhub.clock import frozen_at
from closerhub.core.errors import DomainError
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.outcomes import service, settlement
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.service import OutcomeData
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.models import Bucket, LedgerEntry
from tests.integration.outcome_support import CALL_AT, make_call, make_deal

amounts = st.integers(min_value=1, max_value=10_000_000)
index = st.integers(min_value=0, max_value=5)
step = st.one_of(
    st.tuples(st.just("record_won"), amounts),
    st.tuples(st.just("record_lost")),
    st.tuples(st.just("correct"), index, st.one_of(amounts, st.none())),
    st.tuples(st.just("confirm"), index),
    st.tuples(st.just("dispute"), index),
    st.tuples(st.just("resolve"), index, st.sampled_from(["confirm", "void", "adjust"]), amounts),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=20)),
    st.tuples(st.just("auto_confirm")),
    st.tuples(st.just("release")),
    st.tuples(st.just("payout")),
)


def check_invariants(closer_id: int, outcome_ids: list[int]) -> None:
    db.session.expire_all()
    entries = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.closer_id == closer_id)))
    sums: dict[tuple[str, Bucket], int] = defaultdict(int)
    per_outcome: dict[int, dict[Bucket, int]] = defaultdict(lambda: defaultdict(int))
    for e in entries:
        sums[(e.currency, e.bucket)] += e.amount
        if e.outcome_id is not None:
            per_outcome[e.outcome_id][e.bucket] += e.amount
    for b in ledger.balances(db.session, closer_id):
        assert (b.pending, b.available, b.paid) == (
            sums[(b.currency, Bucket.PENDING)],
            sums[(b.currency, Bucket.AVAILABLE)],
            sums[(b.currency, Bucket.PAID)],
        )
        assert b.pending >= 0
    for outcome_id in outcome_ids:
        outcome = db.session.get(Outcome, outcome_id)
        assert outcome is not None
        position = per_outcome[outcome_id]
        assert position[Bucket.PENDING] >= 0
        owed = outcome.commission_amount or 0 if outcome.owes_commission else 0
        assert sum(position.values()) == owed, (outcome, dict(position))
        if outcome.released_at is not None:
            assert position[Bucket.PENDING] == 0
        else:
            assert position[Bucket.AVAILABLE] == 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_random_outcome_sequences_keep_the_ledger_consistent(app, make_user, admin_user, steps) -> None:
    deal = make_deal(make_user, owner=None)
    now = CALL_AT + timedelta(hours=1)
    outcome_ids: list[int] = []
    payouts = 0

    def pick(i: int) -> int | None:
        return outcome_ids[i % len(outcome_ids)] if outcome_ids else None

    for action, *args in steps:
        try:
            with frozen_at(now):
                if action in ("record_won", "record_lost"):
                    call = make_call(deal, now - timedelta(minutes=50))
                    now += timedelta(hours=1)  # the next call starts after this one
                    if action == "record_won":
                        data = OutcomeData(result="won", deal_value=Money(args[0], "EUR"))
                    else:
                        data = OutcomeData(result="lost", lost_reason="price")
                    outcome_ids.append(
                        service.record_outcome(db.session, deal.closer, call.id, data, now=clock.utcnow()).id
                    )
                elif action == "correct" and pick(args[0]):
                    amount = args[1]
                    data = (
                        OutcomeData(result="won", deal_value=Money(amount, "EUR"))
                        if amount
                        else OutcomeData(result="lost", lost_reason="timing")
                    )
                    service.correct_outcome(db.session, deal.closer, pick(args[0]), data, now=clock.utcnow())
                elif action == "confirm" and pick(args[0]):
                    settlement.confirm(db.session, deal.owner, pick(args[0]), now=clock.utcnow())
                elif action == "dispute" and pick(args[0]):
                    settlement.dispute(db.session, deal.owner, pick(args[0]), "We disagree", now=clock.utcnow())
                elif action == "resolve" and pick(args[0]):
                    how, amount = args[1], args[2]
                    settlement.resolve_dispute(
                        db.session,
                        admin_user,
                        pick(args[0]),
                        note="Decided",
                        void=how == "void",
                        deal_value=Money(amount, "EUR") if how == "adjust" else None,
                        now=clock.utcnow(),
                    )
                elif action == "wait":
                    now += timedelta(days=args[0])
                elif action == "auto_confirm":
                    settlement.auto_confirm_due(db.session, now)
                elif action == "release":
                    ledger.release_available(db.session, now)
                elif action == "payout":
                    available = sum(b.available for b in ledger.balances(db.session, deal.closer.id))
                    if available > 0:
                        payouts += 1
                        ledger.record_payout(db.session, deal.closer.id, "EUR", available, payouts, now)
                        db.session.commit()
        except DomainError:
            db.session.rollback()  # a refused step changes nothing; the invariants must still hold
        check_invariants(deal.closer.id, outcome_ids)
