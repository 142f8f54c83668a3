"""The emails of every outcome event: the closer, each member of the business, and (disputes) the admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from closerhub.accounts.models import AccountStatus, Role, User
from closerhub.businesses.models import Business
from closerhub.notifications.service import public_url, queue_email
from closerhub.outcomes.models import Outcome


def _recipients(session: Session, outcome: Outcome, *, admins: bool) -> list[User]:
    business = session.get(Business, outcome.business_id)
    assert business is not None
    people = [outcome.closer, *(m.user for m in business.members)]
    if admins:
        people += list(session.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)))
    seen: set[int] = set()
    unique = []
    for person in people:
        if person.id not in seen and person.status == AccountStatus.ACTIVE:
            seen.add(person.id)
            unique.append(person)
    return unique


def notify(
    session: Session, outcome: Outcome, template: str, actor: User | None, *, now: datetime, **extra: object
) -> None:
    """Queue ``email/<template>`` for everyone concerned, each in their own language and time zone."""
    appointment = outcome.appointment
    for recipient in _recipients(session, outcome, admins=template == "outcome_disputed"):
        if recipient.is_closer:
            url = public_url("outcomes.earnings")
        elif recipient.is_admin:
            url = public_url("outcomes.disputes")
        else:
            url = public_url("outcomes.pending")
        queue_email(
            session,
            to=recipient.email,
            template=template,
            language=recipient.language,
            context={
                "outcome": outcome,
                "appointment": appointment,
                "offer": appointment.offer,
                "business": appointment.business,
                "closer": outcome.closer,
                "recipient": recipient,
                "actor": actor,
                "for_closer": recipient.id == outcome.closer_id,
                "url": url,
                **extra,
            },
            now=now,
        )
