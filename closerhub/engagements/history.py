"""What every engagement transition leaves behind: an audit row and, for the contract's event types, a webhook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.accounts.models import User
from closerhub.audit.service import record
from closerhub.engagements.models import Engagement
from closerhub.webhooks.service import emit


def state(engagement: Engagement) -> dict[str, object]:
    """The audited part of an engagement: its status and terms."""
    return {
        "status": engagement.status,
        "commission_rate_bps": engagement.commission_rate_bps,
        "commission_basis": engagement.commission_basis,
    }


def audit(
    session: Session, actor: User, engagement: Engagement, action: str, before: dict[str, object], *, now: datetime
) -> None:
    """One audit row per transition: the status (and rate) before and after."""
    after: dict[str, object] = state(engagement)
    reason = engagement.decline_reason or engagement.end_reason
    if reason:
        after["reason"] = reason
    record(session, actor=actor, action=f"engagement.{action}", obj=engagement, before=before, after=after, now=now)
    if action in ("accepted", "declined"):  # the contract's engagement event types
        emit(session, engagement.business_id, f"engagement.{action}", engagement, now=now)
