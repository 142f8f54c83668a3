"""Outcomes publish their money events; payments subscribes (``payments.outcome_events``).

A failing handler rolls the outcome's use case back; what a handler queues for after the commit
runs only once the publisher has committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub import clock, events
from closerhub.audit.models import AuditEntry
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes import events as outcome_events
from closerhub.outcomes import service, settlement
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.outcomes.service import OutcomeData
from closerhub.payments import outcome_events as payments_on_outcomes
from closerhub.payments.charges import queries as charge_queries
from closerhub.payments.charges.models import Charge
from closerhub.payments.ledger.models import LedgerEntry
from tests.integration.outcome_support import AFTER_CALL, make_call, make_deal

WON_4800 = OutcomeData(result="won", deal_value=Money(480000, "EUR"), objections=("price",), technique="summary")


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _add_handler(app: Flask, monkeypatch: pytest.MonkeyPatch, event_type: type, handler: Any) -> None:
    registry = app.extensions["closerhub.events"]
    monkeypatch.setitem(registry, event_type, [*registry.get(event_type, []), handler])


@pytest.fixture
def recorded(make_user: Any) -> tuple[Any, Outcome]:
    deal = make_deal(make_user)
    call = make_call(deal)
    with frozen_at(AFTER_CALL):
        outcome = service.record_outcome(db.session, deal.closer, call.id, WON_4800, now=clock.utcnow())
    return deal, outcome


def test_payments_subscribes_to_every_outcome_money_event(app: Flask) -> None:
    assert events.handlers_for(outcome_events.CommissionEarned) == [payments_on_outcomes.on_commission_earned]
    assert events.handlers_for(outcome_events.CommissionRestated) == [payments_on_outcomes.on_commission_restated]
    assert events.handlers_for(outcome_events.CommissionReversed) == [payments_on_outcomes.on_commission_reversed]
    assert events.handlers_for(outcome_events.CommissionOwed) == [payments_on_outcomes.on_commission_owed]
    assert events.handlers_for(outcome_events.InstalmentCollected) == [payments_on_outcomes.on_instalment_collected]
    assert events.handlers_for(outcome_events.InstalmentRefunded) == [payments_on_outcomes.on_instalment_refunded]


def test_recording_a_won_deal_earns_through_the_ledger_handler(recorded: tuple[Any, Outcome]) -> None:
    _deal, outcome = recorded
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.outcome_id == outcome.id))
    assert entry is not None and entry.amount == 72000  # 15 % of 4,800.00 EUR, pending


def test_a_failing_handler_rolls_the_confirmation_back(
    app: Flask, monkeypatch: pytest.MonkeyPatch, recorded: tuple[Any, Outcome]
) -> None:
    deal, outcome = recorded
    outcome_id = outcome.id
    audit_rows, emails = _count(AuditEntry), _count(OutboxMessage)

    def fail(session: Session, event: outcome_events.CommissionOwed) -> None:
        session.flush()
        assert charge_queries.charge_of(session, event.outcome.id) is not None  # payments' handler billed first
        raise RuntimeError("the books are closed")

    _add_handler(app, monkeypatch, outcome_events.CommissionOwed, fail)
    with frozen_at(AFTER_CALL + timedelta(days=1)), pytest.raises(RuntimeError, match="the books are closed"):
        settlement.confirm(db.session, deal.owner, outcome_id, now=clock.utcnow())
    assert _count(Charge) == 0  # publish rolled the session back
    db.session.remove()
    assert db.session.get(Outcome, outcome_id).status == OutcomeStatus.RECORDED  # type: ignore[union-attr]
    assert _count(Charge) == 0
    assert (_count(AuditEntry), _count(OutboxMessage)) == (audit_rows, emails)


@dataclass(frozen=True)
class _Saved:
    note: str


def test_after_commit_actions_run_once_the_publisher_commits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def queue(session: Session, event: _Saved) -> None:
        events.after_commit(session, lambda: ran.append(event.note))

    _add_handler(app, monkeypatch, _Saved, queue)
    events.publish(db.session, _Saved("refund the card"))
    assert ran == []
    events.commit(db.session)
    assert ran == ["refund the card"]
    events.commit(db.session)  # a later commit does not run it again
    assert ran == ["refund the card"]


def test_after_commit_actions_are_dropped_when_a_handler_fails(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def queue(session: Session, event: _Saved) -> None:
        events.after_commit(session, lambda: ran.append(event.note))

    def fail(session: Session, event: _Saved) -> None:
        raise RuntimeError("no")

    _add_handler(app, monkeypatch, _Saved, queue)
    _add_handler(app, monkeypatch, _Saved, fail)
    with pytest.raises(RuntimeError):
        events.publish(db.session, _Saved("refund the card"))
    events.commit(db.session)
    assert ran == []
