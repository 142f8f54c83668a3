"""Money read for analytics: platform fees by week, open disputes, a closer's earnings by week."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.analytics.queries import Week, _in_range, _int, _week_of
from closerhub.businesses.models import Business
from closerhub.outcomes.models import Outcome, OutcomeStatus
from closerhub.payments.charges.models import PAID_STATUSES, Charge
from closerhub.payments.ledger.models import Bucket, LedgerEntry

# --- money: revenue closed, commissions owed and paid, platform fees ----------------------


@dataclass(frozen=True)
class Fees:
    """What businesses paid the platform in one currency over the period (net of refunds in ``refunded``)."""

    currency: str
    charges: int
    commission: int
    fees: int
    refunded: int


def platform_fees(session: Session, weeks: Sequence[Week]) -> list[Fees]:
    """Paid charges per currency, by the time they were paid (admins): commission, platform fees, refunds."""
    c = Charge
    stmt = (
        select(
            c.currency, func.count(c.id), func.sum(c.commission), func.sum(c.platform_fee), func.sum(c.refunded_amount)
        )
        .where(c.status.in_(PAID_STATUSES), c.paid_at.is_not(None), _in_range(c.paid_at, weeks))
        .group_by(c.currency)
        .order_by(c.currency)
    )
    return [Fees(str(cur), int(n), _int(com), _int(fee), _int(ref)) for cur, n, com, fee, ref in session.execute(stmt)]


@dataclass(frozen=True)
class Dispute:
    """One open dispute, for the admin's list."""

    outcome_id: int
    business: str
    closer: str
    currency: str | None
    deal_amount: int | None
    disputed_at: datetime | None
    reason: str


def open_disputes(session: Session, limit: int = 100) -> tuple[int, list[Dispute]]:
    """How many outcomes are disputed right now, and the oldest ``limit`` of them (admins)."""
    count = session.scalar(select(func.count(Outcome.id)).where(Outcome.status == OutcomeStatus.DISPUTED)) or 0
    stmt = (
        select(
            Outcome.id,
            Business.name,
            User.name,
            Outcome.deal_currency,
            Outcome.deal_amount,
            Outcome.disputed_at,
            Outcome.dispute_reason,
        )
        .join(Business, Business.id == Outcome.business_id)
        .join(User, User.id == Outcome.closer_id)
        .where(Outcome.status == OutcomeStatus.DISPUTED)
        .order_by(Outcome.disputed_at, Outcome.id)
        .limit(limit)
    )
    return int(count), [Dispute(*row[:6], reason=row[6] or "") for row in session.execute(stmt)]  # type: ignore[misc]


# --- a closer's earnings by week --------------------------------------------------------


@dataclass
class EarningsWeek:
    """One week of one currency: the net earned in the week, and each bucket's balance at its end."""

    week: Week
    earned: int = 0
    balances: dict[Bucket, int] = field(default_factory=lambda: {b: 0 for b in Bucket})

    @property
    def pending(self) -> int:
        return self.balances[Bucket.PENDING]

    @property
    def available(self) -> int:
        return self.balances[Bucket.AVAILABLE]

    @property
    def paid(self) -> int:
        return self.balances[Bucket.PAID]


def earnings_by_week(session: Session, closer_id: int, weeks: Sequence[Week]) -> dict[str, list[EarningsWeek]]:
    """Per currency, per week: net earnings of the week and the pending/available/paid balances at its end.

    Two grouped queries: the balances before the first week (per currency and bucket) and the
    movements of each week (per week, currency and bucket); the running balance is then
    carried over the few weekly sums. Releases and payouts move money between buckets, so
    they cancel out of ``earned``; reversals and adjustments count.
    """
    le = LedgerEntry
    opening = session.execute(
        select(le.currency, le.bucket, func.sum(le.amount))
        .where(le.closer_id == closer_id, le.created_at < weeks[0].start)
        .group_by(le.currency, le.bucket)
    )
    moves = select(_week_of(le.created_at, weeks).label("week"), le.currency, le.bucket, le.amount).where(
        le.closer_id == closer_id, _in_range(le.created_at, weeks)
    )
    sub = moves.subquery()
    flows = session.execute(
        select(sub.c.week, sub.c.currency, sub.c.bucket, func.sum(sub.c.amount)).group_by(
            sub.c.week, sub.c.currency, sub.c.bucket
        )
    )
    start: dict[str, dict[Bucket, int]] = {}
    for currency, bucket, amount in opening:
        start.setdefault(currency, {b: 0 for b in Bucket})[Bucket(bucket)] = _int(amount)
    moved: dict[tuple[str, int], dict[Bucket, int]] = {}
    for week, currency, bucket, amount in flows:
        start.setdefault(currency, {b: 0 for b in Bucket})
        moved.setdefault((currency, int(week)), {b: 0 for b in Bucket})[Bucket(bucket)] = _int(amount)
    result: dict[str, list[EarningsWeek]] = {}
    for currency in sorted(start):
        running = dict(start[currency])
        series = []
        for w in weeks:
            delta = moved.get((currency, w.index), {})
            for bucket, amount in delta.items():
                running[bucket] += amount
            series.append(EarningsWeek(w, sum(delta.values()), dict(running)))
        result[currency] = series
    return result
