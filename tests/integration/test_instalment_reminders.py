"""The worker asks the business once when an instalment falls due and once when it is overdue, never twice,
never for a plan the business cannot mark yet, and never after it was marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from closerhub import clock, jobs
from closerhub.clock import frozen_at
from closerhub.extensions import db
from closerhub.notifications.models import OutboxMessage
from closerhub.outcomes import instalments, settlement
from closerhub.outcomes.instalment_reminders import ask_due_instalments, remind_overdue_instalments
from tests.integration.charges_support import CONFIRMED_AT
from tests.integration.instalment_support import cash_deal, plan_of, won_with_plan

FIRST_DUE = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)  # the plan's first due date, 09:00 UTC


def notices() -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "instalment_notice").order_by(OutboxMessage.id)
    )
    return [(m.to_address, m.subject) for m in rows]


def test_each_instalment_is_asked_about_once_when_due_and_once_when_overdue(app, make_user) -> None:
    deal = cash_deal(make_user)
    outcome = won_with_plan(deal)
    assert ask_due_instalments(db.session, FIRST_DUE) == 0  # not confirmed: the business cannot mark it yet
    with frozen_at(CONFIRMED_AT):
        settlement.confirm(db.session, deal.owner, outcome.id, now=clock.utcnow())
    assert ask_due_instalments(db.session, FIRST_DUE - timedelta(days=1)) == 0  # not due yet
    assert ask_due_instalments(db.session, FIRST_DUE) == 1
    assert ask_due_instalments(db.session, FIRST_DUE + timedelta(hours=1)) == 0  # once
    assert notices() == [(deal.owner.email, "Instalment 1 of Paula Prospect is due: mark it collected or missed")]
    assert remind_overdue_instalments(db.session, FIRST_DUE + timedelta(days=6)) == 0
    assert remind_overdue_instalments(db.session, FIRST_DUE + timedelta(days=7)) == 1
    assert remind_overdue_instalments(db.session, FIRST_DUE + timedelta(days=8)) == 0
    assert notices()[-1][1] == "Overdue: was instalment 1 of Paula Prospect paid?"
    # Marked collected: the next due date asks about the second one only, and never about the first again.
    first = plan_of(outcome.id)[0]
    with frozen_at(FIRST_DUE + timedelta(days=8)):
        instalments.collect(db.session, deal.owner, first.id, FIRST_DUE.date(), now=clock.utcnow())
    with frozen_at(datetime(2027, 1, 15, 10, 0, tzinfo=UTC)):
        assert jobs.ask_instalments(app) == 1  # the worker's job: the second instalment's due ask
    assert len(notices()) == 3
