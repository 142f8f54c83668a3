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

from flask_babel import force_locale
from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session, selectinload

from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.audit.service import record as audit
from closerhub.businesses.models import Business
from closerhub.businesses.service import clean_text
from closerhub.core.errors import Conflict, PermissionDenied
from closerhub.core.i18n import N_, _
from closerhub.core.retry import RetrySchedule
from closerhub.notifications.service import public_url, queue_email
from closerhub.outcomes.models import Outcome, outcome_list_loads
from closerhub.outcomes.models_instalments import Instalment
from closerhub.payments import ledger
from closerhub.payments.billing import billing_of
from closerhub.payments.gateway import (
    ChargeResult,
    Gateway,
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    get_gateway,
)
from closerhub.payments.models_charges import Charge, ChargeStatus

log = logging.getLogger(__name__)

# After a decline (or no card): wait this long before the next attempt; then give up (admins see it).
RETRIES = RetrySchedule((timedelta(hours=1), timedelta(hours=6), timedelta(hours=24), timedelta(hours=72)))
MAX_ATTEMPTS = RETRIES.max_attempts
# Network trouble: re-send the same attempt (same key) soon.
NETWORK_RETRY_DELAY = timedelta(minutes=10)
# A ``processing`` row untouched this long was interrupted (a crash between commit and result).
STALE_PROCESSING = timedelta(minutes=15)
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
# Reading
# ---------------------------------------------------------------------------


def charge_of(session: Session, outcome_id: int) -> Charge | None:
    """The charge of an outcome, if any."""
    return session.scalar(select(Charge).where(Charge.outcome_id == outcome_id, Charge.instalment_id.is_(None)))


def charge_of_instalment(session: Session, instalment_id: int) -> Charge | None:
    """The charge of one collected instalment (cash-collected outcomes), if any."""
    return session.scalar(select(Charge).where(Charge.instalment_id == instalment_id))


def find_charge(session: Session, charge_id: object, viewer: User | None) -> Charge:
    """A charge ``viewer`` may see; NotFound for a missing one and for another business's."""
    return find_visible(Charge, charge_id, viewer, session)


def charges_query(viewer: User) -> Select[tuple[Charge]]:
    """The charges ``viewer`` may list, newest first: a business's own, or all for an admin.

    Each row's outcome, call, lead and offer (the list shows them) come with it, not one query per row.
    """
    stmt = select(Charge).options(*outcome_list_loads(Charge.outcome)).order_by(Charge.id.desc())
    if viewer.is_admin:
        return stmt
    if viewer.business_id is None:
        raise PermissionDenied(_("Only businesses and admins see charges."))
    return stmt.where(Charge.business_id == viewer.business_id)


def desk_query(now: datetime) -> tuple[Select[tuple[Charge]], Select[tuple[Charge]]]:
    """The admin money desk: (overdue: Stripe charges not paid, oldest first; manual_due charges)."""
    overdue = (
        select(Charge)
        .where(
            or_(
                Charge.status.in_((ChargeStatus.FAILED, ChargeStatus.REQUIRES_ACTION)),
                and_(
                    Charge.status.in_((ChargeStatus.PROCESSING, ChargeStatus.PENDING)),
                    Charge.updated_at <= now - STALE_PROCESSING,
                ),
            )
        )
        .options(selectinload(Charge.business))  # the desk names each row's business
        .order_by(Charge.created_at, Charge.id)
    )
    manual = (
        select(Charge)
        .where(Charge.status == ChargeStatus.MANUAL_DUE)
        .options(selectinload(Charge.business))
        .order_by(Charge.created_at, Charge.id)
    )
    return overdue, manual


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
        _notify(session, charge, "manual_due")
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
    _notify(session, charge, "requires_action" if status == ChargeStatus.REQUIRES_ACTION else "failed")


def retry_due_charges(session: Session, now: datetime, limit: int = 100) -> int:
    """The worker's job: new attempts for declined charges whose time has come, and the same
    attempt (same key) for ones interrupted by the network or a crash. Returns how many were tried.

    Each row is claimed with a conditional UPDATE, so two workers never send the same attempt twice
    at once (and if they did, the idempotency key would make Stripe answer once).
    """
    gateway = get_gateway()
    if not gateway.is_configured():
        return 0
    declined = and_(
        Charge.status.in_((ChargeStatus.FAILED, ChargeStatus.REQUIRES_ACTION)),
        Charge.next_attempt_at.is_not(None),
        Charge.next_attempt_at <= now,
    )
    interrupted = and_(
        Charge.status == ChargeStatus.PROCESSING,
        or_(
            and_(Charge.next_attempt_at.is_not(None), Charge.next_attempt_at <= now),
            and_(Charge.next_attempt_at.is_(None), Charge.updated_at <= now - STALE_PROCESSING),
        ),
    )
    rows = session.execute(
        select(Charge.id, Charge.status).where(or_(declined, interrupted)).order_by(Charge.id).limit(limit)
    ).all()
    session.rollback()  # end the read before claiming
    tried = 0
    for charge_id, status in rows:
        new_attempt = status != ChargeStatus.PROCESSING
        condition = declined if new_attempt else interrupted
        claimed = session.execute(
            update(Charge)
            .where(Charge.id == charge_id, condition)
            .values(
                status=ChargeStatus.PROCESSING,
                attempts=Charge.attempts + (1 if new_attempt else 0),
                next_attempt_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            session.rollback()
            continue  # another worker took it
        charge = session.get(Charge, charge_id)
        assert charge is not None
        session.refresh(charge)
        if not new_attempt and charge.stripe_payment_intent_id:
            _check_intent(session, gateway, charge, now)
        elif new_attempt:
            # The earlier attempt's PaymentIntent belongs to that attempt: forget it, so a crash
            # during this one is repaired by re-sending THIS attempt's key (not by reading the old one).
            # One still open is kept until it is cancelled: a crash before that reads it, never re-sends.
            open_intent = charge.stripe_payment_intent_id if status == ChargeStatus.REQUIRES_ACTION else None
            if open_intent is None:
                charge.stripe_payment_intent_id = None
            _attempt(session, gateway, charge, now, claimed=True, supersede=open_intent)
        else:
            _attempt(session, gateway, charge, now, claimed=True)
        session.commit()
        tried += 1
    return tried


def _check_intent(session: Session, gateway: Gateway, charge: Charge, now: datetime) -> None:
    """A PaymentIntent we know of was left processing: read where it stands instead of re-sending."""
    charge_id, pi_id = charge.id, charge.stripe_payment_intent_id
    assert pi_id is not None
    session.commit()
    try:
        result = gateway.retrieve_payment_intent(pi_id)
    except GatewayError as exc:
        charge = session.get(Charge, charge_id)  # type: ignore[assignment]
        charge.last_error = f"{exc.code}: {exc.message}"[:2000]
        charge.next_attempt_at = now + NETWORK_RETRY_DELAY
        return
    apply_result(session, session.get(Charge, charge_id), result, now)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Manual mode
# ---------------------------------------------------------------------------


def mark_manual_paid(session: Session, actor: User, charge_id: object, reference: object, now: datetime) -> Charge:
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
    )
    session.commit()
    return charge


# ---------------------------------------------------------------------------
# Emails
# ---------------------------------------------------------------------------


#: What a charge's status is called where people read it (translated where shown, with ``_()``).
STATUS_LABELS = {
    ChargeStatus.PENDING: N_("Pending"),
    ChargeStatus.PROCESSING: N_("Processing"),
    ChargeStatus.SUCCEEDED: N_("Paid"),
    ChargeStatus.REQUIRES_ACTION: N_("Action needed"),
    ChargeStatus.FAILED: N_("Failed"),
    ChargeStatus.REFUNDED: N_("Refunded"),
    ChargeStatus.PARTIALLY_REFUNDED: N_("Partially refunded"),
    ChargeStatus.DISPUTED: N_("Disputed"),
    ChargeStatus.MANUAL_DUE: N_("Due (bank transfer)"),
    ChargeStatus.MANUAL_PAID: N_("Paid (bank transfer)"),
    ChargeStatus.CANCELLED: N_("Cancelled, nothing due"),
}


def status_label(status: ChargeStatus) -> str:
    """``ChargeStatus.MANUAL_DUE`` → "Due (bank transfer)", in the reader's language."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status.value


def _in_business_language(session: Session, charge: Charge, text: str) -> str:
    business = session.get(Business, charge.business_id)
    owner = business.owner if business is not None else None
    with force_locale(owner.language if owner is not None else "en"):
        return _(text)


def _notify(session: Session, charge: Charge, kind: str) -> None:
    """Email every active member of the business: what happened to the charge and what to do."""
    business = session.get(Business, charge.business_id)
    assert business is not None
    outcome = charge.outcome
    for member in business.members:
        user = member.user
        if not user.is_active:
            continue
        queue_email(
            session,
            to=user.email,
            template="charge_notice",
            language=user.language,
            context={
                "kind": kind,
                "charge": charge,
                "outcome": outcome,
                "appointment": outcome.appointment,
                "business": business,
                "recipient": user,
                "fix_url": public_url("billing.show_billing"),
                "charges_url": public_url("charges.list_charges"),
                "retries_left": charge.next_attempt_at is not None,
            },
        )
