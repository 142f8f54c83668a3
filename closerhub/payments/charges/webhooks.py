"""Stripe events about charges: payment succeeded / failed, refunds, disputes.

Each handler runs inside the dispatcher's transaction (``payments.webhooks``), never commits,
and is idempotent and safe out of order: amounts are read as Stripe's running totals
(``amount_refunded``), a paid charge never moves back to unpaid, and an event about an
older attempt's PaymentIntent does not overwrite the current attempt.

A second PaymentIntent of an already paid charge succeeding (an earlier attempt the business
authenticated late, which the retry could not cancel) is a double charge: it is refunded at
once and logged and audited for the admins. A clawback of a commission that was already paid
out reverses the closer's transfer where Stripe allows it (``payout_events``), else the
closer's available balance stays negative and the next payout nets it off.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.audit.service import record as audit
from closerhub.outcomes.models_instalments import Instalment
from closerhub.payments.charges import service as charges
from closerhub.payments.charges.models import PAID_STATUSES, Charge, ChargeStatus
from closerhub.payments.charges.refunds import claw_returned
from closerhub.payments.ledger.clawbacks import clawback, fee_still_held, restore, unaccrue
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.payouts.events import clawback_paid_commission
from closerhub.payments.stripe.gateway import get_gateway
from closerhub.payments.stripe.results import WebhookEvent
from closerhub.payments.stripe.webhooks import handles

log = logging.getLogger(__name__)

MANUAL = (ChargeStatus.MANUAL_DUE, ChargeStatus.MANUAL_PAID)
DISPUTE_CLOSED = ("won", "lost", "warning_closed")


def _id(value: Any) -> str | None:
    """An expandable field's id (Stripe sends a string or the object)."""
    if value is None:
        return None
    return value if isinstance(value, str) else value.get("id")


def _charge_from_metadata(session: Session, obj: dict[str, Any]) -> Charge | None:
    raw = (obj.get("metadata") or {}).get("charge_id")
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
        return session.get(Charge, int(raw))
    return None


def _find(session: Session, *, pi: str | None = None, ch: str | None = None, obj: dict[str, Any]) -> Charge | None:
    """Our charge for a Stripe object: by charge id, PaymentIntent id, then our metadata."""
    if ch:
        found = session.scalar(select(Charge).where(Charge.stripe_charge_id == ch))
        if found is not None:
            return found
    if pi:
        found = session.scalar(select(Charge).where(Charge.stripe_payment_intent_id == pi))
        if found is not None:
            return found
    # An attempt whose PaymentIntent id we never recorded (a crash): our metadata names the charge.
    return _charge_from_metadata(session, obj)


@handles("payment_intent.succeeded")
def on_payment_intent_succeeded(session: Session, event: WebhookEvent, now: datetime) -> None:
    """The business paid (also repairs an attempt whose result we never recorded)."""
    pi = event.data_object
    charge = _find(session, pi=pi.get("id"), obj=pi)
    if charge is None or charge.status in MANUAL:
        return  # not ours
    if charge.status == ChargeStatus.CANCELLED:  # credited in full before it was paid: nothing was due
        _refund_duplicate(session, charge, pi, now)
        return
    if charge.status in PAID_STATUSES:
        if charge.stripe_payment_intent_id not in (None, pi.get("id")):
            _refund_duplicate(session, charge, pi, now)
        return  # a replay, or already recorded (never move a paid charge back)
    charge.stripe_payment_intent_id = pi.get("id")
    charges.mark_succeeded(session, charge, _id(pi.get("latest_charge")), now)


def _refund_duplicate(session: Session, charge: Charge, pi: dict[str, Any], now: datetime) -> None:
    """Another attempt's PaymentIntent succeeded after the charge was paid: give that money back now.

    The key is fixed per PaymentIntent, so a replayed or retried event refunds once. A gateway
    error propagates: the event stays unprocessed and the webhook retry sweep tries again.
    """
    pi_id = str(pi.get("id"))
    amount = int(pi.get("amount") or 0)
    log.error(
        "charge %s was paid twice: PaymentIntent %s succeeded after %s; refunding it",
        charge.id,
        pi_id,
        charge.stripe_payment_intent_id,
    )
    gateway = get_gateway()
    refund_id = None
    if gateway.is_configured():
        refund_id = gateway.create_refund(pi_id, idempotency_key=f"charge-{charge.id}-duplicate-{pi_id}-refund").id
    audit(
        session,
        actor=None,
        action="charge.duplicate_refunded" if refund_id else "charge.duplicate_payment",
        obj=charge,
        before={"payment_intent": charge.stripe_payment_intent_id},
        after={"duplicate_payment_intent": pi_id, "amount": amount, "refund": refund_id, "at": now},
        now=now,
    )


@handles("payment_intent.payment_failed")
def on_payment_intent_failed(session: Session, event: WebhookEvent, now: datetime) -> None:
    """A decline or an authentication request for the current attempt (out-of-order safe)."""
    pi = event.data_object
    pi_id = pi.get("id")
    charge = _find(session, pi=pi_id, obj=pi)
    if charge is None or charge.status in PAID_STATUSES or charge.status in MANUAL:
        return  # a late failure of an attempt that was retried and paid changes nothing
    if charge.stripe_payment_intent_id not in (None, pi_id):
        return  # an older attempt's PaymentIntent
    if charge.status in (ChargeStatus.FAILED, ChargeStatus.REQUIRES_ACTION) and charge.stripe_payment_intent_id:
        return  # already recorded from the API's answer
    error = pi.get("last_payment_error") or {}
    charge.stripe_payment_intent_id = pi_id
    needs_auth = error.get("code") == "authentication_required"
    status = ChargeStatus.REQUIRES_ACTION if needs_auth else ChargeStatus.FAILED
    message = charges.ACTION_MESSAGE if needs_auth else charges.FAILED_MESSAGE
    code = error.get("decline_code") or error.get("code") or "payment_failed"
    charges.record_failure(session, charge, status, code, message, error.get("message"), now)


@handles("charge.refunded")
def on_charge_refunded(session: Session, event: WebhookEvent, now: datetime) -> None:
    """A full or partial refund: take back the refunded share of the closer's commission.

    ``amount_refunded`` is Stripe's running total, so a replay or an older event arriving
    late moves nothing: only an increase over what we recorded is clawed back.
    """
    obj = event.data_object
    pi_id = _id(obj.get("payment_intent"))
    charge = _find(session, pi=pi_id, ch=obj.get("id"), obj=obj)
    if charge is None or charge.status in MANUAL:
        return
    if pi_id and charge.stripe_payment_intent_id and pi_id != charge.stripe_payment_intent_id:
        return  # the refund of a duplicate payment (see _refund_duplicate): the closer keeps the commission
    total = min(int(obj.get("amount_refunded") or 0), charge.amount)
    if total <= charge.refunded_amount:
        return
    if not charge.is_paid:  # the success was never recorded (a crash, a lost event): a refund proves it
        charges.mark_succeeded(session, charge, obj.get("id"), now)
    charge.stripe_charge_id = charge.stripe_charge_id or obj.get("id")
    memo = Memo("refund", {"charge_id": charge.id, "outcome_id": charge.outcome_id})
    claw_returned(session, charge, total, memo, now)  # the one rule, shared with manual refunds
    if charge.status != ChargeStatus.DISPUTED:
        charge.status = ChargeStatus.REFUNDED if total >= charge.amount else ChargeStatus.PARTIALLY_REFUNDED
    charge.updated_at = now


def _dispute_charge(session: Session, dispute: dict[str, Any]) -> Charge | None:
    charge = _find(session, pi=_id(dispute.get("payment_intent")), ch=_id(dispute.get("charge")), obj=dispute)
    if charge is None or charge.status in MANUAL:
        return None
    return charge


def _take_for_dispute(session: Session, charge: Charge, dispute: dict[str, Any], now: datetime) -> None:
    if not charge.is_paid:
        charges.mark_succeeded(session, charge, _id(dispute.get("charge")), now)
    remaining = charge.commission - charge.clawed_back
    memo = Memo("chargeback", {"charge_id": charge.id, "outcome_id": charge.outcome_id})
    taken = clawback(session, charge.outcome, remaining, memo, now, instalment_id=charge.instalment_id)
    unaccrue(session, charge, taken, fee_still_held(charge))
    charge.clawed_back += taken
    charge.dispute_clawback += taken
    clawback_paid_commission(session, charge.outcome, taken, now)  # already paid out: reverse the transfer
    charge.status = ChargeStatus.DISPUTED


@handles("charge.dispute.created")
def on_dispute_created(session: Session, event: WebhookEvent, now: datetime) -> None:
    """A chargeback: the charge is disputed and the closer's remaining commission is reversed."""
    dispute = event.data_object
    charge = _dispute_charge(session, dispute)
    if charge is None:
        return
    if charge.stripe_dispute_id == dispute.get("id") and (
        charge.status == ChargeStatus.DISPUTED or charge.dispute_status in DISPUTE_CLOSED
    ):
        return  # a replay, or the closing event came first
    charge.stripe_dispute_id = dispute.get("id")
    charge.dispute_status = dispute.get("status")
    _take_for_dispute(session, charge, dispute, now)
    charge.updated_at = now


@handles("charge.dispute.closed")
def on_dispute_closed(session: Session, event: WebhookEvent, now: datetime) -> None:
    """Won (or an inquiry closed): the commission comes back. Lost: it stays reversed."""
    dispute = event.data_object
    charge = _dispute_charge(session, dispute)
    if charge is None or charge.dispute_status in DISPUTE_CLOSED:
        return  # not ours, or already closed (a replay)
    status = str(dispute.get("status") or "")
    charge.stripe_dispute_id = dispute.get("id")
    charge.dispute_status = status
    if status == "lost":
        if charge.status != ChargeStatus.DISPUTED:  # the "created" event never came: reverse now
            _take_for_dispute(session, charge, dispute, now)
    elif charge.status == ChargeStatus.DISPUTED:
        memo = Memo("chargeback_won", {"charge_id": charge.id, "outcome_id": charge.outcome_id})
        instalment = session.get(Instalment, charge.instalment_id) if charge.instalment_id else None
        restore(session, charge.outcome, charge.dispute_clawback, memo, now, instalment=instalment)
        unaccrue(session, charge, -charge.dispute_clawback, -fee_still_held(charge, charge.dispute_clawback))
        charge.clawed_back -= charge.dispute_clawback
        charge.dispute_clawback = 0
        if charge.refunded_amount >= charge.amount:
            charge.status = ChargeStatus.REFUNDED
        elif charge.refunded_amount:
            charge.status = ChargeStatus.PARTIALLY_REFUNDED
        else:
            charge.status = ChargeStatus.SUCCEEDED
    charge.updated_at = now
