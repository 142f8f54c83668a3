"""Analytics money figures per currency (and per closer or offer): revenue closed against cash collected,
commission, fees owed and paid (definitions in ``queries``' docstring).

Charges and instalments are summed per outcome in subqueries first: a cash-collected deal has one
charge per collected instalment, and joining them directly would count the deal once per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, case, func, select, tuple_
from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.analytics.queries import Scope, Week, _int, _outcomes_in, _ratio
from closerhub.booking.models import Appointment
from closerhub.businesses.models import Offer
from closerhub.engagements.models import CommissionBasis
from closerhub.outcomes.models import Outcome, OutcomeResult, OutcomeStatus
from closerhub.outcomes.models_instalments import Instalment, InstalmentStatus
from closerhub.payments.charges.models import PAID_STATUSES, UNPAID_STATUSES, Charge

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


Grouping = Literal["closer", "offer"] | None
_SUMS = ("revenue", "commission", "fees", "paid", "owed", "collected")


def _deal_rows(scope: Scope, weeks: Sequence[Week]) -> Any:
    """One row per won, non-voided deal of the calls in ``weeks``: its closer, offer, currency and amounts.

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
    won = (o.result == OutcomeResult.WON, o.status != OutcomeStatus.VOIDED, *_outcomes_in(scope, weeks))
    return (
        select(
            Appointment.closer_id.label("closer"),
            Appointment.offer_id.label("offer"),
            o.deal_currency.label("currency"),
            o.id.label("deal"),
            o.deal_amount.label("revenue"),
            o.commission_amount.label("commission"),
            func.coalesce(o.platform_fee_amount, 0).label("fees"),
            func.coalesce(c.c.paid, 0).label("paid"),
            owed.label("owed"),
            func.coalesce(i.c.collected, 0).label("collected"),
        )
        .join(Appointment, Appointment.id == o.appointment_id)
        .outerjoin(c, c.c.outcome_id == o.id)
        .outerjoin(i, i.c.outcome_id == o.id)
        .where(*won)
        .subquery()
    )


def revenue(session: Session, scope: Scope, weeks: Sequence[Week], by: Grouping = None) -> list[Revenue]:
    """Won, non-voided deals of the calls in ``weeks`` per currency (and per closer or offer)."""
    return revenue_by(session, scope, weeks, [by])[by]


def revenue_by(
    session: Session, scope: Scope, weeks: Sequence[Week], groupings: Sequence[Grouping]
) -> dict[Grouping, list[Revenue]]:
    """``revenue`` for several groupings at once: per currency, best-selling closer or offer first.

    On PostgreSQL one statement answers them all (``GROUP BY GROUPING SETS``: (currency),
    (closer, currency), (offer, currency)); SQLite has no grouping sets: one query per grouping.
    """
    if len(groupings) > 1 and session.get_bind().dialect.name != "postgresql":
        return {by: revenue_by(session, scope, weeks, [by])[by] for by in groupings}
    d = _deal_rows(scope, weeks)
    keys = [by for by in groupings if by is not None]
    sets = [[d.c.currency] if by is None else [d.c[by], d.c.currency] for by in groupings]
    grouped = (
        select(
            *(d.c[by] for by in keys),
            d.c.currency,
            func.count(d.c.deal).label("deals"),
            *(func.sum(d.c[n]).label(n) for n in _SUMS),
        )
        .group_by(*(sets[0] if len(sets) == 1 else [func.grouping_sets(*(tuple_(*cols) for cols in sets))]))
        .subquery()
    )
    stmt = select(grouped)
    if "closer" in keys:
        stmt = stmt.add_columns(User.name.label("closer_name")).outerjoin(User, User.id == grouped.c.closer)
    if "offer" in keys:
        stmt = stmt.add_columns(Offer.name.label("offer_name")).outerjoin(Offer, Offer.id == grouped.c.offer)
    found: dict[Grouping, list[Revenue]] = {by: [] for by in groupings}
    for row in session.execute(stmt):
        m = row._mapping
        by = next((g for g in keys if m[g] is not None), None)  # the one set this row sums
        key, label = (int(m[by]), str(m[f"{by}_name"])) if by else (None, "")
        amounts = (_int(m[n]) for n in ("deals", *_SUMS))
        found[by].append(Revenue(key, label, str(m["currency"]), *amounts))
    for by, rows in found.items():
        rows.sort(key=lambda r: (r.currency,) if by is None else (-r.revenue, r.label, r.key or 0, r.currency))
    return found
