"""Ledger use cases: write the entries of each money event, release held commissions, read balances.

Functions here add entries to the caller's session and never commit: they run inside the
outcome service's unit of work (one commit per use case), except ``release_available``,
a worker job that commits once per run. Entries are never changed (the database refuses
an UPDATE or DELETE); every correction is a new entry.

Per outcome, the net of its entries in each bucket says where its commission sits, so a
reversal takes back exactly what is there: the pending part from ``pending``, the
released part from ``available`` (which may go negative once it has been paid out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from closerhub.audit.service import record as audit
from closerhub.outcomes.models import SETTLED_STATUSES, Outcome
from closerhub.outcomes.models_instalments import Instalment
from closerhub.outcomes.settings import setting
from closerhub.payments.charges.models import Charge
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry


@dataclass(frozen=True)
class Balance:
    """One closer's money in one currency, in minor units."""

    closer_id: int
    currency: str
    pending: int = 0
    available: int = 0
    paid: int = 0

    @property
    def total(self) -> int:
        """Everything earned net of reversals: pending + available + paid."""
        return self.pending + self.available + self.paid


def _entry(
    session: Session,
    outcome: Outcome,
    bucket: Bucket,
    amount: int,
    kind: EntryKind,
    memo: Memo,
    now: datetime,
    currency: str | None = None,
) -> LedgerEntry | None:
    """Add one entry of ``outcome`` (in ``currency``, by default the deal's); nothing for a zero amount."""
    currency = currency or outcome.deal_currency
    if amount == 0:
        return None
    assert currency is not None
    entry = LedgerEntry(
        closer_id=outcome.closer_id,
        currency=currency,
        bucket=bucket,
        amount=amount,
        kind=kind,
        outcome_id=outcome.id,
        created_at=now,
        **memo.columns(),
    )
    session.add(entry)
    return entry


def outcome_position(session: Session, outcome_id: int) -> dict[Bucket, int]:
    """The net of one outcome's entries per bucket (flushes first, so unflushed entries count)."""
    position = {bucket: 0 for bucket in Bucket}
    for (_currency, bucket), total in _positions(session, outcome_id).items():
        position[bucket] += total
    return position


def _positions(session: Session, outcome_id: int) -> dict[tuple[str, Bucket], int]:
    """The net of one outcome's entries per (currency, bucket): a correction may have changed its currency."""
    session.flush()
    rows = session.execute(
        select(LedgerEntry.currency, LedgerEntry.bucket, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.outcome_id == outcome_id)
        .group_by(LedgerEntry.currency, LedgerEntry.bucket)
    )
    return {(currency, Bucket(bucket)): int(total or 0) for currency, bucket, total in rows}


def record_earned(session: Session, outcome: Outcome, now: datetime, *, kind: EntryKind = EntryKind.EARNED) -> None:
    """A won outcome's commission enters ``pending`` (``kind`` ADJUSTMENT after a correction).

    Not on a cash-collected outcome: its commission accrues per collected instalment
    (``payments.instalment_money``).
    """
    if outcome.commission_amount and not outcome.on_cash_collected:
        memo = Memo("commission", {"outcome_id": outcome.id, "appointment_id": outcome.appointment_id})
        _entry(session, outcome, Bucket.PENDING, outcome.commission_amount, kind, memo, now)


def reverse_outcome(session: Session, outcome: Outcome, now: datetime, memo: Memo) -> int:
    """Take back everything the outcome has earned so far; returns the amount reversed.

    The pending part leaves ``pending``; the released part leaves ``available`` (even if it was
    paid out since: the closer's available balance then goes negative, and the next payout
    nets it off). The outcome's paid part is never touched: payouts are per closer.
    """
    reversed_total = 0
    for (currency, bucket), amount in sorted(_positions(session, outcome.id).items()):
        if amount and bucket in (Bucket.PENDING, Bucket.AVAILABLE):
            _entry(session, outcome, bucket, -amount, EntryKind.REVERSAL, memo, now, currency)
            reversed_total += amount
    return reversed_total


def restate(session: Session, outcome: Outcome, now: datetime, memo: Memo) -> None:
    """The outcome's commission changed (a correction or an admin's adjustment): reverse, then earn anew."""
    reverse_outcome(session, outcome, now, memo)
    if outcome.owes_commission:
        record_earned(session, outcome, now, kind=EntryKind.ADJUSTMENT)


def mark_charged(session: Session, outcome: Outcome, charged_at: datetime) -> None:
    """The business was charged for this outcome: its commission may be released after the clawback hold.

    The payments issue calls this when the charge succeeds. Until Stripe is wired in, the
    platform runs in manual mode: the outcome service calls it when the outcome is
    confirmed (or resolved), i.e. confirmation counts as the charge. Idempotent: the first
    charge time wins. The caller commits.
    """
    if outcome.charged_at is not None:
        return
    outcome.charged_at = charged_at
    outcome.release_after = charged_at + timedelta(days=setting("CLAWBACK_DAYS", session))


def mark_charge_paid(session: Session, charge: Charge, paid_at: datetime) -> None:
    """The business paid ``charge``: its outcome's (or its instalment's) clawback hold starts. The caller commits."""
    if charge.instalment_id is None:
        mark_charged(session, charge.outcome, paid_at)
        return
    instalment = session.get(Instalment, charge.instalment_id)
    assert instalment is not None
    mark_instalment_charged(session, instalment, paid_at)


def mark_instalment_charged(session: Session, instalment: Instalment, charged_at: datetime) -> None:
    """One instalment's accrual was paid for: it may be released after its own clawback hold (first time wins)."""
    if instalment.charged_at is not None:
        return
    instalment.charged_at = charged_at
    instalment.release_after = charged_at + timedelta(days=setting("CLAWBACK_DAYS", session))


def release_available(session: Session, now: datetime) -> int:
    """Move the commission of every charged outcome whose hold has passed from pending to available.

    Each outcome is claimed with a conditional UPDATE (``released_at IS NULL``), so two workers,
    or a job that runs twice, release it once. Commits once; returns how many were released.
    """
    due = list(
        session.scalars(
            select(Outcome.id).where(
                Outcome.released_at.is_(None),
                Outcome.release_after.is_not(None),
                Outcome.release_after <= now,
                Outcome.status.in_(SETTLED_STATUSES),
            )
        )
    )
    released = 0
    for outcome_id in due:
        claimed = session.execute(
            update(Outcome)
            .where(Outcome.id == outcome_id, Outcome.released_at.is_(None))
            .values(released_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker got it
        outcome = session.get(Outcome, outcome_id)
        assert outcome is not None
        pending = outcome_position(session, outcome_id)[Bucket.PENDING]
        if pending > 0:
            memo = Memo("released", {"outcome_id": outcome_id})
            _entry(session, outcome, Bucket.PENDING, -pending, EntryKind.RELEASED, memo, now)
            _entry(session, outcome, Bucket.AVAILABLE, pending, EntryKind.RELEASED, memo, now)
        # Money changing bucket is audited like any other money event (the job is the actor).
        audit(
            session,
            actor=None,
            action="ledger.released",
            obj=outcome,
            before={"pending": pending},
            after={"available": pending, "currency": outcome.deal_currency, "released_at": now},
            now=now,
        )
        released += 1
    session.commit()
    return released


def record_payout(session: Session, closer_id: int, currency: str, amount: int, payout_id: int, now: datetime) -> None:
    """A payout moved ``amount`` from available to paid: two entries (the payouts code calls it; the caller commits)."""
    if amount <= 0:
        raise ValueError("a payout moves a positive amount")
    memo = Memo("payout", {"payout_id": payout_id})
    for bucket, signed in ((Bucket.AVAILABLE, -amount), (Bucket.PAID, amount)):
        session.add(
            LedgerEntry(
                closer_id=closer_id,
                currency=currency,
                bucket=bucket,
                amount=signed,
                kind=EntryKind.PAID_OUT,
                payout_id=payout_id,
                created_at=now,
                **memo.columns(),
            )
        )


def balances(session: Session, closer_id: int | None = None) -> list[Balance]:
    """Balances per (closer, currency): one set-based query, ordered by closer and currency.

    ``SUM(amount) FILTER (bucket = …)`` per bucket, ``GROUP BY closer, currency``: the database
    pivots the buckets, so Python only wraps one row per (closer, currency). It reads the
    (closer_id, currency, bucket, amount) index alone on PostgreSQL (an index-only scan).
    ``closer_id`` restricts it to one closer; without it, every closer (admin figures, bench).
    """

    def bucket_sum(bucket: Bucket) -> Any:
        return func.coalesce(func.sum(case((LedgerEntry.bucket == bucket, LedgerEntry.amount), else_=0)), 0)

    stmt = select(
        LedgerEntry.closer_id,
        LedgerEntry.currency,
        bucket_sum(Bucket.PENDING),
        bucket_sum(Bucket.AVAILABLE),
        bucket_sum(Bucket.PAID),
    )
    if closer_id is not None:
        stmt = stmt.where(LedgerEntry.closer_id == closer_id)
    stmt = stmt.group_by(LedgerEntry.closer_id, LedgerEntry.currency).order_by(
        LedgerEntry.closer_id, LedgerEntry.currency
    )
    return [
        Balance(cid, currency, int(pending), int(available), int(paid))
        for cid, currency, pending, available, paid in session.execute(stmt)
    ]


def entries_query(closer_id: int | None = None, currency: str | None = None):
    """The select of ledger entries (newest last), optionally of one closer and currency."""
    stmt = select(LedgerEntry)
    if closer_id is not None:
        stmt = stmt.where(LedgerEntry.closer_id == closer_id)
    if currency is not None:
        stmt = stmt.where(LedgerEntry.currency == currency)
    return stmt.order_by(LedgerEntry.id)
