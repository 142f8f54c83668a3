"""Charging businesses for confirmed won outcomes (commission + platform fee), with retries.

- ``charge_for_outcome``: called by ``outcomes.service`` when an outcome becomes confirmed
  (business confirmation, auto-confirmation, an admin's resolution). Stripe mode: an
  off-session PaymentIntent on the business's saved card; manual mode (no keys): the
  charge is ``manual_due`` and an admin marks it paid once the bank transfer arrives.
- ``retry_due_charges``: the worker's job; declined charges are retried after 1 h, 6 h,
  24 h and 72 h (each a new attempt, a new idempotency key), and an attempt interrupted by
  a network failure or a crash is re-sent with the SAME key, so Stripe answers with the
  PaymentIntent it already made instead of charging twice. A PaymentIntent left waiting
  for the cardholder to authenticate (``requires_action``) stays payable at Stripe, so it is
  cancelled BEFORE the next attempt is sent: otherwise the business could authenticate the
  old one after the new one succeeded and pay twice. (A superseded intent that succeeds all
  the same is refunded by the ``payment_intent.succeeded`` webhook.)
- ``mark_manual_paid``: the admin's money desk, audited.
- clawbacks (refunds, disputes) live in ``payments.clawbacks``; the webhooks in ``charges_webhooks``.

Exactly once without a long transaction: the charge row is committed as ``processing``
(with its attempt number) BEFORE the Stripe call; the call runs outside any transaction;
its result is recorded afterwards. A crash in between leaves a ``processing`` row that
the retry job finds once it is stale and repairs with the same key.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record as audit
from closerhub.businesses.service import clean_text
from closerhub.core.errors import Conflict, PermissionDenied
from closerhub.core.i18n import N_, _
from closerhub.core.retry import RetrySchedule
from closerhub.outcomes.models import Outcome
from closerhub.outcomes.models_instalments import Instalment
from closerhub.payments.charges.billing import billing_of
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.charges.notices import _in_business_language, _notify, status_label
from closerhub.payments.charges.queries import (
    charge_of,
    charge_of_instalment,
    find_charge,
)
from closerhub.payments.ledger import service as ledger
from closerhub.payments.stripe.gateway import Gateway, get_gateway
from closerhub.payments.stripe.results import ChargeResult, GatewayError, GatewayRejected, GatewayUnavailable

log = logging.getLogger(__name__)

# After a decline (or no card): wait this long before the next attempt; then give up (admins see it).
RETRIES = RetrySchedule((timedelta(hours=1), timedelta(hours=6), timedelta(hours=24), timedelta(hours=72)))
MAX_ATTEMPTS = RETRIES.max_attempts
# Network trouble: re-send the same attempt (same key) soon.
NETWORK_RETRY_DELAY = timedelta(minutes=10)
# Stripe said "processing" (rare for cards): look again this much later if no webhook came.
PROCESSING_CHECK_DELAY = timedelta(hours=1)
REFERENCE_MAX = 200

# Shown to the business (stored in ``Charge.failure_message``, in its language: see ``record_failure``).
NO_CARD_MESSAGE = N_(
    "No card is saved for your business, so the commission could not be charged. Add a card to pay it."
)
ACTION_MESSAGE = N_("Your bank asks you to confirm this payment. Update or re-enter your card so we can charge it.")
FAILED_MESSAGE = N_("The payment could not be completed.")


# ---------------------------------------------------------------------------
# Charging
# ---------------------------------------------------------------------------


def charge_for_outcome(session: Session, outcome: Outcome, now: datetime) -> Charge | None:
    """Bill the business for a confirmed won outcome, once (a second call returns the same charge).

    Runs inside the caller's unit of work. Manual mode and "no card" add rows and emails
    that the caller commits. In Stripe mode this COMMITS the caller's work together with
    the charge row marked ``processing`` before calling Stripe (so the call is outside any
    transaction and a crash after it is repaired with the same key), then records the
    result, which the caller commits.
    """
    if outcome.on_cash_collected:
        return None  # billed per collected instalment (``charge_for_instalment``)
    if not outcome.owes_commission or not outcome.commission_amount or outcome.deal_currency is None:
        return None
    existing = charge_of(session, outcome.id)
    if existing is not None:
        return existing
    fee = outcome.platform_fee_amount or 0
    charge = Charge(
        business_id=outcome.business_id,
        outcome_id=outcome.id,
        amount=outcome.commission_amount + fee,
        commission=outcome.commission_amount,
        platform_fee=fee,
        currency=outcome.deal_currency,
        status=ChargeStatus.PENDING,
        transfer_group=f"outcome-{outcome.id}",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    return _open(session, charge, now)


def charge_for_instalment(session: Session, instalment: Instalment, commission: int, fee: int, now: datetime) -> Charge:
    """Bill the business for what one collected instalment accrued (commission + fee), once.

    Same rules as ``charge_for_outcome`` (manual mode, retries, the commit before the Stripe call,
    the idempotency key from the row id); the transfer group is the outcome's.
    """
    existing = charge_of_instalment(session, instalment.id)
    if existing is not None:
        return existing
    outcome = instalment.outcome
    charge = Charge(
        business_id=outcome.business_id,
        outcome_id=outcome.id,
        instalment_id=instalment.id,
        amount=commission + fee,
        commission=commission,
        platform_fee=fee,
        currency=instalment.currency,
        status=ChargeStatus.PENDING,
        transfer_group=f"outcome-{outcome.id}",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    return _open(session, charge, now)


def _open(session: Session, charge: Charge, now: datetime) -> Charge:
    """A new charge: ``manual_due`` without Stripe keys, else its first attempt."""
    session.add(charge)
    session.flush()
    gateway = get_gateway()
    if not gateway.is_configured():
        charge.status = ChargeStatus.MANUAL_DUE
        _notify(session, charge, "manual_due", now=now)
        return charge
    _attempt(session, gateway, charge, now, claimed=False)
    return charge


def _attempt(
    session: Session,
    gateway: Gateway,
    charge: Charge,
    now: datetime,
    *,
    claimed: bool,
    supersede: str | None = None,
) -> None:
    """One attempt (``charge.attempts`` already counts it when ``claimed``); records the result, no final commit.

    ``supersede``: the previous attempt's PaymentIntent, still waiting for authentication; it is
    cancelled first, and no new attempt is sent unless Stripe confirms it can no longer be paid.
    """
    billing = billing_of(session, charge.business_id)
    if billing is None or not billing.has_card or not billing.stripe_customer_id:
        if not claimed:
            charge.attempts += 1
        record_failure(session, charge, ChargeStatus.FAILED, "no_payment_method", NO_CARD_MESSAGE, None, now)
        return
    if not claimed:
        charge.attempts += 1
        charge.status = ChargeStatus.PROCESSING
        charge.next_attempt_at = None
        charge.updated_at = now
    outcome = charge.outcome
    # Everything the call needs, read before the commit (after it the objects are expired).
    params = {
        "amount": charge.amount,
        "currency": charge.currency,
        "customer": billing.stripe_customer_id,
        "payment_method": billing.default_payment_method_id,
        "idempotency_key": charge.idempotency_key(),
        "metadata": {
            "outcome_id": outcome.id,
            "charge_id": charge.id,
            "business_id": charge.business_id,
            "closer_id": outcome.closer_id,
            **({"instalment_id": charge.instalment_id} if charge.instalment_id else {}),
        },
        "transfer_group": charge.transfer_group,
        # No description: localstripe refuses the parameter, and the metadata already says what this is.
    }
    charge_id = charge.id
    previous_attempt = charge.attempts - 1
    session.commit()  # durable "processing" + attempt number before money moves
    if supersede is not None:
        try:
            earlier = _close_intent(gateway, supersede, f"{charge.idempotency_key(previous_attempt)}-cancel")
        except GatewayError as exc:
            # Not known to be closed: sending a new attempt could charge twice. Give this attempt
            # back and try again soon (the cancel is re-sent with the same key).
            charge = session.get(Charge, charge_id)  # type: ignore[assignment]
            charge.status = ChargeStatus.REQUIRES_ACTION
            charge.attempts = previous_attempt
            charge.stripe_payment_intent_id = supersede
            charge.last_error = f"cancel_failed: {exc.code}: {exc.message}"[:2000]
            charge.next_attempt_at = now + NETWORK_RETRY_DELAY
            charge.updated_at = now
            return
        if earlier is not None:  # the business did pay the earlier attempt (or it is on its way)
            charge = session.get(Charge, charge_id)  # type: ignore[assignment]
            charge.attempts = previous_attempt  # no new attempt was sent
            apply_result(session, charge, earlier, now)
            return
        # Cancelled: from now on a crash is repaired by re-sending this attempt's key, not by reading the old one.
        charge = session.get(Charge, charge_id)  # type: ignore[assignment]
        charge.stripe_payment_intent_id = None
        session.commit()
    try:
        result = gateway.create_payment_intent(**params)  # type: ignore[arg-type]
    except GatewayUnavailable as exc:
        charge = session.get(Charge, charge_id)  # type: ignore[assignment]
        charge.last_error = f"gateway_unavailable: {exc.message}"[:2000]
        charge.next_attempt_at = now + NETWORK_RETRY_DELAY  # same attempt, same key
        charge.updated_at = now
        return
    except GatewayError as exc:
        charge = session.get(Charge, charge_id)  # type: ignore[assignment]
        record_failure(session, charge, ChargeStatus.FAILED, exc.code, FAILED_MESSAGE, None, now)
        return
    charge = session.get(Charge, charge_id)  # type: ignore[assignment]
    apply_result(session, charge, result, now)


def _close_intent(gateway: Gateway, payment_intent_id: str, idempotency_key: str) -> ChargeResult | None:
    """Cancel an earlier attempt's PaymentIntent; None once it can no longer be paid.

    Stripe refuses to cancel an intent that succeeded or is processing: then that intent is
    the payment, and its result is returned for the caller to record instead of a new attempt.
    """
    try:
        gateway.cancel_payment_intent(payment_intent_id, idempotency_key=idempotency_key)
        return None
    except GatewayRejected:
        current = gateway.retrieve_payment_intent(payment_intent_id)
        if current.status == "failed":  # already cancelled (or declined with no card): nothing can succeed
            return None
        if current.status == "requires_action":  # refused for another reason: never risk a second charge
            raise
        return current


def apply_result(session: Session, charge: Charge, result: ChargeResult, now: datetime) -> None:
    """Record what Stripe answered for the current attempt (the caller commits)."""
    if charge.is_paid or charge.status in (ChargeStatus.MANUAL_DUE, ChargeStatus.MANUAL_PAID):
        return  # a webhook got there first: never move a paid charge back
    if result.id:
        charge.stripe_payment_intent_id = result.id
    if result.status == "succeeded":
        mark_succeeded(session, charge, result.latest_charge, now)
    elif result.status == "processing":
        charge.status = ChargeStatus.PROCESSING
        charge.next_attempt_at = now + PROCESSING_CHECK_DELAY
        charge.updated_at = now
    elif result.status == "requires_action":
        code = result.decline_code or "authentication_required"
        record_failure(session, charge, ChargeStatus.REQUIRES_ACTION, code, ACTION_MESSAGE, result.message, now)
    else:
        code = result.decline_code or "card_declined"
        record_failure(session, charge, ChargeStatus.FAILED, code, FAILED_MESSAGE, result.message, now)


def mark_succeeded(session: Session, charge: Charge, stripe_charge_id: str | None, now: datetime) -> None:
    """The business paid: the closer's commission starts its clawback hold (the caller commits)."""
    charge.status = ChargeStatus.SUCCEEDED
    charge.stripe_charge_id = stripe_charge_id or charge.stripe_charge_id
    charge.paid_at = charge.paid_at or now
    charge.next_attempt_at = None
    charge.failure_message = None
    charge.updated_at = now
    ledger.mark_charge_paid(session, charge, now)


def record_failure(
    session: Session,
    charge: Charge,
    status: ChargeStatus,
    code: str,
    message: str,
    bank_message: str | None,
    now: datetime,
) -> None:
    """A decline, an authentication request or no card: schedule the next attempt and tell the business.

    ``message`` is one of the marked texts above (``FAILED_MESSAGE``…), stored in the business's
    language (its owner's), whoever or whatever ran into the failure (a member, an admin, the worker,
    a webhook); ``bank_message`` is Stripe's, as Stripe wrote it.
    """
    charge.status = status
    charge.last_error = code[:2000]
    message = _in_business_language(session, charge, message)
    charge.failure_message = f"{message} ({bank_message})" if bank_message and bank_message not in message else message
    charge.next_attempt_at = RETRIES.next_attempt_at(charge.attempts, now)
    charge.updated_at = now
    _notify(session, charge, "requires_action" if status == ChargeStatus.REQUIRES_ACTION else "failed", now=now)


# ---------------------------------------------------------------------------
# Manual mode
# ---------------------------------------------------------------------------


def mark_manual_paid(session: Session, actor: User, charge_id: int, reference: str, now: datetime) -> Charge:
    """An admin records that the business paid a manual charge (bank transfer); audited. Commits."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin can mark a charge paid."))
    charge = find_charge(session, charge_id, actor)
    if charge.status != ChargeStatus.MANUAL_DUE:
        raise Conflict(
            _("This charge is %(status)s, not awaiting a manual payment.", status=status_label(charge.status)),
            code="not_manual_due",
        )
    text = clean_text(reference, "reference", REFERENCE_MAX)
    before = {"status": charge.status.value}
    charge.status = ChargeStatus.MANUAL_PAID
    charge.manual_reference = text or None
    charge.paid_at = now
    charge.updated_at = now
    ledger.mark_charge_paid(session, charge, now)
    audit(
        session,
        actor=actor,
        action="charge.mark_paid",
        obj=charge,
        before=before,
        after={"status": charge.status.value, "reference": text, "amount": charge.amount, "currency": charge.currency},
        now=now,
    )
    session.commit()
    return charge
