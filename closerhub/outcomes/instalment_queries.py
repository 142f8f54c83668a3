"""Instalment lists: a closer's cash-collected deals with their plans (earnings page), the admin's miss disputes.

Bounded: a fixed number of statements whatever the number of rows (the statement-count tests say so).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.engagements.models import CommissionBasis
from closerhub.outcomes.instalments import expected_commission
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus, outcome_list_loads
from closerhub.outcomes.models_instalments import Instalment


def open_miss_disputes(session: Session) -> list[Instalment]:
    """Missed markings a closer disputes, oldest first (the admin desk lists them)."""
    return list(
        session.scalars(
            select(Instalment)
            .options(*outcome_list_loads(Instalment.outcome))
            .where(Instalment.miss_disputed_at.is_not(None), Instalment.miss_dispute_resolved_at.is_(None))
            .order_by(Instalment.miss_disputed_at)
            .limit(200)
        ).unique()
    )


@dataclass(frozen=True)
class CashDeal:
    """A closer's won deal on cash collected: its plan, what it earned so far and what the due instalments would add."""

    outcome: Outcome
    plan: list[Instalment]
    earned: int
    expected: int


def cash_deals_of(session: Session, closer_id: int, limit: int) -> list[CashDeal]:
    """The closer's latest cash-collected won deals with their plans: two statements whatever their number."""
    outcomes = list(
        session.scalars(
            select(Outcome)
            .options(*outcome_list_loads())
            .where(
                Outcome.closer_id == closer_id,
                Outcome.result == OutcomeResult.WON,
                Outcome.commission_basis == CommissionBasis.CASH_COLLECTED,
                Outcome.status != OutcomeStatus.VOIDED,
            )
            .order_by(Outcome.recorded_at.desc(), Outcome.id.desc())
            .limit(limit)
        ).unique()
    )
    plans: dict[int, list[Instalment]] = {o.id: [] for o in outcomes}
    if outcomes:
        rows = session.scalars(select(Instalment).where(Instalment.outcome_id.in_(plans)).order_by(Instalment.position))
        for row in rows:
            plans[row.outcome_id].append(row)
    return [
        CashDeal(o, plans[o.id], sum(i.commission_accrued for i in plans[o.id]), expected_commission(o, plans[o.id]))
        for o in outcomes
    ]
