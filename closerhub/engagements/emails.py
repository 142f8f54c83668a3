"""The emails of every engagement transition: the closer and each member of the business, in their language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, User
from closerhub.businesses.models import Business
from closerhub.engagements.models import Engagement
from closerhub.notifications.service import public_url, queue_email


def _business_recipients(session: Session, business_id: int) -> list[User]:
    business = session.get(Business, business_id)
    assert business is not None
    return [m.user for m in business.members if m.user.status == AccountStatus.ACTIVE]


def notify(
    session: Session, engagement: Engagement, template: str, actor: User, *, now: datetime, **extra: object
) -> None:
    """Email the closer and every active member of the business, each in their own language."""
    url = public_url("engagements.show", engagement_id=engagement.id)
    recipients = [engagement.closer, *_business_recipients(session, engagement.business_id)]
    seen: set[int] = set()
    for recipient in recipients:
        if recipient.id in seen:
            continue
        seen.add(recipient.id)
        queue_email(
            session,
            to=recipient.email,
            template=template,
            language=recipient.language,
            context={
                "engagement": engagement,
                "offer": engagement.offer,
                "business": engagement.business,
                "closer": engagement.closer,
                "recipient": recipient,
                "actor": actor,
                "for_closer": recipient.id == engagement.closer_id,
                "url": url,
                **extra,
            },
            now=now,
        )
