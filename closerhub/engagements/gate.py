"""The booking gate: calls are booked only on an active engagement of the business, with an active
closer and an active offer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import AccountStatus
from closerhub.core.errors import Conflict, NotFound
from closerhub.core.i18n import _
from closerhub.db import is_plausible_id
from closerhub.engagements.models import Engagement, EngagementStatus


def require_active_engagement(
    session: Session, engagement_id: int, business_id: int, *, lock: bool = False
) -> Engagement:
    """The engagement booking needs: it belongs to ``business_id`` (else NotFound), and it and its offer
    are active (else Conflict, code ``engagement_not_active`` or ``offer_inactive``).

    ``lock=True`` takes a row lock (``SELECT ... FOR UPDATE`` on PostgreSQL) so the
    engagement cannot end between this check and the booking's insert; SQLite writers
    already hold the database write lock.
    """
    engagement = None
    if is_plausible_id(engagement_id):  # an id past BIGINT is not found, not a driver error
        # With its closer and offer (read below) in the same statement; a locked read refreshes
        # what the session already holds, since the row may have changed before the lock.
        stmt = (
            select(Engagement)
            .where(Engagement.id == engagement_id)
            .options(joinedload(Engagement.closer), joinedload(Engagement.offer))
        )
        if lock:
            stmt = stmt.with_for_update(of=Engagement).execution_options(populate_existing=True)
        engagement = session.scalar(stmt)
    return check_active_engagement(engagement, business_id)


def check_active_engagement(engagement: Engagement | None, business_id: int) -> Engagement:
    """``require_active_engagement``'s checks on an engagement already read (with its closer and offer)."""
    if engagement is None or engagement.business_id != business_id:
        raise NotFound(_("Engagement not found."))
    if engagement.closer.status != AccountStatus.ACTIVE:  # a suspended closer takes no new calls
        raise Conflict(
            _("%(name)s is not available for booking at the moment.", name=engagement.closer.name),
            field_errors={"engagement_id": _("The closer is not available.")},
            code="closer_unavailable",
        )
    if engagement.status != EngagementStatus.ACTIVE:
        raise Conflict(
            _(
                "Calls can only be booked on an active engagement; this one is %(status)s.",
                status=_(engagement.status.value),
            ),
            field_errors={"engagement_id": _("The engagement is not active.")},
            code="engagement_not_active",
        )
    if not engagement.offer.is_active:
        raise Conflict(
            _("The offer %(offer)s is inactive; activate it to book calls.", offer=repr(engagement.offer.name)),
            field_errors={"engagement_id": _("The offer is inactive.")},
            code="offer_inactive",
        )
    return engagement
