"""Helpers of the cash-collected tests: a deal on a cash_collected engagement, a won call with a plan, an oracle."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.clock import frozen_at
from closerhub.core.money import Money
from closerhub.engagements.models import CommissionBasis
from closerhub.extensions import db
from closerhub.outcomes import service
from closerhub.outcomes.commands import PlannedInstalment
from closerhub.outcomes.instalments import instalments_of
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.models_instalments import Instalment
from closerhub.payments.charges.models import Charge
from closerhub.payments.ledger.models import Bucket, LedgerEntry
from tests.integration.outcome_support import CALL_AT, Deal, make_call, make_deal

# 3 × €333.35 = €1,000.05: per-part rounding at 15 % would lose a cent (3 × 50.0025 → 3 × 50.00).
PART = Money(33_335, "EUR")
PLAN = (
    PlannedInstalment(date(2026, 12, 15), PART),
    PlannedInstalment(date(2027, 1, 15), PART),
    PlannedInstalment(date(2027, 2, 15), PART),
)


def cash_deal(make_user, rate_bps: int = 1500, **parties: User) -> Deal:
    """A deal whose engagement pays commission on cash collected (``owner=``, ``closer=`` as ``make_deal``)."""
    deal = make_deal(make_user, rate_bps=rate_bps, **parties)
    deal.engagement.commission_basis = CommissionBasis.CASH_COLLECTED
    db.session.commit()
    return deal


def won_with_plan(
    deal: Deal, plan: tuple[PlannedInstalment, ...] | None = PLAN, starts_at: datetime = CALL_AT
) -> Outcome:
    """The closer records a won deal of the plan's total (€1,000.05 by default) with ``plan``."""
    call = make_call(deal, starts_at)
    value = Money(sum(line.amount.amount for line in plan), "EUR") if plan else Money(100_005, "EUR")
    data = service.OutcomeData(result="won", deal_value=value, payment_plan=plan)
    with frozen_at(call.starts_at + timedelta(minutes=50)):
        return service.record_outcome(db.session, deal.closer, call.id, data, now=clock.utcnow())


def half_up(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def oracle(net_collected_cents: int, rate_bps: int = 1500, fee_bps: int = 1000) -> tuple[int, int]:
    """The commission and fee on the net collected total, in Decimal euros, half-up once: in cents."""
    commission = half_up(Decimal(net_collected_cents) / 100 * Decimal(rate_bps) / 10_000)
    fee = half_up(commission * Decimal(fee_bps) / 10_000)
    return int(commission * 100), int(fee * 100)


def ledger_total(outcome_id: int, bucket: Bucket | None = None) -> int:
    stmt = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.outcome_id == outcome_id)
    if bucket is not None:
        stmt = stmt.where(LedgerEntry.bucket == bucket)
    return int(db.session.scalar(stmt))


def charges_of(outcome_id: int) -> list[Charge]:
    db.session.expire_all()
    return list(db.session.scalars(select(Charge).where(Charge.outcome_id == outcome_id).order_by(Charge.id)))


def plan_of(outcome_id: int) -> list[Instalment]:
    db.session.expire_all()
    return instalments_of(db.session, outcome_id)
