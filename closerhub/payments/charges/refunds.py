"""Money the business gets back on a paid charge (a refund or a chargeback), in both modes, by one rule.

``claw_returned`` is the one clawback of returned money: Stripe's ``charge.refunded`` webhook
and an admin's manual record both call it. The returned total is a running total, so the
commission taken back is ``refund_share(new total) − refund_share(old total)`` (half-up once on
the running total: the parts sum to the commission of the whole), pending first, then available;
money already paid out leaves the closer's available balance negative (Stripe mode reverses
the transfer where it can), and the next payout nets it off.

``record_manual_return``: in manual mode an admin records a refund or a chargeback (full or
partial) that the business received by bank. A chargeback counts towards the returned total
like a refund (the money left us either way) and marks the charge disputed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from closerhub.accounts.models import User
from closerhub.audit.service import record as audit
from closerhub.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from closerhub.core.i18n import _, reading_language
from closerhub.core.money import Money, format_money
from closerhub.core.text import clean_text
from closerhub.payments.charges.commands import ManualReturn, ReturnKind
from closerhub.payments.charges.models import Charge, ChargeStatus
from closerhub.payments.ledger.clawbacks import clawback, refund_share, unaccrue
from closerhub.payments.ledger.memos import Memo
from closerhub.payments.payouts.balances import begin_write
from closerhub.payments.payouts.events import clawback_paid_commission

REASON_MAX = 500
# Paid by bank transfer (manual mode), possibly already partly returned.
MANUAL_RETURNABLE = (ChargeStatus.MANUAL_PAID, ChargeStatus.PARTIALLY_REFUNDED, ChargeStatus.DISPUTED)


def claw_returned(session: Session, charge: Charge, total: int, memo: Memo, now: datetime) -> int:
    """Bring the charge's returned total up to ``total`` and take back the matching commission; returns it.

    Never commits. A total at or below what was recorded changes nothing (a replay).
    """
    total = min(max(total, 0), charge.amount)
    if total <= charge.refunded_amount:
        return 0
    due = refund_share(charge, total) - refund_share(charge, charge.refunded_amount)
    due = min(due, charge.commission - charge.clawed_back)
    taken = clawback(session, charge.outcome, due, memo, now, instalment_id=charge.instalment_id)
    charge.clawed_back += taken
    clawback_paid_commission(session, charge.outcome, taken, now)  # already paid out: reverse / carry
    fee = (total - charge.refunded_amount) - (
        refund_share(charge, total) - refund_share(charge, charge.refunded_amount)
    )
    unaccrue(session, charge, taken, fee)
    charge.refunded_amount = total
    return taken


def is_manual(charge: Charge) -> bool:
    """Paid by bank transfer: Stripe never saw this charge."""
    return charge.stripe_payment_intent_id is None and charge.stripe_charge_id is None


def remaining(charge: Charge) -> Money:
    """What can still be returned to the business on this charge."""
    return Money(charge.amount - charge.refunded_amount, charge.currency)


def record_manual_return(
    session: Session,
    actor: User,
    charge_id: int,
    returned: ManualReturn,
    *,
    now: datetime,
) -> Charge:
    """An admin records a refund or chargeback of ``returned.amount`` on a manual charge. Audited; commits once.

    ``returned.expected_returned`` is the returned total the admin saw when opening the form: if it
    changed since (a double submit, another admin), nothing is recorded (Conflict), so the
    same return is never recorded twice (None: no such check; the API relies on its
    ``Idempotency-Key`` instead). An amount above what remains is refused.
    """
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin can record a refund or a chargeback."))
    try:
        kind = ReturnKind(returned.kind)
    except ValueError as exc:
        raise ValidationError(_("Choose a refund or a chargeback."), field_errors={"kind": _("Choose one.")}) from exc
    text = clean_text(returned.reason, "reason", REASON_MAX)
    amount, expected_returned = returned.amount, returned.expected_returned
    begin_write(session)  # SQLite: the write lock before reading what we check; PostgreSQL: the row lock below
    charge = (
        session.scalar(
            select(Charge).where(Charge.id == charge_id).with_for_update().execution_options(populate_existing=True)
        )
        if 0 < charge_id < 2**31
        else None
    )
    if charge is None:
        raise NotFound(_("No such charge."))
    if not is_manual(charge) or charge.status not in MANUAL_RETURNABLE:
        raise Conflict(
            _("Only a charge paid by bank transfer can get a refund or chargeback recorded here."),
            code="not_manual_paid",
        )
    if expected_returned is not None and charge.refunded_amount != expected_returned:
        raise Conflict(
            _(
                "This charge changed since you opened the form (a refund or chargeback was recorded): nothing was "
                "recorded. Check the charge and try again."
            ),
            code="stale",
        )
    left = remaining(charge)
    if amount.currency != charge.currency:
        raise ValidationError(
            _("The amount must be in %(currency)s.", currency=charge.currency),
            field_errors={"amount": _("The amount must be in %(currency)s.", currency=charge.currency)},
        )
    if amount.amount <= 0:
        message = _("Enter an amount above zero.")
        raise ValidationError(message, field_errors={"amount": message})
    if amount.amount > left.amount:
        lang = reading_language()  # the amounts in the reader's format, like the sentence around them
        message = _(
            "At most %(left)s can still be returned on this charge (%(returned)s of %(total)s already returned).",
            left=format_money(left, lang),
            returned=format_money(Money(charge.refunded_amount, charge.currency), lang),
            total=format_money(charge.total, lang),
        )
        raise ValidationError(message, field_errors={"amount": message})
    before = {
        "status": charge.status.value,
        "refunded_amount": charge.refunded_amount,
        "clawed_back": charge.clawed_back,
    }
    code = "manual_refund" if kind is ReturnKind.REFUND else "manual_chargeback"
    memo = Memo(code, {"charge_id": charge.id, "outcome_id": charge.outcome_id})
    taken = claw_returned(session, charge, charge.refunded_amount + amount.amount, memo, now)
    if kind is ReturnKind.CHARGEBACK:
        charge.dispute_clawback += taken
        charge.status = ChargeStatus.DISPUTED
    elif charge.status is not ChargeStatus.DISPUTED:
        charge.status = (
            ChargeStatus.REFUNDED if charge.refunded_amount >= charge.amount else ChargeStatus.PARTIALLY_REFUNDED
        )
    charge.updated_at = now
    audit(
        session,
        actor=actor,
        action=f"charge.manual_{kind.value}",
        obj=charge,
        before=before,
        after={
            "status": charge.status.value,
            "amount": amount.amount,
            "currency": charge.currency,
            "refunded_amount": charge.refunded_amount,
            "commission_clawed_back": taken,
            "reason": text,
        },
        now=now,
    )
    session.commit()
    return charge


def returnable_query() -> Select[tuple[Charge]]:
    """Charges paid by bank transfer that can still get a refund or chargeback recorded (money desk)."""
    return (
        select(Charge)
        .where(
            Charge.status.in_(MANUAL_RETURNABLE),
            Charge.stripe_payment_intent_id.is_(None),
            Charge.stripe_charge_id.is_(None),
            Charge.refunded_amount < Charge.amount,
        )
        .options(selectinload(Charge.business))
        .order_by(Charge.paid_at.desc(), Charge.id.desc())
    )
