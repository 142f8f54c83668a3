"""Clawbacks: a refund or a dispute on a business's charge takes the closer's commission back.

``clawback`` is the one entry point (the charge webhooks call it; the payouts work extends it
with a Transfer Reversal when the commission was already paid out). ``restore`` gives back
what a dispute took when the business's bank decides for us. Both add ledger entries to the
caller's session and never commit; the ledger stays append-only (a reversal is a new entry).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.outcomes.models import Outcome
from closerhub.payments import ledger
from closerhub.payments.memos import Memo
from closerhub.payments.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.models_charges import Charge


def _ledger_entry(
    outcome: Outcome, bucket: Bucket, amount: int, kind: EntryKind, memo: Memo, now: datetime
) -> LedgerEntry:
    assert outcome.deal_currency is not None
    return LedgerEntry(
        closer_id=outcome.closer_id,
        currency=outcome.deal_currency,
        bucket=bucket,
        amount=amount,
        kind=kind,
        outcome_id=outcome.id,
        created_at=now,
        **memo.columns(),
    )


def clawback(session: Session, outcome: Outcome, amount: int, reason: Memo, now: datetime) -> int:
    """Take up to ``amount`` of the outcome's commission back from the closer; returns what was taken.

    Pending first (not yet released), then available. If the commission was already paid
    out, available goes negative: the charge webhooks then call
    ``payout_events.clawback_paid_commission`` to reverse the transfer where Stripe allows it;
    what remains negative is netted off by the next payout. The caller commits.
    """
    if amount <= 0:
        return 0
    position = ledger.outcome_position(session, outcome.id)
    taken = 0
    for bucket in (Bucket.PENDING, Bucket.AVAILABLE):
        part = min(amount - taken, max(position[bucket], 0))
        if part > 0:
            session.add(_ledger_entry(outcome, bucket, -part, EntryKind.REVERSAL, reason, now))
            taken += part
    return taken


def restore(session: Session, outcome: Outcome, amount: int, reason: Memo, now: datetime) -> None:
    """Give back commission a clawback took (a dispute won): into available once released, else pending."""
    if amount > 0:
        bucket = Bucket.AVAILABLE if outcome.released_at is not None else Bucket.PENDING
        session.add(_ledger_entry(outcome, bucket, amount, EntryKind.ADJUSTMENT, reason, now))


def refund_share(charge: Charge, refunded: int) -> int:
    """The commission matching ``refunded`` of the charge's total, rounded half-up (all of it for a full refund)."""
    refunded = min(max(refunded, 0), charge.amount)
    return (2 * charge.commission * refunded + charge.amount) // (2 * charge.amount)
