"""Money of a cash-collected outcome: each collection or refund of an instalment accrues by running total.

``accrue_collection`` and ``accrue_refund`` run inside the instalment service's unit of work:
they compute the accrual with ``core.commission.accrue`` over the outcome's net collected
total, write the closer's ledger entries (tagged with the instalment, so each accrual has its
own clawback hold), and bill the business (a charge per collected instalment) or credit it
back (a refund). ``release_instalments`` is the worker's job moving each paid-for instalment's
pending commission to available once its hold has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from closerhub.audit.service import record as audit
from closerhub.core.commission import Accrual, accrue
from closerhub.outcomes.models_instalments import Instalment
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import PAID_STATUSES, Charge, ChargeStatus
from closerhub.payments.ledger import service as ledger
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.ledger.models import Bucket, EntryKind, LedgerEntry
from closerhub.payments.payouts.events import clawback_paid_commission
from closerhub.payments.stripe.gateway import get_gateway
from closerhub.payments.stripe.results import GatewayError


def _entry(
    instalment: Instalment, bucket: Bucket, amount: int, kind: EntryKind, memo: Memo, now: datetime
) -> LedgerEntry:
    outcome = instalment.outcome
    return LedgerEntry(
        closer_id=outcome.closer_id,
        currency=instalment.currency,
        bucket=bucket,
        amount=amount,
        kind=kind,
        outcome_id=outcome.id,
        instalment_id=instalment.id,
        created_at=now,
        **memo.columns(),
    )


def instalment_position(session: Session, instalment_id: int) -> dict[Bucket, int]:
    """The net of one instalment's ledger entries per bucket (flushes first)."""
    session.flush()
    position = {bucket: 0 for bucket in Bucket}
    rows = session.execute(
        select(LedgerEntry.bucket, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.instalment_id == instalment_id)
        .group_by(LedgerEntry.bucket)
    )
    for bucket, total in rows:
        position[Bucket(bucket)] += int(total or 0)
    return position


def _accrual(session: Session, instalment: Instalment) -> Accrual:
    """The accrual that brings the outcome's accrued totals to its net collected total now."""
    session.flush()
    outcome = instalment.outcome
    plan = session.scalars(select(Instalment).where(Instalment.outcome_id == outcome.id)).all()
    assert outcome.rate_bps is not None
    result = accrue(
        sum(i.collected_net for i in plan),
        rate_bps=outcome.rate_bps,
        fee_bps=outcome.fee_bps or 0,
        commission_accrued=sum(i.commission_accrued for i in plan),
        fee_accrued=sum(i.fee_accrued for i in plan),
    )
    instalment.commission_accrued += result.commission
    instalment.fee_accrued += result.platform_fee
    return result


def accrue_collection(session: Session, instalment: Instalment, now: datetime) -> Accrual:
    """The instalment was collected: its commission enters pending and the business is billed for it.

    Call it last in the unit of work: in Stripe mode the charge commits before calling Stripe.
    An accrual of zero (a tiny instalment) bills nothing and starts the hold at once.
    """
    result = _accrual(session, instalment)
    outcome = instalment.outcome
    if result.commission:
        memo = Memo("instalment_commission", {"position": instalment.position, "outcome_id": outcome.id})
        session.add(_entry(instalment, Bucket.PENDING, result.commission, EntryKind.EARNED, memo, now))
    if result.business_total > 0:
        charges.charge_for_instalment(session, instalment, result.commission, result.platform_fee, now)
    else:
        ledger.mark_instalment_charged(session, instalment, now)
    return result


def accrue_refund(session: Session, instalment: Instalment, now: datetime) -> tuple[Accrual, list[Credit]]:
    """Part of the instalment was refunded to the customer: the commission and fee accrue negatively.

    The commission is taken back from the instalment's pending part first, then from available
    (paid-out money leaves available negative; ``clawback_paid_commission`` reverses the transfer
    where it can, the next payout nets off the rest). The business is credited the commission and
    fee on its charges of this outcome, this instalment's charge first; the card refunds to send
    once the caller has committed (``send_credits``) are returned with the accrual.
    """
    result = _accrual(session, instalment)
    outcome = instalment.outcome
    take = -result.commission
    if take > 0:
        memo = Memo("instalment_refund", {"position": instalment.position, "outcome_id": outcome.id})
        pending = max(instalment_position(session, instalment.id)[Bucket.PENDING], 0)
        from_pending = min(take, pending)
        if from_pending:
            session.add(_entry(instalment, Bucket.PENDING, -from_pending, EntryKind.REVERSAL, memo, now))
        if take - from_pending:
            session.add(_entry(instalment, Bucket.AVAILABLE, -(take - from_pending), EntryKind.REVERSAL, memo, now))
            clawback_paid_commission(session, outcome, take - from_pending, now)
    return result, _credit_business(session, instalment, result, now)


@dataclass(frozen=True)
class Credit:
    """Money to give back on a charge paid by card: a Stripe refund to send after the commit."""

    charge_id: int
    payment_intent_id: str
    amount: int
    idempotency_key: str  # from the row id and the returned total it brings the charge to: a retry re-sends it


def _credit_business(session: Session, instalment: Instalment, result: Accrual, now: datetime) -> list[Credit]:
    """Record the negative accrual as returned on the outcome's instalment charges, this instalment's first.

    ``refunded_amount`` grows by commission + fee; ``clawed_back`` by the commission part (a later
    Stripe refund or chargeback of the same charge then takes back only what is left).
    """
    credit, commission = -result.business_total, -result.commission
    credits: list[Credit] = []
    if credit <= 0:
        return credits
    rows = session.scalars(
        select(Charge)
        .where(Charge.outcome_id == instalment.outcome_id, Charge.instalment_id.is_not(None))
        .order_by(Charge.id.desc())
    ).all()
    rows = sorted(rows, key=lambda c: c.instalment_id != instalment.id)  # stable: this one, then newest first
    for charge in rows:
        part = min(credit, charge.amount - charge.refunded_amount)
        if part <= 0:
            continue
        commission_part = max(min(commission, charge.commission - charge.clawed_back, part), 0)
        if charge.status in REDUCIBLE_STATUSES:
            _reduce_open_charge(session, charge, part, commission_part, now)
            credit -= part
            commission -= commission_part
            if credit == 0:
                break
            continue
        charge.refunded_amount += part
        charge.clawed_back += commission_part
        if charge.status in PAID_STATUSES:
            full = charge.refunded_amount == charge.amount
            if charge.stripe_payment_intent_id and charge.status != ChargeStatus.DISPUTED:
                key = f"charge-{charge.id}-credit-{charge.refunded_amount}"
                credits.append(Credit(charge.id, charge.stripe_payment_intent_id, part, key))
            charge.status = ChargeStatus.REFUNDED if full else ChargeStatus.PARTIALLY_REFUNDED
        charge.updated_at = now
        credit -= part
        commission -= commission_part
        if credit == 0:
            break
    return credits


# Not paid yet and no attempt in flight: a credit lowers what is still to be charged.
# (``processing``: Stripe may be charging the old amount right now; the credit is recorded as returned.)
REDUCIBLE_STATUSES = (
    ChargeStatus.PENDING,
    ChargeStatus.FAILED,
    ChargeStatus.REQUIRES_ACTION,
    ChargeStatus.MANUAL_DUE,
)


def _reduce_open_charge(session: Session, charge: Charge, part: int, commission_part: int, now: datetime) -> None:
    """A credit on a charge not paid yet: it now bills only what is still due, or is cancelled (audited).

    The next attempt (the retry job, or the admin's manual payment) is for the reduced amount, under
    a key naming that amount (``Charge.idempotency_key``).
    """
    fee_part = min(part - commission_part, charge.platform_fee)
    commission_part = part - fee_part
    before = {"status": charge.status.value, "amount": charge.amount, "commission": charge.commission}
    if part >= charge.amount:
        charge.status = ChargeStatus.CANCELLED
        charge.refunded_amount = charge.amount  # nothing left to charge; the amounts say what was billed
        charge.next_attempt_at = None
        charge.failure_message = None
    else:
        charge.reduced_from = charge.reduced_from or charge.amount
        charge.amount -= part
        charge.commission -= commission_part
        charge.platform_fee -= fee_part
    charge.updated_at = now
    audit(
        session,
        actor=None,
        action="charge.cancelled" if charge.status == ChargeStatus.CANCELLED else "charge.reduced",
        obj=charge,
        before=before,
        after={
            "status": charge.status.value,
            "amount": charge.amount - charge.refunded_amount,
            "commission": charge.commission,
            "currency": charge.currency,
            "instalment_id": charge.instalment_id,
        },
        now=now,
    )


def send_credits(session: Session, credits: list[Credit]) -> None:
    """Refund the business's card for each credit (after the commit that recorded it; Stripe mode only).

    The charge's returned total already counts the credit, so Stripe's ``charge.refunded`` webhook
    that follows moves nothing more. A refused or unreachable call is logged on the charge
    (``last_error``) for the money desk; re-sending the same key later refunds once.
    """
    gateway = get_gateway()
    if not credits or not gateway.is_configured():
        return
    for credit in credits:
        try:
            gateway.create_refund(
                credit.payment_intent_id, idempotency_key=credit.idempotency_key, amount=credit.amount
            )
        except GatewayError as exc:
            charge = session.get(Charge, credit.charge_id)
            if charge is not None:
                charge.last_error = f"credit_refund_failed ({credit.idempotency_key}): {exc.code}: {exc.message}"[:2000]
                session.commit()


def release_instalments(session: Session, now: datetime) -> int:
    """Move each paid-for instalment's pending commission to available once its hold has passed.

    Claimed with a conditional UPDATE (``released_at IS NULL``): two workers or a second run
    release it once. Commits once; returns how many were released.
    """
    due = list(
        session.scalars(
            select(Instalment.id).where(
                Instalment.released_at.is_(None),
                Instalment.release_after.is_not(None),
                Instalment.release_after <= now,
            )
        )
    )
    released = 0
    for instalment_id in due:
        claimed = session.execute(
            update(Instalment)
            .where(Instalment.id == instalment_id, Instalment.released_at.is_(None))
            .values(released_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        instalment = session.get(Instalment, instalment_id)
        assert instalment is not None
        pending = instalment_position(session, instalment_id)[Bucket.PENDING]
        if pending > 0:
            memo = Memo("instalment_released", {"position": instalment.position, "outcome_id": instalment.outcome_id})
            session.add(_entry(instalment, Bucket.PENDING, -pending, EntryKind.RELEASED, memo, now))
            session.add(_entry(instalment, Bucket.AVAILABLE, pending, EntryKind.RELEASED, memo, now))
        audit(
            session,
            actor=None,
            action="ledger.released",
            obj=instalment.outcome,
            before={"pending": pending, "instalment_id": instalment_id},
            after={"available": pending, "currency": instalment.currency, "released_at": now},
            now=now,
        )
        released += 1
    session.commit()
    return released
