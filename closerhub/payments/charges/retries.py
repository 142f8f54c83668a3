"""The worker's charge retries: new attempts for declined charges whose time has come,
and checks of stale ``processing`` ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.charges.queries import STALE_PROCESSING
from closerhub.payments.charges.service import NETWORK_RETRY_DELAY, _attempt, apply_result
from closerhub.payments.stripe.gateway import Gateway, get_gateway
from closerhub.payments.stripe.results import GatewayError


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
