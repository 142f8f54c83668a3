"""Seeds of the statement-count cases for commission on cash collected: cash deals, a long plan, miss disputes."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from closerhub.engagements.models import CommissionBasis
from closerhub.extensions import db
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.outcomes.models_instalments import Instalment, InstalmentStatus
from tests.integration.statement_seeds import NOW, Scene, seed_outcomes


def _instalment(outcome_id: int, position: int, status: InstalmentStatus, **extra: object) -> Instalment:
    return Instalment(
        outcome_id=outcome_id,
        position=position,
        due_on=date(2027, 1, 1) + timedelta(days=30 * position),
        amount=160000,
        currency="EUR",
        status=status,
        collected_on=date(2026, 12, 20) if status == InstalmentStatus.COLLECTED else None,
        commission_accrued=24000 if status == InstalmentStatus.COLLECTED else 0,
        created_at=NOW,
        updated_at=NOW,
        **extra,
    )


def seed_cash_deals(s: Scene, start: int, n: int) -> None:
    """``n`` confirmed cash-collected won deals, each of 3 instalments (one collected, one missed, one due)."""
    for outcome in seed_outcomes(s, start, n):
        outcome.status = OutcomeStatus.CONFIRMED
        outcome.commission_basis = CommissionBasis.CASH_COLLECTED
        for position, status in enumerate(
            (InstalmentStatus.COLLECTED, InstalmentStatus.MISSED, InstalmentStatus.DUE), start=1
        ):
            db.session.add(_instalment(outcome.id, position, status))
    db.session.commit()


def seed_long_plan(s: Scene, start: int, n: int) -> None:
    """``n`` more instalments on the plan of outcome 1 (a won deal the business confirmed)."""
    if start == 0:
        (outcome,) = seed_outcomes(s, 0, 1)
        outcome.status = OutcomeStatus.CONFIRMED
    outcome_id = db.session.scalar(select(Outcome.id).order_by(Outcome.id).limit(1))
    for position in range(start + 1, start + n + 1):
        db.session.add(_instalment(outcome_id, position, InstalmentStatus.DUE))
    db.session.commit()


def seed_miss_disputes(s: Scene, start: int, n: int) -> None:
    """``n`` won deals, each with a missed instalment the closer disputes."""
    for outcome in seed_outcomes(s, start, n):
        outcome.status = OutcomeStatus.CONFIRMED
        db.session.add(
            _instalment(
                outcome.id, 1, InstalmentStatus.MISSED, miss_disputed_at=NOW, miss_dispute_reason="Paid by transfer."
            )
        )
    db.session.commit()
