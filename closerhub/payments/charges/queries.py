"""Reading charges: an outcome's or an instalment's charge, the lists a business, an admin and the money desk see."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from closerhub.accounts.models import User
from closerhub.accounts.permissions import find_visible
from closerhub.core.errors import PermissionDenied
from closerhub.core.i18n import _
from closerhub.outcomes.models import outcome_list_loads
from closerhub.payments.charges.models import Charge, ChargeStatus

# A ``processing`` row untouched this long was interrupted (a crash between commit and result).
STALE_PROCESSING = timedelta(minutes=15)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def charge_of(session: Session, outcome_id: int) -> Charge | None:
    """The charge of an outcome, if any."""
    return session.scalar(select(Charge).where(Charge.outcome_id == outcome_id, Charge.instalment_id.is_(None)))


def charge_of_instalment(session: Session, instalment_id: int) -> Charge | None:
    """The charge of one collected instalment (cash-collected outcomes), if any."""
    return session.scalar(select(Charge).where(Charge.instalment_id == instalment_id))


def find_charge(session: Session, charge_id: int, viewer: User | None) -> Charge:
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
