"""The emails of payouts: a closer who cannot be paid yet, a failed transfer, a bank payout Stripe could not make."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.core.money import Money
from closerhub.notifications.service import public_url, queue_email
from closerhub.payments.payouts.models import Payout


def _send(session: Session, recipient: User, template: str, *, now: datetime, **context: Any) -> None:
    queue_email(
        session,
        to=recipient.email,
        template=template,
        language=recipient.language,
        context={"recipient": recipient, **context},
        now=now,
    )


def _admins(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE).order_by(User.id)
        )
    )


def tell_cannot_receive(session: Session, closer: User, *, manual: bool = False, now: datetime) -> None:
    """The closer has money waiting but no payout account (Stripe) or usable payout details (manual) (told once)."""
    _send(
        session,
        closer,
        "payout_cannot_receive",
        manual=manual,
        setup_url=public_url("payouts_setup.show"),
        earnings_url=public_url("outcomes.earnings"),
        now=now,
    )


def tell_payout_failed(session: Session, payout: Payout, *, now: datetime) -> None:
    """Stripe refused the transfer; the money is back in the closer's available balance."""
    closer = session.get(User, payout.closer_id)
    if closer is not None:
        _send(
            session,
            closer,
            "payout_failed",
            payout=payout,
            setup_url=public_url("payouts_setup.show"),
            earnings_url=public_url("outcomes.earnings"),
            now=now,
        )


def tell_bank_payout_failed(session: Session, closer: User, details: dict[str, Any], *, now: datetime) -> None:
    """Stripe could not pay the closer's bank: the closer must fix their bank details; admins are told too.

    The amount is written in each reader's conventions when their email is rendered (``amount``),
    not as the stored ``details["amount_text"]``, formatted once in the worker's language.
    """
    amount = Money(int(details.get("amount") or 0), str(details.get("currency") or "EUR").upper())
    _send(
        session,
        closer,
        "bank_payout_failed",
        closer=closer,
        details=details,
        amount=amount,
        for_closer=True,
        url=public_url("payouts_setup.show"),
        now=now,
    )
    for admin in _admins(session):
        _send(
            session,
            admin,
            "bank_payout_failed",
            closer=closer,
            details=details,
            amount=amount,
            for_closer=False,
            url=public_url("admin_payouts.index"),
            now=now,
        )
