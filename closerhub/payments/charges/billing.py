"""A business's payment method: the Stripe customer, a SetupIntent, the saved card.

Only the owner manages the card. We keep brand, last 4 digits and expiry for display;
card numbers never reach our servers (Stripe.js Elements sends them to Stripe directly).
The charges work uses ``billing_of`` to find the customer and default payment method.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.businesses.models import Business
from closerhub.core.errors import PermissionDenied, ValidationError
from closerhub.core.i18n import _
from closerhub.payments.stripe.gateway import Gateway
from closerhub.payments.stripe.models import BusinessBilling
from closerhub.payments.stripe.results import GatewayNotConfigured, GatewayRejected, SetupIntentInfo

_PM_ID = re.compile(r"^pm_[A-Za-z0-9_]{3,250}$")


def billing_of(session: Session, business_id: int) -> BusinessBilling | None:
    """The business's billing row, if any."""
    return session.scalar(select(BusinessBilling).where(BusinessBilling.business_id == business_id))


def _owned_business(session: Session, actor: User) -> Business:
    business = session.get(Business, actor.business_id) if actor.business_id else None
    if business is None or not business.is_owner(actor):
        raise PermissionDenied(_("Only the owner of the business manages its payment method."))
    return business


def _require_stripe(gateway: Gateway) -> None:
    if not gateway.is_configured():
        raise GatewayNotConfigured(_("Cards are not taken online on this platform: it invoices businesses manually."))


def ensure_customer(session: Session, gateway: Gateway, actor: User, now: datetime) -> BusinessBilling:
    """The business's billing row with a Stripe customer, creating both once.

    The row is committed before the Stripe call: its id is the idempotency key, so a retry
    after a crash gets the same customer rather than a second one.
    """
    _require_stripe(gateway)
    business = _owned_business(session, actor)
    row = billing_of(session, business.id)
    if row is None:
        row = BusinessBilling(business_id=business.id, created_at=now, updated_at=now)
        session.add(row)
        session.commit()
    if row.stripe_customer_id is None:
        row.stripe_customer_id = gateway.create_customer(
            email=actor.email,
            name=business.name,
            idempotency_key=f"closerhub-business-customer-{row.id}",
            metadata={"closerhub_business_id": business.id},
        )
        row.updated_at = now
        session.commit()
    return row


def start_setup(session: Session, gateway: Gateway, actor: User, now: datetime) -> SetupIntentInfo:
    """A SetupIntent for a new (or replacement) off-session card. Commits the customer if new."""
    row = ensure_customer(session, gateway, actor, now)
    assert row.stripe_customer_id is not None
    return gateway.create_setup_intent(row.stripe_customer_id)


def save_payment_method(
    session: Session, gateway: Gateway, actor: User, payment_method_id: str, now: datetime
) -> BusinessBilling:
    """Make a card the business's default (after Stripe.js confirmed the SetupIntent). Commits.

    The card must belong to this business's customer (or to nobody yet: it is attached);
    a card of another customer is refused and nothing changes.
    """
    pm_id = (payment_method_id or "").strip()
    if not _PM_ID.match(pm_id):
        raise ValidationError(
            _("The card could not be read; please enter it again."),
            field_errors={"payment_method": _("Invalid card reference.")},
        )
    row = ensure_customer(session, gateway, actor, now)
    customer = row.stripe_customer_id
    assert customer is not None
    try:
        pm = gateway.retrieve_payment_method(pm_id)
    except GatewayRejected as exc:
        raise ValidationError(
            _("That card was not found; please enter it again."), field_errors={"payment_method": _("Card not found.")}
        ) from exc
    if pm.customer is None:
        pm = gateway.attach_payment_method(pm_id, customer)
    elif pm.customer != customer:
        raise ValidationError(
            _("That card belongs to someone else."), field_errors={"payment_method": _("Card of another customer.")}
        )
    gateway.set_default_payment_method(customer, pm_id)
    row.default_payment_method_id = pm.id
    row.card_brand = pm.brand
    row.card_last4 = pm.last4
    row.card_exp_month = pm.exp_month
    row.card_exp_year = pm.exp_year
    row.updated_at = now
    session.commit()
    return row
