"""Which engagements a user may list: the closer's own, the business's, every one for admins."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.engagements.models import OPEN_STATUSES, Engagement, EngagementStatus


def engagements_query(viewer: User, *, statuses: tuple[EngagementStatus, ...] = ()) -> Select[tuple[Engagement]]:
    """The engagements ``viewer`` may list: a closer's own, a business's, every one for admins.

    Each row's offer, business and closer (every list shows them) come in the same query.
    """
    stmt = select(Engagement).options(
        joinedload(Engagement.offer), joinedload(Engagement.business), joinedload(Engagement.closer)
    )
    if viewer.is_closer:
        stmt = stmt.where(Engagement.closer_id == viewer.id)
    elif not viewer.is_admin:
        stmt = stmt.where(Engagement.business_id == (viewer.business_id or -1))
    if statuses:
        stmt = stmt.where(Engagement.status.in_(statuses))
    return stmt


def open_engagements(session: Session, viewer: User, limit: int = 20) -> list[Engagement]:
    """Proposed and active engagements of ``viewer``, most recent first (dashboards)."""
    stmt = engagements_query(viewer, statuses=OPEN_STATUSES).order_by(Engagement.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def closers_worked_with(session: Session, viewer: User, limit: int = 200) -> list[User]:
    """Active closers the business of ``viewer`` has proposed to before (any status), by name.

    The "new engagement" page offers them when no closer is given: the ones a business has
    already found, besides the link to the search.
    """
    stmt = (
        select(User)
        .where(
            User.role == Role.CLOSER,
            User.status == AccountStatus.ACTIVE,
            User.id.in_(select(Engagement.closer_id).where(Engagement.business_id == (viewer.business_id or -1))),
        )
        .order_by(User.name, User.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
