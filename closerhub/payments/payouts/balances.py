"""The ledger side of payouts: a writing transaction, a closer's available balance, money returned to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub.payments.ledger.memos import Memo
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.payouts.models import (
    Payout,
)


def begin_write(session: Session) -> str:
    """End any open transaction and start a writing one (SQLite: ``BEGIN IMMEDIATE``). Returns the dialect name."""
    session.commit()  # a read transaction left open would hold a stale snapshot (and, on SQLite, cannot write)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.connection(execution_options={"sqlite_immediate": True})
    return dialect


def available_balance(session: Session, closer_id: int, currency: str) -> int:
    """The closer's available balance in ``currency`` as committed now."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.closer_id == closer_id, LedgerEntry.currency == currency, LedgerEntry.bucket == Bucket.AVAILABLE
        )
    )
    return int(total or 0)


def return_to_available(
    session: Session, payout: Payout, amount: int, memo: Memo, now: datetime, outcome_id: int | None = None
) -> None:
    """The reverse of a payout's ledger movement, for ``amount``: paid −x, available +x (the caller commits)."""
    for bucket, signed in ((Bucket.PAID, -amount), (Bucket.AVAILABLE, amount)):
        session.add(
            LedgerEntry(
                closer_id=payout.closer_id,
                currency=payout.currency,
                bucket=bucket,
                amount=signed,
                kind=EntryKind.REVERSAL,
                outcome_id=outcome_id,
                payout_id=payout.id,
                created_at=now,
                **memo.columns(),
            )
        )
