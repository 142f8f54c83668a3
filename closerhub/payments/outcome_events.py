"""What payments does when an outcome's money changes (the handlers of ``outcomes.events``).

Registered at app creation (``closerhub.create_app``); each runs in the outcome use case's
transaction (``closerhub.events``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from closerhub import events
from closerhub.outcomes.events import (
    CommissionEarned,
    CommissionOwed,
    CommissionRestated,
    CommissionReversed,
    InstalmentCollected,
    InstalmentRefunded,
)
from closerhub.payments.charges import instalments as instalment_money
from closerhub.payments.charges import service as charges
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.memos import Memo


def on_commission_earned(session: Session, event: CommissionEarned) -> None:
    ledger.record_earned(session, event.outcome, event.now)


def on_commission_restated(session: Session, event: CommissionRestated) -> None:
    ledger.restate(session, event.outcome, event.now, Memo(event.reason, {"outcome_id": event.outcome.id}))


def on_commission_reversed(session: Session, event: CommissionReversed) -> None:
    ledger.reverse_outcome(session, event.outcome, event.now, Memo(event.reason, {"outcome_id": event.outcome.id}))


def on_commission_owed(session: Session, event: CommissionOwed) -> None:
    charges.charge_for_outcome(session, event.outcome, event.now)


def on_instalment_collected(session: Session, event: InstalmentCollected) -> None:
    instalment_money.accrue_collection(session, event.instalment, event.now)


def on_instalment_refunded(session: Session, event: InstalmentRefunded) -> None:
    _accrual, credits = instalment_money.accrue_refund(session, event.instalment, event.now)
    if credits:  # Stripe mode: the card refunds, outside the transaction
        events.after_commit(session, lambda: instalment_money.send_credits(session, credits))
