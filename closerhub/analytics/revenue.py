"""Analytics money figures per currency (and per closer or offer): revenue closed against cash collected,
commission, fees owed and paid (definitions in ``queries``' docstring).

Charges and instalments are summed per outcome in subqueries first: a cash-collected deal has one
charge per collected instalment, and joining them directly would count the deal once per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.analytics.queries import Scope, Week, _int, _outcomes_in, _ratio
from closerhub.booking.models import Appointment
from closerhub.businesses.models import Offer
from closerhub.engagements.models import CommissionBasis
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus
from closerhub.outcomes.models_instalments import Instalment, InstalmentStatus
from closerhub.payments.models_charges import PAID_STATUSES, UNPAID_STATUSES, Charge

COLLECTED_STATUSES = (InstalmentStatus.COLLECTED, InstalmentStatus.REFUNDED)


@dataclass(frozen=True)
class Revenue:
    """Won deals of one group in one currency (minor units)."""

    key: int | None
    label: str
    currency: str
    deals: int = 0
    revenue: int = 0
    commission: int = 0
    fees: int = 0
    paid: int = 0  # commission + fee the business was charged
    owed: int = 0  # commission + fee not charged yet (not in dispute)
    collected: int = 0  # cash the business collected of these deals (instalments, net of refunds)

    @property
    def collection_rate(self) -> float | None:
        """Cash collected ÷ contract value (revenue closed)."""
        return _ratio(self.collected, self.revenue)

    @property
    def roi(self) -> float | None:
        """Revenue closed per unit paid in commission and fees (None before anything was paid)."""
        return _ratio(self.revenue, self.paid)


def revenue(
    session: Session, scope: Scope, weeks: Sequence[Week], by: Literal["closer", "offer"] | None = None
) -> list[Revenue]:
    """Won, non-voided deals of the calls in ``weeks`` per currency (and per closer or offer).

    Charges and instalments are summed per outcome in subqueries first: a cash-collected deal has
    one charge per collected instalment, and joining them directly would count the deal again per row.
    """
    o = Outcome
    paid_part = case((Charge.status.in_(PAID_STATUSES), Charge.amount - Charge.refunded_amount), else_=0)
    unpaid_part = case((Charge.status.in_(UNPAID_STATUSES), Charge.amount), else_=0)
    c = (
        select(
            Charge.outcome_id.label("outcome_id"),
            func.count(Charge.id).label("n"),
            func.sum(paid_part).label("paid"),
            func.sum(unpaid_part).label("unpaid"),
        )
        .group_by(Charge.outcome_id)
        .subquery()
    )
    held = case((Instalment.status.in_(COLLECTED_STATUSES), Instalment.amount - Instalment.refunded_amount), else_=0)
    i = (
        select(Instalment.outcome_id.label("outcome_id"), func.sum(held).label("collected"))
        .group_by(Instalment.outcome_id)
        .subquery()
    )
    cost = func.coalesce(o.commission_amount, 0) + func.coalesce(o.platform_fee_amount, 0)
    # Contract value: everything is owed until its one charge is paid. Cash collected: the charges of
    # the instalments collected and not paid yet. Disputed deals are not owed.
    owed = case(
        (o.status == OutcomeStatus.DISPUTED, 0),
        (and_(o.commission_basis == CommissionBasis.CONTRACT_VALUE, c.c.n.is_(None)), cost),
        else_=func.coalesce(c.c.unpaid, 0),
    )
    sums = (
        func.count(o.id),
        func.sum(o.deal_amount),
        func.sum(o.commission_amount),
        func.sum(func.coalesce(o.platform_fee_amount, 0)),
        func.sum(func.coalesce(c.c.paid, 0)),
        func.sum(owed),
        func.sum(func.coalesce(i.c.collected, 0)),
    )
    won = (o.result == OutcomeResult.WON, o.status != OutcomeStatus.VOIDED, *_outcomes_in(scope, weeks))
    if by is None:
        stmt = (
            select(literal_column("0"), literal_column("''"), o.deal_currency, *sums)
            .join(Appointment, Appointment.id == o.appointment_id)
            .outerjoin(c, c.c.outcome_id == o.id)
            .outerjoin(i, i.c.outcome_id == o.id)
            .where(*won)
            .group_by(o.deal_currency)
            .order_by(o.deal_currency)
        )
    else:
        key = Appointment.closer_id if by == "closer" else Appointment.offer_id
        named = User if by == "closer" else Offer
        stmt = (
            select(key, named.name, o.deal_currency, *sums)
            .join(Appointment, Appointment.id == o.appointment_id)
            .outerjoin(c, c.c.outcome_id == o.id)
            .outerjoin(i, i.c.outcome_id == o.id)
            .join(named, named.id == key)
            .where(*won)
            .group_by(key, named.name, o.deal_currency)
            .order_by(sums[1].desc(), named.name, key, o.deal_currency)  # largest revenue first: the page lists the top
        )
    return [
        Revenue(int(k) if by else None, str(label), str(cur), *(_int(v) for v in values))
        for k, label, cur, *values in session.execute(stmt)
    ]
