"""An engagement's life after the proposal: accept, decline, withdraw, end; and reading one.

Each transition checks, in this order, visibility (404), role (403), state (409) and
input (422), changes nothing on any error, audits, emails both sides, and commits once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.core.errors import Conflict, NotFound, PermissionDenied
from closerhub.core.i18n import N_, _
from closerhub.core.text import clean_text
from closerhub.db import get_by_id
from closerhub.engagements.emails import notify
from closerhub.engagements.history import audit, state
from closerhub.engagements.models import Engagement, EngagementStatus
from closerhub.engagements.terms import fail

REASON_MAX = 1000

# Whole sentences per transition; the status (``_(status.value)``, translated with the other
# status labels) fills ``%(status)s``.
_CANNOT_BE = {
    "accepted": N_("An engagement that is %(status)s cannot be accepted."),
    "declined": N_("An engagement that is %(status)s cannot be declined."),
    "withdrawn": N_("An engagement that is %(status)s cannot be withdrawn."),
    "given a new rate": N_("An engagement that is %(status)s cannot be given a new rate."),
}
_ONLY_CLOSER = {
    "accept": N_("Only the closer can accept this engagement."),
    "decline": N_("Only the closer can decline this engagement."),
}
_ONLY_BUSINESS = {
    "withdraw": N_("Only the business can withdraw this engagement."),
    "change the rate of": N_("Only the business can change the rate of this engagement."),
}


def find_engagement(session: Session, engagement_id: int, viewer: User | None) -> Engagement:
    """An engagement ``viewer`` may see; NotFound (404) for a missing one and for anyone else's."""
    engagement = get_by_id(session, Engagement, engagement_id)
    if engagement is None or not engagement.can_view(viewer):
        raise NotFound(_("Engagement not found."))
    return engagement


def illegal(engagement: Engagement, action: str) -> Conflict:
    """The 409 of a transition the engagement's status does not allow (``action`` as in ``_CANNOT_BE``)."""
    return Conflict(_(_CANNOT_BE[action], status=_(engagement.status.value)), code="illegal_transition")


def _as_closer(session: Session, actor: User, engagement_id: int, action: str) -> Engagement:
    engagement = find_engagement(session, engagement_id, actor)
    if actor.id != engagement.closer_id:
        raise PermissionDenied(_(_ONLY_CLOSER[action]))
    return engagement


def as_business(session: Session, actor: User, engagement_id: int, action: str) -> Engagement:
    """The engagement, when ``actor`` belongs to its business (403 otherwise; 404 when they cannot see it)."""
    engagement = find_engagement(session, engagement_id, actor)
    if actor.business_id != engagement.business_id:
        raise PermissionDenied(_(_ONLY_BUSINESS[action]))
    return engagement


def accept(session: Session, actor: User, engagement_id: int, *, now: datetime) -> Engagement:
    """The closer accepts a proposal: the engagement becomes active and bookable."""
    engagement = _as_closer(session, actor, engagement_id, "accept")
    if engagement.status != EngagementStatus.PROPOSED:
        raise illegal(engagement, "accepted")
    before = state(engagement)
    engagement.status = EngagementStatus.ACTIVE
    engagement.accepted_at = now
    audit(session, actor, engagement, "accepted", before, now=now)
    notify(session, engagement, "engagement_accepted", actor, now=now)
    session.commit()
    return engagement


def decline(session: Session, actor: User, engagement_id: int, reason: str, *, now: datetime) -> Engagement:
    """The closer turns a proposal down and says why (the business reads the reason)."""
    engagement = _as_closer(session, actor, engagement_id, "decline")
    if engagement.status != EngagementStatus.PROPOSED:
        raise illegal(engagement, "declined")
    text = clean_text(reason, "reason", REASON_MAX, multiline=True)
    if not text:
        raise fail("reason", _("Say why you decline: the business reads it."))
    before = state(engagement)
    engagement.status = EngagementStatus.DECLINED
    engagement.declined_at = now
    engagement.decline_reason = text
    audit(session, actor, engagement, "declined", before, now=now)
    notify(session, engagement, "engagement_declined", actor, now=now)
    session.commit()
    return engagement


def withdraw(session: Session, actor: User, engagement_id: int, *, now: datetime) -> Engagement:
    """The business takes back a proposal the closer has not answered yet."""
    engagement = as_business(session, actor, engagement_id, "withdraw")
    if engagement.status != EngagementStatus.PROPOSED:
        raise illegal(engagement, "withdrawn")
    before = state(engagement)
    mark_withdrawn(engagement, actor, now)
    audit(session, actor, engagement, "withdrawn", before, now=now)
    notify(session, engagement, "engagement_withdrawn", actor, now=now)
    session.commit()
    return engagement


def end(session: Session, actor: User, engagement_id: int, reason: str | None = None, *, now: datetime) -> Engagement:
    """Either side (or an admin) ends an active engagement; no booking is possible afterwards."""
    engagement = find_engagement(session, engagement_id, actor)
    if not (actor.id == engagement.closer_id or actor.business_id == engagement.business_id or actor.is_admin):
        raise PermissionDenied(_("Only the closer or the business can end this engagement."))
    if engagement.status != EngagementStatus.ACTIVE:
        if engagement.status == EngagementStatus.PROPOSED:
            message = _("An engagement that is proposed cannot be ended. Withdraw or decline a proposal instead.")
        else:
            message = _("An engagement that is %(status)s cannot be ended.", status=_(engagement.status.value))
        raise Conflict(message, code="illegal_transition")
    text = clean_text(reason, "reason", REASON_MAX, multiline=True) or None
    before = state(engagement)
    close(engagement, actor, text, now)
    audit(session, actor, engagement, "ended", before, now=now)
    notify(session, engagement, "engagement_ended", actor, now=now)
    session.commit()
    return engagement


def close(engagement: Engagement, actor: User, reason: str | None, now: datetime) -> None:
    """End an active engagement (no audit, no commit)."""
    engagement.status = EngagementStatus.ENDED
    engagement.ended_at = now
    engagement.ended_by_id = actor.id
    engagement.end_reason = reason


def mark_withdrawn(engagement: Engagement, actor: User, now: datetime) -> None:
    """Withdraw a proposal (no audit, no commit)."""
    engagement.status = EngagementStatus.WITHDRAWN
    engagement.withdrawn_at = now
    engagement.withdrawn_by_id = actor.id
