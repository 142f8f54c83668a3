"""The worker's instalment asks: tell the business once an instalment falls due, and again once it is overdue.

Exactly once, like the booking reminders (``booking.reminders``): each ask has a claim column
(``due_notice_sent_at``, ``overdue_notice_sent_at``); a run reads the candidates, then claims
each with a conditional UPDATE (``… WHERE id = :id AND <column> IS NULL AND status = 'due'``)
and queues the emails in the same transaction only when it touched the row. Two workers race
on the UPDATE and one wins; a crash before the commit loses both the claim and the emails.

Only instalments of settled outcomes (confirmed or resolved) are asked about: before that the
business cannot mark them. Instalments recorded before the plans existed were marked as asked
by their migration.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from closerhub.businesses.models import Business
from closerhub.notifications.service import public_url, queue_email
from closerhub.outcomes.models import SETTLED_STATUSES, Outcome
from closerhub.outcomes.models_instalments import Instalment, InstalmentStatus

OVERDUE_AFTER = timedelta(days=7)
BATCH = 500


def _claim(session: Session, instalment_id: int, column: InstrumentedAttribute[Any], now: datetime) -> bool:
    """Set ``column`` to ``now`` if nobody has and the instalment is still due: True when this run owns the ask."""
    session.connection(execution_options={"sqlite_immediate": True})
    statement = update(Instalment).where(
        Instalment.id == instalment_id, column.is_(None), Instalment.status == InstalmentStatus.DUE
    )
    result = session.execute(statement.values({column.key: now}).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def _ask(session: Session, column: InstrumentedAttribute[Any], due_by: Any, kind: str, now: datetime) -> int:
    ids = list(
        session.scalars(
            select(Instalment.id)
            .join(Outcome, Outcome.id == Instalment.outcome_id)
            .where(
                Instalment.status == InstalmentStatus.DUE,
                column.is_(None),
                Instalment.due_on <= due_by,
                and_(Outcome.status.in_(SETTLED_STATUSES)),
            )
            .order_by(Instalment.due_on, Instalment.id)
            .limit(BATCH)
        )
    )
    session.rollback()  # end the read before claiming
    sent = 0
    for instalment_id in ids:
        if not _claim(session, instalment_id, column, now):
            session.rollback()
            continue
        instalment = session.get(Instalment, instalment_id)
        assert instalment is not None
        _email_business(session, instalment, kind, now=now)
        session.commit()
        sent += 1
    return sent


def _email_business(session: Session, instalment: Instalment, kind: str, *, now: datetime) -> None:
    outcome = instalment.outcome
    business = session.get(Business, outcome.business_id)
    assert business is not None
    url = public_url("outcomes.instalments_page", outcome_id=outcome.id)
    for member in business.members:
        user = member.user
        if not user.is_active:
            continue
        queue_email(
            session,
            to=user.email,
            template="instalment_notice",
            language=user.language,
            context={
                "kind": kind,
                "instalment": instalment,
                "outcome": outcome,
                "appointment": outcome.appointment,
                "business": business,
                "recipient": user,
                "url": url,
            },
            now=now,
        )


def ask_due_instalments(session: Session, now: datetime) -> int:
    """Ask the business, once, to mark each instalment that fell due (today or before). Commits per ask."""
    return _ask(session, Instalment.due_notice_sent_at, now.date(), "due", now)


def remind_overdue_instalments(session: Session, now: datetime) -> int:
    """Remind the business, once, of each instalment still due ``OVERDUE_AFTER`` past its date. Commits per ask."""
    return _ask(session, Instalment.overdue_notice_sent_at, (now - OVERDUE_AFTER).date(), "overdue", now)
