"""A new rate for an open engagement: a new proposal replaces it, and the history keeps both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.core.i18n import _
from closerhub.engagements.commands import RateChange
from closerhub.engagements.emails import notify
from closerhub.engagements.history import audit, state
from closerhub.engagements.lifecycle import as_business, close, illegal, mark_withdrawn
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.engagements.proposals import insert_proposal, validate_proposal
from closerhub.engagements.terms import fail, percent_label


def change_rate(session: Session, actor: User, engagement_id: int, change: RateChange, *, now: datetime) -> Engagement:
    """Propose a new rate for an open engagement: a NEW engagement, the current one closes.

    An active engagement ends (reason: the new proposal) and a proposed one is withdrawn;
    the new one is proposed and points at it (``previous_id``). Booking waits for the
    closer to accept the new rate. Without a basis, the current one is kept.
    """
    current = as_business(session, actor, engagement_id, "change the rate of")
    if not current.is_open:
        raise illegal(current, "given a new rate")
    basis = change.commission_basis if change.commission_basis is not None else current.commission_basis
    if change.commission_rate_bps == current.commission_rate_bps and basis == current.commission_basis:
        raise fail(
            "commission_rate_bps", _("The rate is already %(rate)s.", rate=percent_label(current.commission_rate_bps))
        )
    closer, offer, rate = validate_proposal(
        session, actor, closer_id=current.closer_id, offer_id=current.offer_id, rate=change.commission_rate_bps
    )
    previous_status = current.status
    before = state(current)
    if current.status == EngagementStatus.ACTIVE:
        close(current, actor, f"Replaced by a proposal at {percent_label(rate, 'en')}.", now)
    else:
        mark_withdrawn(current, actor, now)
    session.flush()  # free the (closer, offer) slot of the partial unique index first
    audit(session, actor, current, "replaced", before, now=now)
    engagement = insert_proposal(session, actor, closer, offer, rate, previous=current, now=now, basis=basis)
    audit(session, actor, engagement, "rate_changed", {**before, "engagement_id": current.id}, now=now)
    notify(
        session, engagement, "engagement_proposed", actor, previous=current, previous_status=previous_status, now=now
    )
    session.commit()
    return engagement
