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
from closerhub.outcomes.models_instalments import Instalment
from closerhub.payments.charges.instalments import instalment_position
from closerhub.payments.charges.models import Charge
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry


def _ledger_entry(
    outcome: Outcome,
    bucket: Bucket,
    amount: int,
    kind: EntryKind,
    memo: Memo,
    now: datetime,
    instalment_id: int | None = None,
) -> LedgerEntry:
    assert outcome.deal_currency is not None
    return LedgerEntry(
        closer_id=outcome.closer_id,
        currency=outcome.deal_currency,
        bucket=bucket,
        amount=amount,
        kind=kind,
        outcome_id=outcome.id,
        instalment_id=instalment_id,
        created_at=now,
        **memo.columns(),
    )


def _position(session: Session, outcome: Outcome, instalment_id: int | None) -> dict[Bucket, int]:
    """Where the commission sits: the outcome's, or one instalment's (its own hold) on cash collected."""
    if instalment_id is None:
        return ledger.outcome_position(session, outcome.id)
    return instalment_position(session, instalment_id)


def clawback(
    session: Session, outcome: Outcome, amount: int, reason: Memo, now: datetime, *, instalment_id: int | None = None
) -> int:
    """Take up to ``amount`` of the outcome's commission back from the closer; returns what was taken.

    Pending first (not yet released), then available. If the commission was already paid
    out, available goes negative: the charge webhooks then call
    ``payout_events.clawback_paid_commission`` to reverse the transfer where Stripe allows it;
    what remains negative is netted off by the next payout. The caller commits. ``instalment_id``: the
    charge was for one collected instalment (cash collected): its entries, and its hold, are the ones touched.
    """
    if amount <= 0:
        return 0
    position = _position(session, outcome, instalment_id)
    taken = 0
    for bucket in (Bucket.PENDING, Bucket.AVAILABLE):
        part = min(amount - taken, max(position[bucket], 0))
        if part > 0:
            session.add(_ledger_entry(outcome, bucket, -part, EntryKind.REVERSAL, reason, now, instalment_id))
            taken += part
    return taken


def restore(
    session: Session,
    outcome: Outcome,
    amount: int,
    reason: Memo,
    now: datetime,
    *,
    instalment: Instalment | None = None,
) -> None:
    """Give back commission a clawback took (a dispute won): into available once released, else pending."""
    if amount > 0:
        released = (instalment.released_at if instalment is not None else outcome.released_at) is not None
        bucket = Bucket.AVAILABLE if released else Bucket.PENDING
        instalment_id = instalment.id if instalment is not None else None
        session.add(_ledger_entry(outcome, bucket, amount, EntryKind.ADJUSTMENT, reason, now, instalment_id))


def unaccrue(session: Session, charge: Charge, commission: int, fee: int) -> None:
    """Money of an instalment's charge went back to the business (a Stripe or manual refund, a chargeback).

    That instalment's accrued totals drop by the commission taken back and the fee returned (negative
    amounts: a dispute won puts them back), so the plan's next accrual by running total
    (``core.commission.accrue``) starts from what the closer and the platform still hold. A
    contract-value charge has no instalment: nothing to do.
    """
    if charge.instalment_id is None or not (commission or fee):
        return
    instalment = session.get(Instalment, charge.instalment_id)
    if instalment is not None:
        instalment.commission_accrued -= commission
        instalment.fee_accrued -= fee


def fee_still_held(charge: Charge, dispute_clawback: int = 0) -> int:
    """The platform fee of a charge not yet returned to the business (refunds return their fee share)."""
    returned_commission = charge.clawed_back - dispute_clawback
    return max(charge.platform_fee - max(charge.refunded_amount - returned_commission, 0), 0)


def refund_share(charge: Charge, refunded: int) -> int:
    """The commission matching ``refunded`` of the charge's total, rounded half-up (all of it for a full refund)."""
    refunded = min(max(refunded, 0), charge.amount)
    return (2 * charge.commission * refunded + charge.amount) // (2 * charge.amount)
