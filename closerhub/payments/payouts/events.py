"""After a payout: Stripe's ``transfer.reversed`` and ``payout.failed`` webhooks, and clawbacks of paid commissions.

Reversals are counted per payout in ``Payout.amount_reversed`` (the total Stripe has taken
back from that transfer). A ``transfer.reversed`` event carries the transfer's cumulative
``amount_reversed``, so the ledger follows the difference only: a replay, an out-of-order
delivery or the event of our own clawback (already counted) changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.core.money import Money, format_money
from closerhub.outcomes.models import Outcome
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.payouts.balances import available_balance, return_to_available
from closerhub.payments.payouts.emails import tell_bank_payout_failed
from closerhub.payments.payouts.models import NoticeKind, Payout, PayoutNotice, PayoutStatus
from closerhub.payments.stripe.gateway import Gateway, get_gateway
from closerhub.payments.stripe.models import ConnectAccount
from closerhub.payments.stripe.results import GatewayError, WebhookEvent
from closerhub.payments.stripe.webhooks import handles

log = logging.getLogger(__name__)


def _count_reversed(
    session: Session, payout: Payout, total: int, now: datetime, memo: Memo, outcome_id: int | None
) -> int:
    """Bring the payout's reversed total up to ``total``: the difference goes paid → available. Returns it."""
    total = min(max(total, 0), payout.amount)
    delta = total - payout.amount_reversed
    if delta <= 0:
        return 0  # already counted (a replay, an older event, or our own clawback)
    return_to_available(session, payout, delta, memo, now, outcome_id=outcome_id)
    payout.amount_reversed = total
    if total >= payout.amount:
        payout.status = PayoutStatus.REVERSED
    return delta


def _payout_of_transfer(session: Session, transfer: dict[str, Any]) -> Payout | None:
    """Our payout of a transfer: by its id, else by the payout id we put in its metadata (locked for update)."""
    payout = session.scalar(select(Payout).where(Payout.stripe_transfer_id == transfer.get("id")).with_for_update())
    if payout is None:
        raw = str((transfer.get("metadata") or {}).get("closerhub_payout_id") or "")
        if raw.isdigit():
            payout = session.scalar(select(Payout).where(Payout.id == int(raw)).with_for_update())
    return payout


@handles("transfer.reversed")
def on_transfer_reversed(session: Session, event: WebhookEvent, now: datetime) -> None:
    """A transfer was reversed (in part or in full): the reversed money is owed to the closer again (available)."""
    transfer = event.data_object
    payout = _payout_of_transfer(session, transfer)
    if payout is None:
        return  # not one of our payouts (a charge's transfer, another platform's object)
    if payout.status in (PayoutStatus.PENDING, PayoutStatus.SENDING) and transfer.get("id"):
        # Stripe made the transfer but our commit was lost: learn it here.
        payout.stripe_transfer_id = str(transfer["id"])
        payout.status = PayoutStatus.PAID
        payout.paid_at = payout.paid_at or now
        payout.error = None
    if payout.status not in (PayoutStatus.PAID, PayoutStatus.REVERSED):
        return
    memo = Memo("transfer_reversed", {"payout_id": payout.id})
    _count_reversed(session, payout, int(transfer.get("amount_reversed") or 0), now, memo, None)


@handles("payout.failed")
def on_bank_payout_failed(session: Session, event: WebhookEvent, now: datetime) -> None:
    """A connected account's payout to its bank failed: record it once, tell the closer and the admins.

    The money stays in the closer's Stripe balance (Stripe returns it there), so the ledger does not move.
    """
    account_id = event.payload.get("account")
    payout = event.data_object
    if not account_id or not payout.get("id"):
        return  # the platform's own bank payout: not a closer's
    account = session.scalar(select(ConnectAccount).where(ConnectAccount.stripe_account_id == account_id))
    if account is None:
        return
    reference = str(payout["id"])
    seen = session.scalar(
        select(PayoutNotice.id).where(
            PayoutNotice.closer_id == account.closer_id,
            PayoutNotice.kind == NoticeKind.BANK_PAYOUT_FAILED,
            PayoutNotice.reference == reference,
        )
    )
    if seen is not None:
        return
    currency = str(payout.get("currency") or "eur").upper()
    amount = int(payout.get("amount") or 0)
    details = {
        "amount": amount,
        "currency": currency,
        "amount_text": format_money(Money(amount, currency)),
        "failure_code": payout.get("failure_code"),
        "failure_message": payout.get("failure_message"),
    }
    session.add(
        PayoutNotice(
            closer_id=account.closer_id,
            kind=NoticeKind.BANK_PAYOUT_FAILED,
            reference=reference,
            details=details,
            created_at=now,
        )
    )
    closer = session.get(User, account.closer_id)
    if closer is not None:
        tell_bank_payout_failed(session, closer, details, now=now)


# ---------------------------------------------------------------------------
# Clawback of a commission that was already paid out
# ---------------------------------------------------------------------------


@dataclass
class ClawbackResult:
    """How a clawback was settled: taken back through Transfer Reversals, or carried as a negative balance."""

    reversed: int = 0
    carried: int = 0
    reversal_ids: list[str] = field(default_factory=list)


def _reversals_so_far(session: Session, payout_id: int, outcome_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(
                LedgerEntry.payout_id == payout_id,
                LedgerEntry.outcome_id == outcome_id,
                LedgerEntry.bucket == Bucket.PAID,
                LedgerEntry.kind == EntryKind.REVERSAL,
            )
        )
        or 0
    )


def clawback_paid_commission(
    session: Session, outcome: Outcome, amount: int, now: datetime, *, gateway: Gateway | None = None
) -> ClawbackResult:
    """Take back ``amount`` of ``outcome``'s commission that was already paid out. Does not commit.

    Call it in the same unit of work, AFTER ``ledger.reverse_outcome`` wrote the reversal (the
    closer's available balance is then negative by what was paid and is now owed back). Only
    that shortfall is clawed: money the closer still has available nets it off by itself. Where
    possible (Stripe mode, a paid transfer with room left) a Transfer Reversal takes it back, newest
    payout first, with the idempotency key ``payout-<id>-clawback-<outcome>-<n>`` (n counts this
    outcome's earlier clawbacks on that payout, so a retry of a rolled-back attempt sends the same
    key); the ledger moves paid → available by what Stripe reversed. Whatever cannot be reversed stays
    a negative available balance that the next payout nets off.
    """
    currency = outcome.deal_currency
    result = ClawbackResult()
    if amount <= 0 or currency is None:
        return result
    session.flush()
    shortfall = max(0, -available_balance(session, outcome.closer_id, currency))
    to_claw = min(amount, shortfall)
    gateway = gateway or get_gateway()
    if to_claw and gateway.is_configured():
        payouts = session.scalars(
            select(Payout)
            .where(
                Payout.closer_id == outcome.closer_id,
                Payout.currency == currency,
                Payout.status == PayoutStatus.PAID,
                Payout.stripe_transfer_id.is_not(None),
                Payout.amount_reversed < Payout.amount,
            )
            .order_by(Payout.id.desc())
            .with_for_update()  # a concurrent transfer.reversed event waits, then finds it counted
        ).all()
        for payout in payouts:
            if to_claw <= 0:
                break
            take = min(to_claw, payout.amount - payout.amount_reversed)
            seq = _reversals_so_far(session, payout.id, outcome.id) + 1
            try:
                reversal = gateway.create_transfer_reversal(
                    str(payout.stripe_transfer_id),
                    idempotency_key=f"payout-{payout.id}-clawback-{outcome.id}-{seq}",
                    amount=take,
                    metadata={"closerhub_payout_id": payout.id, "closerhub_outcome_id": outcome.id},
                )
            except GatewayError as exc:  # carried forward instead: the next payout nets it off
                log.warning("transfer reversal of payout %s for outcome %s failed: %s", payout.id, outcome.id, exc)
                break
            memo = Memo(
                "clawback_reversed", {"outcome_id": outcome.id, "payout_id": payout.id, "reversal": reversal.id}
            )
            counted = _count_reversed(session, payout, payout.amount_reversed + reversal.amount, now, memo, outcome.id)
            result.reversed += counted
            result.reversal_ids.append(reversal.id)
            to_claw -= counted
    result.carried = min(amount, shortfall) - result.reversed
    return result
